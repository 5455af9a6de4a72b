# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scanning, and the helpers every part of the ovs-dpctl text form shares.

The parse context (:class:`Ctx`: the whole text, for errors, and the
port-name map), the scanners that cut a text into items and fields
(:func:`close`, :func:`items`, :func:`fields`), numbers parsed
(:func:`num`) and printed (:func:`hex`, :func:`u128_hex`,
:func:`bytes_hex`), and flag sets (ct_state, tcp_flags, tunnel flags)
both ways. Positions are 0-based columns in the whole text; every failure
raises FlowSyntaxError through :meth:`Ctx.err`. The other files of the
package build on this one, which imports none of them.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re
import sys

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys

NATIVE = sys.byteorder
_TOKEN = re.compile(r"[^,\s()]+")
# A token and, when its body holds no parentheses, the body: one match per flat item.
ITEM = re.compile(r"([^,\s()]+)(?:\(([^()]*)\))?")
DELIMS = frozenset(", \t\r\n")
MAX_NESTING = 32          # MAX_ODP_NESTED in the OVS parser
# Parentheses open at once: above what the nesting limits of keys and actions
# allow (a level of actions nests two), so deeper text is refused before it
# is walked level by level (80k nested encap() took 3 s).
MAX_PAREN_DEPTH = 4 * MAX_NESTING

# Key attributes OVS 3.1 (the ovs-dpctl we mirror) does not know by name: it
# prints them raw as keyN(..) even in terse mode.
OVS_UNNAMED_KEYS = frozenset((odp_keys.KEY_IPV6_EXTHDRS,))


class Ctx:
    """Per-call parse state: the whole text (for errors) and the port map."""

    __slots__ = ("text", "ports")

    def __init__(self, text, ports):
        self.text = text
        self.ports = ports

    def err(self, detail, field=None, pos=None):
        """A FlowSyntaxError about the whole text, at ``field`` and column ``pos``."""
        return FlowSyntaxError(self.text, detail, field, pos)


# --- scanning --------------------------------------------------------------------

# Only texts up to this long are kept by the parse caches (KEY_CACHE, the
# action cache): short ones (in_port(3), eth(), eth_type(0x0800), output 2)
# recur, long ones (an ipv4(...) with addresses) are mostly unique and would
# only push the short ones out.
CACHE_TEXT_MAX = 28


def remember_parse(cache: dict, cache_max: int, text: str, parsed) -> None:
    """Keep what ``text`` parsed to in ``cache`` when the text is short
    enough to recur (CACHE_TEXT_MAX); a full cache is emptied first."""
    if len(text) <= CACHE_TEXT_MAX:
        if len(cache) >= cache_max:
            cache.clear()
        cache[text] = parsed


def close(s, i, end, ctx, what):
    """Index of the ')' matching the '(' at s[i]. One pass: each '(' and
    ')' is found once (looking for the next ')' again after every '(' was
    quadratic: 160k open parentheses took a second)."""
    depth = 1
    j = i + 1
    k = s.find(")", j, end)        # the next ')' at or after j
    while True:
        if k < 0:
            raise ctx.err("unbalanced parentheses", what, i)
        o = s.find("(", j, k)
        if o < 0:
            depth -= 1
            if depth == 0:
                return k
            j = k + 1
            k = s.find(")", j, end)
        else:
            depth += 1
            if depth > MAX_PAREN_DEPTH:
                raise ctx.err("parentheses nested more than %d deep" % MAX_PAREN_DEPTH, what, o)
            j = o + 1


def next_item(s, i, end, ctx, what):
    """The next item of a list from ``i``, delimiters skipped: its ITEM
    match (its name, and its body unless that has inner parentheses) and
    where it starts; None at the end of the list."""
    while i < end and s[i] in DELIMS:
        i += 1
    if i >= end:
        return None
    found = ITEM.match(s, i, end)
    if found is None:
        raise ctx.err("syntax error", what, i)
    return found, i


def items(s, i, end, ctx, what):
    """Top-level items of a list: (name, pos, body_start, body_end|None)."""
    out = []
    while i < end:
        if s[i] in DELIMS:
            i += 1
            continue
        m = _TOKEN.match(s, i, end)
        if m is None:
            raise ctx.err("syntax error", what, i)
        j = m.end()
        if j < end and s[j] == "(":
            k = close(s, j, end, ctx, what)
            out.append((m.group(), i, j + 1, k))
            i = k + 1
        else:
            out.append((m.group(), i, None, None))
            i = j
    return out


