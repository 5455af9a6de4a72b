# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel rules, fix-ups, structured form and canonical equality."""

from __future__ import absolute_import, annotations, division, print_function

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import flow_ufid
from ansible_collections.dpif.ovs.plugins.module_utils.odp import rules as R
from ansible_collections.dpif.ovs.plugins.module_utils.odp import structured as S
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T

__metaclass__ = type


@pytest.mark.parametrize("text,field", [
    ("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6),tcp(dst=80) 1", "tcp_flags"),
    ("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17),tcp(dst=80),tcp_flags(0/0) 1", "tcp"),
    ("in_port(1),eth(),eth_type(0x0800),ipv4(src=1.1.1.1) drop(0)", "actions[0].drop"),
    ("in_port(1),eth(),eth_type(0x0806),arp() ct(commit)", "actions[0].ct"),
    ("in_port(1),eth(),eth_type(0x0800),ipv4() set(ipv4(src=1.1.1.1/255.255.255.0))", "actions[0].set_masked.ipv4"),
    ("in_port(70000),eth() 1", "in_port"),
    # conntrack helpers: the kernel looks them up by name and the flow's ip proto
    ("in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) ct(commit,helper=ftp),2", "actions[0].ct"),
    ("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp() ct(commit,helper=ftp),2", "actions[0].ct"),
    ("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0) ct(commit,helper=nosuch),2",
     "actions[0].ct"),
])
def test_rejected_with_field(text, field):
    with pytest.raises(FlowSyntaxError) as ei:
        R.validate(T.parse_flow(text))
    assert ei.value.field == field


def test_fix_fills_in_and_says_so():
    flow = T.parse_flow("in_port(1),ipv4(dst=10.0.0.1,proto=6),tcp(dst=80) 1")
    fixed, notes = R.validate(flow, fix=True)
    assert T.format_flow(fixed) == "in_port(1),ipv4(dst=10.0.0.1,proto=6),tcp(dst=80),eth(),eth_type(0x0800) 1"
    assert any("tcp_flags" in n for n in notes) and any("eth()" in n for n in notes)
    R.validate(fixed)


def test_drop_allowed_on_newer_kernels():
    flow = T.parse_flow("in_port(1),eth() drop(0)")
    R.validate(flow, max_action=24)


def test_port_names():
    flow = T.parse_flow("in_port(veth0),eth() vx0,2", port_numbers={"veth0": 1, "vx0": 3})
    assert T.format_flow(flow) == "in_port(1),eth() 3,2"
    assert T.format_flow(flow, port_names={1: "veth0", 3: "vx0"}) == "in_port(veth0),eth() vx0,2"
    with pytest.raises(FlowSyntaxError):
        T.parse_flow("in_port(nope),eth() 1", port_numbers={"veth0": 1})


def test_canonical_equality_and_ufid():
    a = T.parse_flow("in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.7/255.255.255.0) 1")
    b = T.parse_flow("in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.9/255.255.255.0,dst=1.1.1.1/0.0.0.0) 1")
    assert a == b and hash(a) == hash(b) and flow_ufid(a) == flow_ufid(b)
    assert len(flow_ufid(a)) == 16


def test_structured_paths():
    with pytest.raises(FlowSyntaxError) as ei:
        S.flow_from_struct({"in_port": 1, "ipv4": {"dst": "10.0.0.300"}, "actions": []})
    assert ei.value.field == "ipv4.dst"
    with pytest.raises(FlowSyntaxError) as ei:
        S.validate_struct({"in_port": 1, "eth": {}, "bogus": 1, "actions": []})
    flow = S.flow_from_struct({"in_port": 1, "eth": {}, "eth_type": 0x0800, "ipv4": {"dst": "10.0.0.0/24"},
                               "actions": [2, {"ct": {"commit": True}}, {"set": {"ipv4": {"ttl": 5}}}]})
    assert T.format_flow(flow) == ("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.0/255.255.255.0) "
                                   "2,ct(commit),set(ipv4(ttl=5))")


def test_dump_line_round_trip():
    line = ("ufid:11111111-2222-3333-4444-555555555555, in_port(2),eth(),eth_type(0x0800),ipv4(proto=1),"
            "icmp(type=8), packets:3, bytes:180, used:0.065s, flags:SP., dp:ovs, actions:ct(commit),recirc(0x5)")
    flow, stats = T.parse_dump_line(line)
    assert T.format_flow(flow, verbose=False, stats=stats, ufid=True) == line.replace(", dp:ovs", "")


@pytest.mark.parametrize("text", [
    "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=21),tcp_flags(0/0) ct(commit,helper=ftp),2",
    "in_port(1),eth(),eth_type(0x86dd),ipv6(proto=6,frag=no),tcp(dst=21),tcp_flags(0/0) ct(commit,helper=ftp),2",
    "in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=69) ct(commit,zone=8,helper=tftp),2",
    "in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=5060) ct(commit,helper=sip),2",
])
def test_ct_helper_on_its_protocol_passes(text):
    R.validate(T.parse_flow(text))


def test_ct_helper_message_says_what_to_match():
    with pytest.raises(FlowSyntaxError) as ei:
        R.validate(T.parse_flow("in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) ct(commit,helper=tftp),2"))
    assert "helper=tftp needs the flow to match proto=17 (udp)" in str(ei.value)
