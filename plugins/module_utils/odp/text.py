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
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re
import struct
import sys
from functools import partial

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as A
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow, FlowStats
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import ATTR_HEADER, TYPE_MASK, headers_reader, slices_getter

_NATIVE = sys.byteorder
_U32 = K.U32
_U16 = K.U16
_BE16 = K.BE16
_BE32 = K.BE32
_UFID = struct.Struct("=IIII")
_TOKEN = re.compile(r"[^,\s()]+")
# A token and, when its body holds no parentheses, the body: one match per flat item.
_ITEM = re.compile(r"([^,\s()]+)(?:\(([^()]*)\))?")
_DELIMS = frozenset(", \t\r\n")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_NESTING = 32          # MAX_ODP_NESTED in the OVS parser
# Parentheses open at once: above what the nesting limits of keys and actions
# allow (a level of actions nests two), so deeper text is refused before it
# is walked level by level (80k nested encap() took 3 s).
MAX_PAREN_DEPTH = 4 * MAX_NESTING

# Key attributes OVS 3.1 (the ovs-dpctl we mirror) does not know by name: it
# prints them raw as keyN(..) even in terse mode.
OVS_UNNAMED_KEYS = frozenset((K.KEY_IPV6_EXTHDRS,))


class _Ctx:
    """Per-call parse state: the whole text (for errors) and the port map."""

    __slots__ = ("text", "ports")

    def __init__(self, text, ports):
        self.text = text
        self.ports = ports

    def err(self, detail, field=None, pos=None):
        return FlowSyntaxError(self.text, detail, field, pos)


# --- scanning --------------------------------------------------------------------

def _close(s, i, end, ctx, what):
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


def _items(s, i, end, ctx, what):
    """Top-level items of a list: (name, pos, body_start, body_end|None)."""
    out = []
    while i < end:
        if s[i] in _DELIMS:
            i += 1
            continue
        m = _TOKEN.match(s, i, end)
        if m is None:
            raise ctx.err("syntax error", what, i)
        j = m.end()
        if j < end and s[j] == "(":
            k = _close(s, j, end, ctx, what)
            out.append((m.group(), i, j + 1, k))
            i = k + 1
        else:
            out.append((m.group(), i, None, None))
            i = j
    return out


def _fields(body, pos):
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


def _num(s, ctx, field, pos, bits=32, parse=K.parse_int):
    try:
        v = parse(s)
    except ValueError as e:
        raise ctx.err(str(e), field, pos)
    if v >> bits:
        raise ctx.err("%s does not fit in %d bits" % (s, bits), field, pos)
    return v


def _hex(v):
    return "0x%x" % v if v else "0"


def _u128_hex(b):
    """ds_put_hex of a 128-bit label held in host order: 0x.. or 0."""
    v = int.from_bytes(b, _NATIVE)
    return "0x%x" % v if v else "0"


# --- flag sets ---------------------------------------------------------------------

def _flag_tables(names):
    return dict(names), {b: n for n, b in names}


_CT_BY_NAME, _CT_BY_BIT = _flag_tables(K.CT_STATE_FLAGS)
_TCP_BY_NAME, _TCP_BY_BIT = _flag_tables(K.TCP_FLAG_NAMES)
_TUN_BY_NAME, _TUN_BY_BIT = _flag_tables(K.TUN_FLAG_NAMES)


def _parse_flags(s, by_name, full, ctx, field, pos):
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
        v, sl, mm = s.partition("/")
        return _num(v, ctx, field, pos), (_num(mm, ctx, field, pos + len(v) + 1) if sl else full)
    v = 0
    off = pos
    for name in s.split("|"):
        bit = by_name.get(name)
        if bit is None:
            raise ctx.err("unknown flag %r" % name, field, off)
        v |= bit
        off += len(name) + 1
    return v, full


def _fmt_flags(v, by_bit):
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


def _fmt_flags_masked(v, m, maxm, by_bit):
    if m == maxm:
        return _fmt_flags(v, by_bit)
    if not m:
        return "0/0"
    out = []
    bit = 1
    while m >= bit:
        if m & bit:
            out.append(("+" if v & bit else "-") + by_bit.get(bit, "[Unknown]"))
        bit <<= 1
    return "".join(out)


# --- key attribute parsers: (body, pos, ctx, depth) -> (key payload, mask payload) -----

def _mk_struct_parser(row):
    by_name = {f.name: f for f in row.fields}
    if row.num == K.KEY_CT_ORIG_TUPLE_IPV6:     # the OVS parser spells these tp_src/tp_dst
        by_name["tp_src"] = by_name["src_port"]
        by_name["tp_dst"] = by_name["dst_port"]
    # name -> (index, parse value, parse mask, exact mask): plain tuples for the hot loop
    specs = {}
    for name, f in by_name.items():
        kind = K.KINDS[f.kind]
        specs[name] = (f.index, kind.parse, kind.parse_mask, kind.full)
    zero = row.layout.unpack(bytes(row.size))
    pack = row.layout.pack
    prefix = row.name + "."

    # "proto=6" -> (index, value, mask): field texts repeat far more than bodies.
    fcache = {}

    def parse(body, pos, ctx, depth):
        vals = list(zero)
        masks = list(zero)
        if "(" in body or "{" in body:
            items = _fields(body, pos)
        else:
            items = body.split(",")
            if not body:
                return zpack, zpack
        ipos = pos
        for item in items:
            if item.__class__ is tuple:
                item, ipos = item
            elif not item:
                ipos += 1
                continue
            hit = fcache.get(item)
            if hit is not None:
                idx, val, msk = hit
                vals[idx] = val
                masks[idx] = msk
                ipos += len(item) + 1
                continue
            name, eq, rest = item.partition("=")
            spec = specs.get(name)
            if spec is None or not eq:
                raise ctx.err("unknown field %r" % name, prefix + name, ipos)
            idx, pv, pm, full = spec
            v, sl, m = rest.partition("/")
            try:
                val = pv(v)
                msk = pm(m) if sl else full
            except ValueError as e:
                raise ctx.err(str(e), prefix + name, ipos + len(name) + 1)
            vals[idx] = val
            masks[idx] = msk
            if len(fcache) >= 1024:
                fcache.clear()
            fcache[item] = (idx, val, msk)
            ipos += len(item) + 1
        return pack(*vals), pack(*masks)
    zpack = pack(*zero)
    return parse


def _mk_single_parser(row, bits, no_mask=False):
    pack = row.layout.pack
    full = (1 << bits) - 1
    field = row.name

    def parse(body, pos, ctx, depth):
        v, sl, m = body.partition("/")
        if sl and no_mask:
            raise ctx.err("%s takes no mask" % field, field, pos + len(v))
        val = _num(v, ctx, field, pos, bits)
        msk = _num(m, ctx, field, pos + len(v) + 1, bits) if sl else full
        return pack(val), pack(msk)
    return parse


def _parse_in_port(body, pos, ctx, depth):
    v, sl, m = body.partition("/")
    if v[:1].isdigit():
        port = _num(v, ctx, "in_port", pos)
    else:
        ports = ctx.ports
        if not ports or v not in ports:
            raise ctx.err("unknown port name %r" % v, "in_port", pos)
        port = ports[v]
    msk = _num(m, ctx, "in_port", pos + len(v) + 1) if sl else 0xFFFFFFFF
    return _U32.pack(port), _U32.pack(msk)


def _parse_ct_state(body, pos, ctx, depth):
    v, m = _parse_flags(body, _CT_BY_NAME, K.CT_STATE_SUPPORTED, ctx, "ct_state", pos)
    return _U32.pack(v), _U32.pack(m)


def _parse_tcp_flags(body, pos, ctx, depth):
    v, m = _parse_flags(body, _TCP_BY_NAME, K.TCP_FLAGS_FULL, ctx, "tcp_flags", pos)
    if v >> 16 or m >> 16:
        raise ctx.err("tcp_flags out of range", "tcp_flags", pos)
    return _BE16.pack(v), _BE16.pack(m)


def _parse_u128(s, ctx, field, pos):
    if s[:2] in ("0x", "0X"):
        bits = 128
    else:
        bits = 64
    return _num(s, ctx, field, pos, bits)


def _parse_ct_label(body, pos, ctx, depth):
    v, sl, m = body.partition("/")
    val = _parse_u128(v, ctx, "ct_label", pos)
    msk = _parse_u128(m, ctx, "ct_label", pos + len(v) + 1) if sl else (1 << 128) - 1
    return val.to_bytes(16, _NATIVE), msk.to_bytes(16, _NATIVE)


_VLAN_FIELDS = {"vid": (0, 0xFFF), "pcp": (13, 7), "cfi": (12, 1)}


def _parse_tci(body, pos, ctx, field):
    tci = 0x1000
    msk = 0x1000
    for item, ipos in _fields(body, pos):
        name, eq, rest = item.partition("=")
        spec = _VLAN_FIELDS.get(name)
        if spec is None or not eq:
            raise ctx.err("unknown field %r" % name, field + "." + name, ipos)
        shift, top = spec
        v, sl, m = rest.partition("/")
        vpos = ipos + len(name) + 1
        val = _num(v, ctx, field + "." + name, vpos)
        mv = _num(m, ctx, field + "." + name, vpos + len(v) + 1) if sl else top
        if val > top or mv > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), field + "." + name, vpos)
        tci = (tci & ~(top << shift)) | (val << shift)
        msk = (msk & ~(top << shift)) | (mv << shift)
    return tci, msk


def _parse_vlan(body, pos, ctx, depth):
    tci, msk = _parse_tci(body, pos, ctx, "vlan")
    return _BE16.pack(tci), _BE16.pack(msk)


_MPLS_FIELDS = {"label": (12, 0xFFFFF), "tc": (9, 7), "bos": (8, 1), "ttl": (0, 0xFF)}


def _parse_lse_fields(items, ctx, field, allow_mask=True, extra=None):
    """Label stack entries from label=,tc=,ttl=,bos= items; a repeated field starts a new entry."""
    lses = []
    cur = None
    seen = set()
    extras = {}
    for item, ipos in items:
        name, eq, rest = item.partition("=")
        if extra and name in extra:
            extras[name] = (rest, ipos + len(name) + 1)
            continue
        spec = _MPLS_FIELDS.get(name)
        if spec is None or not eq:
            raise ctx.err("unknown field %r" % name, field + "." + name, ipos)
        if cur is None or name in seen:
            cur = [0, 0]
            lses.append(cur)
            seen = set()
        seen.add(name)
        shift, top = spec
        v, sl, m = rest.partition("/")
        vpos = ipos + len(name) + 1
        if sl and not allow_mask:
            raise ctx.err("%s takes no mask" % name, field + "." + name, vpos)
        val = _num(v, ctx, field + "." + name, vpos)
        mv = _num(m, ctx, field + "." + name, vpos + len(v) + 1) if sl else top
        if val > top or mv > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), field + "." + name, vpos)
        cur[0] |= val << shift
        cur[1] |= mv << shift
    return lses, extras


def _parse_mpls(body, pos, ctx, depth):
    lses, _extra = _parse_lse_fields(_fields(body, pos), ctx, "mpls")
    if not 1 <= len(lses) <= 3:
        raise ctx.err("mpls needs 1 to 3 label stack entries", "mpls", pos)
    return (b"".join(_BE32.pack(v) for v, _m in lses), b"".join(_BE32.pack(m) for _v, m in lses))


def _parse_encap(body, pos, ctx, depth):
    if depth >= MAX_NESTING:
        raise ctx.err("too deeply nested", "encap", pos)
    return _parse_key_list(ctx.text, pos, pos + len(body), ctx, depth + 1)


