# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tunnel(...)`` key attribute of the ovs-dpctl text form: parse and print.

:func:`parse_tunnel` parses it, geneve, vxlan gbp and erspan options
included, with the contract of the parsers in key_parse.py: ``(body,
pos, ctx, depth) -> (key, mask)``, here nested attribute tuples.
:func:`fmt_tunnel` prints it with the contract of the printers in
key_print.py: ``(payload, mask payload | None, verbose, names) -> body
text``. key_codecs.py lists the pair in its table. :class:`SetTunnelPrinter`
prints a ``set(tunnel(...))`` action straight from its raw bytes, for the
dump printer (printer.py).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from functools import partial

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import mask_for
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import (
    TUN_BY_BIT,
    TUN_BY_NAME,
    all_ones,
    bytes_hex,
    fields,
    fmt_flags,
    fmt_flags_masked,
    hex,
    num,
    parse_flags,
)
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import MalformedAttribute, nla_spans
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import (
    TYPE_MASK,
    headers_reader,
    slices_getter,
)

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U32 = odp_keys.U32
_BE16 = odp_keys.BE16
_BE32 = odp_keys.BE32
# A geneve option's header: class, type, length in 4-byte words (5 bits).
_GENEVE_OPT = struct.Struct("!HBB")


# --- parse -----------------------------------------------------------------------------

