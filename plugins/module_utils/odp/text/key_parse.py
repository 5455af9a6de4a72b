# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key attribute parsers of the ovs-dpctl text form, by name, and the key parser.

A parser takes ``(body, pos, ctx, depth)``: the text between the
attribute's parentheses, its column in the whole text, the parse context
and the encap nesting depth; it returns ``(key payload, mask payload)``,
bytes or, for nested attributes, tuples of attributes. :data:`KEY_PARSERS`
(name -> (attribute number, parser)) is derived once at import from the
rows of key_codecs.py and, for the attributes spelled by their fields,
from the rows of keys.py (key_fields.py); :func:`key_parser` also resolves
``keyN`` names. :func:`parse_key_list` parses a key, keeping short
attribute texts in :data:`KEY_CACHE`, which the fast path of the package's
``__init__.py`` shares.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_codecs import KEY_LIST, KEY_TEXT_BY_NUM
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_fields import spelled_by_fields, struct_parser
# Shared with the action parsers, which import them from here.
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_headers import VLAN_FIELDS, parse_lse_fields
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_numbers import parse_u128
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import (
    MAX_NESTING,
    OVS_UNNAMED_KEYS,
    close,
    next_item,
    remember_parse,
)


def _parse_encap(body, pos, ctx, depth):
    """encap: a whole key, one level deeper."""
    if depth >= MAX_NESTING:
        raise ctx.err("too deeply nested", "encap", pos)
    return parse_key_list(ctx.text, pos, pos + len(body), ctx, depth + 1)


def _hex_bytes_parser(attr_type):
    """The parser of ``keyN(HEX[/HEX])``: an attribute by number, its payload as hex bytes."""
    def parse_hex_bytes(body, pos, ctx, depth):
        value_text, slash, mask_text = body.partition("/")
        try:
            value = bytes.fromhex(value_text)
            mask = bytes.fromhex(mask_text) if slash else b"\xff" * len(value)
        except ValueError:
            raise ctx.err("expected hex bytes", "key%d" % attr_type, pos)
        return value, mask
    return parse_hex_bytes


def _key_parsers():
    """Name -> (attribute number, parser) of every key attribute with a text form."""
    parsers = {}
    for row in odp_keys.KEY_TABLE:
        text_row = KEY_TEXT_BY_NUM.get(row.num)
        if text_row is not None:
            parser = _parse_encap if text_row.parser is KEY_LIST else text_row.parser
        elif spelled_by_fields(row):
            parser = struct_parser(row)
        else:
            continue
        parsers[row.name] = (row.num, parser)
    return parsers


KEY_PARSERS = _key_parsers()
_KEYN = re.compile(r"key(\d+)$")


def key_parser(name, ctx, pos):
    """``(attribute number, parser)`` of key attribute ``name`` (``keyN`` included); FlowSyntaxError if unknown."""
    entry = KEY_PARSERS.get(name)
    if entry is not None:
        return entry
    found = _KEYN.match(name)
    if found:
        num = int(found.group(1))
        if num in odp_keys.KEY_BY_NUM and odp_keys.KEY_BY_NUM[num].kernel and num not in OVS_UNNAMED_KEYS:
            return KEY_PARSERS[odp_keys.KEY_BY_NUM[num].name][0], KEY_PARSERS[odp_keys.KEY_BY_NUM[num].name][1]
        return num, _hex_bytes_parser(num)
    if name in odp_keys.USERSPACE_ONLY_KEYS:
        raise ctx.err("%s is only known to the userspace datapath; the kernel rejects it" % name, name, pos)
    raise ctx.err("unknown key attribute %r" % name, name, pos)


# Parsed key attributes by their text, e.g. "eth_type(0x0800)" -> (num, key, mask):
# dumps repeat most attributes from flow to flow. Results are immutable and do
# not depend on where the text sits (only errors do, and those are not kept);
# texts that depend on a port-name map bypass it. Emptied when full.
KEY_CACHE = {}
KEY_CACHE_MAX = 4096


def parse_key_list(s, i, end, ctx, depth):
    """``(key, mask)`` attribute tuples of the key text ``s[i:end]``."""
    keys = []
    masks = []
    parsers = KEY_PARSERS
    cache = None if ctx.ports else KEY_CACHE
    while True:
        item = next_item(s, i, end, ctx, "key")
        if item is None:
            break
        found, i = item
        name, body = found.groups()
        j = found.end()
        if body is not None:            # flat item: name(body)
            body_start = j - 1 - len(body)
            nxt = j
        elif j < end and s[j] == "(":   # nested parentheses
            k = close(s, j, end, ctx, "key")
            body_start = j + 1
            body = s[body_start:k]
            nxt = k + 1
        else:
            raise ctx.err("expected %s(...)" % name, name, i)
        if cache is not None:
            text = s[i:nxt]
            hit = cache.get(text)
            if hit is not None:
                num, key_payload, mask_payload = hit
                keys.append((num, key_payload))
                masks.append((num, mask_payload))
                i = nxt
                continue
        entry = parsers.get(name)
        if entry is None:
            entry = key_parser(name, ctx, i)
        num, parser = entry
        key_payload, mask_payload = parser(body, body_start, ctx, depth)
        keys.append((num, key_payload))
        masks.append((num, mask_payload))
        if cache is not None:
            remember_parse(KEY_CACHE, KEY_CACHE_MAX, text, (num, key_payload, mask_payload))
        i = nxt
    return tuple(keys), tuple(masks)


__all__ = [
    "KEY_CACHE",
    "KEY_CACHE_MAX",
    "KEY_PARSERS",
    "VLAN_FIELDS",
    "key_parser",
    "parse_key_list",
    "parse_lse_fields",
    "parse_u128",
]
