# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key attribute parsers of the ovs-dpctl text form.

A parser takes ``(body, pos, ctx, depth)``: the text between the
attribute's parentheses, its column in the whole text, the parse context
and the encap nesting depth; it returns ``(key payload, mask payload)``,
bytes or, for nested attributes, tuples of attributes. They are built from
the rows of keys.py once at import into :data:`KEY_PARSERS` (name ->
(attribute number, parser)); :func:`key_parser` also resolves ``keyN``
names. :func:`parse_key_list` parses a key, keeping short attribute texts
in :data:`KEY_CACHE`, which the fast path of the package's
``__init__.py`` shares.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import (
    CT_BY_NAME,
    DELIMS,
    ITEM,
    MAX_NESTING,
    NATIVE,
    OVS_UNNAMED_KEYS,
    TCP_BY_NAME,
    close,
    fields,
    num,
    parse_flags,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.tunnel import parse_tunnel

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U32 = odp_keys.U32
_BE16 = odp_keys.BE16
_BE32 = odp_keys.BE32


def _mk_struct_parser(row):
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
    fcache = {}

    def parse(body, pos, ctx, depth):
        vals = list(zero)
        masks = list(zero)
        if "(" in body or "{" in body:
            items = fields(body, pos)
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
        val = num(v, ctx, field, pos, bits)
        msk = num(m, ctx, field, pos + len(v) + 1, bits) if sl else full
        return pack(val), pack(msk)
    return parse


def _parse_in_port(body, pos, ctx, depth):
    v, sl, m = body.partition("/")
    if v[:1].isdigit():
        port = num(v, ctx, "in_port", pos)
    else:
        ports = ctx.ports
        if not ports or v not in ports:
            raise ctx.err("unknown port name %r" % v, "in_port", pos)
        port = ports[v]
    msk = num(m, ctx, "in_port", pos + len(v) + 1) if sl else 0xFFFFFFFF
    return _U32.pack(port), _U32.pack(msk)


def _parse_ct_state(body, pos, ctx, depth):
    v, m = parse_flags(body, CT_BY_NAME, odp_keys.CT_STATE_SUPPORTED, ctx, "ct_state", pos)
    return _U32.pack(v), _U32.pack(m)


def _parse_tcp_flags(body, pos, ctx, depth):
    v, m = parse_flags(body, TCP_BY_NAME, odp_keys.TCP_FLAGS_FULL, ctx, "tcp_flags", pos)
    if v >> 16 or m >> 16:
        raise ctx.err("tcp_flags out of range", "tcp_flags", pos)
    return _BE16.pack(v), _BE16.pack(m)


def parse_u128(s, ctx, field, pos):
    if s[:2] in ("0x", "0X"):
        bits = 128
    else:
        bits = 64
    return num(s, ctx, field, pos, bits)


def _parse_ct_label(body, pos, ctx, depth):
    v, sl, m = body.partition("/")
    val = parse_u128(v, ctx, "ct_label", pos)
    msk = parse_u128(m, ctx, "ct_label", pos + len(v) + 1) if sl else (1 << 128) - 1
    return val.to_bytes(16, NATIVE), msk.to_bytes(16, NATIVE)


VLAN_FIELDS = {"vid": (0, 0xFFF), "pcp": (13, 7), "cfi": (12, 1)}


def _parse_tci(body, pos, ctx, field):
    tci = 0x1000
    msk = 0x1000
    for item, ipos in fields(body, pos):
        name, eq, rest = item.partition("=")
        spec = VLAN_FIELDS.get(name)
        if spec is None or not eq:
            raise ctx.err("unknown field %r" % name, field + "." + name, ipos)
        shift, top = spec
        v, sl, m = rest.partition("/")
        vpos = ipos + len(name) + 1
        val = num(v, ctx, field + "." + name, vpos)
        mv = num(m, ctx, field + "." + name, vpos + len(v) + 1) if sl else top
        if val > top or mv > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), field + "." + name, vpos)
        tci = (tci & ~(top << shift)) | (val << shift)
        msk = (msk & ~(top << shift)) | (mv << shift)
    return tci, msk


