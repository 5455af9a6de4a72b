# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""odp.overlap: which creates the kernel refuses as overlapping (EEXIST).

The kernel facts behind these answers are checked against the kernel in
tests/kernel/test_overlap.py; here: the decisions, the cases left to the
kernel (None), dumped tables, batches, learnt layouts and the cost."""

from __future__ import absolute_import, annotations, division, print_function

import random
import struct
import time

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.odp import kernel_key, keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
from ansible_collections.dpif.ovs.plugins.module_utils.odp.overlap import OverlapIndex, refused_creates
from ansible_collections.dpif.ovs.plugins.module_utils.odp.rules import validate
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs
from bench_odp import gen_flow, gen_flows

__metaclass__ = type

# The bad-input corpus's overlapping pair (tests/kernel/bad_inputs.py).
WIDE_MACS = "in_port(1),eth(src=00:01:02:03:04:00/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:10/ff:ff:ff:ff:ff:f0) 2"
ONE_MAC_PAIR = "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x1234) 1"
ANY_ETHERNET = "in_port(1),eth() 1"
ANY_IPV4 = "in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1"


def encode(line: str) -> tuple:
    """(key, mask) payloads of a flow line, as ovs_flow sends them
    (resources.flow.Wanted.encode)."""
    flow, _notes = validate(parse_flow(line), fix=True, text=line, check_size=False)
    key, mask, _actions = canonical(flow).canonical_tuple()
    return encode_attrs(key), encode_attrs(mask)


def refused(*lines: str) -> list:
    """(create, overlapped flow) line pairs the predictor gives for
    ``lines`` created in order on an empty table."""
    return refused_creates([], [encode(line) + (line,) for line in lines])


def index_of(*lines: str) -> OverlapIndex:
    index = OverlapIndex()
    for line in lines:
        assert index.add(*encode(line), line)
    return index


# -- what it decides ---------------------------------------------------------------------

def test_the_corpus_pair_is_refused_second():
    assert refused(WIDE_MACS, ONE_MAC_PAIR) == [(ONE_MAC_PAIR, WIDE_MACS)]


def test_a_narrow_flow_first_does_not_block_a_wide_one():
    # The wide flow's key (MACs ...:00/...:10) is not in the narrow flow's match.
    assert refused(ONE_MAC_PAIR, WIDE_MACS) == []


def test_disjoint_flows_are_not_refused():
    assert refused(WIDE_MACS, WIDE_MACS.replace("in_port(1)", "in_port(2)"),
                   ONE_MAC_PAIR.replace("04:05", "04:25"),
                   "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 1",
                   "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no) 1") == []


def test_same_mask_other_key_is_no_overlap_same_key_is():
    index = index_of("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 1")
    assert index.first_match(encode("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no) 1")[0]) is None
    # The identical flow is found too: the kernel refuses creating it again.
    assert index.first_match(encode("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 1")[0]) \
        == "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 1"


def test_a_wildcard_flow_refuses_a_narrower_one_not_the_other_way():
    assert refused(ANY_ETHERNET, ANY_IPV4) == [(ANY_IPV4, ANY_ETHERNET)]
    # eth() alone is an 802.2 frame (eth_type 0x0004): not an IPv4 packet.
    assert refused(ANY_IPV4, ANY_ETHERNET) == []


def test_prefixes_and_port_masks():
    wide = "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6),tcp(dst=80/0xfff0) 1"
    inside = "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.1.2.3,proto=6),tcp(src=5,dst=81) 1"
    outside = "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.1.2.3,proto=6),tcp(dst=96) 1"
    udp = "in_port(1),eth(),eth_type(0x0800),ipv4(src=10.1.2.3,proto=17),udp(dst=81) 1"
    assert refused(wide, inside, outside, udp) == [(inside, wide)]
    six = "in_port(1),eth(),eth_type(0x86dd),ipv6(src=2001:db8::/ffff:ffff::) 1"
    six_in = "in_port(1),eth(),eth_type(0x86dd),ipv6(src=2001:db8::1,proto=17),udp(dst=53) 1"
    assert refused(six, six_in, six_in.replace("db8::1", "db9::1")) == [(six_in, six)]


def test_icmp_type_and_code():
    echo = "in_port(1),eth(),eth_type(0x0800),ipv4(proto=1),icmp(type=8) 1"
    echo_code = "in_port(1),eth(),eth_type(0x0800),ipv4(proto=1),icmp(type=8,code=3) 1"
    reply = "in_port(1),eth(),eth_type(0x0800),ipv4(proto=1),icmp(type=0,code=3) 1"
    assert refused(echo, echo_code, reply) == [(echo_code, echo)]


def test_arp():
    requests = "in_port(1),eth(),eth_type(0x0806),arp(op=1) 1"
    one = "in_port(1),eth(),eth_type(0x0806),arp(sip=10.0.0.1,op=1) 1"
    reply = "in_port(1),eth(),eth_type(0x0806),arp(sip=10.0.0.1,op=2) 1"
    assert refused(requests, one, reply) == [(one, requests)]


def test_a_flow_silent_on_vlans_takes_untagged_frames_only():
    tagged = "in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0800),ipv4(frag=no)) 1"
    assert refused(ANY_ETHERNET, tagged) == []
    assert refused(tagged, ANY_ETHERNET) == []


def test_vlan_tags():
    any_vid = "in_port(1),eth(),eth_type(0x8100),vlan(vid=5/0),encap(eth_type(0x0800)) 1"
    tagged = "in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0800),ipv4(frag=no)) 1"
    other_tpid = "in_port(1),eth(),eth_type(0x88a8),vlan(vid=5),encap(eth_type(0x0800),ipv4(frag=no)) 1"
    qinq = ("in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x8100),vlan(vid=7),"
            "encap(eth_type(0x0800),ipv4(frag=no))) 1")
    # A single-tag flow matches the inner TCI too (always, as the outer one): not a QinQ frame.
    assert refused(any_vid, tagged, other_tpid, qinq) == [(tagged, any_vid)]


def test_an_l3_flow_never_matches_an_ethernet_one():
    assert refused("eth_type(0x0800),ipv4(frag=no) 1", ANY_IPV4) == []


def test_metadata():
    marked = "skb_mark(0x5/0xf),in_port(1),eth() 1"
    assert refused(marked, "skb_mark(0x15),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1",
                   "skb_mark(0x16),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1") \
        == [("skb_mark(0x15),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1", marked)]


def test_in_port():
    # No in_port matches every port; a key without one has no port at all.
    assert refused("eth() 1", "in_port(0),eth(),eth_type(0x0800),ipv4(frag=no) 1") != []
    assert refused("in_port(0),eth() 1", "eth(),eth_type(0x0800),ipv4(frag=no) 1") == []


def _raw(*attrs) -> bytes:
    return encode_attrs(attrs)


PORT_1 = (keys.KEY_IN_PORT, struct.pack("=I", 1))
PORT_EXACT = (keys.KEY_IN_PORT, b"\xff" * 4)
MAC_05 = (keys.KEY_ETHERNET, bytes([0, 1, 2, 3, 4, 5]) + bytes(6))


def test_the_new_key_counts_unmasked():
    index = OverlapIndex()
    index.add(_raw(PORT_1, MAC_05), _raw(PORT_EXACT, (keys.KEY_ETHERNET, b"\xff" * 6 + bytes(6))), "exact")
    # Its own mask would clear the last bits; the kernel looks the key up as sent.
    assert index.first_match(_raw(PORT_1, MAC_05)) == "exact"
    assert index.first_match(_raw(PORT_1, (keys.KEY_ETHERNET, bytes([0, 1, 2, 3, 4, 0]) + bytes(6)))) is None


def test_an_exact_eth_type_mask_without_eth_type_means_802_2():
    index = OverlapIndex()
    index.add(_raw(PORT_1, (keys.KEY_ETHERNET, bytes(12))), _raw(PORT_EXACT, (keys.KEY_ETHERTYPE, b"\xff\xff")), "802.2")
    assert index.first_match(encode(ANY_ETHERNET)[0]) == "802.2"
    assert index.first_match(encode(ANY_IPV4)[0]) is None


def test_no_mask_means_exact():
    key, _mask = encode(ONE_MAC_PAIR)
    index = OverlapIndex()
    assert index.add(key, None, "exact")
    assert index.first_match(key) == "exact"
    assert index.first_match(encode(ONE_MAC_PAIR.replace("04:05", "04:06"))[0]) is None


# -- batches --------------------------------------------------------------------------------

def test_a_refused_create_is_not_installed():
    dst_15 = "in_port(1),eth(dst=10:11:12:13:14:15) 1"
    # Any IPv4 frame on port 1, its key (unmasked) naming dst ...:15: refused for dst_15.
    _key, any_ipv4_mask = encode(ANY_IPV4)
    any_ipv4_key = _raw(PORT_1, (keys.KEY_ETHERNET, bytes(6) + bytes.fromhex("101112131415")),
                        (keys.KEY_ETHERTYPE, b"\x08\x00"), (keys.KEY_IPV4, bytes(12)))
    # Only the refused flow would overlap this one.
    dst_16 = "in_port(1),eth(dst=10:11:12:13:14:16),eth_type(0x0800),ipv4(frag=no) 1"
    assert refused_creates([encode(dst_15) + ("installed",)],
                           [(any_ipv4_key, any_ipv4_mask, "wide"), encode(dst_16) + ("narrow",)]) \
        == [("wide", "installed")]


def test_installed_flows_then_creates_in_order():
    index = index_of(ANY_ETHERNET.replace("in_port(1)", "in_port(2)"))
    assert index.create(*encode(ANY_ETHERNET), "a") is None
    assert index.create(*encode(ANY_IPV4.replace("in_port(1)", "in_port(2)")), "b") == \
        ANY_ETHERNET.replace("in_port(1)", "in_port(2)")
    assert index.create(*encode(ANY_IPV4), "c") == "a"
    assert len(index) == 2 and index.mask_count == 1


# -- tables as the kernel dumps them -------------------------------------------------------------

def _dump_form(key_attrs: tuple, mask_attrs: tuple) -> tuple:
    """A flow as the kernel dumps it: every metadata attribute, zero-masked
    unless matched, in_port's mask 0xffff0000 when wildcarded, a tunnel mask
    of zero fields."""
    zeros = ((keys.KEY_RECIRC_ID, bytes(4)), (keys.KEY_DP_HASH, bytes(4)), (keys.KEY_PRIORITY, bytes(4)))
    cts = ((keys.KEY_SKB_MARK, bytes(4)), (keys.KEY_CT_STATE, bytes(4)), (keys.KEY_CT_ZONE, bytes(2)),
           (keys.KEY_CT_MARK, bytes(4)), (keys.KEY_CT_LABELS, bytes(16)))
    tunnel = ((keys.KEY_TUNNEL, ((keys.TUN_TTL, b"\0"), (keys.TUN_PAD, b""))),)
    return (encode_attrs(zeros + key_attrs[:1] + cts + key_attrs[1:]),
            encode_attrs(zeros + tunnel + mask_attrs[:1] + cts + mask_attrs[1:]))


def test_dumped_flows_are_read_as_the_kernel_holds_them():
    eth = (keys.KEY_ETHERNET, bytes(12))
    any_port = _dump_form(((keys.KEY_IN_PORT, bytes(4)), eth, (keys.KEY_ETHERTYPE, b"\x08\x00"),
                           (keys.KEY_IPV4, bytes(12))),
                          ((keys.KEY_IN_PORT, b"\x00\x00\xff\xff"), eth, (keys.KEY_ETHERTYPE, b"\xff\xff"),
                           (keys.KEY_IPV4, bytes(12))))
    index = OverlapIndex()
    assert index.add(*any_port, "any port, IPv4")
    assert index.first_match(encode(ANY_IPV4.replace("in_port(1)", "in_port(7)"))[0]) == "any port, IPv4"
    assert index.first_match(encode(ANY_ETHERNET)[0]) is None


def test_a_dumped_flow_that_matches_the_tunnel_is_left_to_the_kernel():
    key, mask = _dump_form((PORT_1, (keys.KEY_ETHERNET, bytes(12))), (PORT_EXACT, (keys.KEY_ETHERNET, bytes(12))))
    index = OverlapIndex()
    assert index.add(key, mask, "no tunnel match")
    tunnel_mask = mask.replace(encode_attrs(((keys.TUN_TTL, b"\0"),)), encode_attrs(((keys.TUN_TTL, b"\xff"),)))
    assert tunnel_mask != mask
    assert not index.add(key, tunnel_mask, "ttl")


# -- what it leaves to the kernel ------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "tunnel(tun_id=0x5,dst=10.0.0.1,ttl=64),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1",
    "ct_state(+trk),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1",
    "ct_label(0x15),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1",
    "in_port(1),eth(),eth_type(0x8847),mpls(label=5,tc=0,ttl=64,bos=1) 1",
])
def test_new_flows_out_of_scope_get_no_prediction(line):
    # "eth() 1" overlaps the Ethernet ones: no answer is still the answer.
    index = index_of("eth() 1", "eth_type(0x0800),ipv4(frag=no) 1")
    assert index.first_match(encode(line)[0]) is None


def test_a_truncated_vlan_header_gets_no_prediction():
    index = index_of("eth() 1")
    truncated = _raw(PORT_1, (keys.KEY_ETHERNET, bytes(12)), (keys.KEY_ETHERTYPE, b"\x81\x00"),
                     (keys.KEY_VLAN, b"\0\0"), (keys.KEY_ENCAP, b""))
    assert index.first_match(truncated) is None


@pytest.mark.parametrize("line", [
    "ct_state(+trk),in_port(1),eth() 1",
    "ct_mark(0x5/0xf),in_port(1),eth() 1",
    "tunnel(tun_id=0x5,dst=10.0.0.1,ttl=64),in_port(1),eth() 1",
    "in_port(1),eth(),eth_type(0x8847),mpls(label=5,tc=0,ttl=64,bos=1) 1",
    # An empty encap() mask: the kernel drops it and refuses the flow.
    "in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap() 1",
])
def test_installed_flows_out_of_scope_are_not_indexed(line):
    index = OverlapIndex()
    assert not index.add(*encode(line), line)
    assert index.skipped == 1 and len(index) == 0
    assert index.first_match(encode(ANY_IPV4)[0]) is None


def test_malformed_payloads_get_no_answer():
    index = index_of(ANY_ETHERNET)
    key = encode(ANY_IPV4)[0]
    assert index.first_match(key[:-2]) is None
    assert not index.add(key[:-2], None, "broken")
    # A repeated attribute: the kernel refuses the key.
    assert index.first_match(key + _raw(PORT_1)) is None


def test_keys_the_kernel_refuses_get_no_answer():
    index = index_of(ANY_ETHERNET.replace("in_port(1),", ""))
    port = _raw((keys.KEY_IN_PORT, struct.pack("=I", 0xFFFF)), (keys.KEY_ETHERNET, bytes(12)))
    assert index.first_match(port) is None
    no_ipv4 = _raw(PORT_1, (keys.KEY_ETHERNET, bytes(12)), (keys.KEY_ETHERTYPE, b"\x08\x00"))
    assert index.first_match(no_ipv4) is None


# -- learnt layouts --------------------------------------------------------------------------------

def _walked(key: bytes, new: bool = True):
    """The walk's flattened key, None when out of scope (as a ``new`` key's)."""
    try:
        flat = kernel_key.flatten_key(key)
    except kernel_key.Unsure:
        return None
    return int.from_bytes(flat.vec, "big") if flat.creatable or not new else None


def _learnt(flattener, key: bytes):
    """(flattened key, creatable) through learnt layouts, None when out of scope."""
    try:
        flat, facts = flattener.flatten(key)
    except kernel_key.Unsure:
        return None
    return flat, facts.creatable


def _dumped(key: bytes) -> bytes:
    """A key with zero CT attributes, as the kernel dumps every key."""
    return encode_attrs(((keys.KEY_CT_STATE, bytes(4)), (keys.KEY_CT_ZONE, bytes(2)))) + key


def test_learnt_layouts_flatten_as_the_walk_does():
    flattener = kernel_key.KeyFlattener()
    rnd = random.Random(11)
    lines = gen_flows(1500, seed=29) + [gen_flow(rnd, port=rnd.choice((1, 2))) for _n in range(500)]
    compared = fast = 0
    for line in lines:
        for key in (encode(line)[0], _dumped(encode(line)[0])):
            known = len(flattener.layouts.get(len(key), ()))
            walked = _walked(key, new=False)
            assert _learnt(flattener, key) == (None if walked is None else (walked, _walked(key) is not None)), line
            compared += walked is not None
            fast += walked is not None and known and len(flattener.layouts.get(len(key), ())) == known
    assert compared > 2000 and fast > 1000


def test_a_layout_rechecks_the_values_it_decided_on():
    flattener = kernel_key.KeyFlattener()
    tcp = encode("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80) 1")[0]
    flattener.flatten(tcp)
    later = bytearray(tcp)
    later[tcp.index(bytes([6, 0, 0, 0]), 40) + 3] = 9         # frag 9: the kernel refuses it
    with pytest.raises(kernel_key.Unsure):
        flattener.flatten(bytes(later))
    vlan = encode("in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0800),ipv4(frag=no)) 1")[0]
    flattener.flatten(vlan)
    no_cfi = vlan.replace(b"\x10\x05", b"\x00\x05")
    with pytest.raises(kernel_key.Unsure):
        flattener.flatten(no_cfi)


def test_the_index_agrees_with_comparing_every_pair():
    rnd = random.Random(3)
    lines = [gen_flow(rnd, port=rnd.choice((1, 2))) for _n in range(300)] + \
        [ANY_ETHERNET, ANY_IPV4, "in_port(2),eth() 1", "eth() 1", WIDE_MACS, ONE_MAC_PAIR]
    rnd.shuffle(lines)
    flows = [encode(line) + (line,) for line in lines]
    installed = []
    expected = []
    for key, mask, line in flows:
        hit = next((other for other, flat_key, flat_mask in installed
                    if _walked(key) is not None and _walked(key) & flat_mask == flat_key), None)
        if hit is not None:
            expected.append((line, hit))
            continue
        try:
            flat = kernel_key.flatten_key(key)
            flat_mask = int.from_bytes(kernel_key.flatten_mask(mask, flat.vlans, flat.ethernet), "big")
        except kernel_key.Unsure:
            continue
        installed.append((line, int.from_bytes(flat.vec, "big") & flat_mask, flat_mask))
    assert refused_creates([], flows) == expected
    assert len(expected) >= 20


# -- cost ---------------------------------------------------------------------------------------

def _synthetic(n: int, net: int) -> list:
    """``n`` distinct IPv4 flows in ``net``.0.0.0/8, in four mask shapes (dst
    /32, dst /24, src /32, both /32), each on its own port, like a
    hypervisor's table."""
    eth = (keys.KEY_ETHERNET, bytes(12))
    ip_type = (keys.KEY_ETHERTYPE, b"\x08\x00")
    exact, slash24, none = b"\xff" * 4, b"\xff\xff\xff\x00", bytes(4)
    masks = [encode_attrs(((keys.KEY_IN_PORT, b"\xff" * 4), eth, (keys.KEY_ETHERTYPE, b"\xff\xff"),
                           (keys.KEY_IPV4, src + dst + b"\0\0\0\xff")))
             for src, dst in ((none, exact), (none, slash24), (exact, none), (exact, exact))]
    flows = []
    for i in range(n):
        shape, value = i % 4, i // 4
        addr = struct.pack("!I", net << 24 | (value << 8 if shape == 1 else value))
        src, dst = (bytes(4), addr) if shape < 2 else (addr, addr if shape == 3 else bytes(4))
        key = encode_attrs(((keys.KEY_IN_PORT, struct.pack("=I", 1 + shape)), eth, ip_type,
                            (keys.KEY_IPV4, src + dst + bytes(4))))
        flows.append((key, masks[shape], (net, i)))
    return flows


def test_cost_grows_with_flows_times_masks_not_flows_squared():
    installed, creates = _synthetic(50000, 10), _synthetic(50000, 11)
    start = time.perf_counter()
    assert refused_creates(installed, creates) == []
    assert refused_creates(installed[:10], installed[:20]) == [(flow[2], flow[2]) for flow in installed[:10]]
    # Pairwise, 2.5e9 comparisons would take hours; by mask, about a second.
    assert time.perf_counter() - start < 20
