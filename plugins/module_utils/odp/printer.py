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

An attribute whose bytes are new (a table of unique addresses misses the
memos on almost every flow) is printed by a printer specialised for its
type under that mask: a struct attribute by :func:`text.struct_key_printer`
(the mask's decisions taken once), ``encap`` by printing its inner key the
same way under the inner mask (a shape of its own). Each specialised
printer is checked against the general path on the first attribute it
prints, and is not used if the two differ.

Actions are memoised per list, and per action within a list: a list that
is new is mostly actions seen before.

The memos are bounded (per attribute type, so that a type of unique values
cannot crowd out one that recurs) and stop growing when full: what recurs
is met early and stays. A memo past its trial (MEMO_TRIAL entries) grows
only while it hits once in nine lookups or more: a table of unique
addresses would fill it for nothing, and memory is what a dump costs most
in the sandbox (a fresh page costs about 0.2 ms under UML).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from functools import partial
from operator import itemgetter

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import CTX_ACTIONS, CTX_KEY, decode_attrs

_HDR = struct.Struct("=HH")
_TYPE_MASK = 0x3FFF
_dict_get = dict.get
#: Distinct masks remembered, and texts remembered per mask and attribute
#: type, and for actions.
SHAPES_MAX = 1024
MEMO_MAX = 8192
MEMO_TRIAL = 1024


def _remember(memo: dict, raw: bytes, text: str, misses: int, uses: int) -> None:
    """Memoise ``text`` unless ``memo`` is full, or past its trial with
    fewer than one hit for eight misses in its ``uses`` lookups (a memo of
    unique values never hits; one of values that recur resumes growing once
    they come round again)."""
    size = len(memo)
    if size < MEMO_MAX and (size < MEMO_TRIAL or 8 * (uses - misses) >= misses):
        memo[raw] = text


class _Shape:
    """What one mask means for printing: its attributes by type, the text of
    each key attribute seen under it (by the attribute's raw bytes, a memo
    per attribute type), the specialised printers built for it, and the
    layout of the last key walked under it."""

    __slots__ = ("mdict", "memos", "misses", "uses", "fast", "encap", "tail", "layout")

    def __init__(self, mdict: dict | None):
        self.mdict = mdict
        self.memos = {}
        self.misses = {}    # type -> memo misses
        self.uses = 0       # keys printed under this shape
        self.fast = {}      # type -> printer of raw attribute bytes, or False
        self.encap = None   # the shape of the inner key of encap, under its inner mask
        self.tail = T.missing_eth_type_text(mdict) if mdict is not None else ""
        self.layout = None

    def memo(self, t: int) -> dict:
        memo = self.memos.get(t)
        if memo is None:
            memo = self.memos[t] = {}
        return memo


class _Layout:
    """Where the attributes of a key sit: keys under one mask are almost
    always laid out alike (the kernel writes the same attributes for the
    same kind of flow), so the next key is checked against this in C
    (its length, and every attribute header at its offset: together they
    prove the walk would find the same attributes) and the attributes that
    print are sliced out in one call, skipping those the mask wildcards."""

    __slots__ = ("size", "headers", "expect", "printed", "memos", "tail")

    def __init__(self, key: bytes, spans: list, printed: list, memos: list, tail: str):
        self.size = len(key)
        self.headers = _getter([slice(a, a + 4) for a, _b in spans])
        self.expect = self.headers(key)
        self.printed = _getter([slice(a, b) for a, b in printed])
        self.memos = tuple(memos)
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
        self._actions = {}      # an action list's bytes -> its text
        self._action = {}       # one action's raw bytes -> its text
        self._tunnel = {}       # one field of a set(tunnel(...)) -> its text
        self._uses = [0, 0]     # lookups of _actions, _action
        self._misses = [0, 0]

    def key_text(self, key: bytes, mask: bytes | None) -> str:
        shape = self._shapes.get(mask)
        if shape is None:
            if len(self._shapes) >= SHAPES_MAX:
                self._shapes.clear()
            mdict = dict(decode_attrs(mask, CTX_KEY, "mask")) if mask is not None else None
            shape = self._shapes[mask] = _Shape(mdict)
        shape.uses += 1
        lay = shape.layout
        if lay is not None and len(key) == lay.size and lay.headers(key) == lay.expect:
            return self._laid_out(shape, key, lay)
        return self._walk(shape, key)

    def _laid_out(self, shape: _Shape, key: bytes, lay: _Layout) -> str:
        raws = lay.printed(key)
        items = list(map(_dict_get, lay.memos, raws))
        if None in items:
            for i, item in enumerate(items):
                if item is None:
                    items[i] = self._key_item(shape, raws[i])
        return ",".join(items) + lay.tail

    def _walk(self, shape: _Shape, key: bytes) -> str:
        """key_text by walking the attributes; records the key's layout."""
        unpack = _HDR.unpack_from
        out = []
        spans = []
        printed = []
        memos = []
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
            t &= _TYPE_MASK
            raw = key[off:nxt]
            memo = shape.memo(t)
            item = memo.get(raw, memo)
            if item is memo:
                item = self._key_item(shape, raw)
            spans.append((off, nxt))
            if item is not None:
                out.append(item)
                printed.append((off, nxt))
                memos.append(memo)
            if t == K.KEY_ETHERTYPE:
                has_ethtype = True
            off = (nxt + 3) & ~3
        if not key:
            return "<empty>"
        tail = "" if has_ethtype else shape.tail
        # Whether an attribute prints depends on its type and the mask only,
        # so the layout says which to print for any key laid out like this.
        shape.layout = _Layout(key, spans, printed, memos, tail)
        return ",".join(out) + tail

    def _key_item(self, shape: _Shape, raw: bytes):
        t = _HDR.unpack_from(raw)[1] & _TYPE_MASK
        fast = shape.fast.get(t)
        if fast is None:
            fast = shape.fast[t] = self._fast_printer(shape, t, raw)
        item = fast(raw) if fast else None
        if item is None:
            item = self._general_item(shape, raw)
            if t == K.KEY_ENCAP and fast:
                self._learn_encap(shape, raw, item)
        misses = shape.misses[t] = shape.misses.get(t, 0) + 1
        _remember(shape.memo(t), raw, item, misses, shape.uses)
        return item

    def _general_item(self, shape: _Shape, raw: bytes):
        ((t, p),) = decode_attrs(raw, CTX_KEY, "key")
        return T.key_item_text(t, p, shape.mdict, self.verbose, self.names)

    def _fast_printer(self, shape: _Shape, t: int, raw: bytes):
        """A printer specialised for attribute type ``t`` under ``shape``'s
        mask, or False. ``raw`` is the first such attribute: the printer is
        kept only if it prints it as the general path does."""
        mdict = shape.mdict
        if mdict is None or t not in mdict:
            return False
        ma = mdict[t]
        if t == K.KEY_ENCAP:
            if ma.__class__ is not tuple or not ma:
                return False
            shape.encap = _Shape(dict(ma))
            return partial(self._encap_text, shape.encap)
        fast = T.struct_key_printer(t, ma, self.verbose)
        if fast is None:
            return False
        try:
            same = fast(raw) == self._general_item(shape, raw)
        except FlowSyntaxError:
            same = False
        return fast if same else False

    def _encap_text(self, inner: _Shape, raw: bytes):
        """``encap(...)``: the inner key printed under the inner mask, when it
        is laid out as one printed before (:meth:`_learn_encap`); else None."""
        key = raw[4:]
        lay = inner.layout
        if lay is not None and len(key) == lay.size and lay.headers(key) == lay.expect:
            inner.uses += 1
            return "encap(" + self._laid_out(inner, key, lay) + ")"
        return None

    def _learn_encap(self, shape: _Shape, raw: bytes, item: str) -> None:
        """Record the layout of an ``encap`` the general path printed as
        ``item``, if walking its inner key prints the same."""
        inner = shape.encap
        inner.uses += 1
        try:
            same = len(raw) > 4 and "encap(" + self._walk(inner, raw[4:]) + ")" == item
        except FlowSyntaxError:
            same = False
        if not same:
            inner.layout = None

    def actions_text(self, actions: bytes) -> str:
        uses = self._uses
        uses[0] += 1
        text = self._actions.get(actions)
        if text is None:
            text = self._actions_walk(actions) if actions else "drop"
            self._misses[0] += 1
            _remember(self._actions, actions, text, self._misses[0], uses[0])
        return text

    def _actions_walk(self, actions: bytes) -> str:
        """A new action list: its actions' texts, each memoised by its raw
        bytes (the list is printed as its actions joined by commas)."""
        memo = self._action
        unpack = _HDR.unpack_from
        out = []
        off = 0
        end = len(actions)
        while off < end:
            ln = unpack(actions, off)[0] if end - off >= 4 else 0
            nxt = off + ln
            if ln < 4 or nxt > end:
                decode_attrs(actions, CTX_ACTIONS, "actions")   # raises with the reason
            raw = actions[off:nxt]
            self._uses[1] += 1
            text = memo.get(raw)
            if text is None:
                self._misses[1] += 1
                text = T.set_tunnel_text(raw, self._tunnel, MEMO_TRIAL)
            if text is None:
                try:
                    ((t, p),) = decode_attrs(raw, CTX_ACTIONS, "actions")
                except FlowSyntaxError:
                    decode_attrs(actions, CTX_ACTIONS, "actions")   # the error, placed in the whole list
                    raise
                text = T.action_text(t, p, self.names)
                _remember(memo, raw, text, self._misses[1], self._uses[1])
            out.append(text)
            off = (nxt + 3) & ~3
        return ",".join(out)

    def flow_text(self, key: bytes, mask: bytes | None, actions: bytes) -> str:
        """``KEY ACTIONS``, the form add-flows takes and ``gathered`` returns."""
        return self.key_text(key, mask) + " " + self.actions_text(actions)
