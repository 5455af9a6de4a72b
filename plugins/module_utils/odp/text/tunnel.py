# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tunnel(...)`` key attribute of the ovs-dpctl text form: parse and print.

:func:`parse_tunnel` parses it, geneve, vxlan gbp and erspan options
included, with the contract of the parsers in key_parse.py: ``(body,
pos, ctx, depth) -> (key, mask)``, here nested attribute tuples.
:func:`fmt_tunnel` prints it with the contract of the printers in
key_print.py: ``(payload, mask payload | None, verbose, names) -> body
text``. :class:`SetTunnelPrinter` prints a ``set(tunnel(...))`` action
straight from its raw bytes, for the dump printer (printer.py).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from functools import partial

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
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
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import ATTR_HEADER, TYPE_MASK, headers_reader, slices_getter

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U32 = odp_keys.U32
_BE16 = odp_keys.BE16
_BE32 = odp_keys.BE32


# --- parse -----------------------------------------------------------------------------

def _parse_geneve(body, pos, ctx):
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
        cls = typ = ln = 0
        cm, tm, lm = 0xFFFF, 0xFF, 0x1F
        data = dmask = None
        for item, ipos in fields(body[i + 1:j], pos + i + 1):
            name, eq, rest = item.partition("=")
            v, sl, m = (rest if eq else item).partition("/")
            vpos = ipos + (len(name) + 1 if eq else 0)
            fld = "tunnel.geneve." + (name if eq else "data")
            if eq and name == "class":
                cls = num(v, ctx, fld, vpos, 16)
                cm = num(m, ctx, fld, vpos, 16) if sl else 0xFFFF
            elif eq and name == "type":
                typ = num(v, ctx, fld, vpos, 8)
                tm = num(m, ctx, fld, vpos, 8) if sl else 0xFF
            elif eq and name == "len":
                ln = num(v, ctx, fld, vpos, 8)
                if ln % 4 or ln > 124:
                    raise ctx.err("geneve option length must be a multiple of 4, at most 124", fld, vpos)
                lm = (num(m, ctx, fld, vpos, 8) & 0x1F) if sl else 0x1F
            elif not eq:
                data = num(v, ctx, fld, vpos, 8 * 124, odp_keys.parse_hex)
                dmask = num(m, ctx, fld, vpos, 8 * 124, odp_keys.parse_hex) if sl else None
            else:
                raise ctx.err("unknown field %r" % name, fld, ipos)
        if data is not None and data >> (8 * ln):
            raise ctx.err("geneve data longer than len", "tunnel.geneve.data", pos + i)
        dbytes = (data or 0).to_bytes(ln, "big")
        mbytes = b"\xff" * ln if dmask is None else dmask.to_bytes(ln, "big")
        keys.append(struct.pack("!HBB", cls, typ, ln // 4) + dbytes)
        masks.append(struct.pack("!HBB", cm, tm, lm) + mbytes)
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
    got = {}
    for item, ipos in fields(body, pos):
        name, eq, rest = item.partition("=")
        fld = "tunnel.erspan." + name
        if name not in ("ver", "idx", "dir", "hwid") or not eq:
            raise ctx.err("unknown field %r" % name, fld, ipos)
        if name in got:
            raise ctx.err("%s given twice" % name, fld, ipos)
        v, sl, mm = rest.partition("/")
        vpos = ipos + len(name) + 1
        if name == "ver":
            if sl:
                raise ctx.err("ver takes no mask", fld, vpos)
            got[name] = (num(v, ctx, fld, vpos, 8), None)
            continue
        top = _ERSPAN_TOPS[name]
        val = num(v, ctx, fld, vpos)
        msk = num(mm, ctx, fld, vpos + len(v) + 1) if sl else top
        if val > top or msk > top:
            raise ctx.err("%s out of range (max %s)" % (name, hex(top)), fld, vpos)
        got[name] = (val, msk)
    ver = got.get("ver", (None, None))[0]
    if ver not in _ERSPAN_FIELDS:
        raise ctx.err("erspan needs ver=1 or ver=2", "tunnel.erspan.ver", pos)
    for name in got:
        if name != "ver" and name not in _ERSPAN_FIELDS[ver]:
            raise ctx.err("%s is not an erspan version %d field" % (name, ver), "tunnel.erspan." + name, pos)
    if ver == 1:
        idx, idxm = got.get("idx", (0, 0xFFFFFFFF))
        return (_U32.pack(1) + _BE32.pack(idx) + b"\0\0\0\0",
                b"\xff\xff\xff\xff" + _BE32.pack(idxm) + b"\xff\xff\xff\xff")
    d, dm = got.get("dir", (0, 1))
    h, hm = got.get("hwid", (0, 0xF))
    return (_U32.pack(2) + bytes(7) + bytes(((d << 3) | (h << 4),)),
            b"\xff" * 11 + bytes((0x07 | (dm << 3) | (hm << 4),)))


def parse_tunnel(body, pos, ctx, depth):
    k = {}
    m = {}
    flag_v = flag_m = None
    for item, ipos in fields(body, pos):
        if item.endswith(")") and "(" in item:
            name, _sep, inner = item.partition("(")
            inner = inner[:-1]
            ipos2 = ipos + len(name) + 1
            if name == "flags":
                flag_v, flag_m = parse_flags(inner, TUN_BY_NAME, odp_keys.TUN_FLAGS_FULL, ctx, "tunnel.flags", ipos2)
            elif name == "geneve":
                k[odp_keys.TUN_GENEVE_OPTS], m[odp_keys.TUN_GENEVE_OPTS] = _parse_geneve(inner, ipos2, ctx)
            elif name == "vxlan":
                if not (inner.startswith("gbp(") and inner.endswith(")")):
                    raise ctx.err("vxlan options must be gbp(id=N,flags=N)", "tunnel.vxlan", ipos2)
                gv = gm = 0
                for it, p3 in fields(inner[4:-1], ipos2 + 4):
                    nm, eq, rest = it.partition("=")
                    v, sl, mm = rest.partition("/")
                    if nm == "id" and eq:
                        gv |= num(v, ctx, "tunnel.vxlan.gbp.id", p3, 16)
                        gm |= num(mm, ctx, "tunnel.vxlan.gbp.id", p3, 16) if sl else 0xFFFF
                    elif nm == "flags" and eq:
                        gv |= num(v, ctx, "tunnel.vxlan.gbp.flags", p3, 8) << 16
                        gm |= (num(mm, ctx, "tunnel.vxlan.gbp.flags", p3, 8) if sl else 0xFF) << 16
                    else:
                        raise ctx.err("unknown field %r" % nm, "tunnel.vxlan.gbp", p3)
                k[odp_keys.TUN_VXLAN_OPTS] = ((odp_keys.VXLAN_EXT_GBP, _U32.pack(gv)),)
                m[odp_keys.TUN_VXLAN_OPTS] = ((odp_keys.VXLAN_EXT_GBP, _U32.pack(gm)),)
            elif name == "erspan":
                k[odp_keys.TUN_ERSPAN_OPTS], m[odp_keys.TUN_ERSPAN_OPTS] = _parse_erspan(inner, ipos2, ctx)
            else:
                raise ctx.err("unknown field %r" % name, "tunnel." + name, ipos)
            continue
        name, eq, rest = item.partition("=")
        row = odp_keys.TUN_BY_NAME.get(name)
        if row is None or row.kind is None or not eq:
            raise ctx.err("unknown field %r" % name, "tunnel." + name, ipos)
        kind = odp_keys.KINDS[row.kind]
        v, sl, mm = rest.partition("/")
        vpos = ipos + len(name) + 1
        try:
            val = kind.parse(v)
            msk = kind.parse_mask(mm) if sl else kind.full
        except ValueError as e:
            raise ctx.err(str(e), "tunnel." + name, vpos)
        k[row.num] = _tun_pack(row.num, val)
        m[row.num] = _tun_pack(row.num, msk)
    if flag_v is not None:
        for bit, attr in odp_keys.TUN_FLAG_ATTRS:
            if flag_v & bit:
                k[attr] = b""
            if flag_m & bit:
                m[attr] = b""
    order = odp_keys.TUN_ORDER
    return (tuple((t, k[t]) for t in order if t in k), tuple((t, m[t]) for t in order if t in m))


def _tun_pack(num, val):
    if num == odp_keys.TUN_ID:
        return odp_keys.TUN_BE64.pack(val)
    if num in (odp_keys.TUN_TP_SRC, odp_keys.TUN_TP_DST):
        return odp_keys.TUN_BE16.pack(val)
    if num in (odp_keys.TUN_TOS, odp_keys.TUN_TTL):
        return bytes((val,))
    return val


# --- print -----------------------------------------------------------------------------

def _fmt_erspan(v, m):
    """erspan(...) body as ovs-dpctl prints it; None when the bytes do not fit."""
    if len(v) != 12 or (m is not None and len(m) != 12):
        return None
    ver = _U32.unpack(v[:4])[0]
    if ver == 1:
        s = "ver=1,idx=" + hex(_BE32.unpack(v[4:8])[0])
        if m is not None:       # a key always prints the idx mask, even exact
            s += "/" + hex(_BE32.unpack(m[4:8])[0])
        return s
    if ver == 2:
        b = v[11]
        if m is None:
            return "ver=2,dir=%d,hwid=%s" % ((b >> 3) & 1, hex(b >> 4))
        mb = m[11]
        return "ver=2,dir=%d/%s,hwid=%s/%s" % ((b >> 3) & 1, hex((mb >> 3) & 1), hex(b >> 4), hex(mb >> 4))
    return None


def _fmt_geneve(p, mp, verbose):
    out = []
    off = 0
    n = len(p)
    while off < n:
        if n - off < 4:
            out.append("opt len %d less than minimum 4" % (n - off))
            break
        cls, typ, lb = struct.unpack_from("!HBB", p, off)
        dlen = (lb & 0x1F) * 4
        if off + 4 + dlen > n:
            out.append("opt len %d greater than remaining %d" % (4 + dlen, n - off))
            break
        parts = []
        data = p[off + 4:off + 4 + dlen]
        if mp is None:
            parts.append("class=%s" % hex(cls))
            parts.append("type=%s" % hex(typ))
            parts.append("len=%d" % dlen)
            dm = None
        else:
            cm, tm, lmb = struct.unpack_from("!HBB", mp, off)
            lm = 0xFF if (lmb & 0x1F) == 0x1F else (lmb & 0x1F)
            for nm, v, m, full, vfmt in (("class", cls, cm, 0xFFFF, hex), ("type", typ, tm, 0xFF, hex),
                                         ("len", dlen, lm, 0xFF, str)):
                if not verbose and not m:
                    continue
                parts.append("%s=%s" % (nm, vfmt(v)) if m == full else "%s=%s/%s" % (nm, vfmt(v), hex(m)))
            dm = mp[off + 4:off + 4 + dlen]
        body = ",".join(parts)
        if dlen and (verbose or dm is None or any(dm)):
            body += ("," if parts else "") + bytes_hex(data)
            if dm is not None and not all_ones(dm):
                body += "/" + bytes_hex(dm)
        out.append("{" + body + "}")
        off += 4 + dlen
    return "".join(out)


_TUN_FIELD_FMT = {
    odp_keys.TUN_ID: ("tun_id", lambda b: "0x%x" % odp_keys.TUN_BE64.unpack(b)[0], lambda b: hex(odp_keys.TUN_BE64.unpack(b)[0])),
    odp_keys.TUN_IPV4_SRC: ("src", odp_keys.format_ip4, odp_keys.format_ip4),
    odp_keys.TUN_IPV4_DST: ("dst", odp_keys.format_ip4, odp_keys.format_ip4),
    odp_keys.TUN_IPV6_SRC: ("ipv6_src", odp_keys.format_ip6, odp_keys.format_ip6),
    odp_keys.TUN_IPV6_DST: ("ipv6_dst", odp_keys.format_ip6, odp_keys.format_ip6),
    odp_keys.TUN_TOS: ("tos", lambda b: hex(b[0]), lambda b: hex(b[0])),
    odp_keys.TUN_TTL: ("ttl", lambda b: str(b[0]), lambda b: hex(b[0])),
    odp_keys.TUN_TP_SRC: ("tp_src", lambda b: str(_BE16.unpack(b)[0]), lambda b: hex(_BE16.unpack(b)[0])),
    odp_keys.TUN_TP_DST: ("tp_dst", lambda b: str(_BE16.unpack(b)[0]), lambda b: hex(_BE16.unpack(b)[0])),
}
_TUN_FLAG_OF = {odp_keys.TUN_DONT_FRAGMENT: 0x2, odp_keys.TUN_CSUM: 0x4, odp_keys.TUN_OAM: 0x1}


def fmt_tunnel(p, ma, verbose, names):
    mdict = dict(ma) if ma is not None else None
    out = []
    flags = 0
    mflags = 0
    for t, v in p:
        m = None
        if mdict is not None:
            m = mdict.get(t)
            if m is None:
                m = () if v.__class__ is tuple else bytes(len(v))
        ff = _TUN_FIELD_FMT.get(t)
        if ff is not None:
            name, vf, mf = ff
            if len(v) != odp_keys.TUN_BY_NUM[t].size or (m is not None and len(m) != len(v)):
                out.append("key%d(%s)" % (t, v.hex()))
                continue
            if t == odp_keys.TUN_ID:
                flags |= 0x8
                if m is not None:
                    mflags |= 0x8
            if m is not None and not any(m):
                if not verbose:
                    continue
            if m is None or all_ones(m):
                out.append("%s=%s" % (name, vf(v)))
            elif t in (odp_keys.TUN_IPV4_SRC, odp_keys.TUN_IPV4_DST, odp_keys.TUN_IPV6_SRC, odp_keys.TUN_IPV6_DST):
                out.append("%s=%s/%s" % (name, vf(v), vf(m)))
            else:
                out.append("%s=%s/%s" % (name, vf(v), mf(m)))
        elif t in _TUN_FLAG_OF:
            flags |= _TUN_FLAG_OF[t]
        elif t == odp_keys.TUN_VXLAN_OPTS:
            gbp = dict(v).get(odp_keys.VXLAN_EXT_GBP)
            if gbp is None or len(gbp) != 4:
                out.append("vxlan()")
                continue
            g = _U32.unpack(gbp)[0]
            gm = None
            if m is not None:
                gmb = dict(m).get(odp_keys.VXLAN_EXT_GBP, b"\0\0\0\0")
                gm = _U32.unpack(gmb)[0]
            parts = []
            for nm, val, msk, full, vfmt in (("id", g & 0xFFFF, None if gm is None else gm & 0xFFFF, 0xFFFF, str),
                                             ("flags", (g >> 16) & 0xFF, None if gm is None else (gm >> 16) & 0xFF,
                                              0xFF, hex)):
                if msk is not None and not msk and not verbose:
                    continue
                if msk is None or msk == full:
                    parts.append("%s=%s" % (nm, vfmt(val)))
                else:
                    parts.append("%s=%s/%s" % (nm, vfmt(val), hex(msk)))
            out.append("vxlan(gbp(%s))" % ",".join(parts))
        elif t == odp_keys.TUN_GENEVE_OPTS:
            out.append("geneve(%s)" % _fmt_geneve(v, m if m is not None and len(m) == len(v) else None, verbose))
        elif t == odp_keys.TUN_PAD:
            continue
        elif t == odp_keys.TUN_ERSPAN_OPTS and v.__class__ is not tuple and (m is None or m.__class__ is not tuple):
            if m is not None and not any(m) and not verbose:
                continue
            txt = _fmt_erspan(v, m)
            out.append("erspan(%s)" % txt if txt is not None else "key%d(%s)" % (t, " ".join("%02x" % c for c in v)))
        else:
            body = " ".join("%02x" % c for c in v) if v.__class__ is bytes else ""
            out.append("key%d(%s)" % (t, body))
    if ma is not None:
        for t, _v in ma:
            mflags |= _TUN_FLAG_OF.get(t, 0)
    if ma is None:
        out.append("flags(%s)" % fmt_flags(flags, TUN_BY_BIT))
    elif verbose or mflags:
        out.append("flags(%s)" % fmt_flags_masked(flags, mflags & 0xF, 0xF, TUN_BY_BIT))
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

    def field_printer(self, ft: int):
        """Prints (and memoises) a field of type ``ft`` from its bytes, header included."""
        return partial(self._field, ft=ft)

    def _field(self, piece: bytes, ft: int) -> str:
        ff = _TUN_FIELD_FMT[ft]
        text = ff[0] + "=" + ff[1](piece[4:])
        if len(self.memo) < self.memo_max:
            self.memo[piece] = text
        return text

    def _walk(self, raw: bytes) -> str | None:
        if len(raw) < 8:
            return None
        ln, t, inner_ln, inner_t = _SET_TUNNEL_HEAD.unpack_from(raw)
        if t & TYPE_MASK != odp_actions.ACT_SET or inner_t & TYPE_MASK != odp_keys.KEY_TUNNEL or ln != len(raw) or inner_ln != ln - 4:
            return None
        out = []
        offsets = [0, 4]
        spans = []
        types = []
        flags = 0
        off = 8
        while off < ln:
            if ln - off < 4:
                return None
            size, ft = ATTR_HEADER.unpack_from(raw, off)
            nxt = off + size
            if size < 4 or nxt > ln:
                return None
            offsets.append(off)
            ft &= TYPE_MASK
            if ft in _TUN_FLAG_OF:
                flags |= _TUN_FLAG_OF[ft]
            elif ft != odp_keys.TUN_PAD:
                ff = _TUN_FIELD_FMT.get(ft)
                if ff is None or size - 4 != odp_keys.TUN_BY_NUM[ft].size:
                    return None
                piece = raw[off:nxt]
                text = self.memo.get(piece)
                out.append(text if text is not None else self._field(piece, ft))
                spans.append(slice(off, nxt))
                types.append(ft)
                if ft == odp_keys.TUN_ID:
                    flags |= 0x8
            off = (nxt + 3) & ~3
        tail = "flags(%s)))" % fmt_flags(flags, TUN_BY_BIT)
        if spans:
            tail = "," + tail
        self._learn(raw, offsets, spans, types, tail)
        return "set(tunnel(" + ",".join(out) + tail

    def _learn(self, raw: bytes, offsets: list, spans: list, types: list, tail: str) -> None:
        if len(self._layouts) >= 64:
            self._layouts.clear()
        reader = headers_reader(offsets)
        self._layouts[len(raw)] = (reader, reader(raw), slices_getter(spans), tuple(types), tail, tuple(spans))