def _parse_nsh(body, pos, ctx, depth):
    vals = dict.fromkeys(K.NSH_FIELDS, 0)
    masks = dict.fromkeys(K.NSH_FIELDS, 0)
    tops = {"spi": 0xFFFFFF, "c1": 0xFFFFFFFF, "c2": 0xFFFFFFFF, "c3": 0xFFFFFFFF, "c4": 0xFFFFFFFF}
    md1 = False
    for item, ipos in _fields(body, pos):
        name, eq, rest = item.partition("=")
        if name not in vals or not eq:
            raise ctx.err("unknown field %r" % name, "nsh." + name, ipos)
        top = tops.get(name, 0xFF)
        v, sl, m = rest.partition("/")
        vpos = ipos + len(name) + 1
        vals[name] = _num(v, ctx, "nsh." + name, vpos)
        masks[name] = _num(m, ctx, "nsh." + name, vpos + len(v) + 1) if sl else top
        if vals[name] > top or masks[name] > top:
            raise ctx.err("%s out of range" % name, "nsh." + name, vpos)
        md1 = md1 or name[0] == "c"
    return _nsh_attrs(vals, md1), _nsh_attrs(masks, md1)


def _nsh_attrs(d, md1):
    base = K.NSH_BASE_LAYOUT.pack(d["flags"], d["ttl"], d["mdtype"], d["np"], (d["spi"] << 8) | d["si"])
    out = [(K.NSH_BASE, base)]
    if md1:
        out.append((K.NSH_MD1, K.NSH_MD1_LAYOUT.pack(d["c1"], d["c2"], d["c3"], d["c4"])))
    return tuple(out)


# tunnel(...)

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
        for item, ipos in _fields(body[i + 1:j], pos + i + 1):
            name, eq, rest = item.partition("=")
            v, sl, m = (rest if eq else item).partition("/")
            vpos = ipos + (len(name) + 1 if eq else 0)
            fld = "tunnel.geneve." + (name if eq else "data")
            if eq and name == "class":
                cls = _num(v, ctx, fld, vpos, 16)
                cm = _num(m, ctx, fld, vpos, 16) if sl else 0xFFFF
            elif eq and name == "type":
                typ = _num(v, ctx, fld, vpos, 8)
                tm = _num(m, ctx, fld, vpos, 8) if sl else 0xFF
            elif eq and name == "len":
                ln = _num(v, ctx, fld, vpos, 8)
                if ln % 4 or ln > 124:
                    raise ctx.err("geneve option length must be a multiple of 4, at most 124", fld, vpos)
                lm = (_num(m, ctx, fld, vpos, 8) & 0x1F) if sl else 0x1F
            elif not eq:
                data = _num(v, ctx, fld, vpos, 8 * 124, K.parse_hex)
                dmask = _num(m, ctx, fld, vpos, 8 * 124, K.parse_hex) if sl else None
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
    for item, ipos in _fields(body, pos):
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
            got[name] = (_num(v, ctx, fld, vpos, 8), None)
            continue
        top = _ERSPAN_TOPS[name]
        val = _num(v, ctx, fld, vpos)
        msk = _num(mm, ctx, fld, vpos + len(v) + 1) if sl else top
        if val > top or msk > top:
            raise ctx.err("%s out of range (max %s)" % (name, _hex(top)), fld, vpos)
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


def _fmt_erspan(v, m):
    """erspan(...) body as ovs-dpctl prints it; None when the bytes do not fit."""
    if len(v) != 12 or (m is not None and len(m) != 12):
        return None
    ver = _U32.unpack(v[:4])[0]
    if ver == 1:
        s = "ver=1,idx=" + _hex(_BE32.unpack(v[4:8])[0])
        if m is not None:       # a key always prints the idx mask, even exact
            s += "/" + _hex(_BE32.unpack(m[4:8])[0])
        return s
    if ver == 2:
        b = v[11]
        if m is None:
            return "ver=2,dir=%d,hwid=%s" % ((b >> 3) & 1, _hex(b >> 4))
        mb = m[11]
        return "ver=2,dir=%d/%s,hwid=%s/%s" % ((b >> 3) & 1, _hex((mb >> 3) & 1), _hex(b >> 4), _hex(mb >> 4))
    return None


def _parse_tunnel(body, pos, ctx, depth):
    k = {}
    m = {}
    flag_v = flag_m = None
    for item, ipos in _fields(body, pos):
        if item.endswith(")") and "(" in item:
            name, _sep, inner = item.partition("(")
            inner = inner[:-1]
            ipos2 = ipos + len(name) + 1
            if name == "flags":
                flag_v, flag_m = _parse_flags(inner, _TUN_BY_NAME, K.TUN_FLAGS_FULL, ctx, "tunnel.flags", ipos2)
            elif name == "geneve":
                k[K.TUN_GENEVE_OPTS], m[K.TUN_GENEVE_OPTS] = _parse_geneve(inner, ipos2, ctx)
            elif name == "vxlan":
                if not (inner.startswith("gbp(") and inner.endswith(")")):
                    raise ctx.err("vxlan options must be gbp(id=N,flags=N)", "tunnel.vxlan", ipos2)
                gv = gm = 0
                for it, p3 in _fields(inner[4:-1], ipos2 + 4):
                    nm, eq, rest = it.partition("=")
                    v, sl, mm = rest.partition("/")
                    if nm == "id" and eq:
                        gv |= _num(v, ctx, "tunnel.vxlan.gbp.id", p3, 16)
                        gm |= _num(mm, ctx, "tunnel.vxlan.gbp.id", p3, 16) if sl else 0xFFFF
                    elif nm == "flags" and eq:
                        gv |= _num(v, ctx, "tunnel.vxlan.gbp.flags", p3, 8) << 16
                        gm |= (_num(mm, ctx, "tunnel.vxlan.gbp.flags", p3, 8) if sl else 0xFF) << 16
                    else:
                        raise ctx.err("unknown field %r" % nm, "tunnel.vxlan.gbp", p3)
                k[K.TUN_VXLAN_OPTS] = ((K.VXLAN_EXT_GBP, _U32.pack(gv)),)
                m[K.TUN_VXLAN_OPTS] = ((K.VXLAN_EXT_GBP, _U32.pack(gm)),)
            elif name == "erspan":
                k[K.TUN_ERSPAN_OPTS], m[K.TUN_ERSPAN_OPTS] = _parse_erspan(inner, ipos2, ctx)
            else:
                raise ctx.err("unknown field %r" % name, "tunnel." + name, ipos)
            continue
        name, eq, rest = item.partition("=")
        row = K.TUN_BY_NAME.get(name)
        if row is None or row.kind is None or not eq:
            raise ctx.err("unknown field %r" % name, "tunnel." + name, ipos)
        kind = K.KINDS[row.kind]
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
        for bit, attr in K.TUN_FLAG_ATTRS:
            if flag_v & bit:
                k[attr] = b""
            if flag_m & bit:
                m[attr] = b""
    order = K.TUN_ORDER
    return (tuple((t, k[t]) for t in order if t in k), tuple((t, m[t]) for t in order if t in m))


def _tun_pack(num, val):
    if num == K.TUN_ID:
        return K.TUN_BE64.pack(val)
    if num in (K.TUN_TP_SRC, K.TUN_TP_DST):
        return K.TUN_BE16.pack(val)
    if num in (K.TUN_TOS, K.TUN_TTL):
        return bytes((val,))
    return val


def _parse_generic_key(num):
    def parse(body, pos, ctx, depth):
        v, sl, m = body.partition("/")
        try:
            val = bytes.fromhex(v)
            msk = bytes.fromhex(m) if sl else b"\xff" * len(val)
        except ValueError:
            raise ctx.err("expected hex bytes", "key%d" % num, pos)
        return val, msk
    return parse


_KEY_PARSERS = {}
for _row in K.KEY_TABLE:
    if _row.fields and _row.layout is not None and len(_row.fields) > 1:
        _KEY_PARSERS[_row.name] = (_row.num, _mk_struct_parser(_row))

_ETH_GENERIC = _KEY_PARSERS["eth"][1]
_ETH_FULL = b"\xff" * 12


def _parse_eth(body, pos, ctx, depth):
    """eth(src=M,dst=M) exact, the usual spelling, without the field loop."""
    if len(body) == 42 and body[:4] == "src=" and body[21:26] == ",dst=" and "/" not in body:
        try:
            return K.parse_mac(body[4:21]) + K.parse_mac(body[26:]), _ETH_FULL
        except ValueError:
            pass
    return _ETH_GENERIC(body, pos, ctx, depth)


_KEY_PARSERS["eth"] = (K.KEY_ETHERNET, _parse_eth)
for _name, _bits in (("skb_priority", 32), ("skb_mark", 32), ("dp_hash", 32), ("ct_mark", 32),
                     ("ct_zone", 16), ("eth_type", 16), ("ipv6_exthdrs", 16)):
    _KEY_PARSERS[_name] = (K.KEY_BY_NAME[_name].num, _mk_single_parser(K.KEY_BY_NAME[_name], _bits))
_KEY_PARSERS["recirc_id"] = (K.KEY_RECIRC_ID, _mk_single_parser(K.KEY_BY_NAME["recirc_id"], 32, True))
_KEY_PARSERS.update({
    "in_port": (K.KEY_IN_PORT, _parse_in_port),
    "ct_state": (K.KEY_CT_STATE, _parse_ct_state),
    "tcp_flags": (K.KEY_TCP_FLAGS, _parse_tcp_flags),
    "ct_label": (K.KEY_CT_LABELS, _parse_ct_label),
    "vlan": (K.KEY_VLAN, _parse_vlan),
    "mpls": (K.KEY_MPLS, _parse_mpls),
    "encap": (K.KEY_ENCAP, _parse_encap),
    "tunnel": (K.KEY_TUNNEL, _parse_tunnel),
    "nsh": (K.KEY_NSH, _parse_nsh),
})
_KEYN = re.compile(r"key(\d+)$")


def _key_parser(name, ctx, pos):
    p = _KEY_PARSERS.get(name)
    if p is not None:
        return p
    m = _KEYN.match(name)
    if m:
        num = int(m.group(1))
        if num in K.KEY_BY_NUM and K.KEY_BY_NUM[num].kernel and num not in OVS_UNNAMED_KEYS:
            return _KEY_PARSERS[K.KEY_BY_NUM[num].name][0], _KEY_PARSERS[K.KEY_BY_NUM[num].name][1]
        return num, _parse_generic_key(num)
    if name in K.USERSPACE_ONLY_KEYS:
        raise ctx.err("%s is only known to the userspace datapath; the kernel rejects it" % name, name, pos)
    raise ctx.err("unknown key attribute %r" % name, name, pos)


# Parsed key attributes by their text, e.g. "eth_type(0x0800)" -> (num, key, mask):
# dumps repeat most attributes from flow to flow. Results are immutable and do
# not depend on where the text sits (only errors do, and those are not kept);
# texts that depend on a port-name map bypass it. Emptied when full.
_KEY_CACHE = {}
_KEY_CACHE_MAX = 4096
# Only texts up to this long are cached: short ones (in_port(3), eth(),
# eth_type(0x0800), tcp_flags(0/0)) recur, long ones (an ipv4(...) with
# addresses) are mostly unique and would only push the short ones out.
_CACHE_TEXT_MAX = 28


def _parse_key_list(s, i, end, ctx, depth):
    keys = []
    masks = []
    match = _ITEM.match
    parsers = _KEY_PARSERS
    delims = _DELIMS
    cache = None if ctx.ports else _KEY_CACHE
    while i < end:
        if s[i] in delims:
            i += 1
            continue
        m = match(s, i, end)
        if m is None:
            raise ctx.err("syntax error", "key", i)
        name, body = m.groups()
        j = m.end()
        if body is not None:            # flat item: name(body)
            bs = j - 1 - len(body)
            nxt = j
        elif j < end and s[j] == "(":   # nested parentheses
            k = _close(s, j, end, ctx, "key")
            bs = j + 1
            body = s[bs:k]
            nxt = k + 1
        else:
            raise ctx.err("expected %s(...)" % name, name, i)
        if cache is not None:
            text = s[i:nxt]
            hit = cache.get(text)
            if hit is not None:
                num, kk, mm = hit
                keys.append((num, kk))
                masks.append((num, mm))
                i = nxt
                continue
        p = parsers.get(name)
        if p is None:
            p = _key_parser(name, ctx, i)
        num, parser = p
        kk, mm = parser(body, bs, ctx, depth)
        keys.append((num, kk))
        masks.append((num, mm))
        if cache is not None:
            if len(text) <= _CACHE_TEXT_MAX:
                if len(cache) >= _KEY_CACHE_MAX:
                    cache.clear()
                cache[text] = (num, kk, mm)
        i = nxt
    return tuple(keys), tuple(masks)


