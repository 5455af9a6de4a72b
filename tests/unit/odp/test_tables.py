# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every OVS_KEY_ATTR_* / OVS_ACTION_ATTR_* constant of the uapi header has a row."""

from __future__ import absolute_import, annotations, division, print_function

import re

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as A
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K

__metaclass__ = type

HEADER = "/usr/include/linux/openvswitch.h"


def _enum(prefix):
    text = open(HEADER).read()
    enum = {"OVS_KEY_ATTR": "ovs_key_attr", "OVS_ACTION_ATTR": "ovs_action_attr",
            "OVS_TUNNEL_KEY_ATTR": "ovs_tunnel_key_attr"}[prefix]
    m = re.search(r"enum %s \{(.*?)\};" % enum, text, re.S)
    names = re.findall(r"^\s*(%s_\w+)" % prefix, m.group(1), re.M)
    return {n: i for i, n in enumerate(names) if not n.startswith("__")}


def test_every_key_attr_has_a_row():
    enum = _enum("OVS_KEY_ATTR")
    for name, num in enum.items():
        if name == "OVS_KEY_ATTR_UNSPEC":
            continue
        assert num in K.KEY_BY_NUM, name


def test_every_action_attr_has_a_row():
    enum = _enum("OVS_ACTION_ATTR")
    for name, num in enum.items():
        if name == "OVS_ACTION_ATTR_UNSPEC":
            continue
        assert num in A.ACTION_BY_NUM, name
    assert max(enum.values()) == A.MAX_ACTION_6_1


def test_every_tunnel_attr_has_a_row():
    enum = _enum("OVS_TUNNEL_KEY_ATTR")
    for name, num in enum.items():
        assert num in K.TUN_BY_NUM, name