def _parse_geneve(body, pos, ctx):
    """geneve options: ``{class=..,type=..,len=..,DATA[/MASK]}`` each, as option bytes and mask bytes."""
    keys = []
    masks = []
    i = 0
    n = len(body)
    while i < n:
        if body[i] != "{":
            raise ctx.err("expected '{'", "tunnel.geneve", pos + i)
        j = body.find("}", i)
        if j < 0:
            raise ctx.err("missing '}'", "tunnel.geneve", pos + i)
        opt_class = opt_type = length = 0
        class_mask, type_mask, length_mask = 0xFFFF, 0xFF, 0x1F
        data = data_mask = None
        for item, item_pos in fields(body[i + 1:j], pos + i + 1):
            name, eq, rest = item.partition("=")
            value_text, slash, mask_text = (rest if eq else item).partition("/")
            value_pos = item_pos + (len(name) + 1 if eq else 0)
            field = "tunnel.geneve." + (name if eq else "data")
            if eq and name == "class":
                opt_class = num(value_text, ctx, field, value_pos, 16)
                class_mask = num(mask_text, ctx, field, value_pos, 16) if slash else 0xFFFF
            elif eq and name == "type":
                opt_type = num(value_text, ctx, field, value_pos, 8)
                type_mask = num(mask_text, ctx, field, value_pos, 8) if slash else 0xFF
            elif eq and name == "len":
                length = num(value_text, ctx, field, value_pos, 8)
                if length % 4 or length > 124:
                    raise ctx.err("geneve option length must be a multiple of 4, at most 124", field, value_pos)
                length_mask = (num(mask_text, ctx, field, value_pos, 8) & 0x1F) if slash else 0x1F
            elif not eq:
                data = num(value_text, ctx, field, value_pos, 8 * 124, odp_keys.parse_hex)
                data_mask = num(mask_text, ctx, field, value_pos, 8 * 124, odp_keys.parse_hex) if slash else None
            else:
                raise ctx.err("unknown field %r" % name, field, item_pos)
        if data is not None and data >> (8 * length):
            raise ctx.err("geneve data longer than len", "tunnel.geneve.data", pos + i)
        data_bytes = (data or 0).to_bytes(length, "big")
        mask_bytes = b"\xff" * length if data_mask is None else data_mask.to_bytes(length, "big")
        keys.append(_GENEVE_OPT.pack(opt_class, opt_type, length // 4) + data_bytes)
        masks.append(_GENEVE_OPT.pack(class_mask, type_mask, length_mask) + mask_bytes)
        i = j + 1
    return b"".join(keys), b"".join(masks)


# struct erspan_metadata (12 bytes): int version (host order), then for
# version 1 the be32 index (+4 unused bytes), for version 2 struct erspan_md2:
# be32 timestamp, be16 sgt, and two bitfield bytes; the last holds
# o:1, gra:2, dir:1, hwid:4 from the low bit up (little-endian bitfields).
# ovs-dpctl 3.1 reads and writes only those 4 hwid bits (hwid_upper, in the
# byte before, stays 0), so hwid is 0 to 0xf here too.
_ERSPAN_FIELDS = {1: ("idx",), 2: ("dir", "hwid")}
_ERSPAN_TOPS = {"idx": 0xFFFFFFFF, "dir": 1, "hwid": 0xF}


def _parse_erspan(body, pos, ctx):
    """erspan options: ``ver=1,idx=..`` or ``ver=2,dir=..,hwid=..``, as struct erspan_metadata and its mask."""
    got = {}
    for item, item_pos in fields(body, pos):
        name, eq, rest = item.partition("=")
        field = "tunnel.erspan." + name
        if name not in ("ver", "idx", "dir", "hwid") or not eq:
            raise ctx.err("unknown field %r" % name, field, item_pos)
        if name in got:
            raise ctx.err("%s given twice" % name, field, item_pos)
        value_text, slash, mask_text = rest.partition("/")
        value_pos = item_pos + len(name) + 1
        if name == "ver":
            if slash:
                raise ctx.err("ver takes no mask", field, value_pos)
            got[name] = (num(value_text, ctx, field, value_pos, 8), None)
            continue
        top = _ERSPAN_TOPS[name]
        value = num(value_text, ctx, field, value_pos)
        mask = num(mask_text, ctx, field, value_pos + len(value_text) + 1) if slash else top
        if value > top or mask > top:
            raise ctx.err("%s out of range (max %s)" % (name, hex(top)), field, value_pos)
        got[name] = (value, mask)
    ver = got.get("ver", (None, None))[0]
    if ver not in _ERSPAN_FIELDS:
        raise ctx.err("erspan needs ver=1 or ver=2", "tunnel.erspan.ver", pos)
    for name in got:
        if name != "ver" and name not in _ERSPAN_FIELDS[ver]:
            raise ctx.err("%s is not an erspan version %d field" % (name, ver), "tunnel.erspan." + name, pos)
    if ver == 1:
        index, index_mask = got.get("idx", (0, 0xFFFFFFFF))
        return (_U32.pack(1) + _BE32.pack(index) + b"\0\0\0\0",
                b"\xff\xff\xff\xff" + _BE32.pack(index_mask) + b"\xff\xff\xff\xff")
    direction, direction_mask = got.get("dir", (0, 1))
    hwid, hwid_mask = got.get("hwid", (0, 0xF))
    return (_U32.pack(2) + bytes(7) + bytes(((direction << 3) | (hwid << 4),)),
            b"\xff" * 11 + bytes((0x07 | (direction_mask << 3) | (hwid_mask << 4),)))


def parse_tunnel(body, pos, ctx, depth):
    """tunnel: its fields, flags and options, as tunnel attributes in the kernel's order."""
    key_attrs = {}
    mask_attrs = {}
    flags = flags_mask = None
    for item, item_pos in fields(body, pos):
        if item.endswith(")") and "(" in item:
            name, _sep, inner = item.partition("(")
            inner = inner[:-1]
            inner_pos = item_pos + len(name) + 1
            if name == "flags":
                flags, flags_mask = parse_flags(inner, TUN_BY_NAME, odp_keys.TUN_FLAGS_FULL, ctx, "tunnel.flags",
                                                inner_pos)
            elif name == "geneve":
                key_attrs[odp_keys.TUN_GENEVE_OPTS], mask_attrs[odp_keys.TUN_GENEVE_OPTS] = _parse_geneve(
                    inner, inner_pos, ctx)
            elif name == "vxlan":
                if not (inner.startswith("gbp(") and inner.endswith(")")):
                    raise ctx.err("vxlan options must be gbp(id=N,flags=N)", "tunnel.vxlan", inner_pos)
                gbp = gbp_mask = 0
                for gbp_item, gbp_pos in fields(inner[4:-1], inner_pos + 4):
                    gbp_name, eq, rest = gbp_item.partition("=")
                    value_text, slash, mask_text = rest.partition("/")
                    if gbp_name == "id" and eq:
                        gbp |= num(value_text, ctx, "tunnel.vxlan.gbp.id", gbp_pos, 16)
                        gbp_mask |= num(mask_text, ctx, "tunnel.vxlan.gbp.id", gbp_pos, 16) if slash else 0xFFFF
                    elif gbp_name == "flags" and eq:
                        gbp |= num(value_text, ctx, "tunnel.vxlan.gbp.flags", gbp_pos, 8) << 16
                        gbp_mask |= (num(mask_text, ctx, "tunnel.vxlan.gbp.flags", gbp_pos, 8) if slash else 0xFF) << 16
                    else:
                        raise ctx.err("unknown field %r" % gbp_name, "tunnel.vxlan.gbp", gbp_pos)
                key_attrs[odp_keys.TUN_VXLAN_OPTS] = ((odp_keys.VXLAN_EXT_GBP, _U32.pack(gbp)),)
                mask_attrs[odp_keys.TUN_VXLAN_OPTS] = ((odp_keys.VXLAN_EXT_GBP, _U32.pack(gbp_mask)),)
            elif name == "erspan":
                key_attrs[odp_keys.TUN_ERSPAN_OPTS], mask_attrs[odp_keys.TUN_ERSPAN_OPTS] = _parse_erspan(
                    inner, inner_pos, ctx)
            else:
                raise ctx.err("unknown field %r" % name, "tunnel." + name, item_pos)
            continue
        name, eq, rest = item.partition("=")
        row = odp_keys.TUN_BY_NAME.get(name)
        if row is None or row.kind is None or not eq:
            raise ctx.err("unknown field %r" % name, "tunnel." + name, item_pos)
        kind = odp_keys.KINDS[row.kind]
        value_text, slash, mask_text = rest.partition("/")
        value_pos = item_pos + len(name) + 1
        try:
            value = kind.parse(value_text)
            mask = kind.parse_mask(mask_text) if slash else kind.full
        except ValueError as e:
            raise ctx.err(str(e), "tunnel." + name, value_pos)
        key_attrs[row.num] = _tun_pack(row.num, value)
        mask_attrs[row.num] = _tun_pack(row.num, mask)
    if flags is not None:
        for bit, attr in odp_keys.TUN_FLAG_ATTRS:
            if flags & bit:
                key_attrs[attr] = b""
            if flags_mask & bit:
                mask_attrs[attr] = b""
    order = odp_keys.TUN_ORDER
    return (tuple((attr_type, key_attrs[attr_type]) for attr_type in order if attr_type in key_attrs),
            tuple((attr_type, mask_attrs[attr_type]) for attr_type in order if attr_type in mask_attrs))


def _tun_pack(attr_type, value):
    """The payload of tunnel field ``attr_type`` holding ``value`` (addresses are bytes already)."""
    if attr_type == odp_keys.TUN_ID:
        return odp_keys.TUN_BE64.pack(value)
    if attr_type in (odp_keys.TUN_TP_SRC, odp_keys.TUN_TP_DST):
        return odp_keys.TUN_BE16.pack(value)
    if attr_type in (odp_keys.TUN_TOS, odp_keys.TUN_TTL):
        return bytes((value,))
    return value


# --- print -----------------------------------------------------------------------------

def _fmt_erspan(payload, mask):
    """erspan(...) body as ovs-dpctl prints it; None when the bytes do not fit."""
    if len(payload) != 12 or (mask is not None and len(mask) != 12):
        return None
    ver = _U32.unpack(payload[:4])[0]
    if ver == 1:
        text = "ver=1,idx=" + hex(_BE32.unpack(payload[4:8])[0])
        if mask is not None:       # a key always prints the idx mask, even exact
            text += "/" + hex(_BE32.unpack(mask[4:8])[0])
        return text
    if ver == 2:
        bits = payload[11]
        if mask is None:
            return "ver=2,dir=%d,hwid=%s" % ((bits >> 3) & 1, hex(bits >> 4))
        mask_bits = mask[11]
        return "ver=2,dir=%d/%s,hwid=%s/%s" % ((bits >> 3) & 1, hex((mask_bits >> 3) & 1), hex(bits >> 4),
                                               hex(mask_bits >> 4))
    return None


def _fmt_geneve(payload, mask, verbose):
    """geneve(...) body: each option as ``{class=..,type=..,len=..,DATA}``, under ``mask`` (None: exact)."""
    out = []
    offset = 0
    size = len(payload)
    while offset < size:
        if size - offset < 4:
            out.append("opt len %d less than minimum 4" % (size - offset))
            break
        opt_class, opt_type, length_byte = _GENEVE_OPT.unpack_from(payload, offset)
        data_len = (length_byte & 0x1F) * 4
        if offset + 4 + data_len > size:
            out.append("opt len %d greater than remaining %d" % (4 + data_len, size - offset))
            break
        parts = []
        data = payload[offset + 4:offset + 4 + data_len]
        if mask is None:
            parts.append("class=%s" % hex(opt_class))
            parts.append("type=%s" % hex(opt_type))
            parts.append("len=%d" % data_len)
            data_mask = None
        else:
            class_mask, type_mask, length_mask_byte = _GENEVE_OPT.unpack_from(mask, offset)
            length_mask = 0xFF if (length_mask_byte & 0x1F) == 0x1F else (length_mask_byte & 0x1F)
            for name, value, field_mask, full, value_fmt in (("class", opt_class, class_mask, 0xFFFF, hex),
                                                             ("type", opt_type, type_mask, 0xFF, hex),
                                                             ("len", data_len, length_mask, 0xFF, str)):
                if not verbose and not field_mask:
                    continue
                parts.append("%s=%s" % (name, value_fmt(value)) if field_mask == full
                             else "%s=%s/%s" % (name, value_fmt(value), hex(field_mask)))
            data_mask = mask[offset + 4:offset + 4 + data_len]
        body = ",".join(parts)
        if data_len and (verbose or data_mask is None or any(data_mask)):
            body += ("," if parts else "") + bytes_hex(data)
            if data_mask is not None and not all_ones(data_mask):
                body += "/" + bytes_hex(data_mask)
        out.append("{" + body + "}")
        offset += 4 + data_len
    return "".join(out)


# Tunnel field -> (name, value printer, mask printer).
_TUN_FIELD_FMT = {
    odp_keys.TUN_ID: ("tun_id", lambda b: "0x%x" % odp_keys.TUN_BE64.unpack(b)[0],
                      lambda b: hex(odp_keys.TUN_BE64.unpack(b)[0])),
    odp_keys.TUN_IPV4_SRC: ("src", odp_keys.format_ip4, odp_keys.format_ip4),
    odp_keys.TUN_IPV4_DST: ("dst", odp_keys.format_ip4, odp_keys.format_ip4),
    odp_keys.TUN_IPV6_SRC: ("ipv6_src", odp_keys.format_ip6, odp_keys.format_ip6),
    odp_keys.TUN_IPV6_DST: ("ipv6_dst", odp_keys.format_ip6, odp_keys.format_ip6),
    odp_keys.TUN_TOS: ("tos", lambda b: hex(b[0]), lambda b: hex(b[0])),
    odp_keys.TUN_TTL: ("ttl", lambda b: str(b[0]), lambda b: hex(b[0])),
    odp_keys.TUN_TP_SRC: ("tp_src", lambda b: str(_BE16.unpack(b)[0]), lambda b: hex(_BE16.unpack(b)[0])),
    odp_keys.TUN_TP_DST: ("tp_dst", lambda b: str(_BE16.unpack(b)[0]), lambda b: hex(_BE16.unpack(b)[0])),
}
# Flag attribute -> the bit of the flags(...) text it sets.
_FLAG_BIT_OF_ATTR = {attr: bit for bit, attr in odp_keys.TUN_FLAG_ATTRS}


def fmt_tunnel(payload, mask, verbose, names):
    """tunnel: its fields, options and flags, under the tunnel attributes of ``mask`` (None: exact)."""
    mask_attrs = dict(mask) if mask is not None else None
    out = []
    flags = 0
    flags_mask = 0
    for attr_type, value in payload:
        attr_mask = mask_for(mask_attrs, attr_type, value)
        field_fmt = _TUN_FIELD_FMT.get(attr_type)
        if field_fmt is not None:
            name, value_fmt, mask_fmt = field_fmt
            if len(value) != odp_keys.TUN_BY_NUM[attr_type].size or (attr_mask is not None
                                                                     and len(attr_mask) != len(value)):
                out.append("key%d(%s)" % (attr_type, value.hex()))
                continue
            if attr_type == odp_keys.TUN_ID:
                flags |= 0x8
                if attr_mask is not None:
                    flags_mask |= 0x8
            if attr_mask is not None and not any(attr_mask):
                if not verbose:
                    continue
            if attr_mask is None or all_ones(attr_mask):
                out.append("%s=%s" % (name, value_fmt(value)))
            elif attr_type in (odp_keys.TUN_IPV4_SRC, odp_keys.TUN_IPV4_DST, odp_keys.TUN_IPV6_SRC,
                               odp_keys.TUN_IPV6_DST):
                out.append("%s=%s/%s" % (name, value_fmt(value), value_fmt(attr_mask)))
            else:
                out.append("%s=%s/%s" % (name, value_fmt(value), mask_fmt(attr_mask)))
        elif attr_type in _FLAG_BIT_OF_ATTR:
            flags |= _FLAG_BIT_OF_ATTR[attr_type]
        elif attr_type == odp_keys.TUN_VXLAN_OPTS:
            gbp_payload = dict(value).get(odp_keys.VXLAN_EXT_GBP)
            if gbp_payload is None or len(gbp_payload) != 4:
                out.append("vxlan()")
                continue
            gbp = _U32.unpack(gbp_payload)[0]
            gbp_mask = None
            if attr_mask is not None:
                gbp_mask_payload = dict(attr_mask).get(odp_keys.VXLAN_EXT_GBP, b"\0\0\0\0")
                gbp_mask = _U32.unpack(gbp_mask_payload)[0]
            parts = []
            for name, field, field_mask, full, field_fmt in (
                    ("id", gbp & 0xFFFF, None if gbp_mask is None else gbp_mask & 0xFFFF, 0xFFFF, str),
                    ("flags", (gbp >> 16) & 0xFF, None if gbp_mask is None else (gbp_mask >> 16) & 0xFF, 0xFF, hex)):
                if field_mask is not None and not field_mask and not verbose:
                    continue
                if field_mask is None or field_mask == full:
                    parts.append("%s=%s" % (name, field_fmt(field)))
                else:
                    parts.append("%s=%s/%s" % (name, field_fmt(field), hex(field_mask)))
            out.append("vxlan(gbp(%s))" % ",".join(parts))
        elif attr_type == odp_keys.TUN_GENEVE_OPTS:
            out.append("geneve(%s)" % _fmt_geneve(value, attr_mask if attr_mask is not None
                                                  and len(attr_mask) == len(value) else None, verbose))
        elif attr_type == odp_keys.TUN_PAD:
            continue
        elif (attr_type == odp_keys.TUN_ERSPAN_OPTS and value.__class__ is not tuple
              and (attr_mask is None or attr_mask.__class__ is not tuple)):
            if attr_mask is not None and not any(attr_mask) and not verbose:
                continue
            text = _fmt_erspan(value, attr_mask)
            out.append("erspan(%s)" % text if text is not None
                       else "key%d(%s)" % (attr_type, " ".join("%02x" % c for c in value)))
        else:
            body = " ".join("%02x" % c for c in value) if value.__class__ is bytes else ""
            out.append("key%d(%s)" % (attr_type, body))
    if mask is not None:
        for attr_type, _value in mask:
            flags_mask |= _FLAG_BIT_OF_ATTR.get(attr_type, 0)
    if mask is None:
        out.append("flags(%s)" % fmt_flags(flags, TUN_BY_BIT))
    elif verbose or flags_mask:
        out.append("flags(%s)" % fmt_flags_masked(flags, flags_mask & 0xF, 0xF, TUN_BY_BIT))
    return ",".join(out)


_SET_TUNNEL_HEAD = struct.Struct("=HHHH")


class SetTunnelPrinter:
    """Called with an action's raw bytes (header included): what
    :func:`action_text` prints for it when it is ``set(tunnel(...))`` of
    plain fields and flags, else None.

    Each field's text is memoised by its raw bytes (``memo``, up to
    ``memo_max`` entries): a table's tunnels share most fields. Everything
    else follows from which attributes are present: without a mask the
    flags always print, and they are the flag attributes and the key flag
    of tun_id. So the layout of the last action of each length walked
    (every attribute header at its offset, read by one struct) lets the
    next one laid out alike be printed from its fields sliced out in one
    call. By length: the kernel pads tun_id to 8-byte alignment in its
    reply buffer, so one kind of action comes in two layouts."""

    def __init__(self, memo_max: int):
        self.memo = {}
        self.memo_max = memo_max
        # length -> (headers reader, headers expected, fields getter, field types, tail,
        #            header offsets, field slices)
        self._layouts = {}

    def __call__(self, raw: bytes) -> str | None:
        lay = self._layouts.get(len(raw))
        if lay is None or lay[0](raw) != lay[1]:
            return self._walk(raw)
        pieces = lay[2](raw)
        items = list(map(self.memo.get, pieces))
        if None in items:
            types = lay[3]
            for i, item in enumerate(items):
                if item is None:
                    items[i] = self._field(pieces[i], types[i])
        return "set(tunnel(" + ",".join(items) + lay[4]

    def layout(self, raw: bytes) -> tuple | None:
        """Where the printed parts of action ``raw`` are, when it is laid out
        as the last action of its length walked: ``(slices, types, tail)``,
        the slices of its fields and their types (each printed by
        :meth:`field_printer` of its type, memoised in :attr:`memo` by its
        bytes), and the text after them. Else None."""
        lay = self._layouts.get(len(raw))
        if lay is None or lay[0](raw) != lay[1]:
            return None
        return lay[5], lay[3], lay[4]

    def field_printer(self, field_type: int):
        """Prints (and memoises) a field of type ``field_type`` from its bytes, header included."""
        return partial(self._field, field_type=field_type)

    def _field(self, piece: bytes, field_type: int) -> str:
        """The text of one field, ``name=value``, from its bytes (header included); memoised."""
        field_fmt = _TUN_FIELD_FMT[field_type]
        text = field_fmt[0] + "=" + field_fmt[1](piece[4:])
        if len(self.memo) < self.memo_max:
            self.memo[piece] = text
        return text

    def _walk(self, raw: bytes) -> str | None:
        """The text of action ``raw`` walked attribute by attribute, its layout learnt; None when not ours."""
        if len(raw) < 8:
            return None
        length, action_type, inner_length, inner_type = _SET_TUNNEL_HEAD.unpack_from(raw)
        if (action_type & TYPE_MASK != odp_actions.ACT_SET or inner_type & TYPE_MASK != odp_keys.KEY_TUNNEL
                or length != len(raw) or inner_length != length - 4):
            return None
        out = []
        offsets = [0, 4]
        spans = []
        types = []
        flags = 0
        try:
            for field_type, offset, nxt in nla_spans(raw, 8, length):
                offsets.append(offset)
                if field_type in _FLAG_BIT_OF_ATTR:
                    flags |= _FLAG_BIT_OF_ATTR[field_type]
                elif field_type != odp_keys.TUN_PAD:
                    field_fmt = _TUN_FIELD_FMT.get(field_type)
                    if field_fmt is None or nxt - offset - 4 != odp_keys.TUN_BY_NUM[field_type].size:
                        return None
                    piece = raw[offset:nxt]
                    text = self.memo.get(piece)
                    out.append(text if text is not None else self._field(piece, field_type))
                    spans.append(slice(offset, nxt))
                    types.append(field_type)
                    if field_type == odp_keys.TUN_ID:
                        flags |= 0x8
        except MalformedAttribute:
            return None
        tail = "flags(%s)))" % fmt_flags(flags, TUN_BY_BIT)
        if spans:
            tail = "," + tail
        self._learn(raw, offsets, spans, types, tail)
        return "set(tunnel(" + ",".join(out) + tail

    def _learn(self, raw: bytes, offsets: list, spans: list, types: list, tail: str) -> None:
        """Keep the layout of ``raw`` for the next action of its length."""
        if len(self._layouts) >= 64:
            self._layouts.clear()
        reader = headers_reader(offsets)
        self._layouts[len(raw)] = (reader, reader(raw), slices_getter(spans), tuple(types), tail, tuple(spans))
