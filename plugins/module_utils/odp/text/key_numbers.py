# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key attributes whose text is one number or a flag set: parse and print.

``in_port``, ``eth_type``, the metadata numbers (``skb_priority``,
``skb_mark``, ``dp_hash``, ``recirc_id``, ``ipv6_exthdrs``), the conntrack
ones (``ct_state``, ``ct_zone``, ``ct_mark``, ``ct_label``) and
``tcp_flags``. Each parser sits next to its printer; key_codecs.py lists
them in its table. The contracts are those of key_parse.py (parsers:
``(body, pos, ctx, depth) -> (key payload, mask payload)``) and
key_print.py (printers: ``(payload, mask payload | None, verbose, names)
-> body text``, or None when the payload does not fit). The payloads are
packed and unpacked with the layouts of the rows of keys.py.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import (
    CT_BY_BIT,
    CT_BY_NAME,
    NATIVE,
    OVS_UNNAMED_KEYS,
    TCP_BY_BIT,
    TCP_BY_NAME,
    all_ones,
    fmt_flags,
    fmt_flags_masked,
    hex,
    num,
    parse_flags,
    u128_hex,
)

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_BE16 = odp_keys.BE16
_BE32 = odp_keys.BE32
_IN_PORT = odp_keys.KEY_BY_NUM[odp_keys.KEY_IN_PORT].layout
_ETH_TYPE = odp_keys.KEY_BY_NUM[odp_keys.KEY_ETHERTYPE].layout
_CT_STATE = odp_keys.KEY_BY_NUM[odp_keys.KEY_CT_STATE].layout
_TCP_FLAGS = odp_keys.KEY_BY_NUM[odp_keys.KEY_TCP_FLAGS].layout


def mask_is_exact(attr_type, mask):
    """odp_mask_attr_is_exact: ignores padding and bits the field cannot hold."""
    if mask is None:
        return True
    if mask.__class__ is tuple or attr_type in OVS_UNNAMED_KEYS:
        return False
    if attr_type == odp_keys.KEY_TCP_FLAGS:
        return len(mask) == 2 and (_BE16.unpack(mask)[0] & odp_keys.TCP_FLAGS_FULL) == odp_keys.TCP_FLAGS_FULL
    if attr_type == odp_keys.KEY_IPV6 and len(mask) == 40:
        return all_ones(mask[:32]) and (_BE32.unpack_from(mask, 32)[0] & 0xFFFFF) == 0xFFFFF and all_ones(mask[36:])
    if attr_type == odp_keys.KEY_ARP:
        return all_ones(mask[:22])
    if attr_type == odp_keys.KEY_CT_ORIG_TUPLE_IPV4:
        return all_ones(mask[:13])
    if attr_type == odp_keys.KEY_CT_ORIG_TUPLE_IPV6:
        return all_ones(mask[:37])
    return all_ones(mask)


# --- numbers: skb_priority(0x7), ct_zone(5/0xff), eth_type(0x0800)... --------------------

def number_parser(attr_type, masked=True):
    """The parser of a one-number attribute (``N`` or ``N/MASK``; without ``masked``, ``N`` only)."""
    row = odp_keys.KEY_BY_NUM[attr_type]
    pack = row.layout.pack
    bits = 8 * row.layout.size
    full = (1 << bits) - 1
    field = row.name

    def parse_number(body, pos, ctx, depth):
        value_text, slash, mask_text = body.partition("/")
        if slash and not masked:
            raise ctx.err("%s takes no mask" % field, field, pos + len(value_text))
        value = num(value_text, ctx, field, pos, bits)
        mask = num(mask_text, ctx, field, pos + len(value_text) + 1, bits) if slash else full
        return pack(value), pack(mask)
    return parse_number


def hex_number_printer(attr_type):
    """The printer of a metadata number (skb_priority, skb_mark, dp_hash, recirc_id): hex, ``/mask`` unless exact."""
    layout = odp_keys.KEY_BY_NUM[attr_type].layout

    def print_hex_number(payload, mask, verbose, names):
        if len(payload) != 4:
            return None
        text = hex(layout.unpack(payload)[0])
        if not mask_is_exact(attr_type, mask):
            text += "/" + hex(layout.unpack(mask)[0])
        return text
    return print_hex_number


def conntrack_number_printer(attr_type):
    """The printer of ct_zone and ct_mark: as :func:`hex_number_printer`, and empty when terse and wildcarded."""
    layout = odp_keys.KEY_BY_NUM[attr_type].layout

    def print_conntrack_number(payload, mask, verbose, names):
        if len(payload) != layout.size:
            return None
        if not verbose and mask is not None and not any(mask):
            return ""
        text = hex(layout.unpack(payload)[0])
        if not mask_is_exact(attr_type, mask):
            text += "/" + hex(layout.unpack(mask)[0])
        return text
    return print_conntrack_number


