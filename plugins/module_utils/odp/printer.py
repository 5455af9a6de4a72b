# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dumped flows printed straight from the kernel's bytes: the gathered hot path.

``text.format_flow(wire.decode_flow(...))`` decodes every attribute into the
model and formats every field, about 50 us a flow. A dump repeats itself:
the kernel sends each flow's whole key, mostly wildcarded attributes that
are the same bytes in every flow of a megaflow shape, and few distinct
action lists. So :class:`DumpPrinter` works per mask ("shape"): the mask is
decoded once per distinct mask, and each key attribute's text is memoised
by its raw bytes (header included) under that mask. Only attributes not
seen before are decoded and formatted, by the same code as the model path,
so the text is the same byte for byte (the unit tests compare both on
generated flows).

The memos are bounded and stop growing when full: what recurs is met
early and stays, and a table of unique attributes costs no more memory
than the bound.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from operator import itemgetter

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import CTX_ACTIONS, CTX_KEY, decode_attrs

_HDR = struct.Struct("=HH")
_TYPE_MASK = 0x3FFF
#: Distinct masks remembered, and texts remembered per mask and for actions.
SHAPES_MAX = 1024
MEMO_MAX = 8192


class _Shape:
    """What one mask means for printing: its attributes by type, the text of
    each key attribute seen under it (by the attribute's raw bytes), and the
    layout of the last key walked under it."""

    __slots__ = ("mdict", "memo", "tail", "layout")

    def __init__(self, mask: bytes | None):
        if mask is None:
            self.mdict = None
        else:
            self.mdict = dict(decode_attrs(mask, CTX_KEY, "mask"))
        self.memo = {}
        self.tail = T.missing_eth_type_text(self.mdict) if self.mdict is not None else ""
        self.layout = None


class _Layout:
    """Where the attributes of a key sit: keys under one mask are almost
    always laid out alike (the kernel writes the same attributes for the
    same kind of flow), so the next key is checked against this in C
    (its length, and every attribute header at its offset: together they
    prove the walk would find the same attributes) and the attributes that
    print are sliced out in one call, skipping those the mask wildcards."""

    __slots__ = ("size", "headers", "expect", "printed", "tail")

    def __init__(self, key: bytes, spans: list, printed: list, tail: str):
        self.size = len(key)
        self.headers = _getter([slice(a, a + 4) for a, _b in spans])
        self.expect = self.headers(key)
        self.printed = _getter([slice(a, b) for a, b in printed])
        self.tail = tail


def _getter(slices: list):
    """A function returning the tuple of ``slices`` of its argument."""
    if not slices:
        return lambda _b: ()
    if len(slices) == 1:
        (one,) = slices
        return lambda b: (b[one],)
    return itemgetter(*slices)


class DumpPrinter:
    """dump-flows text (terse, or ``-m`` with ``verbose``) of flows given as
    the payloads of OVS_FLOW_ATTR_KEY, _MASK and _ACTIONS.

    Raises FlowSyntaxError, as :func:`wire.decode_flow` does, for bytes that
    are not well-formed attributes."""

    def __init__(self, verbose: bool = False, port_names: dict | None = None):
        self.verbose = verbose
        self.names = port_names
        self._shapes = {}
        self._actions = {}

    def key_text(self, key: bytes, mask: bytes | None) -> str:
        shape = self._shapes.get(mask)
        if shape is None:
            if len(self._shapes) >= SHAPES_MAX:
                self._shapes.clear()
            shape = self._shapes[mask] = _Shape(mask)
        memo = shape.memo
        lay = shape.layout
        if lay is not None and len(key) == lay.size and lay.headers(key) == lay.expect:
            out = []
            for raw in lay.printed(key):
                item = memo.get(raw)
                out.append(item if item is not None else self._key_item(shape, raw))
            return ",".join(out) + lay.tail
        return self._walk(shape, key)

    def _walk(self, shape: _Shape, key: bytes) -> str:
        """key_text by walking the attributes; records the key's layout."""
        memo = shape.memo
        unpack = _HDR.unpack_from
        out = []
        spans = []
        printed = []
        has_ethtype = False
        off = 0
        end = len(key)
        while off < end:
            if end - off < 4:
                decode_attrs(key, CTX_KEY, "key")       # raises with the reason
            ln, t = unpack(key, off)
            nxt = off + ln
            if ln < 4 or nxt > end:
                decode_attrs(key, CTX_KEY, "key")
            raw = key[off:nxt]
            item = memo.get(raw, memo)
            if item is memo:
                item = self._key_item(shape, raw)
            spans.append((off, nxt))
            if item is not None:
                out.append(item)
                printed.append((off, nxt))
            if t & _TYPE_MASK == K.KEY_ETHERTYPE:
                has_ethtype = True
            off = (nxt + 3) & ~3
        if not key:
            return "<empty>"
        tail = "" if has_ethtype else shape.tail
        # Whether an attribute prints depends on its type and the mask only,
        # so the layout says which to print for any key laid out like this.
        shape.layout = _Layout(key, spans, printed, tail)
        return ",".join(out) + tail

    def _key_item(self, shape: _Shape, raw: bytes):
        ((t, p),) = decode_attrs(raw, CTX_KEY, "key")
        item = T.key_item_text(t, p, shape.mdict, self.verbose, self.names)
        memo = shape.memo
        if len(memo) < MEMO_MAX:
            memo[raw] = item
        return item

    def actions_text(self, actions: bytes) -> str:
        text = self._actions.get(actions)
        if text is None:
            text = T.format_actions(decode_attrs(actions, CTX_ACTIONS, "actions") if actions else (),
                                    port_names=self.names)
            if len(self._actions) < MEMO_MAX:
                self._actions[actions] = text
        return text

    def flow_text(self, key: bytes, mask: bytes | None, actions: bytes) -> str:
        """``KEY ACTIONS``, the form add-flows takes and ``gathered`` returns."""
        return self.key_text(key, mask) + " " + self.actions_text(actions)
