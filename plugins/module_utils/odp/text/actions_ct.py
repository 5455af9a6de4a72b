# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text codec of the ct action and its nat(...) argument.

:func:`parse_ct` and :func:`print_ct` have the shapes of the other action
codecs (see actions_basic.py); action_table.py registers them. A bare
``ct`` (no parentheses) is the empty ct action, which the table gives as
the row's bare-word payload.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_parse import parse_u128
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import (
    NATIVE,
    all_ones,
    fields,
    hex,
    num,
    u128_hex,
)

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U16 = odp_keys.U16
# OVS_CT_ATTR_MARK: value, mask (host order).
_CT_MARK = struct.Struct("=II")

# The order ct's attributes are packed in, whatever order the text gives them.
_CT_ORDER = ("commit", "force_commit", "zone", "mark", "label", "helper", "timeout", "nat")
_NAT_FLAGS = (("persistent", odp_actions.NAT_PERSISTENT), ("hash", odp_actions.NAT_PROTO_HASH),
              ("random", odp_actions.NAT_PROTO_RANDOM))


def parse_ct(text, start, end, ctx, depth):
    """``ct(commit,zone=Z,mark=V/M,label=V/M,helper=H,timeout=T,nat(...))``."""
    got = {}
    for item, item_pos in fields(text[start:end], start):
        name, eq, rest = item.partition("=")
        key = name.partition("(")[0]
        if key in got or (key in ("commit", "force_commit") and ("commit" in got or "force_commit" in got)):
            raise ctx.err("ct argument %s conflicts or repeats" % key, "actions.ct." + key, item_pos)
        value_pos = item_pos + len(name) + 1
        if item in ("commit", "force_commit"):
            got[item] = (odp_actions.CT_COMMIT if item == "commit" else odp_actions.CT_FORCE_COMMIT, b"")
        elif name == "zone" and eq:
            got["zone"] = (odp_actions.CT_ZONE, _U16.pack(num(rest, ctx, "actions.ct.zone", value_pos, 16)))
        elif name == "mark" and eq:
            value, slash, mask = rest.partition("/")
            mark = num(value, ctx, "actions.ct.mark", value_pos, 32, odp_keys.parse_hex)
            mark_mask = num(mask, ctx, "actions.ct.mark", value_pos, 32, odp_keys.parse_hex) if slash else 0xFFFFFFFF
            got["mark"] = (odp_actions.CT_MARK, _CT_MARK.pack(mark, mark_mask))
        elif name == "label" and eq:
            value, slash, mask = rest.partition("/")
            label = parse_u128(value, ctx, "actions.ct.label", value_pos)
            label_mask = parse_u128(mask, ctx, "actions.ct.label", value_pos) if slash else (1 << 128) - 1
            got["label"] = (odp_actions.CT_LABELS, label.to_bytes(16, NATIVE) + label_mask.to_bytes(16, NATIVE))
        elif name in ("helper", "timeout") and eq:
            # The kernel's buffers: 16 bytes for a helper name, 32 for a timeout policy, NUL included.
            top = 15 if name == "helper" else 31
            if not rest or len(rest) > top:
                raise ctx.err("%s must be 1 to %d characters" % (name, top), "actions.ct." + name, value_pos)
            got[name] = (odp_actions.CT_HELPER if name == "helper" else odp_actions.CT_TIMEOUT, rest.encode() + b"\0")
        elif item == "nat":
            got["nat"] = (odp_actions.CT_NAT, ())
        elif item.startswith("nat(") and item.endswith(")"):
            got["nat"] = (odp_actions.CT_NAT, _parse_nat(item[4:-1], item_pos + 4, ctx))
        else:
            raise ctx.err("unknown ct argument %r" % item, "actions.ct", item_pos)
    return (odp_actions.ACT_CT, tuple(got[k] for k in _CT_ORDER if k in got))


def _ip_any(text):
    """IPv4 or IPv6 address bytes from text."""
    try:
        return odp_keys.parse_ip4(text)
    except ValueError:
        return odp_keys.parse_ip6(text)


def _parse_nat(body, pos, ctx):
    """The attributes of ``nat(src|dst[=RANGE][,persistent][,hash|random])``."""
    attrs = []
    nat_items = fields(body, pos)
    if not nat_items:
        raise ctx.err("nat() needs src or dst", "actions.ct.nat", pos)
    seen_kind = None
    flags = set()
    for index, (item, item_pos) in enumerate(nat_items):
        if index == 0:
            kind, eq, addr_range = item.partition("=")
            if kind not in ("src", "dst"):
                raise ctx.err("nat needs src or dst first", "actions.ct.nat", item_pos)
            seen_kind = kind
            attrs.append((odp_actions.NAT_SRC if kind == "src" else odp_actions.NAT_DST, b""))
            if eq:
                attrs.extend(_parse_nat_range(addr_range, item_pos + 4, ctx))
            continue
        if item in ("persistent", "hash", "random"):
            if item in flags:
                raise ctx.err("%s given twice" % item, "actions.ct.nat", item_pos)
            flags.add(item)
            continue
        if item in ("src", "dst") or item.startswith(("src=", "dst=")):
            raise ctx.err("nat takes one of src or dst", "actions.ct.nat", item_pos)
        raise ctx.err("unknown nat argument %r" % item, "actions.ct.nat", item_pos)
    if "hash" in flags and "random" in flags:
        raise ctx.err("nat hash and random are exclusive", "actions.ct.nat", pos)
    for name, attr in _NAT_FLAGS:
        if name in flags:
            attrs.append((attr, b""))
    if not seen_kind:
        raise AssertionError("nat without src or dst")
    return tuple(attrs)


