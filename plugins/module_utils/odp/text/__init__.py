# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ovs-dpctl`` text form of flows: parse and print.

Parsing accepts what ``ovs-dpctl add-flow`` accepts (plus the forms
``dump-flows`` prints, so a dump re-parses); printing reproduces
``ovs-dpctl dump-flows`` byte for byte, terse and ``-m``. Per-attribute
parsers and printers are built from the rows of keys.py once at import;
the per-flow loops look functions up by attribute number or name only.

Every failure raises FlowSyntaxError naming the text, the field
(``ipv4.dst``, ``actions.ct``) and the 0-based column.

This file is the public API (``__all__``): keys, actions, whole flows
and dump-flows lines, UFIDs. The work is done in the files next to it,
each importing only files listed before it:

* scanner.py: the parse context, cutting text into items and fields,
  numbers, flag sets;
* tunnel.py: the ``tunnel(...)`` key attribute, parsed and printed;
* key_fields.py: the key attributes spelled by their fields
  (``ipv4(src=..,proto=..)``), parsed and printed from the rows of keys.py;
* key_numbers.py and key_headers.py: each of the other key attributes'
  parser and printer side by side (one number or a flag set; eth, vlan,
  mpls, nsh);
* key_codecs.py: the one table of those key codecs, checked to cover every
  attribute the kernel accepts;
* key_parse.py and key_print.py: the parsers by name and the printers by
  number derived from it, and the key-list parser and printer;
* cookie.py: the userspace action's cookie;
* actions_basic.py, actions_ct.py and actions_nested.py: each action's
  parser and printer side by side (flat payloads; ct and nat; nested
  payloads and the userspace cookie);
* action_table.py: the one table of action codecs, and the action-list
  parser and printer.