def _parse_vlan(body, pos, ctx, depth):
    tci, msk = _parse_tci(body, pos, ctx, "vlan")
    return _BE16.pack(tci), _BE16.pack(msk)


_MPLS_FIELDS = {"label": (12, 0xFFFFF), "tc": (9, 7), "bos": (8, 1), "ttl": (0, 0xFF)}


def parse_lse_fields(items, ctx, field, allow_mask=True, extra=None):
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
        val = num(v, ctx, field + "." + name, vpos)
        mv = num(m, ctx, field + "." + name, vpos + len(v) + 1) if sl else top
        if val > top or mv > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), field + "." + name, vpos)
        cur[0] |= val << shift
        cur[1] |= mv << shift
    return lses, extras


def _parse_mpls(body, pos, ctx, depth):
    lses, _extra = parse_lse_fields(fields(body, pos), ctx, "mpls")
    if not 1 <= len(lses) <= 3:
        raise ctx.err("mpls needs 1 to 3 label stack entries", "mpls", pos)
    return (b"".join(_BE32.pack(v) for v, _m in lses), b"".join(_BE32.pack(m) for _v, m in lses))


def _parse_encap(body, pos, ctx, depth):
    if depth >= MAX_NESTING:
        raise ctx.err("too deeply nested", "encap", pos)
    return parse_key_list(ctx.text, pos, pos + len(body), ctx, depth + 1)


def _parse_nsh(body, pos, ctx, depth):
    vals = dict.fromkeys(odp_keys.NSH_FIELDS, 0)
    masks = dict.fromkeys(odp_keys.NSH_FIELDS, 0)
    tops = {"spi": 0xFFFFFF, "c1": 0xFFFFFFFF, "c2": 0xFFFFFFFF, "c3": 0xFFFFFFFF, "c4": 0xFFFFFFFF}
    md1 = False
    for item, ipos in fields(body, pos):
        name, eq, rest = item.partition("=")
        if name not in vals or not eq:
            raise ctx.err("unknown field %r" % name, "nsh." + name, ipos)
        top = tops.get(name, 0xFF)
        v, sl, m = rest.partition("/")
        vpos = ipos + len(name) + 1
        vals[name] = num(v, ctx, "nsh." + name, vpos)
        masks[name] = num(m, ctx, "nsh." + name, vpos + len(v) + 1) if sl else top
        if vals[name] > top or masks[name] > top:
            raise ctx.err("%s out of range" % name, "nsh." + name, vpos)
        md1 = md1 or name[0] == "c"
    return _nsh_attrs(vals, md1), _nsh_attrs(masks, md1)


def _nsh_attrs(d, md1):
    base = odp_keys.NSH_BASE_LAYOUT.pack(d["flags"], d["ttl"], d["mdtype"], d["np"], (d["spi"] << 8) | d["si"])
    out = [(odp_keys.NSH_BASE, base)]
    if md1:
        out.append((odp_keys.NSH_MD1, odp_keys.NSH_MD1_LAYOUT.pack(d["c1"], d["c2"], d["c3"], d["c4"])))
    return tuple(out)


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


KEY_PARSERS = {}
for _row in odp_keys.KEY_TABLE:
    if _row.fields and _row.layout is not None and len(_row.fields) > 1:
        KEY_PARSERS[_row.name] = (_row.num, _mk_struct_parser(_row))

_ETH_GENERIC = KEY_PARSERS["eth"][1]
_ETH_FULL = b"\xff" * 12


def _parse_eth(body, pos, ctx, depth):
    """eth(src=M,dst=M) exact, the usual spelling, without the field loop."""
    if len(body) == 42 and body[:4] == "src=" and body[21:26] == ",dst=" and "/" not in body:
        try:
            return odp_keys.parse_mac(body[4:21]) + odp_keys.parse_mac(body[26:]), _ETH_FULL
        except ValueError:
            pass
    return _ETH_GENERIC(body, pos, ctx, depth)


