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
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
from ansible_collections.dpif.ovs.plugins.module_utils.odp import printer as P
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
        assert len(printer._actions) <= 16 and len(printer._shapes) <= 4
        assert all(len(s.memo) <= 16 for s in printer._shapes.values())


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
