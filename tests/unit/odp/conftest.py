# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the ODP flow-language tests: the shared flow generator."""

from __future__ import absolute_import, annotations, division, print_function

import os
import sys

__metaclass__ = type

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
