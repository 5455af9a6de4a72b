# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key attribute printers of the ovs-dpctl text form, by number, and the key printer.

A printer takes ``(payload, mask payload | None, verbose, names)``
(None: no mask, exact; ``names``: port numbers to names or None) and
returns the text between the attribute's parentheses as ``dump-flows``
prints it, or None when the payload does not fit (the caller then prints
it raw). They are derived once at import, by attribute number, from the
rows of key_codecs.py and, for the attributes spelled by their fields,
from the rows of keys.py (key_fields.py). :func:`format_key_list` prints a
whole key and mask, :func:`format_attr` one attribute;
:func:`key_item_text`, :func:`missing_eth_type_text`,
:func:`struct_key_printer` and :func:`leaf_key_printer` are the pieces the
dump printer (printer.py) uses to print a table's keys faster.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import wildcard_mask
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_codecs import KEY_LIST, KEY_TEXT_BY_NUM
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_fields import (
    field_specs,
    printed_parts,
    spelled_by_fields,
    struct_printer,
)
# Shared with the action printers, which import them from here.
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_headers import fmt_tci, lse_text, nsh_values
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import OVS_UNNAMED_KEYS, all_ones

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_ETH_TYPE = odp_keys.KEY_BY_NUM[odp_keys.KEY_ETHERTYPE].layout


def wildcard(attr_type, mask):
    """odp_mask_attr_is_wildcard: whether ``mask`` matches nothing of attribute ``attr_type``."""
    if mask.__class__ is tuple:
        return not mask
    if attr_type in OVS_UNNAMED_KEYS or attr_type not in odp_keys.KEY_BY_NUM:
        return False
    return not any(mask)


def _print_encap(payload, mask, verbose, names):
    """encap: the inner key, printed as a key."""
    if mask is not None and mask and payload:
        return format_key_list(payload, mask, verbose, names, False)
    if payload:
        return format_key_list(payload, None, verbose, names, False)
    return ""


def _print_raw(payload, mask, verbose, names):
    """An attribute printed raw: its payload bytes in hex, ``/mask`` bytes unless exact."""
    if payload.__class__ is tuple:
        return ""
    text = " ".join("%02x" % c for c in payload)
    if mask is not None and mask.__class__ is bytes and not all_ones(mask):
        text += "/" + " ".join("%02x" % c for c in mask)
    return text


def _key_printers():
    """Attribute number -> printer, and number -> row of the attributes printed field by field."""
    printers = {}
    struct_rows = {}
    for row in odp_keys.KEY_TABLE:
        text_row = KEY_TEXT_BY_NUM.get(row.num)
        if text_row is not None and text_row.printer is not None:
            printer = _print_encap if text_row.printer is KEY_LIST else text_row.printer
        elif spelled_by_fields(row):
            printer = struct_printer(row)
            if row.num not in OVS_UNNAMED_KEYS:
                struct_rows[row.num] = row
        else:
            continue
        printers[row.num] = printer
    return printers, struct_rows


_KEY_PRINTERS, _STRUCT_KEY_ROWS = _key_printers()
# Attributes whose payload is a tuple of attributes, not bytes.
_NESTED_KEYS = frozenset(row.num for row in odp_keys.KEY_TABLE if row.size == odp_keys.NESTED)


def struct_key_printer(attr_type: int, mask, verbose: bool):
    """What :func:`key_item_text` prints for struct attribute ``attr_type``
    under the mask payload ``mask``, as a function of the attribute's raw
    bytes (header included), specialised for that mask: which fields print,
    and exact or with ``/mask``, is decided here once instead of for every
    key. The function returns None for a payload not of the struct's size
    (the caller then takes the general path). None when ``attr_type`` is not
    such an attribute, ``mask`` is not a mask of its size, or the attribute
    does not print."""
    row = _STRUCT_KEY_ROWS.get(attr_type)
    if row is None or mask.__class__ is not bytes or len(mask) != row.size:
        return None
    if not verbose and wildcard(attr_type, mask):
        return None
    parts = printed_parts(field_specs(row), row.layout.unpack(mask), verbose)
    # The text as a %-format with a value per printed field: one C call
    # where a join of per-field texts was several Python steps.
    texts = [prefix.replace("%", "%%") if index is None
             else prefix.replace("%", "%%") + "%s" + suffix.replace("%", "%%")
             for prefix, index, _fmt, suffix in parts]
    fmt = _key_name(attr_type) + "(" + ",".join(texts) + ")"
    printed = [(index, field_fmt) for _prefix, index, field_fmt, _suffix in parts if index is not None]
    size = row.size + 4
    unpack_from = row.layout.unpack_from
    if len(printed) == 1:
        ((i0, f0),) = printed

        def printer(raw):
            return fmt % f0(unpack_from(raw, 4)[i0]) if len(raw) == size else None
    elif len(printed) == 2:
        (i0, f0), (i1, f1) = printed

        def printer(raw):
            if len(raw) != size:
                return None
            values = unpack_from(raw, 4)
            return fmt % (f0(values[i0]), f1(values[i1]))
    else:
        def printer(raw):
            if len(raw) != size:
                return None
            values = unpack_from(raw, 4)
            return fmt % tuple([field_fmt(values[index]) for index, field_fmt in printed])
    return printer