def _bracketed(text, ctx, field, pos):
    """``[inside]rest``, which starts with its bracket, as ``(inside, rest)``."""
    close_at = text.find("]")
    if close_at < 0:
        raise ctx.err("missing ']'", field, pos)
    return text[1:close_at], text[close_at + 1:]


def _parse_nat_range(addr_range, pos, ctx):
    """The address and port attributes of a nat range: ``A[-B][:P[-Q]]``,
    IPv6 addresses in brackets when ports follow."""
    field = "actions.ct.nat"
    ports = None
    if addr_range.startswith("["):
        low, rest = _bracketed(addr_range, ctx, field, pos)
        high = None
        if rest.startswith("-["):
            high, rest = _bracketed(rest[1:], ctx, field, pos)
        if rest.startswith(":"):
            ports = rest[1:]
        elif rest:
            raise ctx.err("bad nat range %r" % addr_range, field, pos)
    else:
        addrs = addr_range
        # One colon, or a colon after a dotted address: the colon starts the ports,
        # any other colon belongs to an IPv6 address.
        if addr_range.count(":") == 1 or (":" in addr_range and "." in addr_range.split(":")[0]):
            addrs, _sep, ports = addr_range.partition(":")
        low, _sep, high = addrs.partition("-")
        high = high or None
    try:
        addr_min = _ip_any(low)
        addr_max = _ip_any(high) if high else None
    except ValueError as e:
        raise ctx.err(str(e), field, pos)
    out = [(odp_actions.NAT_IP_MIN, addr_min)]
    if addr_max is not None:
        if len(addr_max) != len(addr_min) or addr_max < addr_min:
            raise ctx.err("bad nat address range", field, pos)
        out.append((odp_actions.NAT_IP_MAX, addr_max))
    if ports is not None:
        port_low, _sep, port_high = ports.partition("-")
        port_min = num(port_low, ctx, field, pos, 16)
        out.append((odp_actions.NAT_PROTO_MIN, _U16.pack(port_min)))
        if port_high:
            port_max = num(port_high, ctx, field, pos, 16)
            if port_max < port_min:
                raise ctx.err("bad nat port range", field, pos)
            out.append((odp_actions.NAT_PROTO_MAX, _U16.pack(port_max)))
    return out


def print_ct(payload, names):
    """``ct(...)`` with the arguments in ovs-dpctl's order, or ``ct`` when none."""
    attrs = dict(payload)
    out = []
    if odp_actions.CT_COMMIT in attrs:
        out.append("commit")
    if odp_actions.CT_FORCE_COMMIT in attrs:
        out.append("force_commit")
    zone = attrs.get(odp_actions.CT_ZONE)
    if zone is not None and _U16.unpack(zone)[0]:
        out.append("zone=%d" % _U16.unpack(zone)[0])
    mark = attrs.get(odp_actions.CT_MARK)
    if mark is not None:
        value, mask = _CT_MARK.unpack(mark)
        out.append("mark=%s/%s" % (hex(value), hex(mask)))
    label = attrs.get(odp_actions.CT_LABELS)
    if label is not None:
        label_text = "label=" + u128_hex(label[:16])
        if not all_ones(label[16:]):
            label_text += "/" + u128_hex(label[16:])
        out.append(label_text)
    for attr, word in ((odp_actions.CT_HELPER, "helper="), (odp_actions.CT_TIMEOUT, "timeout=")):
        value = attrs.get(attr)
        if value is not None:
            out.append(word + value.rstrip(b"\0").decode("ascii", "replace"))
    if odp_actions.CT_NAT in attrs:
        out.append(_print_nat(attrs[odp_actions.CT_NAT]))
    return "ct(" + ",".join(out) + ")" if out else "ct"


def _ip6_text(addr, bracket):
    """An IPv6 address, in brackets when a port follows it."""
    text = odp_keys.format_ip6(addr)
    return "[" + text + "]" if bracket else text


def _print_nat(payload):
    """``nat`` or ``nat(src|dst[=RANGE][,FLAGS])``."""
    attrs = dict(payload)
    if odp_actions.NAT_SRC not in attrs and odp_actions.NAT_DST not in attrs:
        return "nat"
    out = ["nat(", "src" if odp_actions.NAT_SRC in attrs else "dst"]
    addr_min = attrs.get(odp_actions.NAT_IP_MIN)
    addr_max = attrs.get(odp_actions.NAT_IP_MAX)
    port_min = _U16.unpack(attrs[odp_actions.NAT_PROTO_MIN])[0] if odp_actions.NAT_PROTO_MIN in attrs else 0
    port_max = _U16.unpack(attrs[odp_actions.NAT_PROTO_MAX])[0] if odp_actions.NAT_PROTO_MAX in attrs else 0
    if addr_min:
        out.append("=")
        if len(addr_min) == 4:
            out.append(odp_keys.format_ip4(addr_min))
            if addr_max and any(addr_max) and addr_max > addr_min:
                out.append("-" + odp_keys.format_ip4(addr_max))
        else:
            out.append(_ip6_text(addr_min, port_min))
            if addr_max and any(addr_max) and addr_max > addr_min:
                out.append("-" + _ip6_text(addr_max, port_min))
        if port_min:
            out.append(":%d" % port_min)
            if port_max and port_max > port_min:
                out.append("-%d" % port_max)
    for attr, word in ((odp_actions.NAT_PERSISTENT, ",persistent"), (odp_actions.NAT_PROTO_HASH, ",hash"),
                       (odp_actions.NAT_PROTO_RANDOM, ",random")):
        if attr in attrs:
            out.append(word)
    out.append(")")
    return "".join(out)