# --- key printers: (payload, mask payload|None, verbose, names) -> body text -------------

def _all_ones(b):
    return b.count(255) == len(b)


def _exact(t, m):
    """odp_mask_attr_is_exact: ignores padding and bits the field cannot hold."""
    if m is None:
        return True
    if m.__class__ is tuple or t in OVS_UNNAMED_KEYS:
        return False
    if t == K.KEY_TCP_FLAGS:
        return len(m) == 2 and (_BE16.unpack(m)[0] & 0xFFF) == 0xFFF
    if t == K.KEY_IPV6 and len(m) == 40:
        return _all_ones(m[:32]) and (_BE32.unpack_from(m, 32)[0] & 0xFFFFF) == 0xFFFFF and _all_ones(m[36:])
    if t == K.KEY_ARP:
        return _all_ones(m[:22])
    if t == K.KEY_CT_ORIG_TUPLE_IPV4:
        return _all_ones(m[:13])
    if t == K.KEY_CT_ORIG_TUPLE_IPV6:
        return _all_ones(m[:37])
    return _all_ones(m)


def _wildcard(t, m):
    """odp_mask_attr_is_wildcard."""
    if m.__class__ is tuple:
        return not m
    if t in OVS_UNNAMED_KEYS or t not in K.KEY_BY_NUM:
        return False
    return not any(m)


def _struct_fields(row):
    """Per field of struct attribute ``row``: (``name=``, value index, kind,
    whether it is frag, whether its mask is an integer)."""
    return [(f.name + "=", f.index, K.KINDS[f.kind], f.kind == "frag", isinstance(K.KINDS[f.kind].full, int))
            for f in row.fields]


def _struct_parts(fields, m, verbose):
    """How the ``fields`` (:func:`_struct_fields`) of a struct attribute
    print under its unpacked mask ``m``: ``(prefix, value index, value
    printer, suffix)`` per printed field, in order. A frag field with a
    partial mask prints an error instead of its value: index None, the
    whole text as prefix."""
    parts = []
    for pre, i, kind, frag, isint in fields:
        mi = m[i]
        if frag:
            if mi == 0:
                continue
            if mi != 0xFF:
                parts.append(("error: partial mask not supported for frag (%s)" % _hex(mi), None, None, ""))
            else:
                parts.append((pre, i, kind.fmt, ""))
            continue
        if not verbose and mi == kind.zero:
            continue
        if (mi & kind.full) == kind.full if isint else mi == kind.full:
            parts.append((pre, i, kind.fmt, ""))
        else:
            parts.append((pre, i, kind.fmt, "/" + kind.fmt_mask(mi)))
    return parts


def _struct_text(parts, v):
    """A struct attribute's body: ``parts`` (:func:`_struct_parts`) applied
    to its unpacked values ``v``."""
    return ",".join([pre if i is None else pre + fmt(v[i]) + suffix for pre, i, fmt, suffix in parts])


def _mk_struct_fmt(row):
    unpack = row.layout.unpack
    size = row.size
    fields = _struct_fields(row)
    exact = [(pre, i, kind.fmt, "") for pre, i, kind, _frag, _isint in fields]     # no mask

    def fmt(p, ma, verbose, names):
        if len(p) != size or (ma is not None and len(ma) != size):
            return None
        parts = exact if ma is None else _struct_parts(fields, unpack(ma), verbose)
        return _struct_text(parts, unpack(p))
    return fmt


def _fmt_u32x(t):
    def fmt(p, ma, verbose, names):
        if len(p) != 4:
            return None
        s = _hex(_U32.unpack(p)[0])
        if not _exact(t, ma):
            s += "/" + _hex(_U32.unpack(ma)[0])
        return s
    return fmt


def _fmt_ct_u(t, st):
    def fmt(p, ma, verbose, names):
        if len(p) != st.size:
            return None
        if not verbose and ma is not None and not any(ma):
            return ""
        s = _hex(st.unpack(p)[0])
        if not _exact(t, ma):
            s += "/" + _hex(st.unpack(ma)[0])
        return s
    return fmt


def _fmt_in_port(p, ma, verbose, names):
    if len(p) != 4:
        return None
    port = _U32.unpack(p)[0]
    if _exact(K.KEY_IN_PORT, ma):
        if names:
            name = names.get(port)
            if name is not None:
                return name
        return str(port)
    return "%d/%s" % (port, _hex(_U32.unpack(ma)[0]))


def _fmt_eth_type(p, ma, verbose, names):
    if len(p) != 2:
        return None
    s = "0x%04x" % _BE16.unpack(p)[0]
    if not _exact(K.KEY_ETHERTYPE, ma):
        s += "/0x%04x" % _BE16.unpack(ma)[0]
    return s


def _fmt_ct_state(p, ma, verbose, names):
    if len(p) != 4:
        return None
    v = _U32.unpack(p)[0]
    if verbose:
        s = _hex(v)
        if not _exact(K.KEY_CT_STATE, ma):
            s += "/" + _hex(_U32.unpack(ma)[0])
        return s
    m = 0xFFFFFFFF if ma is None else _U32.unpack(ma)[0]
    return _fmt_flags_masked(v, m, 0xFFFFFFFF, _CT_BY_BIT)


def _fmt_tcp_flags(p, ma, verbose, names):
    if len(p) != 2:
        return None
    v = _BE16.unpack(p)[0]
    if not _exact(K.KEY_TCP_FLAGS, ma):
        return _fmt_flags_masked(v, _BE16.unpack(ma)[0] & 0xFFF, 0xFFF, _TCP_BY_BIT)
    return _fmt_flags(v, _TCP_BY_BIT)


def _fmt_ct_label(p, ma, verbose, names):
    if len(p) != 16:
        return None
    if verbose or (ma is not None and any(ma)):
        s = _u128_hex(p)
        if ma is not None and not _all_ones(ma):
            s += "/" + _u128_hex(ma)
        return s
    return ""


def _fmt_tci(tci, mask, verbose):
    out = []
    vid, vm = tci & 0xFFF, mask & 0xFFF
    if verbose or vid or vm:
        out.append("vid=%d" % vid if vm == 0xFFF else "vid=%d/0x%x" % (vid, vm))
    pcp, pm = (tci >> 13) & 7, (mask >> 13) & 7
    if verbose or pcp or pm:
        out.append("pcp=%d" % pcp if pm == 7 else "pcp=%d/0x%x" % (pcp, pm))
    if not tci & 0x1000:
        out.append("cfi=0")
    return ",".join(out)


def _fmt_vlan(p, ma, verbose, names):
    if len(p) != 2:
        return None
    return _fmt_tci(_BE16.unpack(p)[0], 0xFFFF if ma is None else _BE16.unpack(ma)[0], verbose)


def _lse_text(v):
    return "label=%d,tc=%d,ttl=%d,bos=%d" % (v >> 12, (v >> 9) & 7, v & 0xFF, (v >> 8) & 1)


def _fmt_mpls(p, ma, verbose, names):
    n = len(p)
    if not n or n % 4:
        return None
    exact = _exact(K.KEY_MPLS, ma)
    if not exact and len(ma) != n:
        return None
    out = []
    for i in range(0, n, 4):
        v = _BE32.unpack_from(p, i)[0]
        if exact:
            out.append(_lse_text(v))
        else:
            m = _BE32.unpack_from(ma, i)[0]
            out.append("label=%d/0x%x,tc=%d/%x,ttl=%d/0x%x,bos=%d/%x" % (
                v >> 12, m >> 12, (v >> 9) & 7, (m >> 9) & 7, v & 0xFF, m & 0xFF, (v >> 8) & 1, (m >> 8) & 1))
    return ",".join(out)


def _fmt_encap(p, ma, verbose, names):
    if ma is not None and ma and p:
        return _format_key_list(p, ma, verbose, names, False)
    if p:
        return _format_key_list(p, None, verbose, names, False)
    return ""


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
            parts.append("class=%s" % _hex(cls))
            parts.append("type=%s" % _hex(typ))
            parts.append("len=%d" % dlen)
            dm = None
        else:
            cm, tm, lmb = struct.unpack_from("!HBB", mp, off)
            lm = 0xFF if (lmb & 0x1F) == 0x1F else (lmb & 0x1F)
            for nm, v, m, full, vfmt in (("class", cls, cm, 0xFFFF, _hex), ("type", typ, tm, 0xFF, _hex),
                                         ("len", dlen, lm, 0xFF, str)):
                if not verbose and not m:
                    continue
                parts.append("%s=%s" % (nm, vfmt(v)) if m == full else "%s=%s/%s" % (nm, vfmt(v), _hex(m)))
            dm = mp[off + 4:off + 4 + dlen]
        body = ",".join(parts)
        if dlen and (verbose or dm is None or any(dm)):
            body += ("," if parts else "") + _bytes_hex(data)
            if dm is not None and not _all_ones(dm):
                body += "/" + _bytes_hex(dm)
        out.append("{" + body + "}")
        off += 4 + dlen
    return "".join(out)


def _bytes_hex(b):
    v = int.from_bytes(b, "big")
    return "0x%x" % v if v else "0"


_TUN_FIELD_FMT = {
    K.TUN_ID: ("tun_id", lambda b: "0x%x" % K.TUN_BE64.unpack(b)[0], lambda b: _hex(K.TUN_BE64.unpack(b)[0])),
    K.TUN_IPV4_SRC: ("src", K.format_ip4, K.format_ip4),
    K.TUN_IPV4_DST: ("dst", K.format_ip4, K.format_ip4),
    K.TUN_IPV6_SRC: ("ipv6_src", K.format_ip6, K.format_ip6),
    K.TUN_IPV6_DST: ("ipv6_dst", K.format_ip6, K.format_ip6),
    K.TUN_TOS: ("tos", lambda b: _hex(b[0]), lambda b: _hex(b[0])),
    K.TUN_TTL: ("ttl", lambda b: str(b[0]), lambda b: _hex(b[0])),
    K.TUN_TP_SRC: ("tp_src", lambda b: str(_BE16.unpack(b)[0]), lambda b: _hex(_BE16.unpack(b)[0])),
    K.TUN_TP_DST: ("tp_dst", lambda b: str(_BE16.unpack(b)[0]), lambda b: _hex(_BE16.unpack(b)[0])),
}
_TUN_FLAG_OF = {K.TUN_DONT_FRAGMENT: 0x2, K.TUN_CSUM: 0x4, K.TUN_OAM: 0x1}


