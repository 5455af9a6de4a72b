# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key attributes spelled field by field, parsed and printed from their rows.

A row of keys.py with a struct layout and more than one field
(:func:`spelled_by_fields`: ``ipv4(src=..,dst=..,proto=..)``, ``tcp(..)``,
``eth(..)``...) needs no code of its own: :func:`struct_parser` and
:func:`struct_printer` build its parser and printer from the row's fields
and their kinds. The contracts are those of key_parse.py and key_print.py:
``(body, pos, ctx, depth) -> (key payload, mask payload)`` and
``(payload, mask payload | None, verbose, names) -> body text | None``.
:func:`field_specs` and :func:`printed_parts` are the steps of the printer
that the dump printer's specialised struct printers (key_print.py) share.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import fields, hex


def spelled_by_fields(row) -> bool:
    """Whether key row ``row`` is parsed and printed from its fields (a layout and more than one field)."""
    return bool(row.fields) and row.layout is not None and len(row.fields) > 1


# --- parse -----------------------------------------------------------------------------

def struct_parser(row):
    """The parser of struct attribute ``row``: ``name=value[/mask]`` fields in any order, absent ones zero."""
    by_name = {f.name: f for f in row.fields}
    if row.num == odp_keys.KEY_CT_ORIG_TUPLE_IPV6:     # the OVS parser spells these tp_src/tp_dst
        by_name["tp_src"] = by_name["src_port"]
        by_name["tp_dst"] = by_name["dst_port"]
    # name -> (index, parse value, parse mask, exact mask): plain tuples for the hot loop
    specs = {}
    for name, f in by_name.items():
        kind = odp_keys.KINDS[f.kind]
        specs[name] = (f.index, kind.parse, kind.parse_mask, kind.full)
    zero = row.layout.unpack(bytes(row.size))
    pack = row.layout.pack
    prefix = row.name + "."

    # "proto=6" -> (index, value, mask): field texts repeat far more than bodies.
    field_cache = {}

    def parse(body, pos, ctx, depth):
        values = list(zero)
        masks = list(zero)
        if "(" in body or "{" in body:
            items = fields(body, pos)
        else:
            items = body.split(",")
            if not body:
                return zero_payload, zero_payload
        item_pos = pos
        for item in items:
            if item.__class__ is tuple:
                item, item_pos = item
            elif not item:
                item_pos += 1
                continue
            hit = field_cache.get(item)
            if hit is not None:
                index, value, mask = hit
                values[index] = value
                masks[index] = mask
                item_pos += len(item) + 1
                continue
            name, eq, rest = item.partition("=")
            spec = specs.get(name)
            if spec is None or not eq:
                raise ctx.err("unknown field %r" % name, prefix + name, item_pos)
            index, parse_value, parse_mask, full = spec
            value_text, slash, mask_text = rest.partition("/")
            try:
                value = parse_value(value_text)
                mask = parse_mask(mask_text) if slash else full
            except ValueError as e:
                raise ctx.err(str(e), prefix + name, item_pos + len(name) + 1)
            values[index] = value
            masks[index] = mask
            if len(field_cache) >= 1024:
                field_cache.clear()
            field_cache[item] = (index, value, mask)
            item_pos += len(item) + 1
        return pack(*values), pack(*masks)
    zero_payload = pack(*zero)
    return parse


# --- print -----------------------------------------------------------------------------

def field_specs(row):
    """Per field of struct attribute ``row``: (``name=``, value index, kind,
    whether it is frag, whether its mask is an integer)."""
    return [(f.name + "=", f.index, odp_keys.KINDS[f.kind], f.kind == "frag",
             isinstance(odp_keys.KINDS[f.kind].full, int))
            for f in row.fields]


def printed_parts(specs, mask_values, verbose):
    """How the fields (``specs``, :func:`field_specs`) of a struct attribute
    print under its unpacked mask ``mask_values``: ``(prefix, value index,
    value printer, suffix)`` per printed field, in order. A frag field with
    a partial mask prints an error instead of its value: index None, the
    whole text as prefix."""
    parts = []
    for prefix, index, kind, frag, int_mask in specs:
        field_mask = mask_values[index]
        if frag:
            if field_mask == 0:
                continue
            if field_mask != 0xFF:
                parts.append(("error: partial mask not supported for frag (%s)" % hex(field_mask), None, None, ""))
            else:
                parts.append((prefix, index, kind.fmt, ""))
            continue
        if not verbose and field_mask == kind.zero:
            continue
        if (field_mask & kind.full) == kind.full if int_mask else field_mask == kind.full:
            parts.append((prefix, index, kind.fmt, ""))
        else:
            parts.append((prefix, index, kind.fmt, "/" + kind.fmt_mask(field_mask)))
    return parts


def _struct_text(parts, values):
    """A struct attribute's body: ``parts`` (:func:`printed_parts`) applied
    to its unpacked values ``values``."""
    return ",".join([prefix if index is None else prefix + fmt(values[index]) + suffix
                     for prefix, index, fmt, suffix in parts])


def struct_printer(row):
    """The printer of struct attribute ``row``: its fields in row order, masked ones with ``/mask``."""
    unpack = row.layout.unpack
    size = row.size
    specs = field_specs(row)
    exact = [(prefix, index, kind.fmt, "") for prefix, index, kind, _frag, _int_mask in specs]     # no mask

    def print_struct(payload, mask, verbose, names):
        if len(payload) != size or (mask is not None and len(mask) != size):
            return None
        parts = exact if mask is None else printed_parts(specs, unpack(mask), verbose)
        return _struct_text(parts, unpack(payload))
    return print_struct