def fields(body, pos):
    """Split an attribute body at depth-0 commas: [(item, pos)]."""
    if "(" not in body and "{" not in body:
        out = []
        for item in body.split(","):
            if item:
                out.append((item, pos))
            pos += len(item) + 1
        return out
    # Split at every comma, then glue pieces back while brackets are open:
    # one step per comma instead of one per character.
    out = []
    depth = 0
    start = 0       # offset of the item being built
    off = 0         # offset of the current piece
    for piece in body.split(","):
        if "(" in piece or ")" in piece or "{" in piece or "}" in piece:
            depth += piece.count("(") + piece.count("{") - piece.count(")") - piece.count("}")
        off += len(piece) + 1
        if depth == 0:      # the comma after this piece is at bracket depth 0
            if off - 1 > start:
                out.append((body[start:off - 1], pos + start))
            start = off
    if start < len(body):
        out.append((body[start:], pos + start))
    return out


def num(s, ctx, field, pos, bits=32, parse=odp_keys.parse_int):
    """The number ``s`` (by ``parse``: C ``%i`` unless told) of at most ``bits`` bits; FlowSyntaxError otherwise."""
    try:
        v = parse(s)
    except ValueError as e:
        raise ctx.err(str(e), field, pos)
    if v >> bits:
        raise ctx.err("%s does not fit in %d bits" % (s, bits), field, pos)
    return v


def hex(v):
    """C ``%#x``: ``0`` for zero, else ``0x..``."""
    return "0x%x" % v if v else "0"


def u128_hex(b):
    """ds_put_hex of a 128-bit label held in host order: 0x.. or 0."""
    v = int.from_bytes(b, NATIVE)
    return "0x%x" % v if v else "0"


def all_ones(b):
    """Whether every byte of ``b`` is 0xff (an exact mask)."""
    return b.count(255) == len(b)


def bytes_hex(b):
    """Bytes ``b`` as one big-endian number in hex: ``0x..`` or ``0``."""
    v = int.from_bytes(b, "big")
    return "0x%x" % v if v else "0"


# --- flag sets ---------------------------------------------------------------------

def _flag_tables(names):
    """Name -> bit and bit -> name of the ``(name, bit)`` pairs ``names``."""
    return dict(names), {b: n for n, b in names}


CT_BY_NAME, CT_BY_BIT = _flag_tables(odp_keys.CT_STATE_FLAGS)
TCP_BY_NAME, TCP_BY_BIT = _flag_tables(odp_keys.TCP_FLAG_NAMES)
TUN_BY_NAME, TUN_BY_BIT = _flag_tables(odp_keys.TUN_FLAG_NAMES)


def parse_flags(s, by_name, full, ctx, field, pos):
    """``(value, mask)`` of a flag set: ``+a-b`` (mask: the flags named), ``a|b`` (mask ``full``) or ``N[/MASK]``."""
    if not s:
        raise ctx.err("empty flag set", field, pos)
    c = s[0]
    if c in "+-":
        v = m = 0
        i = 0
        n = len(s)
        while i < n:
            sign = s[i]
            if sign not in "+-":
                raise ctx.err("expected + or - before a flag name", field, pos + i)
            j = i + 1
            while j < n and s[j] not in "+-":
                j += 1
            bit = by_name.get(s[i + 1:j])
            if bit is None:
                raise ctx.err("unknown flag %r" % s[i + 1:j], field, pos + i + 1)
            if m & bit:
                raise ctx.err("flag %r given twice" % s[i + 1:j], field, pos + i + 1)
            m |= bit
            if sign == "+":
                v |= bit
            i = j
        return v, m
    if c.isdigit():
        value_text, slash, mask_text = s.partition("/")
        return num(value_text, ctx, field, pos), (num(mask_text, ctx, field, pos + len(value_text) + 1)
                                                  if slash else full)
    v = 0
    off = pos
    for name in s.split("|"):
        bit = by_name.get(name)
        if bit is None:
            raise ctx.err("unknown flag %r" % name, field, off)
        v |= bit
        off += len(name) + 1
    return v, full


def fmt_flags(v, by_bit):
    """Flag set ``v`` as ``a|b``; bits without a name as one hex number at the end; ``0`` when empty."""
    if not v:
        return "0"
    out = []
    bad = 0
    bit = 1
    while v >= bit:
        if v & bit:
            name = by_bit.get(bit)
            if name is None:
                bad |= bit
            else:
                out.append(name)
        bit <<= 1
    if bad:
        out.append("0x%x" % bad)
    return "|".join(out)


def fmt_flags_masked(v, m, maxm, by_bit):
    """Flag set ``v`` under mask ``m``: as :func:`fmt_flags` when ``m`` is ``maxm``, else ``+a-b``."""
    if m == maxm:
        return fmt_flags(v, by_bit)
    if not m:
        return "0/0"
    out = []
    bit = 1
    while m >= bit:
        if m & bit:
            out.append(("+" if v & bit else "-") + by_bit.get(bit, "[Unknown]"))
        bit <<= 1
    return "".join(out)
