# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LineTemplates encodes every line exactly as the full path does (or
leaves it to the full path, with its error), and takes most lines of a
table by template."""

from __future__ import absolute_import, annotations, division, print_function

import random

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import line_templates as L
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import Wanted

__metaclass__ = type

KINDS = [
    "in_port(1),eth(),eth_type(0x0800),ipv4(dst={ip4},frag=no) "
    "set(tunnel(tun_id={hex},dst={ip4},ttl=64,tp_dst={port},flags(df|key))),10",
    "in_port(2),eth(),eth_type(0x0800),ipv4(src={ip4},proto=6,frag=no),tcp(dst={port}),tcp_flags(0/0) "
    "ct(commit),recirc(1)",
    "in_port(3),eth(),eth_type(0x86dd),ipv6(src={ip6},dst={ip6},frag=no) 10",
    "in_port(4),eth(src={mac},dst={mac}),eth_type(0x8100),vlan(vid=7),encap(eth_type(0x0800),"
    "ipv4(src={ip4},dst={ip4},proto=17,frag=no),udp(src={port},dst={port})) pop_vlan,10",
    "in_port(5),eth(),eth_type(0x0800),ipv4(proto=132,frag=no),sctp(src={port}) "
    "set(ipv4(src={ip4})),set(sctp(dst={port})),11",
    "tunnel(tun_id={hex},src={ip4},dst={ip4},ttl=64,tp_dst={port},flags(-df+key)),in_port(6),eth(),"
    "eth_type(0x0800),ipv4(frag=no) 12",
    "in_port(7),eth(),eth_type(0x0800),ipv4(frag=no) set(tunnel(tun_id={hex},ipv6_dst={ip6},ttl=9,"
    "tp_src={port},flags(key))),clone(set(tunnel(tun_id={hex},dst={ip4},ttl=1,flags(key))),13),14",
    "in_port(8),eth(),eth_type(0x88a8),vlan(vid={vid}),encap(eth_type(0x8100),vlan(vid={vid}),"
    "encap(eth_type(0x0800),ipv4(dst={ip4},frag=no))) pop_vlan,push_vlan(vid=9,pcp=1),15",
]


def _value(r, kind, edges):
    """A value of ``kind``, at an edge (zero, all ones, out of range, odd
    spellings) with probability ``edges``."""
    edge = r.random() < edges
    if kind == "ip4":
        if edge:
            return r.choice(["0.0.0.0", "255.255.255.255", "010.0.0.1", "1.2.3"])
        return "%d.%d.%d.%d" % tuple(r.randrange(256) for _i in range(4))
    if kind == "ip6":
        if edge:
            return r.choice(["::", "::ffff:10.0.0.1", "FD00::1", "fd00:0:0:0:0:0:0:1", "fd00::1::2"])
        return "fd00::%x:%x" % (r.randrange(65536), r.randrange(65536))
    if kind == "port":
        if edge:
            return r.choice(["0", "65535", "65536", "0x50", "080", "99999999"])
        return str(r.randrange(1, 65536))
    if kind == "hex":
        if edge:
            return r.choice(["0x0", "0xffffffffffffffff", "0x10000000000000000", "12", "0XAB"])
        return "0x%x" % (1 + r.getrandbits(r.choice([8, 24, 63])))
    if kind == "vid":
        if edge:
            return r.choice(["0", "4095", "4096", "0x10", "010", "65535"])
        return str(r.randrange(1, 4096))
    if edge:
        return r.choice(["00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "0:1:2:3:4:5", "AA:BB:CC:DD:EE:FF"])
    return ":".join("%02x" % r.randrange(256) for _i in range(6))


def _line(r, kind, edges=0.15):
    out = ""
    rest = kind
    while "{" in rest:
        head, _brace, tail = rest.partition("{")
        name, _brace, rest = tail.partition("}")
        out += head + _value(r, name, edges)
    return out + rest


def _full(fix=True):
    wanted = Wanted(fix=fix)
    return lambda line: wanted.encode(parse_flow(line), line)


def _outcome(encode, line):
    try:
        return encode(line)
    except DpifError as exc:
        return type(exc), str(exc)


@pytest.mark.parametrize("fix", [True, False])
def test_every_line_encodes_as_the_full_path(fix):
    """Lines of many kinds, values random and at their edges (zero, all
    ones, out of range, spelled otherwise), interleaved: the same key, mask,
    actions and notes as the full path, or its error; and most of them by
    template."""
    r = random.Random(7)
    lines = [_line(r, r.choice(KINDS)) for _i in range(3000)]
    lines += lines[:50]                 # repeated lines too
    full = _full(fix)
    templates = L.LineTemplates(full)
    for line in lines:
        assert _outcome(templates.encode, line) == _outcome(full, line), line
    assert templates.full < len(lines) // 2
    assert len([t for t in templates._templates.values() if t is not None]) == len(KINDS)


def test_a_table_of_one_kind_is_encoded_in_a_few_full_parses():
    r = random.Random(1)
    lines = [_line(r, KINDS[0], edges=0) for _i in range(500)]
    templates = L.LineTemplates(_full())
    for line in lines:
        templates.encode(line)
    assert templates.full == 2 + 4     # the first line, the second, and a probe per value


@pytest.mark.parametrize("kind", [
    # Values of fields that are not plain stay part of the line's kind...
    "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.%d,proto=6,frag=no),tcp(dst=80),tcp_flags(0/0) "
    "ct(commit),recirc(%d)",
    # ...a masked value too...
    "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.%d.0/255.255.255.0,frag=no) %d",
    # ...an action's vid is not cut out...
    "in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) push_vlan(vid=%d),%d",
    # ...a vid whose TCI also carries a pcp is not the vid's bytes: the probes refuse it...
    "in_port(1),eth(),eth_type(0x8100),vlan(vid=%d,pcp=3),encap(eth_type(0x0800),ipv4(frag=no)) %d",
    # ...and a kind with a field that is not plain (ct_tuple4) has no template.
    "ct_state(+trk),ct_tuple4(src=10.0.0.%d,dst=10.0.1.1,proto=6,tp_src=1,tp_dst=2),in_port(1),eth(),"
    "eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0) %d",
])
def test_lines_whose_values_are_not_plain_are_encoded_in_full(kind):
    lines = [kind % (i + 1, i + 2) for i in range(20)]
    full = _full()
    templates = L.LineTemplates(full)
    assert [templates.encode(line) for line in lines] == [full(line) for line in lines]
    assert templates.full == len(lines)


def test_a_template_is_kept_only_where_each_value_lands_in_its_own_place():
    """An encoding the probes do not explain (a value that changes more than
    its bytes, or lands in the mask) teaches no template."""
    line = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) 2"
    for encode in (lambda text: (text.encode(), b"m", b"a", ()),           # the whole line changes
                   lambda text: (b"k", text.encode()[-12:], b"a", ())):     # the mask changes
        templates = L.LineTemplates(encode)
        for i in range(1, 8):
            assert templates.encode(line % i) == encode(line % i)
        assert templates.full == 7 + 1 and list(templates._templates.values()) == [None]


def test_zero_values_and_bad_values_take_the_full_path():
    """A learnt kind still gets the full path's errors: a tunnel without a
    destination, a port out of range."""
    kind = ("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) "
            "set(tunnel(tun_id=0x5,dst=%s,ttl=64,tp_dst=%s,flags(df|key))),10")
    full = _full()
    templates = L.LineTemplates(full)
    for i in range(1, 6):
        templates.encode(kind % (i, "192.0.2.1", "4789"))
    assert templates._templates and None not in templates._templates.values()
    for dst, port in (("0.0.0.0", "4789"), ("192.0.2.1", "65536")):
        with pytest.raises(DpifError) as got:
            templates.encode(kind % (9, dst, port))
        with pytest.raises(DpifError) as want:
            full(kind % (9, dst, port))
        assert str(got.value) == str(want.value)
