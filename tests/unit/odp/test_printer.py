# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DumpPrinter (printing from wire bytes, memoised) prints exactly what the
model path (decode_flow + format_key/format_actions) prints.

The kernel differential test (tests/kernel/test_odp_dpctl.py) checks the
same on the kernel's own dumps, whose keys carry every attribute."""

from __future__ import absolute_import, annotations, division, print_function

import random

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as A
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import printer as P
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp import wire as W
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
from bench_odp import gen_flows

__metaclass__ = type


def _model_text(key, mask, actions, verbose=False, names=None):
    flow = W.decode_flow(key, mask, actions)
    return T.format_key(flow.key, flow.mask, verbose=verbose, port_names=names) + " " + \
        T.format_actions(flow.actions, port_names=names)


def _wire(flow):
    key, mask, actions = canonical(flow).canonical_tuple()
    return W.encode_attrs(key), W.encode_attrs(mask), W.encode_attrs(actions)


@pytest.mark.parametrize("verbose", [False, True])
def test_printer_equals_model_path_on_generated_flows(verbose):
    printer = P.DumpPrinter(verbose=verbose)
    lines = gen_flows(3000, seed=7)
    seen = 0
    for line in lines + lines[:500]:    # the repeat runs on warm memos
        flow = T.parse_flow(line)
        for key, mask, actions in (_wire(flow), (W.encode_key(flow), W.encode_mask(flow), W.encode_actions(flow))):
            assert printer.flow_text(key, mask, actions) == _model_text(key, mask, actions, verbose), line
            seen += 1
    assert seen == 2 * 3500


def test_printer_with_port_names():
    names = {1: "veth0", 10: "vx0"}
    printer = P.DumpPrinter(port_names=names)
    flow = T.parse_flow("in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 10,2")
    key, mask, actions = _wire(flow)
    text = printer.flow_text(key, mask, actions)
    assert text == "in_port(veth0),eth(),eth_type(0x0800),ipv4(frag=no) vx0,2"
    assert text == _model_text(key, mask, actions, names=names)


def test_printer_without_mask_and_empty_forms():
    printer = P.DumpPrinter()
    flow = T.parse_flow("in_port(3),eth_type(0x0806) drop")
    key = W.encode_key(flow)
    assert printer.flow_text(key, None, b"") == _model_text(key, None, b"") == \
        "in_port(3),eth_type(0x0806) drop"
    assert printer.key_text(b"", b"") == T.format_key((), ()) == "<empty>"


def test_printer_key_without_eth_type_but_masked_in_mask():
    """dump-flows appends eth_type(0/MASK) when only the mask has it."""
    mask = W.encode_attrs(((K.KEY_IN_PORT, b"\xff" * 4), (K.KEY_ETHERTYPE, b"\xff\xff")))
    printer = P.DumpPrinter()
    for port in (1, 2, 1):      # the second and third key reuse the first one's layout
        key = W.encode_attrs(((K.KEY_IN_PORT, bytes((port, 0, 0, 0))),))
        got = printer.key_text(key, mask)
        assert got == T.format_key(W.decode_attrs(key, W.CTX_KEY), W.decode_attrs(mask, W.CTX_KEY))
        assert got == "in_port(%d),eth_type(0/0xffff)" % port


def test_a_key_laid_out_otherwise_under_the_same_mask_is_walked():
    """Same mask, same key length, other attributes: the header check sends
    the key down the walk, which prints what the model path prints."""
    mask = W.encode_attrs(((K.KEY_IN_PORT, b"\xff" * 4), (K.KEY_SKB_MARK, b"\xff" * 4)))
    first = W.encode_attrs(((K.KEY_IN_PORT, b"\x01\0\0\0"), (K.KEY_SKB_MARK, b"\x07\0\0\0")))
    other = W.encode_attrs(((K.KEY_SKB_MARK, b"\x07\0\0\0"), (K.KEY_PRIORITY, b"\x05\0\0\0")))
    assert len(first) == len(other)
    printer = P.DumpPrinter()
    for key in (first, other, first):
        model = T.format_key(W.decode_attrs(key, W.CTX_KEY), W.decode_attrs(mask, W.CTX_KEY))
        assert printer.key_text(key, mask) == model