def print_eth_type(payload, mask, verbose, names):
    """eth_type as four hex digits (``0x0800``, ``0x0800/0xff00``)."""
    if len(payload) != 2:
        return None
    text = "0x%04x" % _ETH_TYPE.unpack(payload)[0]
    if not mask_is_exact(odp_keys.KEY_ETHERTYPE, mask):
        text += "/0x%04x" % _ETH_TYPE.unpack(mask)[0]
    return text


# --- in_port(3), in_port(eth0) ---------------------------------------------------------

def parse_in_port(body, pos, ctx, depth):
    """in_port: a port number or, with a port-name map, a name; ``/mask`` optional."""
    value_text, slash, mask_text = body.partition("/")
    if value_text[:1].isdigit():
        port = num(value_text, ctx, "in_port", pos)
    else:
        ports = ctx.ports
        if not ports or value_text not in ports:
            raise ctx.err("unknown port name %r" % value_text, "in_port", pos)
        port = ports[value_text]
    mask = num(mask_text, ctx, "in_port", pos + len(value_text) + 1) if slash else 0xFFFFFFFF
    return _IN_PORT.pack(port), _IN_PORT.pack(mask)


def print_in_port(payload, mask, verbose, names):
    """in_port: the port's name when ``names`` has it and the mask is exact, else its number."""
    if len(payload) != 4:
        return None
    port = _IN_PORT.unpack(payload)[0]
    if mask_is_exact(odp_keys.KEY_IN_PORT, mask):
        if names:
            name = names.get(port)
            if name is not None:
                return name
        return str(port)
    return "%d/%s" % (port, hex(_IN_PORT.unpack(mask)[0]))


# --- ct_state(+trk-new), tcp_flags(syn|ack) ---------------------------------------------

def parse_ct_state(body, pos, ctx, depth):
    """ct_state: flag names (``trk|new``, ``+trk-new``) or ``N[/MASK]``."""
    value, mask = parse_flags(body, CT_BY_NAME, odp_keys.CT_STATE_SUPPORTED, ctx, "ct_state", pos)
    return _CT_STATE.pack(value), _CT_STATE.pack(mask)


def print_ct_state(payload, mask, verbose, names):
    """ct_state: flag names when terse (``+trk-new`` under a partial mask), hex when verbose."""
    if len(payload) != 4:
        return None
    value = _CT_STATE.unpack(payload)[0]
    if verbose:
        text = hex(value)
        if not mask_is_exact(odp_keys.KEY_CT_STATE, mask):
            text += "/" + hex(_CT_STATE.unpack(mask)[0])
        return text
    mask_value = 0xFFFFFFFF if mask is None else _CT_STATE.unpack(mask)[0]
    return fmt_flags_masked(value, mask_value, 0xFFFFFFFF, CT_BY_BIT)


def parse_tcp_flags(body, pos, ctx, depth):
    """tcp_flags: flag names (``syn|ack``, ``+syn-ack``) or ``N[/MASK]``, 16 bits."""
    value, mask = parse_flags(body, TCP_BY_NAME, odp_keys.TCP_FLAGS_FULL, ctx, "tcp_flags", pos)
    if value >> 16 or mask >> 16:
        raise ctx.err("tcp_flags out of range", "tcp_flags", pos)
    return _TCP_FLAGS.pack(value), _TCP_FLAGS.pack(mask)


def print_tcp_flags(payload, mask, verbose, names):
    """tcp_flags: flag names, ``+syn-ack`` under a partial mask."""
    if len(payload) != 2:
        return None
    value = _TCP_FLAGS.unpack(payload)[0]
    if not mask_is_exact(odp_keys.KEY_TCP_FLAGS, mask):
        return fmt_flags_masked(value, _TCP_FLAGS.unpack(mask)[0] & odp_keys.TCP_FLAGS_FULL, odp_keys.TCP_FLAGS_FULL,
                                TCP_BY_BIT)
    return fmt_flags(value, TCP_BY_BIT)


# --- ct_label(0x1234/0xffff) ------------------------------------------------------------

def parse_u128(text, ctx, field, pos):
    """A 128-bit label: ``0x`` hex up to 128 bits, else a number up to 64 bits."""
    if text[:2] in ("0x", "0X"):
        bits = 128
    else:
        bits = 64
    return num(text, ctx, field, pos, bits)


def parse_ct_label(body, pos, ctx, depth):
    """ct_label: a 128-bit label and optional mask, held in host byte order."""
    value_text, slash, mask_text = body.partition("/")
    value = parse_u128(value_text, ctx, "ct_label", pos)
    mask = parse_u128(mask_text, ctx, "ct_label", pos + len(value_text) + 1) if slash else (1 << 128) - 1
    return value.to_bytes(16, NATIVE), mask.to_bytes(16, NATIVE)


def print_ct_label(payload, mask, verbose, names):
    """ct_label in hex, empty when terse and wildcarded."""
    if len(payload) != 16:
        return None
    if verbose or (mask is not None and any(mask)):
        text = u128_hex(payload)
        if mask is not None and not all_ones(mask):
            text += "/" + u128_hex(mask)
        return text
    return ""
