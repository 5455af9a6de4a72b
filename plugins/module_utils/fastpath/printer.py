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

An attribute type whose values do not recur (DIRECT_AFTER trials of
misses) is then printed by its specialised printer alone, without a memo
lookup that would miss.

Actions are memoised per list, and per action within a list: a list that
is new is mostly actions seen before.

A dump is read a datagram of flow replies at a time (:meth:`reply_texts`):
a reply laid out as the last one of its length (its attribute headers, its
key's, its actions' and a set(tunnel)'s at the same offsets, and the same
mask bytes) holds what it prints at the same offsets, so its whole line is
text and pieces (:class:`_Line`), encap's inner key attributes and a
tunnel's fields among them. Most pieces are the same bytes in every reply
of a line (the input port, the tunnel's port, the output): those are folded
into the line's text, and a reply is checked by comparing everything but
its varying pieces and the payloads that do not print (the UFID) with the
learnt reply, in one call. Only the varying pieces are sliced out and
printed (looked up in their memo, or printed directly): in a table of 100k
flows, one or two pieces a flow. This halves the dump and print of bench's
100k-flow table in the sandbox (0.52 s against 1.03 s without lines, best
of four; 0.69 against 1.15 s with the lines kept and sorted, as gathered).

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

import operator
from functools import partial

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as odp_text
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import MalformedAttribute, nla_spans
from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.flow_reply import (
    FLOW_ATTR_ACTIONS, FLOW_ATTR_KEY, FLOW_ATTR_MASK, attribute_spans)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import (
    CTX_ACTIONS, CTX_KEY, decode_attrs, headers_reader, slices_getter)
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
#: Key layouts remembered per mask (by key length).
LAYOUTS_MAX = 8
#: Trials (MEMO_TRIAL misses each) a type with a specialised printer must
#: miss, hitting less than once in nine lookups, before that printer prints
#: it alone, without a memo lookup.
DIRECT_AFTER = 4


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
    of the last key of each length walked under it (the kernel pads 64-bit
    fields to their alignment in its reply buffer, so one kind of key comes
    in two layouts). A table of many masks makes one of these every few
    flows, so it stays small: one memo, and counters."""

    __slots__ = ("mdict", "memo", "misses", "fast", "direct", "uses", "encap", "tail", "layouts")

    def __init__(self, mdict: dict | None):
        self.mdict = mdict
        self.memo = {}
        self.misses = {}    # type -> memo misses
        self.fast = {}      # type -> specialised printer, or False for none
        self.direct = set()     # types printed by their specialised printer alone, not memoised
        self.uses = 0       # keys printed under this shape
        self.encap = None   # the shape of the inner key of encap, under its inner mask
        self.tail = odp_text.missing_eth_type_text(mdict) if mdict is not None else ""
        self.layouts = {}   # key length -> _Layout


class _Layout:
    """Where the attributes of a key sit: keys of one length under one mask
    are almost always laid out alike (the kernel writes the same attributes
    for the same kind of flow), so the next key is checked against this in
    C (every attribute header at its offset, read by one struct as two small
    integers, which Python does not allocate: with the length, they prove
    the walk would find the same attributes) and the attributes that print
    are sliced out in one call, skipping those the mask wildcards.
    ``direct`` lists the printed attributes whose type is printed by its
    specialised printer without a memo lookup (:meth:`DumpPrinter._key_item`)."""

    __slots__ = ("spans", "printed_spans", "headers", "expect", "printed", "types", "direct", "tail")

    def __init__(self, key: bytes, spans: list, printed: list, types: list, tail: str):
        self.spans = spans
        self.printed_spans = printed
        self.headers = headers_reader([a for a, _b in spans])
        self.expect = self.headers(key)
        self.printed = slices_getter([slice(a, b) for a, b in printed])
        self.types = types
        self.direct = ()
        self.tail = tail

    def print_directly(self, shape: _Shape) -> None:
        """Print the attributes of ``shape.direct`` types directly."""
        self.direct = tuple((i, shape.fast[t]) for i, t in enumerate(self.types) if t in shape.direct)


# The flow reply attributes the printer reads.
_FLOW_KEY = FLOW_ATTR_KEY
_FLOW_ACTIONS = FLOW_ATTR_ACTIONS
_FLOW_MASK = FLOW_ATTR_MASK


#: The memo of a piece printed by its specialised printer alone (its values
#: do not recur): always empty, never written.
_NO_MEMO: dict = {}

#: f(x), as a C function that map() can apply (Python >= 3.11).
_call = getattr(operator, "call", lambda f, x: f(x))


#: Where a piece goes in a line's text while it is being laid out (no
#: printed text holds it).
_MARK = "\x00"


def _literal(text: str) -> str:
    """``text`` as a literal part of a %-format."""
    return text.replace("%", "%%")


class _Line:
    """A flow reply's whole line, learnt from one reply of a given length.

    The line is the reply's text as literal text and "pieces": the key
    attributes that print, the actions, a set(tunnel)'s fields and encap's
    inner key attributes, each printed from its bytes (looked up in its
    memo, or printed by its function). A piece whose bytes were the same in
    every reply of the line so far is folded into the format as the text it
    printed; the others ("varying") are printed per reply. So the next
    reply of that length is checked by comparing, in one call, every byte
    of it except the varying pieces' payloads and the gaps (the payloads of
    the attributes the printer does not read, such as the UFID and the
    counters, and of key attributes that do not print) with the learnt
    reply's: the attribute headers, the mask and the folded pieces are
    among them. A reply that passes prints as ``fmt`` (the text, with
    ``%s`` for each varying piece) of its varying pieces, sliced out in one
    call; no attribute is walked, and nothing is sliced or looked up for
    what did not change.

    A reply that differs elsewhere teaches the line (:meth:`adapt`): where
    it differs only in pieces and in payloads that do not print, those
    become varying; elsewhere (a header, the mask) it is not a reply of this
    line. Each lesson makes one part vary for good, so a line is compiled a
    few times at most."""

    __slots__ = ("base", "spans", "texts", "segments", "all_memos", "all_missed", "free", "gaps",
                 "varying", "parts", "fixed", "consts", "expect", "pieces", "lookups", "missed", "fmt",
                 "shape", "inner", "n_actions", "misses")

    def __init__(self, msg: bytes, spans: list, memos: list, missed: list, segments: list,
                 gaps: list, free: list, shape: _Shape, inner: _Shape | None, n_actions: int):
        self.base = msg
        self.spans = spans          # per piece, its slice of the reply
        self.all_memos = memos
        self.all_missed = missed
        self.segments = segments    # the literal text around the pieces (one more than pieces)
        self.texts = None           # per piece, its text in the learnt reply (:meth:`fold`)
        self.gaps = gaps            # (start, end) of bytes never compared
        self.free = free            # (start, end) of payloads that may vary without changing the text
        self.varying = []           # indexes of the pieces printed per reply
        self.shape = shape          # the key's shape, and its encap's (``inner``): their uses are counted
        self.inner = inner
        self.n_actions = n_actions
        self.misses = 0

    def fold(self, texts: list) -> None:
        """Take ``texts``, each piece's text in the learnt reply, and compile."""
        self.texts = texts
        self._compile()

    def _compile(self) -> None:
        # A varying piece's header is compared: it proves where the piece
        # is and what it is; its payload is printed.
        varying = self.varying
        skip = self.gaps + [(self.spans[i].start + 4, self.spans[i].stop) for i in varying]
        self.consts = slices_getter(_complement(skip, len(self.base)))
        self.expect = self.consts(self.base)
        # What :meth:`adapt` may find varying, and what it must find the same.
        self.parts = [(self.spans[i].start + 4, self.spans[i].stop, i)
                      for i in range(len(self.spans)) if i not in varying]
        self.parts += [(a, b, None) for a, b in self.free]
        self.fixed = slices_getter(_complement(skip + [(a, b) for a, b, _i in self.parts], len(self.base)))
        self.pieces = slices_getter([self.spans[i] for i in varying])
        self.missed = tuple([self.all_missed[i] for i in varying])
        # Per varying piece, its memo's lookup, or the printer of a piece
        # printed without one.
        self.lookups = tuple([self.all_missed[i] if self.all_memos[i] is _NO_MEMO else self.all_memos[i].get
                              for i in varying])
        fmt = [_literal(self.segments[0])]
        for i, text in enumerate(self.texts):
            fmt.append("%s" if i in varying else _literal(text))
            fmt.append(_literal(self.segments[i + 1]))
        self.fmt = "".join(fmt)

    def adapt(self, msg: bytes) -> bool:
        """Whether reply ``msg`` (of the learnt length, failing the check)
        differs from the learnt one only in pieces' payloads and free
        payloads; if so they vary from now on, and the line is compiled
        again."""
        base = self.base
        if self.fixed(msg) != self.fixed(base):
            return False
        varying = set(self.varying)
        for a, b, i in self.parts:
            if msg[a:b] != base[a:b]:
                if i is None:
                    self.free.remove((a, b))
                    self.gaps.append((a, b))
                else:
                    varying.add(i)
        self.varying = sorted(varying)
        self._compile()
        return True