def _fmt_tunnel(p, ma, verbose, names):
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
            if len(v) != K.TUN_BY_NUM[t].size or (m is not None and len(m) != len(v)):
                out.append("key%d(%s)" % (t, v.hex()))
                continue
            if t == K.TUN_ID:
                flags |= 0x8
                if m is not None:
                    mflags |= 0x8
            if m is not None and not any(m):
                if not verbose:
                    continue
            if m is None or _all_ones(m):
                out.append("%s=%s" % (name, vf(v)))
            elif t in (K.TUN_IPV4_SRC, K.TUN_IPV4_DST, K.TUN_IPV6_SRC, K.TUN_IPV6_DST):
                out.append("%s=%s/%s" % (name, vf(v), vf(m)))
            else:
                out.append("%s=%s/%s" % (name, vf(v), mf(m)))
        elif t in _TUN_FLAG_OF:
            flags |= _TUN_FLAG_OF[t]
        elif t == K.TUN_VXLAN_OPTS:
            gbp = dict(v).get(K.VXLAN_EXT_GBP)
            if gbp is None or len(gbp) != 4:
                out.append("vxlan()")
                continue
            g = _U32.unpack(gbp)[0]
            gm = None
            if m is not None:
                gmb = dict(m).get(K.VXLAN_EXT_GBP, b"\0\0\0\0")
                gm = _U32.unpack(gmb)[0]
            parts = []
            for nm, val, msk, full, vfmt in (("id", g & 0xFFFF, None if gm is None else gm & 0xFFFF, 0xFFFF, str),
                                             ("flags", (g >> 16) & 0xFF, None if gm is None else (gm >> 16) & 0xFF,
                                              0xFF, _hex)):
                if msk is not None and not msk and not verbose:
                    continue
                if msk is None or msk == full:
                    parts.append("%s=%s" % (nm, vfmt(val)))
                else:
                    parts.append("%s=%s/%s" % (nm, vfmt(val), _hex(msk)))
            out.append("vxlan(gbp(%s))" % ",".join(parts))
        elif t == K.TUN_GENEVE_OPTS:
            out.append("geneve(%s)" % _fmt_geneve(v, m if m is not None and len(m) == len(v) else None, verbose))
        elif t == K.TUN_PAD:
            continue
        elif t == K.TUN_ERSPAN_OPTS and v.__class__ is not tuple and (m is None or m.__class__ is not tuple):
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
        out.append("flags(%s)" % _fmt_flags(flags, _TUN_BY_BIT))
    elif verbose or mflags:
        out.append("flags(%s)" % _fmt_flags_masked(flags, mflags & 0xF, 0xF, _TUN_BY_BIT))
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
        if t & TYPE_MASK != A.ACT_SET or inner_t & TYPE_MASK != K.KEY_TUNNEL or ln != len(raw) or inner_ln != ln - 4:
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
            elif ft != K.TUN_PAD:
                ff = _TUN_FIELD_FMT.get(ft)
                if ff is None or size - 4 != K.TUN_BY_NUM[ft].size:
                    return None
                piece = raw[off:nxt]
                text = self.memo.get(piece)
                out.append(text if text is not None else self._field(piece, ft))
                spans.append(slice(off, nxt))
                types.append(ft)
                if ft == K.TUN_ID:
                    flags |= 0x8
            off = (nxt + 3) & ~3
        tail = "flags(%s)))" % _fmt_flags(flags, _TUN_BY_BIT)
        if spans:
            tail = "," + tail
        self._learn(raw, offsets, spans, types, tail)
        return "set(tunnel(" + ",".join(out) + tail

    def _learn(self, raw: bytes, offsets: list, spans: list, types: list, tail: str) -> None:
        if len(self._layouts) >= 64:
            self._layouts.clear()
        reader = headers_reader(offsets)
        self._layouts[len(raw)] = (reader, reader(raw), slices_getter(spans), tuple(types), tail, tuple(spans))


def _nsh_values(attrs, default):
    d = dict(zip(K.NSH_FIELDS, [default] * len(K.NSH_FIELDS)))
    for t, v in attrs:
        if t == K.NSH_BASE and len(v) == 8:
            fl, ttl, md, np_, ph = K.NSH_BASE_LAYOUT.unpack(v)
            d.update(flags=fl, ttl=ttl, mdtype=md, np=np_, spi=ph >> 8, si=ph & 0xFF)
        elif t == K.NSH_MD1 and len(v) == 16:
            d.update(zip(("c1", "c2", "c3", "c4"), K.NSH_MD1_LAYOUT.unpack(v)))
    return d


def _fmt_nsh_exact(k):
    s = "flags=%d,ttl=%d,mdtype=%d,np=%d,spi=0x%x,si=%d" % (
        k["flags"], k["ttl"], k["mdtype"], k["np"], k["spi"], k["si"])
    if k["mdtype"] == 1:
        s += ",c1=0x%x,c2=0x%x,c3=0x%x,c4=0x%x" % (k["c1"], k["c2"], k["c3"], k["c4"])
    return s


def _fmt_nsh(p, ma, verbose, names):
    k = _nsh_values(p, 0)
    if ma is None:
        return _fmt_nsh_exact(k)
    mdict = dict(ma)
    m = _nsh_values(tuple((t, mdict[t]) for t, _v in p if t in mdict), -1)
    full = dict.fromkeys(K.NSH_FIELDS, 0xFF)
    full.update(spi=0xFFFFFF, c1=0xFFFFFFFF, c2=0xFFFFFFFF, c3=0xFFFFFFFF, c4=0xFFFFFFFF)
    out = []
    for name in K.NSH_FIELDS:
        mv = m[name]
        if mv < 0:          # not in the mask: OVS treats it as exact
            mv = full[name]
        if not mv:
            continue
        v = k[name]
        wide = name == "spi" or name[0] == "c"
        if name == "spi" and mv == 0xFFFFFF:
            mv = 0xFFFFFFFF
        if wide:
            out.append("%s=0x%x" % (name, v) if mv == 0xFFFFFFFF else "%s=0x%x/0x%08x" % (name, v, mv))
        else:
            out.append("%s=%d" % (name, v) if mv == 0xFF else "%s=0x%02x/0x%02x" % (name, v, mv))
    return ",".join(out)


def _fmt_generic(p, ma, verbose, names):
    if p.__class__ is tuple:
        return ""
    s = " ".join("%02x" % c for c in p)
    if ma is not None and ma.__class__ is bytes and not _all_ones(ma):
        s += "/" + " ".join("%02x" % c for c in ma)
    return s


_KEY_FORMATTERS = {}
# Struct attributes printed field by field (by _mk_struct_fmt, not by a formatter of their own).
_STRUCT_KEY_ROWS = {}
for _row in K.KEY_TABLE:
    if _row.fields and _row.layout is not None and len(_row.fields) > 1:
        _KEY_FORMATTERS[_row.num] = _mk_struct_fmt(_row)
        if _row.num not in OVS_UNNAMED_KEYS:
            _STRUCT_KEY_ROWS[_row.num] = _row
for _num_ in (K.KEY_PRIORITY, K.KEY_SKB_MARK, K.KEY_DP_HASH, K.KEY_RECIRC_ID):
    _KEY_FORMATTERS[_num_] = _fmt_u32x(_num_)
_OWN_FORMATTERS = {
    K.KEY_CT_MARK: _fmt_ct_u(K.KEY_CT_MARK, _U32),
    K.KEY_CT_ZONE: _fmt_ct_u(K.KEY_CT_ZONE, _U16),
    K.KEY_IN_PORT: _fmt_in_port,
    K.KEY_ETHERTYPE: _fmt_eth_type,
    K.KEY_CT_STATE: _fmt_ct_state,
    K.KEY_TCP_FLAGS: _fmt_tcp_flags,
    K.KEY_CT_LABELS: _fmt_ct_label,
    K.KEY_VLAN: _fmt_vlan,
    K.KEY_MPLS: _fmt_mpls,
    K.KEY_ENCAP: _fmt_encap,
    K.KEY_TUNNEL: _fmt_tunnel,
    K.KEY_NSH: _fmt_nsh,
}
_KEY_FORMATTERS.update(_OWN_FORMATTERS)
for _num_ in _OWN_FORMATTERS:
    _STRUCT_KEY_ROWS.pop(_num_, None)
_NESTED_KEYS = frozenset((K.KEY_ENCAP, K.KEY_TUNNEL, K.KEY_NSH))


def struct_key_printer(t: int, ma, verbose: bool):
    """What :func:`key_item_text` prints for struct attribute ``t`` under the
    mask payload ``ma``, as a function of the attribute's raw bytes (header
    included), specialised for that mask: which fields print, and exact or
    with ``/mask``, is decided here once instead of for every key. The
    function returns None for a payload not of the struct's size (the caller
    then takes the general path). None when ``t`` is not such an attribute,
    ``ma`` is not a mask of its size, or the attribute does not print."""
    row = _STRUCT_KEY_ROWS.get(t)
    if row is None or ma.__class__ is not bytes or len(ma) != row.size:
        return None
    if not verbose and _wildcard(t, ma):
        return None
    parts = _struct_parts(_struct_fields(row), row.layout.unpack(ma), verbose)
    # The text as a %-format with a value per printed field: one C call
    # where a join of per-field texts was several Python steps.
    texts = [pre.replace("%", "%%") if i is None else pre.replace("%", "%%") + "%s" + suffix.replace("%", "%%")
             for pre, i, _f, suffix in parts]
    fmt = _key_name(t) + "(" + ",".join(texts) + ")"
    fields = [(i, f) for _pre, i, f, _suffix in parts if i is not None]
    size = row.size + 4
    unpack_from = row.layout.unpack_from
    if len(fields) == 1:
        ((i0, f0),) = fields

        def printer(raw):
            return fmt % f0(unpack_from(raw, 4)[i0]) if len(raw) == size else None
    elif len(fields) == 2:
        (i0, f0), (i1, f1) = fields

        def printer(raw):
            if len(raw) != size:
                return None
            v = unpack_from(raw, 4)
            return fmt % (f0(v[i0]), f1(v[i1]))
    else:
        def printer(raw):
            if len(raw) != size:
                return None
            v = unpack_from(raw, 4)
            return fmt % tuple([f(v[i]) for i, f in fields])
    return printer


def leaf_key_printer(t: int, ma, verbose: bool, names):
    """As :func:`struct_key_printer`, for an attribute that is not a struct
    but has a formatter of its own (vlan's TCI, mpls, ct_state...): the
    mask's decisions (whether it prints, and its bytes) taken once. Its
    function returns None where the formatter does (the caller then takes
    the general path)."""
    fmt = _KEY_FORMATTERS.get(t)
    if fmt is None or t in _NESTED_KEYS or t in OVS_UNNAMED_KEYS or ma.__class__ is not bytes:
        return None
    if not verbose and _wildcard(t, ma):
        return None
    head = _key_name(t) + "("

    def printer(raw):
        body = fmt(raw[4:], ma, verbose, names)
        return None if body is None else head + body + ")"
    return printer


def _key_name(t):
    row = K.KEY_BY_NUM.get(t)
    if row is None or t in OVS_UNNAMED_KEYS:
        return "key%d" % t
    return row.name


def _format_attr(t, p, ma, verbose, names):
    fmt = _KEY_FORMATTERS.get(t)
    if fmt is None or t in OVS_UNNAMED_KEYS or (p.__class__ is tuple) != (t in _NESTED_KEYS):
        body = _fmt_generic(p, ma, verbose, names)
    else:
        if ma is not None and (ma.__class__ is tuple) != (t in _NESTED_KEYS):
            ma = None
        body = fmt(p, ma, verbose, names)
        if body is None:
            body = _fmt_generic(p, ma, verbose, names)
    return _key_name(t) + "(" + body + ")"


def _format_key_list(key, mask, verbose, names, top=True):
    if not key:
        return "<empty>" if top else ""
    mdict = dict(mask) if mask else None
    out = []
    first = True
    has_ethtype = False
    for t, p in key:
        if t == K.KEY_ETHERTYPE:
            has_ethtype = True
        item = key_item_text(t, p, mdict, verbose, names)
        if item is not None:
            if not first:
                out.append(",")
            out.append(item)
            first = False
    if not has_ethtype and mdict is not None:
        out.append(missing_eth_type_text(mdict))
    return "".join(out)


def key_item_text(t: int, p, mdict: dict | None, verbose: bool, names) -> str | None:
    """One key attribute as dump-flows prints it, given the mask attributes
    by type (None: no mask), or None when the terse form leaves it out."""
    ma = None
    wild = False
    if mdict is not None:
        ma = mdict.get(t)
        wild = True if ma is None else _wildcard(t, ma)
    if verbose or not wild or t in _NESTED_KEYS:
        if wild and ma is None:
            ma = () if p.__class__ is tuple else bytes(len(p))
        return _format_attr(t, p, ma, verbose, names)
    if t == K.KEY_ETHERNET:
        return "eth()"
    return None


def missing_eth_type_text(mdict: dict) -> str:
    """What dump-flows appends when the key has no eth_type but the mask
    has one (a flow without L2 type match), else ''."""
    ma = mdict.get(K.KEY_ETHERTYPE)
    if ma is not None and ma.__class__ is bytes and len(ma) == 2:
        return ",eth_type(0/0x%04x)" % _BE16.unpack(ma)[0]
    return ""