def test_memos_stay_bounded(monkeypatch):
    monkeypatch.setattr(P, "MEMO_MAX", 16)
    monkeypatch.setattr(P, "SHAPES_MAX", 4)
    printer = P.DumpPrinter()
    for line in gen_flows(400, seed=3):
        flow = T.parse_flow(line)
        key, mask, actions = _wire(flow)
        assert printer.flow_text(key, mask, actions) == _model_text(key, mask, actions)
        assert len(printer._actions) <= 16 and len(printer._action) <= 16 and len(printer._shapes) <= 4
        shapes = list(printer._shapes.values())
        shapes += [s.encap for s in shapes if s.encap is not None]
        assert all(len(s.memo) <= 16 for s in shapes)


@pytest.mark.parametrize("actions", [
    "set(tunnel(tun_id=0x5,dst=192.0.2.9,ttl=64,tp_dst=4789,flags(df|key))),2",
    "set(tunnel(tun_id=0x5,src=192.0.2.1,dst=192.0.2.9,tos=0x10,ttl=9,tp_src=1,tp_dst=6081,flags(csum|key))),2",
    "set(tunnel(ipv6_dst=fd00::9,ttl=64,flags(oam))),3",
    "set(tunnel(dst=192.0.2.9,ttl=64,flags(0))),3",
    "set(tunnel(tun_id=0x1,dst=192.0.2.9,ttl=64,vxlan(gbp(id=10,flags=0x1)),flags(key))),3",
    "set(tunnel(tun_id=0x1,dst=192.0.2.9,ttl=64,geneve({class=0x102,type=0x80,len=4,0xa}),flags(key))),3",
    "clone(set(tunnel(tun_id=0x1,dst=192.0.2.9,ttl=64,flags(key))),4),5",
])
def test_set_tunnel_actions_print_as_the_model_path(actions):
    """set(tunnel(...)) of plain fields takes text.SetTunnelPrinter; options
    (vxlan, geneve) and nested forms take the general path; both print alike,
    whether the field memo is cold or warm."""
    printer = P.DumpPrinter()
    for port in (1, 2, 1):
        line = "in_port(%d),eth(),eth_type(0x0800),ipv4(frag=no) %s" % (port, actions)
        key, mask, wire_actions = _wire(T.parse_flow(line))
        assert printer.flow_text(key, mask, wire_actions) == _model_text(key, mask, wire_actions)
    assert bool(printer._tunnel.memo) == actions.startswith("set(tunnel(")     # the fields before any option
    pad = W.encode_attrs(((K.TUN_ID, bytes(8)), (K.TUN_PAD, b"")))
    raw = W.encode_attrs(((A.ACT_SET, ((K.KEY_TUNNEL, W.decode_attrs(pad, W.CTX_KEY[K.KEY_TUNNEL])),)),))
    assert printer.actions_text(raw) == T.format_actions(W.decode_attrs(raw, W.CTX_ACTIONS)) \
        == "set(tunnel(tun_id=0x0,flags(key)))"


@pytest.mark.parametrize("key", [
    "in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:00:00:00,dst=00:00:00:00:00:09),eth_type(0x0800),"
    "ipv4(src=10.1.0.0/255.255.0.0,dst=10.2.3.4,proto=17,tos=0x4/0xfc,ttl=9,frag=later),udp(src=53,dst=0/0xff00)",
    "in_port(1),eth(),eth_type(0x86dd),ipv6(src=fd00::1,dst=fd00::/ffff::,label=0x5/0xf,proto=58,frag=no),"
    "icmpv6(type=135,code=0),nd(target=fd00::9,sll=00:00:00:00:00:01)",
    "in_port(1),eth(),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.0/255.0.0.0,op=1)",
    "in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no))",
    "in_port(1),eth(),eth_type(0x88a8),vlan(vid=5),encap(eth_type(0x8100),vlan(vid=7),"
    "encap(eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,frag=no)))",
    "in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0806),arp(op=2))",
])
@pytest.mark.parametrize("verbose", [False, True])
def test_specialised_key_printers_print_as_the_model_path(key, verbose, monkeypatch):
    """Struct attributes under a fixed mask, and encap's inner key, take
    the specialised printers (here from their first miss on)."""
    monkeypatch.setattr(P, "FAST_AFTER", 1)
    printer = P.DumpPrinter(verbose=verbose)
    for last in range(1, 6):
        line = key.replace("10.0.0.1", "10.0.0.%d" % last) + " 2"
        k, m, a = _wire(T.parse_flow(line))
        assert printer.flow_text(k, m, a) == _model_text(k, m, a, verbose), line
    shapes = list(printer._shapes.values())
    assert len(shapes) == 1
    shape = shapes[0]
    fast = [t for t, f in shape.fast.items() if f]
    assert fast, "no specialised printer was used"
    if "encap" in key:
        assert shape.encap is not None and shape.encap.layouts