KEY_PARSERS["eth"] = (odp_keys.KEY_ETHERNET, _parse_eth)
for _name, _bits in (("skb_priority", 32), ("skb_mark", 32), ("dp_hash", 32), ("ct_mark", 32),
                     ("ct_zone", 16), ("eth_type", 16), ("ipv6_exthdrs", 16)):
    KEY_PARSERS[_name] = (odp_keys.KEY_BY_NAME[_name].num, _mk_single_parser(odp_keys.KEY_BY_NAME[_name], _bits))
KEY_PARSERS["recirc_id"] = (odp_keys.KEY_RECIRC_ID, _mk_single_parser(odp_keys.KEY_BY_NAME["recirc_id"], 32, True))
KEY_PARSERS.update({
    "in_port": (odp_keys.KEY_IN_PORT, _parse_in_port),
    "ct_state": (odp_keys.KEY_CT_STATE, _parse_ct_state),
    "tcp_flags": (odp_keys.KEY_TCP_FLAGS, _parse_tcp_flags),
    "ct_label": (odp_keys.KEY_CT_LABELS, _parse_ct_label),
    "vlan": (odp_keys.KEY_VLAN, _parse_vlan),
    "mpls": (odp_keys.KEY_MPLS, _parse_mpls),
    "encap": (odp_keys.KEY_ENCAP, _parse_encap),
    "tunnel": (odp_keys.KEY_TUNNEL, parse_tunnel),
    "nsh": (odp_keys.KEY_NSH, _parse_nsh),
})
_KEYN = re.compile(r"key(\d+)$")


def key_parser(name, ctx, pos):
    p = KEY_PARSERS.get(name)
    if p is not None:
        return p
    m = _KEYN.match(name)
    if m:
        num = int(m.group(1))
        if num in odp_keys.KEY_BY_NUM and odp_keys.KEY_BY_NUM[num].kernel and num not in OVS_UNNAMED_KEYS:
            return KEY_PARSERS[odp_keys.KEY_BY_NUM[num].name][0], KEY_PARSERS[odp_keys.KEY_BY_NUM[num].name][1]
        return num, _parse_generic_key(num)
    if name in odp_keys.USERSPACE_ONLY_KEYS:
        raise ctx.err("%s is only known to the userspace datapath; the kernel rejects it" % name, name, pos)
    raise ctx.err("unknown key attribute %r" % name, name, pos)


# Parsed key attributes by their text, e.g. "eth_type(0x0800)" -> (num, key, mask):
# dumps repeat most attributes from flow to flow. Results are immutable and do
# not depend on where the text sits (only errors do, and those are not kept);
# texts that depend on a port-name map bypass it. Emptied when full.
KEY_CACHE = {}
KEY_CACHE_MAX = 4096
# Only texts up to this long are cached: short ones (in_port(3), eth(),
# eth_type(0x0800), tcp_flags(0/0)) recur, long ones (an ipv4(...) with
# addresses) are mostly unique and would only push the short ones out.
CACHE_TEXT_MAX = 28


def parse_key_list(s, i, end, ctx, depth):
    keys = []
    masks = []
    match = ITEM.match
    parsers = KEY_PARSERS
    delims = DELIMS
    cache = None if ctx.ports else KEY_CACHE
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
            k = close(s, j, end, ctx, "key")
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
            p = key_parser(name, ctx, i)
        num, parser = p
        kk, mm = parser(body, bs, ctx, depth)
        keys.append((num, kk))
        masks.append((num, mm))
        if cache is not None:
            if len(text) <= CACHE_TEXT_MAX:
                if len(cache) >= KEY_CACHE_MAX:
                    cache.clear()
                cache[text] = (num, kk, mm)
        i = nxt
    return tuple(keys), tuple(masks)