def leaf_key_printer(attr_type: int, mask, verbose: bool, names):
    """As :func:`struct_key_printer`, for an attribute that is not a struct
    but has a printer of its own (vlan's TCI, mpls, ct_state...): the
    mask's decisions (whether it prints, and its bytes) taken once. Its
    function returns None where the printer does (the caller then takes
    the general path)."""
    print_body = _KEY_PRINTERS.get(attr_type)
    if print_body is None or attr_type in _NESTED_KEYS or attr_type in OVS_UNNAMED_KEYS or mask.__class__ is not bytes:
        return None
    if not verbose and wildcard(attr_type, mask):
        return None
    head = _key_name(attr_type) + "("

    def printer(raw):
        body = print_body(raw[4:], mask, verbose, names)
        return None if body is None else head + body + ")"
    return printer


def _key_name(attr_type):
    """The name an attribute prints under: its row's, or ``keyN``."""
    row = odp_keys.KEY_BY_NUM.get(attr_type)
    if row is None or attr_type in OVS_UNNAMED_KEYS:
        return "key%d" % attr_type
    return row.name


def format_attr(attr_type, payload, mask, verbose, names):
    """One key attribute, ``name(body)``, under mask payload ``mask`` (None: exact)."""
    print_body = _KEY_PRINTERS.get(attr_type)
    nested = attr_type in _NESTED_KEYS
    if print_body is None or attr_type in OVS_UNNAMED_KEYS or (payload.__class__ is tuple) != nested:
        body = _print_raw(payload, mask, verbose, names)
    else:
        if mask is not None and (mask.__class__ is tuple) != nested:
            mask = None
        body = print_body(payload, mask, verbose, names)
        if body is None:
            body = _print_raw(payload, mask, verbose, names)
    return _key_name(attr_type) + "(" + body + ")"


def format_key_list(key, mask, verbose, names, top=True):
    """A key as dump-flows prints it, under the attributes of ``mask`` (None: exact)."""
    if not key:
        return "<empty>" if top else ""
    mask_attrs = dict(mask) if mask else None
    out = []
    first = True
    has_ethtype = False
    for attr_type, payload in key:
        if attr_type == odp_keys.KEY_ETHERTYPE:
            has_ethtype = True
        item = key_item_text(attr_type, payload, mask_attrs, verbose, names)
        if item is not None:
            if not first:
                out.append(",")
            out.append(item)
            first = False
    if not has_ethtype and mask_attrs is not None:
        out.append(missing_eth_type_text(mask_attrs))
    return "".join(out)


def key_item_text(attr_type: int, payload, mask_attrs: dict | None, verbose: bool, names) -> str | None:
    """One key attribute as dump-flows prints it, given the mask attributes
    by type (None: no mask), or None when the terse form leaves it out."""
    mask = None
    wild = False
    if mask_attrs is not None:
        mask = mask_attrs.get(attr_type)
        wild = True if mask is None else wildcard(attr_type, mask)
    if verbose or not wild or attr_type in _NESTED_KEYS:
        if wild and mask is None:
            mask = wildcard_mask(payload)
        return format_attr(attr_type, payload, mask, verbose, names)
    if attr_type == odp_keys.KEY_ETHERNET:
        return "eth()"
    return None


def missing_eth_type_text(mask_attrs: dict) -> str:
    """What dump-flows appends when the key has no eth_type but the mask
    has one (a flow without L2 type match), else ''."""
    mask = mask_attrs.get(odp_keys.KEY_ETHERTYPE)
    if mask is not None and mask.__class__ is bytes and len(mask) == 2:
        return ",eth_type(0/0x%04x)" % _ETH_TYPE.unpack(mask)[0]
    return ""


__all__ = [
    "fmt_tci",
    "format_attr",
    "format_key_list",
    "key_item_text",
    "leaf_key_printer",
    "lse_text",
    "missing_eth_type_text",
    "nsh_values",
    "struct_key_printer",
    "wildcard",
]