def test_a_printer_is_specialised_only_after_fast_after_misses():
    """A shape that prints few flows (a table of many masks) never pays for
    building one."""
    printer = P.DumpPrinter()
    for i in range(1, P.FAST_AFTER + 2):
        line = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) 2" % i
        k, m, a = _wire(T.parse_flow(line))
        assert printer.flow_text(k, m, a) == line
        (shape,) = list(printer._shapes.values())
        assert bool(shape.fast.get(K.KEY_IPV4)) == (i >= P.FAST_AFTER), i


def test_memos_of_unique_values_stop_at_their_trial(monkeypatch):
    """A table whose addresses are all new misses the memos on every flow:
    past MEMO_TRIAL entries they stop growing, and the texts are unchanged.
    Values that recur keep being memoised past the trial."""
    monkeypatch.setattr(P, "MEMO_TRIAL", 8)
    printer = P.DumpPrinter()
    unique = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.%d.%d,frag=no) "
              "set(tunnel(tun_id=0x%x,dst=192.0.2.1,ttl=64,tp_dst=4789,flags(df|key))),2" % (i >> 8, i & 255, i)
              for i in range(200)]
    recurring = ["in_port(2),eth(),eth_type(0x0800),ipv4(src=10.1.0.%d,frag=no) %d" % (i % 20, 3 + i % 20)
                 for i in range(200)]
    for line in unique + recurring:
        key, mask, actions = _wire(T.parse_flow(line))
        assert printer.flow_text(key, mask, actions) == _model_text(key, mask, actions) == line
    ipv4 = [sum(1 for raw in s.memo if raw[2] == K.KEY_IPV4) for s in printer._shapes.values()]
    assert sorted(ipv4) == [8, 20]         # unique dst: the trial only; 20 recurring sources: all
    # Whole action lists: the unique ones used the trial up; single actions recur and are all kept.
    assert len(printer._actions) == 8 and len(printer._action) == 1 + 20 and len(printer._tunnel.memo) <= 8


def test_unique_values_end_printed_directly(monkeypatch):
    """After DIRECT_AFTER trials of misses, a type's specialised printer
    prints it without a memo lookup (inside encap too), and the texts stay
    the model path's, through a change of layout and back."""
    monkeypatch.setattr(P, "MEMO_TRIAL", 4)
    monkeypatch.setattr(P, "FAST_AFTER", 2)
    printer = P.DumpPrinter()
    flat = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.%d.%d,frag=no) 2"
    vlan = "in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0800),ipv4(dst=10.0.%d.%d,frag=no)) 2"
    lines = [flat % (i >> 8, i & 255) for i in range(60)] + [vlan % (i >> 8, i & 255) for i in range(60)]
    lines += [flat % (1, i) for i in range(3)]      # the first shape again, its layout re-learnt
    for line in lines:
        k, m, a = _wire(T.parse_flow(line))
        assert printer.flow_text(k, m, a) == _model_text(k, m, a) == line
    flat_shape, vlan_shape = list(printer._shapes.values())
    assert flat_shape.direct == {K.KEY_IPV4}
    (lay,) = list(flat_shape.layouts.values())
    assert [lay.types[i] for i, _f in lay.direct] == [K.KEY_IPV4]
    assert vlan_shape.direct == {K.KEY_ENCAP} and vlan_shape.encap.direct == {K.KEY_IPV4}
    before = len(flat_shape.memo)
    k, m, a = _wire(T.parse_flow(flat % (2, 9)))
    printer.flow_text(k, m, a)
    assert len(flat_shape.memo) == before       # printed directly: not memoised


