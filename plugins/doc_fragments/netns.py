# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # The netns option every module that reads or changes the kernel takes.
    DOCUMENTATION = r"""
options:
  netns:
    description:
      - The network namespace whose datapaths the task reads and changes (each namespace has its own), as
        C(ip netns exec) would run it. A name under C(/run/netns) (C(ip netns add NAME)) or an absolute path to a
        namespace file such as C(/proc/PID/ns/net).
      - The host's own namespace when omitted. Entering another one needs root (become).
    type: str
"""