Their names without a leading underscore are what the files share with
each other; other code imports from here (structured.py also uses
:func:`~.scanner.fields`, key_parse.py's VLAN_FIELDS and two functions of
key_print.py).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re
import struct
from itertools import repeat

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow, PrintedStats
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.action_table import action_text, parse_action_list
# The list printer, (actions, names); format_actions here is its public form.
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.action_table import format_actions as format_action_list
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_parse import (
    KEY_CACHE,
    KEY_CACHE_MAX,
    KEY_PARSERS,
    key_parser,
    parse_key_list,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_print import (
    format_key_list,
    key_item_text,
    leaf_key_printer,
    missing_eth_type_text,
    struct_key_printer,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import DELIMS, Ctx, close, fields, items, num, remember_parse
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.tunnel import SetTunnelPrinter

_UFID = struct.Struct("=IIII")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def parse_key(text: str, *, port_numbers=None) -> tuple:
    """``(key, mask)`` attribute lists from a key in dpctl syntax."""
    ctx = Ctx(text, port_numbers)
    return parse_key_list(text, 0, len(text), ctx, 0)


def parse_actions(text: str, *, port_numbers=None) -> tuple:
    """An action attribute list from dpctl syntax (``drop`` = empty)."""
    ctx = Ctx(text, port_numbers)
    return parse_action_list(text, 0, len(text), ctx, 0)


def ufid_from_text(s: str, text: str = "", pos: int = 0) -> bytes:
    """The 16 bytes of UFID ``s`` (a dashed UUID); errors name ``text`` (default ``s``) at column ``pos``."""
    if not _UUID_RE.match(s):
        raise FlowSyntaxError(text or s, "ufid must be a dashed 36-character UUID", "ufid", pos)
    h = s.replace("-", "")
    return _UFID.pack(int(h[0:8], 16), int(h[8:16], 16), int(h[16:24], 16), int(h[24:32], 16))


def ufid_to_text(u: bytes) -> str:
    """UFID ``u`` as the dashed UUID dump-flows prints."""
    a, b, c, d = _UFID.unpack(u)
    return "%08x-%04x-%04x-%04x-%04x%08x" % (a, b >> 16, b & 0xFFFF, c >> 16, c & 0xFFFF, d)


_STAT_PREFIXES = ("packets:", "bytes:", "used:", "flags:", "dp:", "offloaded:", "dp-extra-info:")


class _NotFast(Exception):
    """The line is not in the shape the fast path handles."""


def _fast_key(s, end, ctx):
    """Key and mask tuples of the key ``s[:end]`` in the form of most keys:
    ``name(body),...``. One C-level split replaces per-item scanning when no
    item has inner parentheses (their bodies are then parsed as at position
    0: on any error the caller parses the line again with the general
    parser, which reports the real position); item texts are looked up in
    KEY_CACHE."""
    key = s[:end]
    parts = key.split("),")
    opens = key.count("(")
    if opens != key.count(")") or key[-1] != ")" or not key.isprintable():
        raise _NotFast
    if opens == len(parts):
        parts[-1] = parts[-1][:-1]
        starts = repeat(0)
    else:
        parts, starts = _nested_key_parts(key, ctx)
    keys = []
    masks = []
    parsers = KEY_PARSERS
    cache = KEY_CACHE
    for part, body_start in zip(parts, starts):
        hit = cache.get(part)
        if hit is None:
            name, paren, body = part.partition("(")
            entry = parsers.get(name)
            if entry is None or not paren:
                raise _NotFast
            num, parser = entry
            key_payload, mask_payload = parser(body, body_start, ctx, 0)
            remember_parse(cache, KEY_CACHE_MAX, part, (num, key_payload, mask_payload))
        else:
            num, key_payload, mask_payload = hit
        keys.append((num, key_payload))
        masks.append((num, mask_payload))
    return tuple(keys), tuple(masks)


def _nested_key_parts(key, ctx):
    """The items of a key with nested attributes (tunnel, encap), split at
    depth-0 commas, each ``name(body`` without its closing parenthesis as
    the flat split leaves them, and where each body starts (a nested
    attribute's parser reads its inner items there); _NotFast unless each is
    ``name(...)`` with its parentheses matched."""
    parts = []
    starts = []
    for item, pos in fields(key, 0):
        name, paren, body = item.partition("(")
        if not paren or item[-1] != ")":
            raise _NotFast
        if body.count("(") and close(key, pos + len(name), pos + len(item), ctx, "key") != pos + len(item) - 1:
            raise _NotFast
        parts.append(item[:-1])
        starts.append(pos + len(name) + 1)
    return parts, starts


def parse_dump_line(text: str, *, port_numbers=None):
    """``(Flow, PrintedStats | None)`` from a dump-flows line or a flow-file line
    (``[ufid:U,]KEY ACTIONS`` or ``KEY, ..., actions:ACTIONS``)."""
    ctx = Ctx(text, port_numbers)
    s = text
    if not port_numbers:
        j = s.find(" ")
        if j > 0 and "actions:" not in s and not _blank(s, j, len(s)):
            try:
                keys, masks = _fast_key(s, j, ctx)
            except (_NotFast, FlowSyntaxError):
                pass        # the general parser below decides, and words any error
            else:
                return Flow(keys, masks, parse_action_list(s, j, len(s), ctx, 0)), None
    n = len(s)
    i = 0
    while i < n and s[i] in DELIMS:
        i += 1
    ufid = None
    if s.startswith("ufid:", i):
        j = i + 5
        k = j
        while k < n and s[k] not in DELIMS:
            k += 1
        ufid = ufid_from_text(s[j:k], text, j)
        i = k
    a = _find_top(s, "actions:", i, ctx)
    stats = None
    if a >= 0:
        key_end = a
        if _blank(s, a + 8, n):
            raise ctx.err(_NO_ACTIONS, "actions", n)
        acts = parse_action_list(s, a + 8, n, ctx, 0)
        # strip trailing stats items from the key part
        key_items = items(s, i, a, ctx, "key")
        keys = []
        masks = []
        st = {}
        for name, pos, body_start, body_end in key_items:
            pre = next((prefix for prefix in _STAT_PREFIXES if name.startswith(prefix)), None)
            if pre is not None:
                st[pre[:-1]] = (name[len(pre):], pos)
                continue
            if body_start is None:
                raise ctx.err("expected %s(...)" % name, name, pos)
            num, parser = key_parser(name, ctx, pos)
            key_payload, mask_payload = parser(s[body_start:body_end], body_start, ctx, 0)
            keys.append((num, key_payload))
            masks.append((num, mask_payload))
        if st:
            stats = _stats_from(st, ctx)
        del key_end
        return Flow(tuple(keys), tuple(masks), acts, ufid), stats
    # flow-file form: KEY, whitespace, ACTIONS
    j = _split_top_space(s, i, ctx)
    keys, masks = parse_key_list(s, i, j, ctx, 0)
    if _blank(s, j, n):
        raise ctx.err(_NO_ACTIONS, "actions", n)
    acts = parse_action_list(s, j, n, ctx, 0)
    return Flow(keys, masks, acts, ufid), None


#: A flow line whose action part is missing or blank. Blank is not taken
#: for "drop": a template whose action variable came out empty would
#: otherwise install a flow that drops everything it matches.
_NO_ACTIONS = "missing actions; write drop for a flow that drops what it matches"


def _blank(s: str, i: int, end: int) -> bool:
    """Whether ``s[i:end]`` is empty or only white space."""
    return not s[i:end].strip(" \t\r\n")


def parse_flow(text: str, *, port_numbers=None) -> Flow:
    """A Flow from ``[ufid:U,]KEY ACTIONS`` or a dump-flows line."""
    return parse_dump_line(text, port_numbers=port_numbers)[0]


def _find_top(s, word, i, ctx):
    """Index of ``word`` at parenthesis depth 0, or -1."""
    depth = 0
    j = s.find(word, i)
    if j < 0:
        return -1
    k = i
    while True:
        o = s.find("(", k, j)
        c = s.find(")", k, j)
        if o < 0 and c < 0:
            if depth == 0:
                return j
            k = j + 1
            j = s.find(word, k)
            if j < 0:
                return -1
            continue
        if o >= 0 and (c < 0 or o < c):
            depth += 1
            k = o + 1
        else:
            depth -= 1
            k = c + 1


_WS = re.compile(r"[ \t\r\n]")


def _split_top_space(s, i, ctx):
    """Index of the first whitespace at parenthesis depth 0 (or len(s))."""
    for m in _WS.finditer(s, i):
        j = m.start()
        if s.count("(", i, j) == s.count(")", i, j):
            return j
    return len(s)


def _stats_from(st, ctx):
    """PrintedStats from the stat items ``st`` of a dump line (name -> (text, column))."""
    def count(name):
        v = st.get(name)
        if v is None:
            return 0
        return num(v[0], ctx, name, v[1], 64)
    used = None
    u = st.get("used")
    if u is not None and u[0] != "never":
        try:
            used = int(round(float(u[0].rstrip("s")) * 1000))
        except ValueError:
            raise ctx.err("bad used value %r" % u[0], "used", u[1])
    flags = 0
    f = st.get("flags")
    if f is not None:
        for ch in f[0]:
            bit = _TCP_LETTER_BITS.get(ch)
            if bit is None:
                raise ctx.err("bad tcp flags %r" % f[0], "flags", f[1])
            flags |= bit
    return PrintedStats(count("packets"), count("bytes"), used, flags)


_TCP_LETTERS = (("S", 0x002), ("F", 0x001), ("P", 0x008), ("R", 0x004), ("U", 0x020), (".", 0x010),
                ("E", 0x040), ("C", 0x080), ("N", 0x100))
_TCP_LETTER_BITS = dict(_TCP_LETTERS)


def format_tcp_flags_letters(flags: int) -> str:
    """TCP flags as the letters of a dump line's ``flags:`` (``SF.``)."""
    out = [c for c, bit in _TCP_LETTERS if flags & bit]
    for bit in (0x200, 0x400, 0x800):
        if flags & bit:
            out.append("[%x]" % bit)
    return "".join(out)


def format_key(key: tuple, mask: tuple | None = None, *, verbose: bool = False, port_names=None) -> str:
    """The key as dump-flows prints it (``-m`` when verbose)."""
    return format_key_list(key, mask, verbose, port_names)


def format_actions(actions: tuple, *, port_names=None) -> str:
    """The actions as dump-flows prints them (``drop`` when empty)."""
    return format_action_list(actions, port_names)


def format_flow(flow: Flow, *, verbose: bool = False, stats: PrintedStats | None = None, port_names=None,
                ufid: bool = False) -> str:
    """dump-flows line when ``stats`` is given, else ``KEY ACTIONS`` (flow-file form).

    With ``verbose`` the line is the ``-m`` form: every attribute, ``ufid:``
    prefix when the flow has one, and ``dp:ovs``.
    """
    names = port_names
    key = format_key_list(flow.key, flow.mask, verbose, names)
    acts = format_action_list(flow.actions, names)
    prefix = ""
    if flow.ufid is not None and (verbose or ufid):
        prefix = "ufid:" + ufid_to_text(flow.ufid) + (", " if stats is not None else ",")
    if stats is None:
        return prefix + key + " " + acts
    used = "never" if stats.used_ms_ago is None else "%.3fs" % (stats.used_ms_ago / 1000.0)
    parts = [prefix, key, ", packets:%d, bytes:%d, used:%s" % (stats.packets, stats.bytes, used)]
    if stats.tcp_flags:
        parts.append(", flags:" + format_tcp_flags_letters(stats.tcp_flags))
    if verbose:
        parts.append(", dp:ovs")
    parts.append(", actions:")
    parts.append(acts)
    return "".join(parts)


__all__ = [
    "SetTunnelPrinter",
    "action_text",
    "format_actions",
    "format_flow",
    "format_key",
    "format_tcp_flags_letters",
    "key_item_text",
    "leaf_key_printer",
    "missing_eth_type_text",
    "parse_actions",
    "parse_dump_line",
    "parse_flow",
    "parse_key",
    "struct_key_printer",
    "ufid_from_text",
    "ufid_to_text",
]