@pytest.mark.parametrize("key", [
    b"\x08\x00",                                # truncated header
    b"\x03\x00\x03\x00",                        # length below 4
    b"\x10\x00\x03\x00\x01\x00\x00\x00",        # length past the end
])
def test_malformed_key_raises_flow_syntax_error(key):
    with pytest.raises(FlowSyntaxError):
        W.decode_flow(key, None, b"")
    with pytest.raises(FlowSyntaxError):
        P.DumpPrinter().key_text(key, None)


def test_random_bytes_raise_only_flow_syntax_error():
    r = random.Random(5)
    printer = P.DumpPrinter()
    for _i in range(2000):
        key = bytes(r.randrange(256) for _j in range(r.randrange(1, 40)))
        try:
            model = T.format_key(*(W.decode_attrs(key, W.CTX_KEY), None))
        except FlowSyntaxError:
            model = None
        try:
            got = printer.key_text(key, None)
        except FlowSyntaxError:
            got = None
        assert got == model


# -- flow replies (reply_texts, the gathered path) -----------------------------

def _reply(key, mask, actions, ufid=None, stats=False, pad=False):
    """The attributes of an ovs_flow dump reply, as the kernel orders them
    (``pad``: the empty OVS_FLOW_ATTR_PAD it puts before a 64-bit counter
    that would be misaligned)."""
    attrs = [(9, ufid)] if ufid is not None else []
    attrs += [(1, key), (7, mask)]
    if stats:
        attrs += [(11, b"")] if pad else []
        attrs += [(5, bytes(8)), (3, bytes(16)), (4, b"\x02")]
    return W.encode_attrs(attrs + [(2, actions)])


def _datagram(replies, gap=b"\0" * 24):
    """``(data, spans)``: the replies in one buffer, each after a header's room."""
    data = b""
    spans = []
    for r in replies:
        data += gap
        spans.append((len(data), len(data) + len(r)))
        data += r
    return data, spans


@pytest.mark.parametrize("verbose", [False, True])
def test_reply_texts_equal_the_model_path_on_generated_flows(verbose):
    """Replies with and without UFID and counters, of many lengths and
    masks, twice over (the second round on learnt layouts)."""
    rnd = random.Random(3)
    lines = gen_flows(1500, seed=11)
    replies, want = [], []
    for line in lines + lines:
        key, mask, actions = _wire(T.parse_flow(line))
        replies.append(_reply(key, mask, actions, ufid=bytes(16) if rnd.random() < 0.7 else None,
                              stats=rnd.random() < 0.3, pad=rnd.random() < 0.5))
        want.append(_model_text(key, mask, actions, verbose))
    printer = P.DumpPrinter(verbose=verbose)
    got = []
    for start in range(0, len(replies), 90):
        got += printer.reply_texts(*_datagram(replies[start:start + 90]))
    assert got == want
    assert printer._replies


def test_a_learnt_reply_layout_prints_the_next_replies(monkeypatch):
    """After the first two replies of a length (a mask's first key teaches
    no layout), the others of that layout are not walked; a reply of the
    same length under another mask is (its mask differs), and prints its
    own text."""
    walked = []
    general = P.DumpPrinter._reply_text
    monkeypatch.setattr(P.DumpPrinter, "_reply_text", lambda self, *a: walked.append(a[1]) or general(self, *a))
    lines = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.%d.%d,frag=no) 2" % (i >> 8, i & 255)
             for i in range(300)]
    lines.append("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.0/255.255.0.0,frag=no) 2")
    lines.append("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.7,frag=no) 3")
    wires = [_wire(T.parse_flow(line)) for line in lines]
    data, spans = _datagram([_reply(k, m, a, ufid=bytes(range(16))) for k, m, a in wires])
    printer = P.DumpPrinter()
    assert printer.reply_texts(data, spans) == lines
    assert len(set(end - start for start, end in spans[:-1])) == 1     # one length...
    assert walked == [spans[0][0], spans[1][0], spans[300][0]]         # ...walked at first and for the other mask


@pytest.mark.parametrize("reply, text", [
    (W.encode_attrs([(9, bytes(16)), (7, b""), (2, b"")]), "<empty> drop"),
    (W.encode_attrs([(1, b"\x08\x00\x03\x00\x01\x00\x00\x00"), (2, b"")])[:-2], "in_port(1) drop"),
], ids=["no key", "cut"])
def test_replies_missing_or_cut_attributes_are_printed_not_learnt(reply, text):
    printer = P.DumpPrinter()
    assert printer.reply_texts(*_datagram([reply, reply])) == [text, text]
    assert not printer._replies