# --- actions: parse ---------------------------------------------------------------------

# Parsed actions without inner parentheses by their text ("2", "ct(commit)",
# "recirc(0x1)"), as _KEY_CACHE for keys; not used with a port-name map.
_ACT_CACHE = {}
_ACT_CACHE_MAX = 4096


def _parse_action_list(s, i, end, ctx, depth, what="actions"):
    k = i
    while k < end and s[k] in " \t\r\n":
        k += 1
    if k < end and s[k] in "dD" and s[i:end].strip(" \t\r\n").lower() == "drop":
        return ()
    out = []
    append = out.append
    match = _ITEM.match
    parsers = _ACTION_PARSERS
    delims = _DELIMS
    cache = None if ctx.ports else _ACT_CACHE
    while i < end:
        if s[i] in delims:
            i += 1
            continue
        m = match(s, i, end)
        if m is None:
            raise ctx.err("syntax error", what, i)
        j = m.end()
        name, body = m.groups()
        if body is None and j < end and s[j] == "(":     # nested parentheses
            k = _close(s, j, end, ctx, what)
            append(_parse_action(s, name, i, j + 1, k, ctx, depth))
            i = k + 1
            continue
        if cache is not None:
            text = s[i:j]
            act = cache.get(text)
            if act is not None:
                append(act)
                i = j
                continue
        if body is not None:            # flat item: name(body)
            be = j - 1
            bs = be - len(body)
            parser = parsers.get(name)
            if parser is not None:
                act = parser(s, bs, be, ctx, depth)
            else:
                act = _parse_action(s, name, i, bs, be, ctx, depth)
        else:
            act = _parse_action(s, name, i, None, None, ctx, depth)
        append(act)
        if cache is not None:
            if len(text) <= _CACHE_TEXT_MAX:
                if len(cache) >= _ACT_CACHE_MAX:
                    cache.clear()
                cache[text] = act
        i = j
    return tuple(out)


def _nested_actions(s, bs, be, ctx, depth, what):
    if depth >= A.MAX_NESTING * 2:
        raise ctx.err("actions nested too deeply", what, bs)
    return _parse_action_list(s, bs, be, ctx, depth + 1, what)


def _parse_action(s, name, pos, bs, be, ctx, depth):
    if bs is None:
        if name[:1].isdigit():
            return (A.ACT_OUTPUT, _U32.pack(_num(name, ctx, "actions.output", pos)))
        simple = _SIMPLE_ACTIONS.get(name)
        if simple is not None:
            return (simple, b"")
        if name == "ct":
            return (A.ACT_CT, ())
        if name.lower() == "drop":
            raise ctx.err("drop must be the whole action list", "actions.drop", pos)
        if name in A.UNSUPPORTED_REASONS:
            raise ctx.err(A.UNSUPPORTED_REASONS[name], "actions." + name, pos)
        if ctx.ports and name in ctx.ports:
            return (A.ACT_OUTPUT, _U32.pack(ctx.ports[name]))
        raise ctx.err("unknown action or port name %r" % name, "actions", pos)
    parser = _ACTION_PARSERS.get(name)
    if parser is None:
        if name in A.UNSUPPORTED_REASONS:
            raise ctx.err(A.UNSUPPORTED_REASONS[name], "actions." + name, pos)
        if name in _SIMPLE_ACTIONS and be == bs and name == "pop_nsh":
            return (A.ACT_POP_NSH, b"")
        raise ctx.err("unknown action %r" % name, "actions." + name, pos)
    return parser(s, bs, be, ctx, depth)


_SIMPLE_ACTIONS = {"pop_vlan": A.ACT_POP_VLAN, "ct_clear": A.ACT_CT_CLEAR, "pop_eth": A.ACT_POP_ETH,
                   "pop_nsh": A.ACT_POP_NSH}


def _kv(s, bs, be, ctx, what):
    """name=value items of an action body, as an ordered dict name -> (value, pos)."""
    out = {}
    for item, ipos in _fields(s[bs:be], bs):
        name, eq, rest = item.partition("=")
        if name in out:
            raise ctx.err("%s given twice" % name, what + "." + name, ipos)
        out[name] = (rest if eq else None, ipos + len(name) + 1)
    return out


def _a_output(s, bs, be, ctx, depth):
    return (A.ACT_OUTPUT, _U32.pack(_num(s[bs:be], ctx, "actions.output", bs)))


def _a_u32(t, name, decimal_only=False):
    def parse(s, bs, be, ctx, depth):
        body = s[bs:be]
        return (t, _U32.pack(_num(body, ctx, "actions." + name, bs)))
    return parse


def _a_trunc(s, bs, be, ctx, depth):
    return (A.ACT_TRUNC, _U32.pack(_num(s[bs:be], ctx, "actions.trunc", bs)))


def _a_drop(s, bs, be, ctx, depth):
    return (A.ACT_DROP, _U32.pack(_num(s[bs:be], ctx, "actions.drop", bs)))


def _a_pop_nsh(s, bs, be, ctx, depth):
    if be != bs:
        raise ctx.err("pop_nsh takes no arguments", "actions.pop_nsh", bs)
    return (A.ACT_POP_NSH, b"")


def _a_set(s, bs, be, ctx, depth):
    items = _items(s, bs, be, ctx, "actions.set")
    if len(items) != 1 or items[0][2] is None:
        raise ctx.err("set needs exactly one key attribute", "actions.set", bs)
    name, pos, ibs, ibe = items[0]
    num, parser = _key_parser(name, ctx, pos)
    k, m = parser(s[ibs:ibe], ibs, ctx, 0)
    if k.__class__ is tuple:
        return (A.ACT_SET, ((num, k),))
    if _all_ones(m):
        return (A.ACT_SET, ((num, k),))
    return (A.ACT_SET_MASKED, ((num, k + m),))


def _a_push_vlan(s, bs, be, ctx, depth):
    kv = _kv(s, bs, be, ctx, "actions.push_vlan")
    tpid = 0x8100
    if "tpid" in kv:
        v, p = kv.pop("tpid")
        tpid = _num(v or "", ctx, "actions.push_vlan.tpid", p, 16)
    tci = 0x1000
    for name, (v, p) in kv.items():
        spec = _VLAN_FIELDS.get(name)
        if spec is None or v is None:
            raise ctx.err("unknown field %r" % name, "actions.push_vlan." + name, p)
        shift, top = spec
        val = _num(v, ctx, "actions.push_vlan." + name, p)
        if val > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), "actions.push_vlan." + name, p)
        tci = (tci & ~(top << shift)) | (val << shift)
    return (A.ACT_PUSH_VLAN, struct.pack("!HH", tpid, tci))


_SAMPLE_PCT_MSG = "sample probability must end with %"
_SAMPLE_NEEDS_MSG = "sample needs sample=P% and actions(...)"


def _a_sample(s, bs, be, ctx, depth):
    items = _fields(s[bs:be], bs)
    prob = None
    acts = None
    for item, ipos in items:
        if item.startswith("sample="):
            txt = item[7:]
            if not txt.endswith("%"):
                raise ctx.err(_SAMPLE_PCT_MSG, "actions.sample", ipos)
            try:
                pct = float(txt[:-1])
            except ValueError:
                raise ctx.err("bad sample percentage %r" % txt, "actions.sample", ipos) from None
            if not 0.0 <= pct <= 100.0:
                raise ctx.err("sample percentage must be 0 to 100", "actions.sample", ipos)
            prob = int(pct / 100.0 * 0xFFFFFFFF)
        elif item.startswith("actions(") and item.endswith(")"):
            acts = _nested_actions(s, ipos + 8, ipos + len(item) - 1, ctx, depth, "actions.sample.actions")
        else:
            raise ctx.err("unknown sample argument %r" % item, "actions.sample", ipos)
    if prob is None or acts is None:
        raise ctx.err(_SAMPLE_NEEDS_MSG, "actions.sample", bs)
    return (A.ACT_SAMPLE, ((A.SAMPLE_PROBABILITY, _U32.pack(prob)), (A.SAMPLE_ACTIONS, acts)))


def _a_clone(s, bs, be, ctx, depth):
    return (A.ACT_CLONE, _nested_actions(s, bs, be, ctx, depth, "actions.clone"))


def _a_check_pkt_len(s, bs, be, ctx, depth):
    size = gt = le = None
    for item, ipos in _fields(s[bs:be], bs):
        if item.startswith("size="):
            size = _num(item[5:], ctx, "actions.check_pkt_len.size", ipos + 5, 16)
        elif item.startswith("gt(") and item.endswith(")"):
            gt = _nested_actions(s, ipos + 3, ipos + len(item) - 1, ctx, depth, "actions.check_pkt_len.gt")
        elif item.startswith("le(") and item.endswith(")"):
            le = _nested_actions(s, ipos + 3, ipos + len(item) - 1, ctx, depth, "actions.check_pkt_len.le")
        else:
            raise ctx.err("unknown check_pkt_len argument %r" % item, "actions.check_pkt_len", ipos)
    if size is None or gt is None or le is None:
        raise ctx.err("check_pkt_len needs size=, gt(...) and le(...)", "actions.check_pkt_len", bs)
    return (A.ACT_CHECK_PKT_LEN, ((A.CPL_PKT_LEN, _U16.pack(size)), (A.CPL_ACTIONS_IF_GREATER, gt),
                                  (A.CPL_ACTIONS_IF_LESS_EQUAL, le)))


def _a_dec_ttl(s, bs, be, ctx, depth):
    body = s[bs:be]
    if not (body.startswith("le_1(") and body.endswith(")")):
        raise ctx.err("dec_ttl needs le_1(...)", "actions.dec_ttl", bs)
    acts = _nested_actions(s, bs + 5, be - 1, ctx, depth, "actions.dec_ttl.le_1")
    return (A.ACT_DEC_TTL, ((A.DEC_TTL_ACTION, acts),))


def _a_hash(s, bs, be, ctx, depth):
    body = s[bs:be]
    for prefix, alg in (("l4(", A.HASH_ALG_L4), ("sym_l4(", A.HASH_ALG_SYM_L4)):
        if body.startswith(prefix) and body.endswith(")"):
            basis = _num(body[len(prefix):-1], ctx, "actions.hash", bs + len(prefix))
            return (A.ACT_HASH, struct.pack("=II", alg, basis))
    raise ctx.err("hash needs l4(N) or sym_l4(N)", "actions.hash", bs)


def _mpls_action(t, name):
    def parse(s, bs, be, ctx, depth):
        lses, extras = _parse_lse_fields(_fields(s[bs:be], bs), ctx, "actions." + name, False, ("eth_type",))
        if len(lses) != 1 or "eth_type" not in extras:
            raise ctx.err("%s needs label=,tc=,ttl=,bos=,eth_type=" % name, "actions." + name, bs)
        et = _num(extras["eth_type"][0], ctx, "actions.%s.eth_type" % name, extras["eth_type"][1], 16)
        if t == A.ACT_PUSH_MPLS:
            return (t, struct.pack("!IH2x", lses[0][0], et))
        return (t, struct.pack("!IH", lses[0][0], et) + b"\0\0")
    return parse


def _a_pop_mpls(s, bs, be, ctx, depth):
    body = s[bs:be]
    if not body.startswith("eth_type="):
        raise ctx.err("pop_mpls needs eth_type=", "actions.pop_mpls", bs)
    return (A.ACT_POP_MPLS, _BE16.pack(_num(body[9:], ctx, "actions.pop_mpls.eth_type", bs + 9, 16)))


def _a_push_eth(s, bs, be, ctx, depth):
    kv = _kv(s, bs, be, ctx, "actions.push_eth")
    src = dst = bytes(6)
    for name, (v, p) in kv.items():
        try:
            if name == "src" and v is not None:
                src = K.parse_mac(v)
            elif name == "dst" and v is not None:
                dst = K.parse_mac(v)
            else:
                raise ValueError("unknown field %r" % name)
        except ValueError as e:
            raise ctx.err(str(e), "actions.push_eth." + name, p)
    return (A.ACT_PUSH_ETH, src + dst)