def _complement(spans: list, size: int) -> list:
    """The slices of ``range(size)`` outside the ``(start, end)`` ``spans``."""
    out = []
    at = 0
    for a, b in sorted(spans):
        if a > at:
            out.append(slice(at, a))
        at = max(at, b)
    if at < size:
        out.append(slice(at, size))
    return out


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
        self._tunnel = odp_text.SetTunnelPrinter(MEMO_TRIAL)      # set(tunnel(...)), its fields memoised
        self._lists_used = self._lists_missed = 0       # lookups and misses of _actions
        self._replies = {}      # a reply's length -> the layout of the last learnt (_Reply)
        self._actions_used = self._actions_missed = 0   # and of _action

    def key_text(self, key: bytes, mask: bytes | None) -> str:
        shape = self._shapes.get(mask)
        if shape is None:
            if len(self._shapes) >= SHAPES_MAX:
                self._shapes.clear()
            mdict = dict(decode_attrs(mask, CTX_KEY, "mask")) if mask is not None else None
            shape = self._shapes[mask] = _Shape(mdict)
        shape.uses += 1
        lay = shape.layouts.get(len(key))
        if lay is not None and lay.headers(key) == lay.expect:
            return self._laid_out(shape, key, lay)
        # Not the layout of a mask's first key: in a table of many masks
        # most print one key, and a layout costs more than the walk.
        return self._walk(shape, key, shape.uses > 1)

    def _laid_out(self, shape: _Shape, key: bytes, lay: _Layout) -> str:
        return self._items(shape, lay, lay.printed(key))

    def _items(self, shape: _Shape, lay: _Layout, raws: tuple) -> str:
        """The key text from the attributes ``raws`` that print in a key
        laid out as ``lay``."""
        items = list(map(shape.memo.get, raws))
        for i, fast in lay.direct:
            items[i] = fast(raws[i])
        if None in items:
            types = lay.types
            for i, item in enumerate(items):
                if item is None:
                    items[i] = self._key_item(shape, raws[i], types[i])
        return ",".join(items) + lay.tail

    def _walk(self, shape: _Shape, key: bytes, learn: bool = True) -> str:
        """key_text by walking the attributes; records the key's layout
        when ``learn``."""
        memo = shape.memo
        out = []
        spans = []
        printed = []
        types = []
        has_ethtype = False
        end = len(key)
        try:
            for t, off, nxt in nla_spans(key):
                raw = key[off:nxt]
                item = memo.get(raw, memo)
                if item is memo:
                    item = self._key_item(shape, raw, t)
                spans.append((off, nxt))
                if item is not None:
                    out.append(item)
                    printed.append((off, nxt))
                    types.append(t)
                if t == odp_keys.KEY_ETHERTYPE:
                    has_ethtype = True
        except MalformedAttribute:
            decode_attrs(key, CTX_KEY, "key")       # raises with the reason
        if not key:
            return "<empty>"
        tail = "" if has_ethtype else shape.tail
        # Whether an attribute prints depends on its type and the mask only,
        # so the layout says which to print for any key laid out like this.
        if learn:
            if len(shape.layouts) >= LAYOUTS_MAX:
                shape.layouts.clear()
            shape.layouts[end] = lay = _Layout(key, spans, printed, types, tail)
            if shape.direct:
                lay.print_directly(shape)
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
            if fast and t == odp_keys.KEY_ENCAP:
                self._learn_encap(shape, raw, item)
        # Until its trial is over a type memoises every miss: its misses
        # count what it holds.
        memo = shape.memo
        if _worth_keeping(len(memo), misses, misses, shape.uses):
            memo[raw] = item
        elif fast and t not in shape.direct and misses > DIRECT_AFTER * MEMO_TRIAL \
                and 8 * (shape.uses - misses) < misses:
            # Its values do not recur (a table of unique addresses): from
            # now on its specialised printer alone prints it, without a
            # memo lookup that would miss. For good, so only after long
            # evidence: it is not counted any more, and values that begin
            # to recur are printed as right, only not as cheaply.
            shape.direct.add(t)
            for lay in shape.layouts.values():
                lay.print_directly(shape)
            self._replies.clear()       # their lines look it up: learnt again
        return item

    def _general_item(self, shape: _Shape, raw: bytes):
        ((t, p),) = decode_attrs(raw, CTX_KEY, "key")
        return odp_text.key_item_text(t, p, shape.mdict, self.verbose, self.names)

    def _fast_printer(self, shape: _Shape, t: int, raw: bytes):
        """A printer specialised for attribute type ``t`` under ``shape``'s
        mask, or False. ``raw`` is an attribute of that type: the printer is
        kept only if it prints it as the general path does."""
        mdict = shape.mdict
        if mdict is None or t not in mdict:
            return False
        ma = mdict[t]
        if t == odp_keys.KEY_ENCAP:
            if ma.__class__ is not tuple or not ma:
                return False
            shape.encap = _Shape(dict(ma))
            return partial(self._encap_text, shape.encap)
        fast = odp_text.struct_key_printer(t, ma, self.verbose) or odp_text.leaf_key_printer(t, ma, self.verbose, self.names)
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
        lay = inner.layouts.get(len(key))
        if lay is not None and lay.headers(key) == lay.expect:
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
            inner.layouts.pop(len(raw) - 4, None)

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
        out = []
        try:
            for _t, off, nxt in nla_spans(actions):
                raw = actions[off:nxt]
                self._actions_used += 1
                text = memo.get(raw)
                if text is None:
                    try:
                        text = self._action_item(raw)
                    except FlowSyntaxError:
                        decode_attrs(actions, CTX_ACTIONS, "actions")   # the error, placed in the whole list
                        raise
                out.append(text)
        except MalformedAttribute:
            decode_attrs(actions, CTX_ACTIONS, "actions")   # raises with the reason
        return ",".join(out)

    def _action_item(self, raw: bytes) -> str:
        """The text of action ``raw`` (header included), not in the memo;
        memoised unless it is a set(tunnel) (a table's tunnels are mostly
        unique, and their printer memoises their fields)."""
        self._actions_missed += 1
        text = self._tunnel(raw)
        if text is None:
            ((t, p),) = decode_attrs(raw, CTX_ACTIONS, "actions")
            text = odp_text.action_text(t, p, self.names)
            memo = self._action
            if _worth_keeping(len(memo), len(memo) + 1, self._actions_missed, self._actions_used):
                memo[raw] = text
        return text

    def flow_text(self, key: bytes, mask: bytes | None, actions: bytes) -> str:
        """``KEY ACTIONS``, the form add-flows takes and ``gathered`` returns."""
        return self.key_text(key, mask) + " " + self.actions_text(actions)

    # -- flow replies ---------------------------------------------------------

    def reply_texts(self, data: bytes, spans: list) -> list:
        """:meth:`flow_text` of each flow reply whose attributes (ovs_flow's)
        are at ``data[start:end]`` for each ``(start, end)`` of ``spans``
        (DpifProvider.flow_dump_replies): the dump's hot path. A reply laid
        out as the last learnt of its length (:class:`_Line`) is printed
        from its pieces; the others are read attribute by attribute, and
        teach the layout. FlowSyntaxError as :meth:`flow_text`; a reply
        without a key prints as an empty one."""
        out = []
        lines = self._replies
        call = _call
        for start, end in spans:
            line = lines.get(end - start)
            if line is not None:
                msg = data[start:end]
                if line.consts(msg) == line.expect or line.adapt(msg):
                    raws = line.pieces(msg)
                    items = list(map(call, line.lookups, raws))
                    line.shape.uses += 1
                    if line.inner is not None:
                        line.inner.uses += 1
                    self._actions_used += line.n_actions
                    if None in items and not self._fill(line.missed, raws, items):
                        out.append(self._reply_text(data, start, end, line))
                    else:
                        out.append(line.fmt % tuple(items))
                    continue
            out.append(self._reply_text(data, start, end, line))
        return out

    @staticmethod
    def _fill(missed: tuple, raws: tuple, items: list) -> bool:
        """Print the pieces ``raws`` that missed their memo (None in
        ``items``) by their ``missed`` function; False if one does not print
        as learnt (the reply is then printed by the general path, which
        raises for malformed bytes)."""
        try:
            for i, item in enumerate(items):
                if item is None:
                    item = items[i] = missed[i](raws[i])
                    if item is None:
                        return False
        except FlowSyntaxError:
            return False
        return True

    def _reply_text(self, data: bytes, start: int, end: int, line: _Line | None) -> str:
        """A reply printed from its attributes; then, when the printer has
        no layout for its length or that layout missed FAST_AFTER times,
        its layout is learnt."""
        spans, off = attribute_spans(data, start, end)
        key, mask, acts = (data[span[0]:span[1]] if span is not None else None
                           for span in (spans.get(_FLOW_KEY), spans.get(_FLOW_MASK), spans.get(_FLOW_ACTIONS)))
        text = self.flow_text(key or b"", mask, acts or b"")
        if line is not None:
            line.misses += 1
            if line.misses < FAST_AFTER:
                return text
        # Only a reply read to its end, with the three attributes a printer
        # reads: the layout proves where they are, not what a broken reply
        # would mean.
        if off >= end and key and mask is not None and acts is not None:
            found = {attr_type: (begin - start, stop - start) for attr_type, (begin, stop) in spans.items()}
            self._learn_reply(data[start:end], found, key, mask, text)
        return text

    def _learn_reply(self, msg: bytes, found: dict, key: bytes, mask: bytes, text: str) -> None:
        """Keep the line of reply ``msg`` (the spans of its attributes'
        payloads by type, ``found``) if printing it from that line gives
        ``text``."""
        shape = self._shapes.get(mask)
        lay = shape.layouts.get(len(key)) if shape is not None else None
        if lay is None or lay.headers(key) != lay.expect:
            return
        line = self._line(msg, found, shape, lay)
        if line is None:
            return
        raws = [msg[span] for span in line.spans]
        items = list(map(dict.get, line.all_memos, raws))
        if None in items and not self._fill(line.all_missed, raws, items):
            return
        segments = line.segments
        if "".join([segments[i] + item for i, item in enumerate(items)]) + segments[-1] == text:
            line.fold(items)
            if len(self._replies) >= SHAPES_MAX:
                self._replies.clear()
            self._replies[len(msg)] = line

    def _line(self, msg: bytes, found: dict, shape: _Shape, lay: _Layout) -> _Line | None:
        """The :class:`_Line` of reply ``msg`` (its attributes' payload
        spans by type, ``found``), whose key is laid out as ``lay`` under
        ``shape``; None if its actions are not well formed. Its pieces are
        not folded yet (:meth:`_Line.fold`)."""
        slices, memos, missed = [], [], []
        # Payloads the printer does not read (UFID, counters) are never
        # compared; those of key attributes that do not print may vary.
        gaps = [span for t, span in found.items() if t not in (_FLOW_KEY, _FLOW_MASK, _FLOW_ACTIONS)]
        free = []

        def piece(a, b, memo, miss):
            slices.append(slice(a, b))
            memos.append(memo)
            missed.append(miss)
            return _MARK

        def key_piece(shp, a, b, t):
            if t in shp.direct:
                return piece(a, b, _NO_MEMO, shp.fast[t])
            return piece(a, b, shp.memo, partial(self._key_item, shp, t=t))

        def not_printed(at, klay):
            printed = set(klay.printed_spans)
            free.extend((at + a + 4, at + b) for a, b in klay.spans if (a, b) not in printed and b > a + 4)

        key_at = found[_FLOW_KEY][0]
        not_printed(key_at, lay)
        inner = None
        parts = []
        for (a, b), t in zip(lay.printed_spans, lay.types):
            a += key_at
            b += key_at
            if t == odp_keys.KEY_ENCAP and shape.encap is not None:
                # Its inner key printed under the inner mask, as _encap_text does.
                ilay = shape.encap.layouts.get(b - a - 4)
                if ilay is not None and ilay.headers(msg, a + 4) == ilay.expect:
                    inner = shape.encap
                    a += 4
                    not_printed(a, ilay)
                    parts.append("encap(" + ",".join([key_piece(inner, a + x, a + y, it) for (x, y), it
                                                      in zip(ilay.printed_spans, ilay.types)])
                                 + ilay.tail + ")")
                    continue
            parts.append(key_piece(shape, a, b, t))
        text = ",".join(parts) + lay.tail
        parts = []
        tunnel = self._tunnel
        try:
            for _t, off, nxt in nla_spans(msg, *found[_FLOW_ACTIONS]):
                raw = msg[off:nxt]
                tun = tunnel.layout(raw)
                if tun is None and tunnel(raw) is not None:     # a tunnel its printer has not laid out yet
                    tun = tunnel.layout(raw)
                if tun is not None:
                    t_slices, t_types, t_tail = tun
                    parts.append("set(tunnel(" + ",".join([piece(off + s.start, off + s.stop, tunnel.memo,
                                                                 tunnel.field_printer(ft))
                                                           for s, ft in zip(t_slices, t_types)]) + t_tail)
                else:
                    parts.append(piece(off, nxt, self._action, self._action_item))
        except MalformedAttribute:
            return None
        text += " " + (",".join(parts) if parts else "drop")
        segments = text.split(_MARK)
        if len(segments) != len(slices) + 1:       # a literal held the mark
            return None
        return _Line(msg, slices, memos, missed, segments, gaps, free, shape, inner, len(parts))