@pytest.mark.parametrize("verbose", [False, True])
def test_reply_lines_print_encap_and_tunnels_as_pieces(verbose, monkeypatch):
    """A reply's line takes encap's inner key attributes and a set(tunnel)'s
    fields as pieces of its own: after the first replies of each kind, the
    others (unique addresses and tunnel ids) are printed from the learnt
    lines, as the model path prints them."""
    monkeypatch.setattr(P, "MEMO_TRIAL", 16)
    walked = []
    general = P.DumpPrinter._reply_text
    monkeypatch.setattr(P.DumpPrinter, "_reply_text", lambda self, *a: walked.append(a[1]) or general(self, *a))
    vlan = "in_port(4),eth(),eth_type(0x8100),vlan(vid=%d),encap(eth_type(0x0800),ipv4(dst=10.0.%d.%d,frag=no)) pop_vlan,10"
    tunnel = ("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.1.%d.%d,frag=no) "
              "set(tunnel(tun_id=0x%x,dst=192.0.2.%d,ttl=64,tp_dst=4789,flags(df|key))),10")
    lines = []
    for i in range(400):
        lines.append(vlan % (1 + i % 40, i >> 8, i & 255))
        lines.append(tunnel % (i >> 8, i & 255, i, 1 + i % 7))
    wires = [_wire(T.parse_flow(line)) for line in lines]
    data, spans = _datagram([_reply(k, m, a, ufid=bytes(16)) for k, m, a in wires])
    printer = P.DumpPrinter(verbose=verbose)
    assert printer.reply_texts(data, spans) == [_model_text(k, m, a, verbose) for k, m, a in wires]
    fmts = [line.fmt for line in printer._replies.values()]
    assert len(fmts) == 2
    # What varies (vid, addresses, tunnel id and destination) is printed per
    # reply; what did not is text of the line.
    assert any(f.endswith("eth_type(0x8100),%s,encap(eth_type(0x0800),%s) pop_vlan,10") for f in fmts)
    assert any(f.endswith("eth_type(0x0800),%s set(tunnel(%s,%s,ttl=64,tp_dst=4789,flags(df|key))),10")
               for f in fmts)
    # Learning waits for a fast path per type (FAST_AFTER misses) and for
    # direct printing, which learns the lines again once; then none is walked.
    assert len(walked) < 3 * P.FAST_AFTER + 10 and spans[-1][0] not in walked


def test_a_piece_that_does_not_print_as_learnt_takes_the_general_path(monkeypatch):
    """A piece whose printer gives up (None) or finds the bytes malformed
    sends its reply to the general path, which prints it (or raises)."""
    lines = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) %d" % (i, 2 + i) for i in range(40)]
    wires = [_wire(T.parse_flow(line)) for line in lines]
    data, spans = _datagram([_reply(k, m, a) for k, m, a in wires])
    printer = P.DumpPrinter()
    assert printer.reply_texts(data, spans) == lines
    (line,) = list(printer._replies.values())

    def broken(raw):
        raise FlowSyntaxError("", "malformed")
    line.lookups = tuple({}.get for _m in line.lookups)
    for gives_up in (lambda raw: None, broken):
        line.missed = (gives_up,) * len(line.missed)
        misses = line.misses
        n = P.FAST_AFTER // 2 - 1       # both rounds stay under the misses that teach a new line
        assert printer.reply_texts(data, spans[:n]) == lines[:n]
        assert line.misses == misses + n and printer._replies[len(data[slice(*spans[0])])] is line


@pytest.mark.parametrize("key", [
    "in_port(1),eth(),eth_type(0x8100),vlan(vid=%d,pcp=3),encap(eth_type(0x0800))",
    "in_port(1),eth(),eth_type(0x8847),mpls(label=%d,tc=1,ttl=64,bos=1)",
    "skb_mark(0x%x),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
    "recirc_id(0x%x),dp_hash(0x5/0xff),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
    "ct_state(+new-est),ct_mark(0x%x/0xff),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),"
    "tcp(),tcp_flags(syn)",
])
@pytest.mark.parametrize("verbose", [False, True])
def test_leaf_key_printers_print_as_the_model_path(key, verbose, monkeypatch):
    """Attributes that are not structs (a TCI, label stack entries, marks)
    get a specialised printer too, and print as the model path does."""
    monkeypatch.setattr(P, "FAST_AFTER", 1)
    printer = P.DumpPrinter(verbose=verbose)
    for value in range(1, 9):
        line = (key % value) + " 2"
        k, m, a = _wire(T.parse_flow(line))
        assert printer.flow_text(k, m, a) == _model_text(k, m, a, verbose), line
    (shape,) = list(printer._shapes.values())
    leaf = {K.KEY_VLAN, K.KEY_MPLS, K.KEY_SKB_MARK, K.KEY_RECIRC_ID, K.KEY_CT_MARK}
    assert leaf & {t for t, f in shape.fast.items() if f}, "no leaf printer was used"