def _a_push_nsh(s, bs, be, ctx, depth):
    kv = _kv(s, bs, be, ctx, "actions.push_nsh")
    d = {"flags": 0, "ttl": 63, "mdtype": 1, "np": 3, "spi": 0, "si": 255, "c1": 0, "c2": 0, "c3": 0, "c4": 0}
    md2 = None
    for name, (v, p) in kv.items():
        if name == "md2" and v is not None:
            try:
                md2 = bytes.fromhex(v[2:] if v[:2] in ("0x", "0X") else v)
            except ValueError:
                raise ctx.err("md2 must be hex", "actions.push_nsh.md2", p)
            continue
        if name not in d or v is None:
            raise ctx.err("unknown field %r" % name, "actions.push_nsh." + name, p)
        d[name] = _num(v, ctx, "actions.push_nsh." + name, p, 24 if name == "spi" else
                       (32 if name[0] == "c" else 8))
    base = K.NSH_BASE_LAYOUT.pack(d["flags"], d["ttl"], d["mdtype"], d["np"], (d["spi"] << 8) | d["si"])
    attrs = [(K.NSH_BASE, base)]
    if md2 is not None:
        attrs.append((K.NSH_MD2, md2))
    elif d["mdtype"] == 1:
        attrs.append((K.NSH_MD1, K.NSH_MD1_LAYOUT.pack(d["c1"], d["c2"], d["c3"], d["c4"])))
    # The kernel reads the payload as one OVS_KEY_ATTR_NSH holding BASE and MD1/MD2.
    return (A.ACT_PUSH_NSH, ((K.KEY_NSH, tuple(attrs)),))


# ovs-vswitchd's user_action_cookie, as ovs-dpctl 3.1 writes and reads it in
# userdata (observed byte for byte in the sandbox): 48 bytes, host order
# except where noted.
#   0 u16 type (1 sFlow, 2 slow_path, 3 flow_sample, 4 ipfix, 5 controller)
#   2 has_meter, pad; 4 u32 ofp_in_port (0xffff as written); 8 16-byte uuid
#  24 the type's fields:
#     sFlow:       24 be16 vlan_tci, 28 u32 output
#     slow_path:   28 u32 reason bits
#     flow_sample: 24 u16 probability, 28 u32 collector_set_id, 32 u32
#                  obs_domain_id, 36 u32 obs_point_id, 40 u32 output_port,
#                  44 u32 direction (1 ingress, 2 egress)
#     ipfix:       24 u32 output_port
#     controller:  24 u8 dont_send, 25 u8 continuation, 26 u16 reason,
#                  28 u32 recirc_id, 32 be64 rule_cookie, 40 u16
#                  controller_id, 42 u16 max_len
# ovs-dpctl prints the cookie form for any 48-byte userdata whose type is 1
# to 5, whatever the other header bytes hold; anything else is userdata(HEX).
COOKIE_SIZE = 48
_COOKIE_TYPES = {"sFlow": 1, "slow_path": 2, "flow_sample": 3, "ipfix": 4, "controller": 5}
_COOKIE_HEAD = struct.Struct("=HBxI16x")
_SLOW_PATH_REASONS = (("cfm", 0x1), ("bfd", 0x2), ("lacp", 0x4), ("stp", 0x8), ("lldp", 0x10),
                      ("action", 0x20), ("match", 0x40))
_SLOW_BY_NAME = dict(_SLOW_PATH_REASONS)
_COOKIE_FIELDS = {      # text fields in print order: (name, bits)
    1: (("vid", 12), ("pcp", 3), ("output", 32)),
    3: (("probability", 16), ("collector_set_id", 32), ("obs_domain_id", 32), ("obs_point_id", 32),
        ("output_port", 32)),
    4: (("output_port", 32),),
    5: (("reason", 16), ("dont_send", 1), ("continuation", 1), ("recirc_id", 32), ("rule_cookie", 64),
        ("controller_id", 16), ("max_len", 16)),
}


def _parse_cookie(name, ctype, body, pos, ctx):
    """The 48 userdata bytes for sFlow(...), slow_path(...), flow_sample(...),
    ipfix(...) or controller(...)."""
    field = "actions.userspace." + name
    head = _COOKIE_HEAD.pack(ctype, 0, 0xFFFF)
    if ctype == 2:
        reason = 0
        for item, ipos in _fields(body, pos):
            if item[:1].isdigit():
                reason |= _num(item, ctx, field, ipos)
            elif item in _SLOW_BY_NAME:
                reason |= _SLOW_BY_NAME[item]
            else:
                raise ctx.err("unknown slow_path reason %r" % item, field, ipos)
        return head + struct.pack("=4xI16x", reason)
    vals = {}
    direction = 0
    for item, ipos in _fields(body, pos):
        k, eq, v = item.partition("=")
        if ctype == 3 and not eq and item in ("ingress", "egress"):
            direction = 1 if item == "ingress" else 2
            continue
        bits = dict(_COOKIE_FIELDS[ctype]).get(k)
        if bits is None or not eq or k in vals:
            raise ctx.err("unknown or repeated %s field %r" % (name, k), field + "." + k, ipos)
        vals[k] = _num(v, ctx, field + "." + k, ipos + len(k) + 1, bits)
    missing = [k for k, _b in _COOKIE_FIELDS[ctype] if k not in vals]
    if missing:
        raise ctx.err("%s needs %s" % (name, ",".join(k + "=" for k in missing)), field, pos)
    g = vals.get
    if ctype == 1:
        tci = (g("pcp") << 13) | g("vid")
        if tci:
            tci |= 0x1000
        tail = struct.pack("!H", tci) + struct.pack("=2xI16x", g("output"))
    elif ctype == 3:
        tail = struct.pack("=H2xIIIII", g("probability"), g("collector_set_id"), g("obs_domain_id"),
                           g("obs_point_id"), g("output_port"), direction)
    elif ctype == 4:
        tail = struct.pack("=I20x", g("output_port"))
    else:
        tail = struct.pack("=BBHI", g("dont_send"), g("continuation"), g("reason"), g("recirc_id")) + \
            struct.pack("!Q", g("rule_cookie")) + struct.pack("=HH4x", g("controller_id"), g("max_len"))
    return head + tail


def _fmt_cookie(ud):
    """The cookie form of 48-byte userdata as ovs-dpctl prints it, or None."""
    if len(ud) != COOKIE_SIZE:
        return None
    ctype = _U16.unpack(ud[:2])[0]
    if ctype == 1:
        tci = struct.unpack("!H", ud[24:26])[0]
        return "sFlow(vid=%d,pcp=%d,output=%d)" % (tci & 0xFFF, tci >> 13, _U32.unpack(ud[28:32])[0])
    if ctype == 2:
        reason = _U32.unpack(ud[28:32])[0]
        if not reason:
            return "slow_path(0)"
        names = [n for n, b in _SLOW_PATH_REASONS if reason & b]
        rest = reason & ~0x7F
        if rest:
            names.append("0x%x" % rest)
        return "slow_path(%s)" % ",".join(names)
    if ctype == 3:
        prob, cs, od, op, port, direction = struct.unpack("=H2xIIIII", ud[24:48])
        s = "flow_sample(probability=%d,collector_set_id=%d,obs_domain_id=%d,obs_point_id=%d,output_port=%d" % (
            prob, cs, od, op, port)
        return s + {1: ",ingress)", 2: ",egress)"}.get(direction, ")")
    if ctype == 4:
        return "ipfix(output_port=%d)" % _U32.unpack(ud[24:28])[0]
    if ctype == 5:
        dont_send, cont, reason, recirc = struct.unpack("=BBHI", ud[24:32])
        cookie = struct.unpack("!Q", ud[32:40])[0]
        cid, max_len = struct.unpack("=HH", ud[40:44])
        return ("controller(reason=%d,dont_send=%d,continuation=%d,recirc_id=%d,rule_cookie=%s,controller_id=%d,"
                "max_len=%d)" % (reason, 1 if dont_send else 0, 1 if cont else 0, recirc, _hex(cookie), cid, max_len))
    return None


def _a_userspace(s, bs, be, ctx, depth):
    pid = None
    attrs = []
    for item, ipos in _fields(s[bs:be], bs):
        if item.startswith("pid="):
            pid = _num(item[4:], ctx, "actions.userspace.pid", ipos + 4)
        elif item.startswith("userdata(") and item.endswith(")"):
            try:
                data = bytes.fromhex(item[9:-1])
            except ValueError:
                raise ctx.err("userdata must be hex bytes", "actions.userspace.userdata", ipos + 9)
            if len(data) < 8:
                data += bytes(8 - len(data))
            attrs.append((A.USERSPACE_USERDATA, data))
        elif item == "actions":
            attrs.append((A.USERSPACE_ACTIONS, b""))
        elif item.startswith("tunnel_out_port="):
            attrs.append((A.USERSPACE_EGRESS_TUN_PORT,
                          _U32.pack(_num(item[16:], ctx, "actions.userspace.tunnel_out_port", ipos + 16))))
        else:
            name, paren, inner = item.partition("(")
            cookie = _COOKIE_TYPES.get(name)
            if cookie is None or not paren or not inner.endswith(")"):
                raise ctx.err("unknown userspace argument %r" % name, "actions.userspace." + name, ipos)
            attrs.append((A.USERSPACE_USERDATA, _parse_cookie(name, cookie, inner[:-1], ipos + len(name) + 1, ctx)))
    if pid is None:
        raise ctx.err("userspace needs pid=", "actions.userspace", bs)
    return (A.ACT_USERSPACE, ((A.USERSPACE_PID, _U32.pack(pid)),) + tuple(sorted(attrs)))


def _a_psample(s, bs, be, ctx, depth):
    kv = _kv(s, bs, be, ctx, "actions.psample")
    attrs = []
    if "group" not in kv or kv["group"][0] is None:
        raise ctx.err("psample needs group=", "actions.psample", bs)
    for name, (v, p) in kv.items():
        if name == "group":
            attrs.append((A.PSAMPLE_GROUP, _U32.pack(_num(v, ctx, "actions.psample.group", p))))
        elif name == "cookie" and v is not None:
            hexs = v[2:] if v[:2] in ("0x", "0X") else v
            try:
                cookie = bytes.fromhex(hexs if len(hexs) % 2 == 0 else "0" + hexs)
            except ValueError:
                raise ctx.err("cookie must be hex", "actions.psample.cookie", p)
            if len(cookie) > 16:
                raise ctx.err("cookie is longer than 16 bytes", "actions.psample.cookie", p)
            attrs.append((A.PSAMPLE_COOKIE, cookie))
        else:
            raise ctx.err("unknown field %r" % name, "actions.psample." + name, p)
    return (A.ACT_PSAMPLE, tuple(attrs))


def _ip_any(txt):
    try:
        return K.parse_ip4(txt)
    except ValueError:
        return K.parse_ip6(txt)


def _parse_nat(body, pos, ctx):
    attrs = []
    items = _fields(body, pos)
    if not items:
        raise ctx.err("nat() needs src or dst", "actions.ct.nat", pos)
    seen_kind = None
    flags = set()
    for n, (item, ipos) in enumerate(items):
        if n == 0:
            kind, eq, rng = item.partition("=")
            if kind not in ("src", "dst"):
                raise ctx.err("nat needs src or dst first", "actions.ct.nat", ipos)
            seen_kind = kind
            attrs.append((A.NAT_SRC if kind == "src" else A.NAT_DST, b""))
            if eq:
                attrs.extend(_parse_nat_range(rng, ipos + 4, ctx))
            continue
        if item in ("persistent", "hash", "random"):
            if item in flags:
                raise ctx.err("%s given twice" % item, "actions.ct.nat", ipos)
            flags.add(item)
            continue
        if item in ("src", "dst") or item.startswith(("src=", "dst=")):
            raise ctx.err("nat takes one of src or dst", "actions.ct.nat", ipos)
        raise ctx.err("unknown nat argument %r" % item, "actions.ct.nat", ipos)
    if "hash" in flags and "random" in flags:
        raise ctx.err("nat hash and random are exclusive", "actions.ct.nat", pos)
    for name, t in (("persistent", A.NAT_PERSISTENT), ("hash", A.NAT_PROTO_HASH), ("random", A.NAT_PROTO_RANDOM)):
        if name in flags:
            attrs.append((t, b""))
    if not seen_kind:
        raise AssertionError("nat without src or dst")
    return tuple(attrs)


