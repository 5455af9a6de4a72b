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

An attribute type that keeps missing under a mask (a table of unique
addresses misses on almost every flow; FAST_AFTER misses) gets a printer
specialised for it under that mask: a struct attribute by
:func:`text.struct_key_printer` (the mask's decisions taken once), ``encap``
by printing its inner key the same way under the inner mask (a shape of its
own). Each specialised printer is checked against the general path on the
attribute it is built for, and is not used if the two differ.

Actions are memoised per list, and per action within a list: a list that
is new is mostly actions seen before.

The memos are bounded (MEMO_MAX key texts per mask) and stop growing when
full: what recurs is met early and stays. Each attribute type, and each
action memo, has a trial (MEMO_TRIAL texts), after which it keeps more only
while it hits once in nine lookups or more: a table of unique addresses
would fill the memo for nothing, crowding out what recurs, and memory is
what a dump costs most in the sandbox (a fresh page costs about 0.2 ms
under UML).
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
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import ATTR_HEADER as _HDR
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import TYPE_MASK as _TYPE_MASK
#: Distinct masks remembered, and texts remembered per mask and attribute
#: type, and for actions.
SHAPES_MAX = 1024
MEMO_MAX = 8192        # texts per memo: per mask for key attributes; action lists; actions
MEMO_TRIAL = 1024      # per attribute type, and for actions
#: Misses of an attribute type under one mask before a printer is
#: specialised for it: building and checking one costs more than the
#: general path, and a table of many masks has few flows per mask.
FAST_AFTER = 16


def _worth_keeping(size: int, nth: int, misses: int, uses: int) -> bool:
    """Whether a memo holding ``size`` texts should keep one more, the
    ``nth`` of its kind (attribute type, or action memo), whose lookups
    missed ``misses`` times out of ``uses``: not when full, nor when past
    the trial with fewer than one hit for eight misses (unique values never
    hit; values that recur make it grow again once they come round)."""
    return size < MEMO_MAX and (nth <= MEMO_TRIAL or 8 * (uses - misses) >= misses)


class _Shape:
    """What one mask means for printing: its attributes by type, the text of
    each key attribute seen under it (by the attribute's raw bytes, which
    start with its type), what is known per attribute type, and the layout
    of the last key walked under it. A table of many masks makes one of
    these every few flows, so it stays small: one memo, and counters."""

    __slots__ = ("mdict", "memo", "misses", "fast", "uses", "encap", "tail", "layout")

    def __init__(self, mdict: dict | None):
        self.mdict = mdict
        self.memo = {}
        self.misses = {}    # type -> memo misses
        self.fast = {}      # type -> specialised printer, or False for none
        self.uses = 0       # keys printed under this shape
        self.encap = None   # the shape of the inner key of encap, under its inner mask
        self.tail = T.missing_eth_type_text(mdict) if mdict is not None else ""
        self.layout = None


class _Layout:
    """Where the attributes of a key sit: keys under one mask are almost
    always laid out alike (the kernel writes the same attributes for the
    same kind of flow), so the next key is checked against this in C
    (its length, and every attribute header at its offset, read as integers
    by one struct: together they prove the walk would find the same
    attributes) and the attributes that print are sliced out in one call,
    skipping those the mask wildcards."""

    __slots__ = ("size", "headers", "expect", "printed", "tail")

    def __init__(self, key: bytes, spans: list, printed: list, tail: str):
        self.size = len(key)
        fmt = ["="]
        at = 0
        for start, _stop in spans:
            if start > at:
                fmt.append("%dx" % (start - at))
            fmt.append("I")
            at = start + 4
        self.headers = _headers_reader("".join(fmt))
        self.expect = self.headers(key)
        self.printed = _getter([slice(a, b) for a, b in printed])
        self.tail = tail


_READERS: dict = {}


def _headers_reader(fmt: str):
    """``struct.Struct(fmt).unpack_from``, compiled once per format (many
    masks share a layout, and compiling costs more than a walk)."""
    reader = _READERS.get(fmt)
    if reader is None:
        if len(_READERS) >= SHAPES_MAX:
            _READERS.clear()
        reader = _READERS[fmt] = struct.Struct(fmt).unpack_from
    return reader


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
        self._lists_used = self._lists_missed = 0       # lookups and misses of _actions
        self._actions_used = self._actions_missed = 0   # and of _action

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
        items = list(map(shape.memo.get, raws))
        if None in items:
            for i, item in enumerate(items):
                if item is None:
                    items[i] = self._key_item(shape, raws[i])
        return ",".join(items) + lay.tail

    def _walk(self, shape: _Shape, key: bytes) -> str:
        """key_text by walking the attributes; records the key's layout."""
        unpack = _HDR.unpack_from
        memo = shape.memo
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
            t &= _TYPE_MASK
            raw = key[off:nxt]
            item = memo.get(raw, memo)
            if item is memo:
                item = self._key_item(shape, raw, t)
            spans.append((off, nxt))
            if item is not None:
                out.append(item)
                printed.append((off, nxt))
            if t == K.KEY_ETHERTYPE:
                has_ethtype = True
            off = (nxt + 3) & ~3
        if not key:
            return "<empty>"
        tail = "" if has_ethtype else shape.tail
        # Whether an attribute prints depends on its type and the mask only,
        # so the layout says which to print for any key laid out like this.
        shape.layout = _Layout(key, spans, printed, tail)
        return ",".join(out) + tail

    def _key_item(self, shape: _Shape, raw: bytes, t: int | None = None):
        if t is None:
            t = _HDR.unpack_from(raw)[1] & _TYPE_MASK
        misses = shape.misses[t] = shape.misses.get(t, 0) + 1
        fast = False
        if misses >= FAST_AFTER:
            fast = shape.fast.get(t)
            if fast is None:
                fast = shape.fast[t] = self._fast_printer(shape, t, raw)
        item = fast(raw) if fast else None
        if item is None:
            item = self._general_item(shape, raw)
            if fast and t == K.KEY_ENCAP:
                self._learn_encap(shape, raw, item)
        # Until its trial is over a type memoises every miss: its misses
        # count what it holds.
        memo = shape.memo
        if _worth_keeping(len(memo), misses, misses, shape.uses):
            memo[raw] = item
        return item

    def _general_item(self, shape: _Shape, raw: bytes):
        ((t, p),) = decode_attrs(raw, CTX_KEY, "key")
        return T.key_item_text(t, p, shape.mdict, self.verbose, self.names)

    def _fast_printer(self, shape: _Shape, t: int, raw: bytes):
        """A printer specialised for attribute type ``t`` under ``shape``'s
        mask, or False. ``raw`` is an attribute of that type: the printer is
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
        self._lists_used += 1
        text = self._actions.get(actions)
        if text is None:
            text = self._actions_walk(actions) if actions else "drop"
            self._lists_missed += 1
            if _worth_keeping(len(self._actions), len(self._actions) + 1, self._lists_missed, self._lists_used):
                self._actions[actions] = text
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
            self._actions_used += 1
            text = memo.get(raw)
            if text is None:
                self._actions_missed += 1
                text = T.set_tunnel_text(raw, self._tunnel, MEMO_TRIAL)
            if text is None:
                try:
                    ((t, p),) = decode_attrs(raw, CTX_ACTIONS, "actions")
                except FlowSyntaxError:
                    decode_attrs(actions, CTX_ACTIONS, "actions")   # the error, placed in the whole list
                    raise
                text = T.action_text(t, p, self.names)
                if _worth_keeping(len(memo), len(memo) + 1, self._actions_missed, self._actions_used):
                    memo[raw] = text
            out.append(text)
            off = (nxt + 3) & ~3
        return ",".join(out)

    def flow_text(self, key: bytes, mask: bytes | None, actions: bytes) -> str:
        """``KEY ACTIONS``, the form add-flows takes and ``gathered`` returns."""
        return self.key_text(key, mask) + " " + self.actions_text(actions)