def _walks(monkeypatch):
    """The start offsets of the replies printed by the general path."""
    walked = []
    general = P.DumpPrinter._reply_text
    monkeypatch.setattr(P.DumpPrinter, "_reply_text", lambda self, *a: walked.append(a[1]) or general(self, *a))
    return walked


def test_a_line_folds_what_does_not_vary_and_learns_what_does(monkeypatch):
    """Pieces that were the same bytes in every reply so far are text of the
    line; a reply that differs in a piece makes that piece vary, without
    walking it or learning the line again."""
    walked = _walks(monkeypatch)
    flow = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) %d"
    rounds = [[flow % (1, 2)] * 20,
              [flow % (i, 2) for i in range(20)],
              [flow % (i, 2 + i) for i in range(20)]]
    fmts = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2",
            "in_port(1),eth(),eth_type(0x0800),%s 2",
            "in_port(1),eth(),eth_type(0x0800),%s %s"]
    printer = P.DumpPrinter()
    first = None
    for n, (lines, fmt) in enumerate(zip(rounds, fmts)):
        wires = [_wire(T.parse_flow(line)) for line in lines]
        data, spans = _datagram([_reply(k, m, a, ufid=bytes([n, i]) * 8) for i, (k, m, a) in enumerate(wires)])
        assert printer.reply_texts(data, spans) == lines
        (line,) = list(printer._replies.values())
        assert line.fmt == fmt
        first = first or spans[:2]
    assert walked == [start for start, _end in first]


def test_key_attributes_that_do_not_print_may_vary(monkeypatch):
    """A key attribute the mask wildcards (here skb_mark, as in a key the
    kernel keeps unmasked) prints nothing whatever its value: its payload
    stops being compared once it varies."""
    walked = _walks(monkeypatch)
    line = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2"
    key, mask, actions = canonical(T.parse_flow(line)).canonical_tuple()
    mask = W.encode_attrs(list(mask) + [(K.KEY_SKB_MARK, bytes(4))])
    replies = [_reply(W.encode_attrs(list(key) + [(K.KEY_SKB_MARK, i.to_bytes(4, "big"))]), mask,
                      W.encode_attrs(actions), ufid=bytes(16)) for i in range(30)]
    data, spans = _datagram(replies)
    printer = P.DumpPrinter()
    assert printer.reply_texts(data, spans) == [line] * 30
    (learnt,) = list(printer._replies.values())
    assert learnt.fmt == line and not learnt.varying and not learnt.free
    assert len(walked) == 2


@pytest.mark.parametrize("learnt, other", [
    ("set(skb_mark(0x%x/0xff))", "2,3"),
    ("2,%d", "set(skb_mark(0x1/0xff))"),
    ("2,%d", "push_vlan(vid=5,pcp=0),2"),
], ids=["one action, then two", "two, then one", "another type"])
def test_a_reply_laid_out_otherwise_is_not_printed_by_the_line(learnt, other):
    """Actions of the same total length but other headers (one action where
    the line has two, or another type) are not pieces that vary: the reply
    takes the general path and prints its own text."""
    flow = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) "
    lines = [flow + learnt % (3 + i) for i in range(20)] + [flow + other]
    wires = [_wire(T.parse_flow(line)) for line in lines]
    data, spans = _datagram([_reply(k, m, a, ufid=bytes(16)) for k, m, a in wires])
    assert len(set(end - start for start, end in spans)) == 1
    printer = P.DumpPrinter()
    assert printer.reply_texts(data, spans) == lines
    assert printer.reply_texts(data, spans[-1:] * 3) == lines[-1:] * 3