def _parse_nat_range(rng, pos, ctx):
    field = "actions.ct.nat"
    ports = None
    if rng.startswith("["):
        j = rng.find("]")
        if j < 0:
            raise ctx.err("missing ']'", field, pos)
        lo = rng[1:j]
        rest = rng[j + 1:]
        hi = None
        if rest.startswith("-["):
            k = rest.find("]")
            if k < 0:
                raise ctx.err("missing ']'", field, pos)
            hi = rest[2:k]
            rest = rest[k + 1:]
        if rest.startswith(":"):
            ports = rest[1:]
        elif rest:
            raise ctx.err("bad nat range %r" % rng, field, pos)
    else:
        addrs = rng
        if rng.count(":") == 1 or (":" in rng and "." in rng.split(":")[0]):
            addrs, _sep, ports = rng.partition(":")
        lo, _sep, hi = addrs.partition("-")
        hi = hi or None
    try:
        amin = _ip_any(lo)
        amax = _ip_any(hi) if hi else None
    except ValueError as e:
        raise ctx.err(str(e), field, pos)
    out = [(A.NAT_IP_MIN, amin)]
    if amax is not None:
        if len(amax) != len(amin) or amax < amin:
            raise ctx.err("bad nat address range", field, pos)
        out.append((A.NAT_IP_MAX, amax))
    if ports is not None:
        plo, _sep, phi = ports.partition("-")
        pmin = _num(plo, ctx, field, pos, 16)
        out.append((A.NAT_PROTO_MIN, _U16.pack(pmin)))
        if phi:
            pmax = _num(phi, ctx, field, pos, 16)
            if pmax < pmin:
                raise ctx.err("bad nat port range", field, pos)
            out.append((A.NAT_PROTO_MAX, _U16.pack(pmax)))
    return out


def _a_ct(s, bs, be, ctx, depth):
    got = {}
    for item, ipos in _fields(s[bs:be], bs):
        name, eq, rest = item.partition("=")
        key = name.partition("(")[0]
        if key in got or (key in ("commit", "force_commit") and ("commit" in got or "force_commit" in got)):
            raise ctx.err("ct argument %s conflicts or repeats" % key, "actions.ct." + key, ipos)
        vpos = ipos + len(name) + 1
        if item in ("commit", "force_commit"):
            got[item] = (A.CT_COMMIT if item == "commit" else A.CT_FORCE_COMMIT, b"")
        elif name == "zone" and eq:
            got["zone"] = (A.CT_ZONE, _U16.pack(_num(rest, ctx, "actions.ct.zone", vpos, 16)))
        elif name == "mark" and eq:
            v, sl, m = rest.partition("/")
            val = _num(v, ctx, "actions.ct.mark", vpos, 32, K.parse_hex)
            msk = _num(m, ctx, "actions.ct.mark", vpos, 32, K.parse_hex) if sl else 0xFFFFFFFF
            got["mark"] = (A.CT_MARK, struct.pack("=II", val, msk))
        elif name == "label" and eq:
            v, sl, m = rest.partition("/")
            val = _parse_u128(v, ctx, "actions.ct.label", vpos)
            msk = _parse_u128(m, ctx, "actions.ct.label", vpos) if sl else (1 << 128) - 1
            got["label"] = (A.CT_LABELS, val.to_bytes(16, _NATIVE) + msk.to_bytes(16, _NATIVE))
        elif name in ("helper", "timeout") and eq:
            top = 15 if name == "helper" else 31
            if not rest or len(rest) > top:
                raise ctx.err("%s must be 1 to %d characters" % (name, top), "actions.ct." + name, vpos)
            got[name] = (A.CT_HELPER if name == "helper" else A.CT_TIMEOUT, rest.encode() + b"\0")
        elif item == "nat":
            got["nat"] = (A.CT_NAT, ())
        elif item.startswith("nat(") and item.endswith(")"):
            got["nat"] = (A.CT_NAT, _parse_nat(item[4:-1], ipos + 4, ctx))
        else:
            raise ctx.err("unknown ct argument %r" % item, "actions.ct", ipos)
    order = ("commit", "force_commit", "zone", "mark", "label", "helper", "timeout", "nat")
    return (A.ACT_CT, tuple(got[k] for k in order if k in got))


def _a_recirc(s, bs, be, ctx, depth):
    return (A.ACT_RECIRC, _U32.pack(_num(s[bs:be], ctx, "actions.recirc", bs)))


_ACTION_PARSERS = {
    "output": _a_output,
    "set": _a_set,
    "push_vlan": _a_push_vlan,
    "sample": _a_sample,
    "recirc": _a_recirc,
    "hash": _a_hash,
    "push_mpls": _mpls_action(A.ACT_PUSH_MPLS, "push_mpls"),
    "pop_mpls": _a_pop_mpls,
    "add_mpls": _mpls_action(A.ACT_ADD_MPLS, "add_mpls"),
    "ct": _a_ct,
    "trunc": _a_trunc,
    "push_eth": _a_push_eth,
    "push_nsh": _a_push_nsh,
    "pop_nsh": _a_pop_nsh,
    "meter": _a_u32(A.ACT_METER, "meter"),
    "clone": _a_clone,
    "check_pkt_len": _a_check_pkt_len,
    "dec_ttl": _a_dec_ttl,
    "drop": _a_drop,
    "userspace": _a_userspace,
    "psample": _a_psample,
}


# --- actions: print ---------------------------------------------------------------------

def _format_actions(actions, names):
    if not actions:
        return "drop"
    return ",".join([_format_action(t, p, names) for t, p in actions])


def _generic_action(t, p):
    if p.__class__ is tuple:
        from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs
        p = encode_attrs(p)
    if not p:
        return "action%d" % t
    return "action%d(%s)" % (t, " ".join("%02x" % c for c in p))


def _fa_output(p, names):
    port = _U32.unpack(p)[0]
    if names:
        name = names.get(port)
        if name is not None:
            return name
    return str(port)


def _fa_userspace(p, names):
    d = dict(p)
    out = ["userspace(pid=%d" % _U32.unpack(d[A.USERSPACE_PID])[0]]
    ud = d.get(A.USERSPACE_USERDATA)
    if ud is not None:
        cookie = _fmt_cookie(ud)
        out.append("," + cookie if cookie is not None else ",userdata(%s)" % ud.hex())
    if A.USERSPACE_ACTIONS in d:
        out.append(",actions")
    tp = d.get(A.USERSPACE_EGRESS_TUN_PORT)
    if tp is not None:
        out.append(",tunnel_out_port=%d" % _U32.unpack(tp)[0])
    out.append(")")
    return "".join(out)


def _fa_set(p, names):
    (t, v), = p
    return "set(" + _format_attr(t, v, None, True, None) + ")"


def _fa_set_masked(p, names):
    (t, vm), = p
    if t == K.KEY_NSH:
        return None
    half = len(vm) // 2
    return "set(" + _format_attr(t, vm[:half], vm[half:], False, None) + ")"


def _fa_push_vlan(p, names):
    tpid, tci = struct.unpack("!HH", p)
    pre = "" if tpid == 0x8100 else "tpid=0x%04x," % tpid
    return "push_vlan(" + pre + _fmt_tci(tci, 0xFFFF, False) + ")"


def _fa_sample(p, names):
    d = dict(p)
    prob = _U32.unpack(d[A.SAMPLE_PROBABILITY])[0]
    return "sample(sample=%.1f%%,actions(%s))" % (100.0 * prob / 0xFFFFFFFF, _format_actions(d.get(A.SAMPLE_ACTIONS, ()), names))


def _fa_hash(p, names):
    alg, basis = struct.unpack("=II", p)
    if alg == A.HASH_ALG_L4:
        return "hash(l4(%d))" % basis
    if alg == A.HASH_ALG_SYM_L4:
        return "hash(sym_l4(%d))" % basis
    return "hash(Unknown hash algorithm(%d))" % alg


def _fa_push_mpls(p, names):
    lse, et = struct.unpack("!IH2x", p)
    return "push_mpls(%s,eth_type=0x%x)" % (_lse_text(lse), et)


def _fa_add_mpls(p, names):
    lse, et = struct.unpack_from("!IH", p)
    return "add_mpls(%s,eth_type=0x%x)" % (_lse_text(lse), et)


def _fmt_ip6_bracket(b, bracket):
    s = K.format_ip6(b)
    return "[" + s + "]" if bracket else s


def _fa_nat(p):
    d = dict(p)
    if A.NAT_SRC not in d and A.NAT_DST not in d:
        return "nat"
    out = ["nat(", "src" if A.NAT_SRC in d else "dst"]
    amin = d.get(A.NAT_IP_MIN)
    amax = d.get(A.NAT_IP_MAX)
    pmin = _U16.unpack(d[A.NAT_PROTO_MIN])[0] if A.NAT_PROTO_MIN in d else 0
    pmax = _U16.unpack(d[A.NAT_PROTO_MAX])[0] if A.NAT_PROTO_MAX in d else 0
    if amin:
        out.append("=")
        if len(amin) == 4:
            out.append(K.format_ip4(amin))
            if amax and any(amax) and amax > amin:
                out.append("-" + K.format_ip4(amax))
        else:
            out.append(_fmt_ip6_bracket(amin, pmin))
            if amax and any(amax) and amax > amin:
                out.append("-" + _fmt_ip6_bracket(amax, pmin))
        if pmin:
            out.append(":%d" % pmin)
            if pmax and pmax > pmin:
                out.append("-%d" % pmax)
    for t, word in ((A.NAT_PERSISTENT, ",persistent"), (A.NAT_PROTO_HASH, ",hash"),
                    (A.NAT_PROTO_RANDOM, ",random")):
        if t in d:
            out.append(word)
    out.append(")")
    return "".join(out)


def _fa_ct(p, names):
    d = dict(p)
    out = []
    if A.CT_COMMIT in d:
        out.append("commit")
    if A.CT_FORCE_COMMIT in d:
        out.append("force_commit")
    z = d.get(A.CT_ZONE)
    if z is not None and _U16.unpack(z)[0]:
        out.append("zone=%d" % _U16.unpack(z)[0])
    mk = d.get(A.CT_MARK)
    if mk is not None:
        v, m = struct.unpack("=II", mk)
        out.append("mark=%s/%s" % (_hex(v), _hex(m)))
    lb = d.get(A.CT_LABELS)
    if lb is not None:
        s = "label=" + _u128_hex(lb[:16])
        if not _all_ones(lb[16:]):
            s += "/" + _u128_hex(lb[16:])
        out.append(s)
    for t, word in ((A.CT_HELPER, "helper="), (A.CT_TIMEOUT, "timeout=")):
        v = d.get(t)
        if v is not None:
            out.append(word + v.rstrip(b"\0").decode("ascii", "replace"))
    if A.CT_NAT in d:
        out.append(_fa_nat(d[A.CT_NAT]))
    return "ct(" + ",".join(out) + ")" if out else "ct"


def _fa_push_eth(p, names):
    return "push_eth(src=%s,dst=%s)" % (K.format_mac(p[:6]), K.format_mac(p[6:]))


def _fa_push_nsh(p, names):
    for t, v in p:      # OVS_KEY_ATTR_NSH around BASE and MD1/MD2
        if t == K.KEY_NSH and v.__class__ is tuple:
            p = v
            break
    d = _nsh_values(p, 0)
    s = "push_nsh(flags=%d,ttl=%d,mdtype=%d,np=%d,spi=0x%x,si=%d" % (
        d["flags"], d["ttl"], d["mdtype"], d["np"], d["spi"], d["si"])
    if d["mdtype"] == 1:
        s += ",c1=0x%x,c2=0x%x,c3=0x%x,c4=0x%x" % (d["c1"], d["c2"], d["c3"], d["c4"])
    elif d["mdtype"] == 2:
        md2 = dict(p).get(K.NSH_MD2, b"")
        # ovs-dpctl prints md2 as one hex number: no leading zeros, "0" when empty or all zero
        s += ",md2=" + ("0x%x" % int(md2.hex(), 16) if any(md2) else "0")
    return s + ")"


