# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hand-checked wire encodings, both ways; failures name the first differing byte."""

from __future__ import absolute_import, annotations, division, print_function

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp import wire as W

__metaclass__ = type

GOLDEN = [
    # in_port(1): len 8, type 3, u32 1 (host order)
    ("in_port(1),eth_type(0x0800)", "key",
     "08000300 01000000 06000600 08000000"),
    ("in_port(1),eth_type(0x0800)", "mask",
     "08000300 ffffffff 06000600 ffff0000"),
    # ipv4: len 16, type 7, src dst proto tos ttl frag
    ("ipv4(src=10.0.0.1,proto=6)", "key", "10000700 0a000001 00000000 06000000"),
    ("ipv4(src=10.0.0.1,proto=6)", "mask", "10000700 ffffffff 00000000 ff000000"),
    # tunnel: nested, ID be64, IPV4_DST, TTL u8 (padded), flag CSUM
    ("tunnel(tun_id=0x5,dst=1.2.3.4,ttl=64,flags(csum))", "key",
     "24001000 0c000000 0000000000000005 08000200 01020304 05000400 40000000 04000600"),
]
ACTIONS = [
    ("2", "08000100 02000000"),
    ("ct(commit,zone=5)", "10000c00 04000100 06000200 05000000"),
    ("recirc(0x3),pop_vlan", "08000700 03000000 04000500"),
    # push_nsh: one OVS_KEY_ATTR_NSH (28) nest around BASE and MD1, as the kernel reads it
    ("push_nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x1,si=255,c1=0x2,c2=0x0,c3=0x0,c4=0x0)",
     "28001100 24001c00 0c000100 003f0103 000001ff 14000200 00000002 00000000 00000000 00000000"),
]


def _first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


@pytest.mark.parametrize("text,part,hexs", GOLDEN)
def test_key_golden(text, part, hexs):
    key, mask = T.parse_key(text)
    got = W.encode_attrs(key if part == "key" else mask)
    want = bytes.fromhex(hexs)
    assert got == want, "first differing byte %d: %s vs %s" % (_first_diff(got, want), got.hex(), hexs)
    back = W.decode_attrs(want, W.CTX_KEY)
    assert back == (key if part == "key" else mask)


@pytest.mark.parametrize("text,hexs", ACTIONS)
def test_action_golden(text, hexs):
    acts = T.parse_actions(text)
    got = W.encode_attrs(acts)
    want = bytes.fromhex(hexs)
    assert got == want, "first differing byte %d: %s vs %s" % (_first_diff(got, want), got.hex(), hexs)
    assert T.format_actions(W.decode_attrs(want, W.CTX_ACTIONS)) == text