def _fa_check_pkt_len(p, names):
    d = dict(p)
    return "check_pkt_len(size=%d,gt(%s),le(%s))" % (
        _U16.unpack(d[A.CPL_PKT_LEN])[0], _format_actions(d.get(A.CPL_ACTIONS_IF_GREATER, ()), names),
        _format_actions(d.get(A.CPL_ACTIONS_IF_LESS_EQUAL, ()), names))


def _fa_dec_ttl(p, names):
    d = dict(p)
    return "dec_ttl(le_1(%s))" % _format_actions(d.get(A.DEC_TTL_ACTION, ()), names)


def _fa_psample(p, names):
    d = dict(p)
    s = "psample(group=%d" % _U32.unpack(d[A.PSAMPLE_GROUP])[0]
    c = d.get(A.PSAMPLE_COOKIE)
    if c is not None:
        s += ",cookie=" + _bytes_hex(c)
    return s + ")"


_ACTION_FORMATTERS = {
    A.ACT_OUTPUT: (4, _fa_output),
    A.ACT_USERSPACE: (None, _fa_userspace),
    A.ACT_SET: (None, _fa_set),
    A.ACT_SET_MASKED: (None, _fa_set_masked),
    A.ACT_PUSH_VLAN: (4, _fa_push_vlan),
    A.ACT_POP_VLAN: (0, lambda p, n: "pop_vlan"),
    A.ACT_SAMPLE: (None, _fa_sample),
    A.ACT_RECIRC: (4, lambda p, n: "recirc(%s)" % _hex(_U32.unpack(p)[0])),
    A.ACT_HASH: (8, _fa_hash),
    A.ACT_PUSH_MPLS: (8, _fa_push_mpls),
    A.ACT_POP_MPLS: (2, lambda p, n: "pop_mpls(eth_type=0x%x)" % _BE16.unpack(p)[0]),
    A.ACT_CT: (None, _fa_ct),
    A.ACT_TRUNC: (4, lambda p, n: "trunc(%d)" % _U32.unpack(p)[0]),
    A.ACT_PUSH_ETH: (12, _fa_push_eth),
    A.ACT_POP_ETH: (0, lambda p, n: "pop_eth"),
    A.ACT_CT_CLEAR: (0, lambda p, n: "ct_clear"),
    A.ACT_PUSH_NSH: (None, _fa_push_nsh),
    A.ACT_POP_NSH: (0, lambda p, n: "pop_nsh()"),
    A.ACT_METER: (4, lambda p, n: "meter(%d)" % _U32.unpack(p)[0]),
    A.ACT_CLONE: (None, lambda p, n: "clone(%s)" % _format_actions(p, n)),
    A.ACT_CHECK_PKT_LEN: (None, _fa_check_pkt_len),
    A.ACT_ADD_MPLS: (8, _fa_add_mpls),
    A.ACT_DEC_TTL: (None, _fa_dec_ttl),
    A.ACT_DROP: (4, lambda p, n: "drop"),
    A.ACT_PSAMPLE: (None, _fa_psample),
}


def _format_action(t, p, names):
    f = _ACTION_FORMATTERS.get(t)
    if f is None:
        return _generic_action(t, p)
    size, fn = f
    if size is None:
        if p.__class__ is not tuple:
            return _generic_action(t, p)
    elif p.__class__ is not bytes or len(p) != size:
        return _generic_action(t, p)
    try:
        r = fn(p, names)
    except (KeyError, ValueError, struct.error, TypeError):
        return _generic_action(t, p)
    return _generic_action(t, p) if r is None else r


def action_text(t: int, p, names) -> str:
    """One decoded action attribute as dump-flows prints it (an action
    list prints as its actions' texts joined by commas)."""
    return _format_action(t, p, names)


# --- public API -----------------------------------------------------------------------------

def parse_key(text: str, *, port_numbers=None) -> tuple:
    """``(key, mask)`` attribute lists from a key in dpctl syntax."""
    ctx = _Ctx(text, port_numbers)
    return _parse_key_list(text, 0, len(text), ctx, 0)


def parse_actions(text: str, *, port_numbers=None) -> tuple:
    """An action attribute list from dpctl syntax (``drop`` = empty)."""
    ctx = _Ctx(text, port_numbers)
    return _parse_action_list(text, 0, len(text), ctx, 0)


def ufid_from_text(s: str, text: str = "", pos: int = 0) -> bytes:
    if not _UUID_RE.match(s):
        raise FlowSyntaxError(text or s, "ufid must be a dashed 36-character UUID", "ufid", pos)
    h = s.replace("-", "")
    return _UFID.pack(int(h[0:8], 16), int(h[8:16], 16), int(h[16:24], 16), int(h[24:32], 16))


def ufid_to_text(u: bytes) -> str:
    a, b, c, d = _UFID.unpack(u)
    return "%08x-%04x-%04x-%04x-%04x%08x" % (a, b >> 16, b & 0xFFFF, c >> 16, c & 0xFFFF, d)


_STAT_PREFIXES = ("packets:", "bytes:", "used:", "flags:", "dp:", "offloaded:", "dp-extra-info:")


class _NotFast(Exception):
    """The line is not in the shape the fast path handles."""


def _fast_key(s, end, ctx):
    """Key and mask tuples of the flat key ``s[:end]``: ``name(body),...`` with
    no inner parentheses, the form of most key attributes. One C-level split
    replaces per-item scanning; item texts are looked up in _KEY_CACHE."""
    key = s[:end]
    parts = key.split("),")
    n = len(parts)
    opens = key.count("(")
    if opens != key.count(")") or key[-1] != ")" or not key.isprintable():
        raise _NotFast
    if opens != n:
        return _fast_nested_key(key, ctx)
    parts[-1] = parts[-1][:-1]
    keys = []
    masks = []
    parsers = _KEY_PARSERS
    cache = _KEY_CACHE
    for part in parts:
        hit = cache.get(part)
        if hit is None:
            name, paren, body = part.partition("(")
            p = parsers.get(name)
            if p is None or not paren:
                raise _NotFast
            num, parser = p
            # Position 0: on any error the caller re-parses the line with the
            # general parser, which reports the real position.
            kk, mm = parser(body, 0, ctx, 0)
            if len(part) <= _CACHE_TEXT_MAX:
                if len(cache) >= _KEY_CACHE_MAX:
                    cache.clear()
                cache[part] = (num, kk, mm)
        else:
            num, kk, mm = hit
        keys.append((num, kk))
        masks.append((num, mm))
    return tuple(keys), tuple(masks)


def _fast_nested_key(key, ctx):
    """As _fast_key for a key with nested attributes (tunnel, encap): items
    split at depth-0 commas, each ``name(...)`` with its parentheses matched."""
    keys = []
    masks = []
    parsers = _KEY_PARSERS
    cache = _KEY_CACHE
    for item, pos in _fields(key, 0):
        hit = cache.get(item)
        if hit is None:
            name, paren, body = item.partition("(")
            p = parsers.get(name)
            if p is None or not paren or item[-1] != ")":
                raise _NotFast
            bs = pos + len(name) + 1
            if body.count("(") and _close(key, bs - 1, pos + len(item), ctx, "key") != pos + len(item) - 1:
                raise _NotFast
            num, parser = p
            kk, mm = parser(body[:-1], bs, ctx, 0)
            if len(item) <= _CACHE_TEXT_MAX:
                if len(cache) >= _KEY_CACHE_MAX:
                    cache.clear()
                cache[item] = (num, kk, mm)
        else:
            num, kk, mm = hit
        keys.append((num, kk))
        masks.append((num, mm))
    return tuple(keys), tuple(masks)


def parse_dump_line(text: str, *, port_numbers=None):
    """``(Flow, FlowStats | None)`` from a dump-flows line or a flow-file line
    (``[ufid:U,]KEY ACTIONS`` or ``KEY, ..., actions:ACTIONS``)."""
    ctx = _Ctx(text, port_numbers)
    s = text
    if not port_numbers:
        j = s.find(" ")
        if j > 0 and "actions:" not in s and not _blank(s, j, len(s)):
            try:
                keys, masks = _fast_key(s, j, ctx)
            except (_NotFast, FlowSyntaxError):
                pass        # the general parser below decides, and words any error
            else:
                return Flow(keys, masks, _parse_action_list(s, j, len(s), ctx, 0)), None
    n = len(s)
    i = 0
    while i < n and s[i] in _DELIMS:
        i += 1
    ufid = None
    if s.startswith("ufid:", i):
        j = i + 5
        k = j
        while k < n and s[k] not in _DELIMS:
            k += 1
        ufid = ufid_from_text(s[j:k], text, j)
        i = k
    a = _find_top(s, "actions:", i, ctx)
    stats = None
    if a >= 0:
        key_end = a
        if _blank(s, a + 8, n):
            raise ctx.err(_NO_ACTIONS, "actions", n)
        acts = _parse_action_list(s, a + 8, n, ctx, 0)
        # strip trailing stats items from the key part
        items = _items(s, i, a, ctx, "key")
        keys = []
        masks = []
        st = {}
        for name, pos, bs, be in items:
            pre = next((p for p in _STAT_PREFIXES if name.startswith(p)), None)
            if pre is not None:
                st[pre[:-1]] = (name[len(pre):], pos)
                continue
            if bs is None:
                raise ctx.err("expected %s(...)" % name, name, pos)
            num, parser = _key_parser(name, ctx, pos)
            kk, mm = parser(s[bs:be], bs, ctx, 0)
            keys.append((num, kk))
            masks.append((num, mm))
        if st:
            stats = _stats_from(st, ctx)
        del key_end
        return Flow(tuple(keys), tuple(masks), acts, ufid), stats
    # flow-file form: KEY, whitespace, ACTIONS
    j = _split_top_space(s, i, ctx)
    keys, masks = _parse_key_list(s, i, j, ctx, 0)
    if _blank(s, j, n):
        raise ctx.err(_NO_ACTIONS, "actions", n)
    acts = _parse_action_list(s, j, n, ctx, 0)
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
    def num(name):
        v = st.get(name)
        if v is None:
            return 0
        return _num(v[0], ctx, name, v[1], 64)
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
    return FlowStats(num("packets"), num("bytes"), used, flags)


_TCP_LETTERS = (("S", 0x002), ("F", 0x001), ("P", 0x008), ("R", 0x004), ("U", 0x020), (".", 0x010),
                ("E", 0x040), ("C", 0x080), ("N", 0x100))
_TCP_LETTER_BITS = dict(_TCP_LETTERS)


def format_tcp_flags_letters(flags: int) -> str:
    out = [c for c, bit in _TCP_LETTERS if flags & bit]
    for bit in (0x200, 0x400, 0x800):
        if flags & bit:
            out.append("[%x]" % bit)
    return "".join(out)


def format_key(key: tuple, mask: tuple | None = None, *, verbose: bool = False, port_names=None) -> str:
    """The key as dump-flows prints it (``-m`` when verbose)."""
    return _format_key_list(key, mask, verbose, port_names)


def format_actions(actions: tuple, *, port_names=None) -> str:
    return _format_actions(actions, port_names)


def format_flow(flow: Flow, *, verbose: bool = False, stats: FlowStats | None = None, port_names=None,
                ufid: bool = False) -> str:
    """dump-flows line when ``stats`` is given, else ``KEY ACTIONS`` (flow-file form).

    With ``verbose`` the line is the ``-m`` form: every attribute, ``ufid:``
    prefix when the flow has one, and ``dp:ovs``.
    """
    names = port_names
    key = _format_key_list(flow.key, flow.mask, verbose, names)
    acts = _format_actions(flow.actions, names)
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
