# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action parsers of the ovs-dpctl text form.

A parser takes ``(s, bs, be, ctx, depth)``: the whole text, where the
action's body starts and ends in it, the parse context and the action
nesting depth; it returns the action attribute ``(number, payload)``,
payload bytes or a tuple of attributes. :func:`parse_action_list` parses
an action list (``drop`` is the empty tuple), keeping the texts of flat
actions in a cache of their own.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
import ansible_collections.dpif.ovs.plugins.module_utils.odp.text.cookie as text_cookie
import ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_parse as text_key_parse
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.cookie import parse_cookie
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_parse import CACHE_TEXT_MAX, key_parser, parse_lse_fields, parse_u128
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import DELIMS, ITEM, NATIVE, all_ones, close, fields, items, num

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U32 = odp_keys.U32
_U16 = odp_keys.U16
_BE16 = odp_keys.BE16
COOKIE_TYPES = text_cookie.COOKIE_TYPES
VLAN_FIELDS = text_key_parse.VLAN_FIELDS


# Parsed actions without inner parentheses by their text ("2", "ct(commit)",
# "recirc(0x1)"), as KEY_CACHE for keys; not used with a port-name map.
_ACT_CACHE = {}
_ACT_CACHE_MAX = 4096


def parse_action_list(s, i, end, ctx, depth, what="actions"):
    k = i
    while k < end and s[k] in " \t\r\n":
        k += 1
    if k < end and s[k] in "dD" and s[i:end].strip(" \t\r\n").lower() == "drop":
        return ()
    out = []
    append = out.append
    match = ITEM.match
    parsers = _ACTION_PARSERS
    delims = DELIMS
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
            k = close(s, j, end, ctx, what)
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
            if len(text) <= CACHE_TEXT_MAX:
                if len(cache) >= _ACT_CACHE_MAX:
                    cache.clear()
                cache[text] = act
        i = j
    return tuple(out)


def _nested_actions(s, bs, be, ctx, depth, what):
    if depth >= odp_actions.MAX_NESTING * 2:
        raise ctx.err("actions nested too deeply", what, bs)
    return parse_action_list(s, bs, be, ctx, depth + 1, what)


def _parse_action(s, name, pos, bs, be, ctx, depth):
    if bs is None:
        if name[:1].isdigit():
            return (odp_actions.ACT_OUTPUT, _U32.pack(num(name, ctx, "actions.output", pos)))
        simple = _SIMPLE_ACTIONS.get(name)
        if simple is not None:
            return (simple, b"")
        if name == "ct":
            return (odp_actions.ACT_CT, ())
        if name.lower() == "drop":
            raise ctx.err("drop must be the whole action list", "actions.drop", pos)
        if name in odp_actions.UNSUPPORTED_REASONS:
            raise ctx.err(odp_actions.UNSUPPORTED_REASONS[name], "actions." + name, pos)
        if ctx.ports and name in ctx.ports:
            return (odp_actions.ACT_OUTPUT, _U32.pack(ctx.ports[name]))
        raise ctx.err("unknown action or port name %r" % name, "actions", pos)
    parser = _ACTION_PARSERS.get(name)
    if parser is None:
        if name in odp_actions.UNSUPPORTED_REASONS:
            raise ctx.err(odp_actions.UNSUPPORTED_REASONS[name], "actions." + name, pos)
        if name in _SIMPLE_ACTIONS and be == bs and name == "pop_nsh":
            return (odp_actions.ACT_POP_NSH, b"")
        raise ctx.err("unknown action %r" % name, "actions." + name, pos)
    return parser(s, bs, be, ctx, depth)


_SIMPLE_ACTIONS = {"pop_vlan": odp_actions.ACT_POP_VLAN, "ct_clear": odp_actions.ACT_CT_CLEAR, "pop_eth": odp_actions.ACT_POP_ETH,
                   "pop_nsh": odp_actions.ACT_POP_NSH}


def _kv(s, bs, be, ctx, what):
    """name=value items of an action body, as an ordered dict name -> (value, pos)."""
    out = {}
    for item, ipos in fields(s[bs:be], bs):
        name, eq, rest = item.partition("=")
        if name in out:
            raise ctx.err("%s given twice" % name, what + "." + name, ipos)
        out[name] = (rest if eq else None, ipos + len(name) + 1)
    return out


def _a_output(s, bs, be, ctx, depth):
    return (odp_actions.ACT_OUTPUT, _U32.pack(num(s[bs:be], ctx, "actions.output", bs)))


def _a_u32(t, name, decimal_only=False):
    def parse(s, bs, be, ctx, depth):
        body = s[bs:be]
        return (t, _U32.pack(num(body, ctx, "actions." + name, bs)))
    return parse


def _a_trunc(s, bs, be, ctx, depth):
    return (odp_actions.ACT_TRUNC, _U32.pack(num(s[bs:be], ctx, "actions.trunc", bs)))


def _a_drop(s, bs, be, ctx, depth):
    return (odp_actions.ACT_DROP, _U32.pack(num(s[bs:be], ctx, "actions.drop", bs)))


def _a_pop_nsh(s, bs, be, ctx, depth):
    if be != bs:
        raise ctx.err("pop_nsh takes no arguments", "actions.pop_nsh", bs)
    return (odp_actions.ACT_POP_NSH, b"")


def _a_set(s, bs, be, ctx, depth):
    set_items = items(s, bs, be, ctx, "actions.set")
    if len(set_items) != 1 or set_items[0][2] is None:
        raise ctx.err("set needs exactly one key attribute", "actions.set", bs)
    name, pos, ibs, ibe = set_items[0]
    num, parser = key_parser(name, ctx, pos)
    k, m = parser(s[ibs:ibe], ibs, ctx, 0)
    if k.__class__ is tuple:
        return (odp_actions.ACT_SET, ((num, k),))
    if all_ones(m):
        return (odp_actions.ACT_SET, ((num, k),))
    return (odp_actions.ACT_SET_MASKED, ((num, k + m),))


def _a_push_vlan(s, bs, be, ctx, depth):
    kv = _kv(s, bs, be, ctx, "actions.push_vlan")
    tpid = 0x8100
    if "tpid" in kv:
        v, p = kv.pop("tpid")
        tpid = num(v or "", ctx, "actions.push_vlan.tpid", p, 16)
    tci = 0x1000
    for name, (v, p) in kv.items():
        spec = VLAN_FIELDS.get(name)
        if spec is None or v is None:
            raise ctx.err("unknown field %r" % name, "actions.push_vlan." + name, p)
        shift, top = spec
        val = num(v, ctx, "actions.push_vlan." + name, p)
        if val > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), "actions.push_vlan." + name, p)
        tci = (tci & ~(top << shift)) | (val << shift)
    return (odp_actions.ACT_PUSH_VLAN, struct.pack("!HH", tpid, tci))


_SAMPLE_PCT_MSG = "sample probability must end with %"
_SAMPLE_NEEDS_MSG = "sample needs sample=P% and actions(...)"


def _a_sample(s, bs, be, ctx, depth):
    items = fields(s[bs:be], bs)
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
    return (odp_actions.ACT_SAMPLE, ((odp_actions.SAMPLE_PROBABILITY, _U32.pack(prob)), (odp_actions.SAMPLE_ACTIONS, acts)))


def _a_clone(s, bs, be, ctx, depth):
    return (odp_actions.ACT_CLONE, _nested_actions(s, bs, be, ctx, depth, "actions.clone"))


def _a_check_pkt_len(s, bs, be, ctx, depth):
    size = gt = le = None
    for item, ipos in fields(s[bs:be], bs):
        if item.startswith("size="):
            size = num(item[5:], ctx, "actions.check_pkt_len.size", ipos + 5, 16)
        elif item.startswith("gt(") and item.endswith(")"):
            gt = _nested_actions(s, ipos + 3, ipos + len(item) - 1, ctx, depth, "actions.check_pkt_len.gt")
        elif item.startswith("le(") and item.endswith(")"):
            le = _nested_actions(s, ipos + 3, ipos + len(item) - 1, ctx, depth, "actions.check_pkt_len.le")
        else:
            raise ctx.err("unknown check_pkt_len argument %r" % item, "actions.check_pkt_len", ipos)
    if size is None or gt is None or le is None:
        raise ctx.err("check_pkt_len needs size=, gt(...) and le(...)", "actions.check_pkt_len", bs)
    return (odp_actions.ACT_CHECK_PKT_LEN, ((odp_actions.CPL_PKT_LEN, _U16.pack(size)), (odp_actions.CPL_ACTIONS_IF_GREATER, gt),
                                            (odp_actions.CPL_ACTIONS_IF_LESS_EQUAL, le)))


def _a_dec_ttl(s, bs, be, ctx, depth):
    body = s[bs:be]
    if not (body.startswith("le_1(") and body.endswith(")")):
        raise ctx.err("dec_ttl needs le_1(...)", "actions.dec_ttl", bs)
    acts = _nested_actions(s, bs + 5, be - 1, ctx, depth, "actions.dec_ttl.le_1")
    return (odp_actions.ACT_DEC_TTL, ((odp_actions.DEC_TTL_ACTION, acts),))


def _a_hash(s, bs, be, ctx, depth):
    body = s[bs:be]
    for prefix, alg in (("l4(", odp_actions.HASH_ALG_L4), ("sym_l4(", odp_actions.HASH_ALG_SYM_L4)):
        if body.startswith(prefix) and body.endswith(")"):
            basis = num(body[len(prefix):-1], ctx, "actions.hash", bs + len(prefix))
            return (odp_actions.ACT_HASH, struct.pack("=II", alg, basis))
    raise ctx.err("hash needs l4(N) or sym_l4(N)", "actions.hash", bs)


def _mpls_action(t, name):
    def parse(s, bs, be, ctx, depth):
        lses, extras = parse_lse_fields(fields(s[bs:be], bs), ctx, "actions." + name, False, ("eth_type",))
        if len(lses) != 1 or "eth_type" not in extras:
            raise ctx.err("%s needs label=,tc=,ttl=,bos=,eth_type=" % name, "actions." + name, bs)
        et = num(extras["eth_type"][0], ctx, "actions.%s.eth_type" % name, extras["eth_type"][1], 16)
        if t == odp_actions.ACT_PUSH_MPLS:
            return (t, struct.pack("!IH2x", lses[0][0], et))
        return (t, struct.pack("!IH", lses[0][0], et) + b"\0\0")
    return parse


def _a_pop_mpls(s, bs, be, ctx, depth):
    body = s[bs:be]
    if not body.startswith("eth_type="):
        raise ctx.err("pop_mpls needs eth_type=", "actions.pop_mpls", bs)
    return (odp_actions.ACT_POP_MPLS, _BE16.pack(num(body[9:], ctx, "actions.pop_mpls.eth_type", bs + 9, 16)))


def _a_push_eth(s, bs, be, ctx, depth):
    kv = _kv(s, bs, be, ctx, "actions.push_eth")
    src = dst = bytes(6)
    for name, (v, p) in kv.items():
        try:
            if name == "src" and v is not None:
                src = odp_keys.parse_mac(v)
            elif name == "dst" and v is not None:
                dst = odp_keys.parse_mac(v)
            else:
                raise ValueError("unknown field %r" % name)
        except ValueError as e:
            raise ctx.err(str(e), "actions.push_eth." + name, p)
    return (odp_actions.ACT_PUSH_ETH, src + dst)


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
        d[name] = num(v, ctx, "actions.push_nsh." + name, p, 24 if name == "spi" else
                      (32 if name[0] == "c" else 8))
    base = odp_keys.NSH_BASE_LAYOUT.pack(d["flags"], d["ttl"], d["mdtype"], d["np"], (d["spi"] << 8) | d["si"])
    attrs = [(odp_keys.NSH_BASE, base)]
    if md2 is not None:
        attrs.append((odp_keys.NSH_MD2, md2))
    elif d["mdtype"] == 1:
        attrs.append((odp_keys.NSH_MD1, odp_keys.NSH_MD1_LAYOUT.pack(d["c1"], d["c2"], d["c3"], d["c4"])))
    # The kernel reads the payload as one OVS_KEY_ATTR_NSH holding BASE and MD1/MD2.
    return (odp_actions.ACT_PUSH_NSH, ((odp_keys.KEY_NSH, tuple(attrs)),))


def _a_userspace(s, bs, be, ctx, depth):
    pid = None
    attrs = []
    for item, ipos in fields(s[bs:be], bs):
        if item.startswith("pid="):
            pid = num(item[4:], ctx, "actions.userspace.pid", ipos + 4)
        elif item.startswith("userdata(") and item.endswith(")"):
            try:
                data = bytes.fromhex(item[9:-1])
            except ValueError:
                raise ctx.err("userdata must be hex bytes", "actions.userspace.userdata", ipos + 9)
            if len(data) < 8:
                data += bytes(8 - len(data))
            attrs.append((odp_actions.USERSPACE_USERDATA, data))
        elif item == "actions":
            attrs.append((odp_actions.USERSPACE_ACTIONS, b""))
        elif item.startswith("tunnel_out_port="):
            attrs.append((odp_actions.USERSPACE_EGRESS_TUN_PORT,
                          _U32.pack(num(item[16:], ctx, "actions.userspace.tunnel_out_port", ipos + 16))))
        else:
            name, paren, inner = item.partition("(")
            cookie = COOKIE_TYPES.get(name)
            if cookie is None or not paren or not inner.endswith(")"):
                raise ctx.err("unknown userspace argument %r" % name, "actions.userspace." + name, ipos)
            attrs.append((odp_actions.USERSPACE_USERDATA, parse_cookie(name, cookie, inner[:-1], ipos + len(name) + 1, ctx)))
    if pid is None:
        raise ctx.err("userspace needs pid=", "actions.userspace", bs)
    return (odp_actions.ACT_USERSPACE, ((odp_actions.USERSPACE_PID, _U32.pack(pid)),) + tuple(sorted(attrs)))


def _a_psample(s, bs, be, ctx, depth):
    kv = _kv(s, bs, be, ctx, "actions.psample")
    attrs = []
    if "group" not in kv or kv["group"][0] is None:
        raise ctx.err("psample needs group=", "actions.psample", bs)
    for name, (v, p) in kv.items():
        if name == "group":
            attrs.append((odp_actions.PSAMPLE_GROUP, _U32.pack(num(v, ctx, "actions.psample.group", p))))
        elif name == "cookie" and v is not None:
            hexs = v[2:] if v[:2] in ("0x", "0X") else v
            try:
                cookie = bytes.fromhex(hexs if len(hexs) % 2 == 0 else "0" + hexs)
            except ValueError:
                raise ctx.err("cookie must be hex", "actions.psample.cookie", p)
            if len(cookie) > 16:
                raise ctx.err("cookie is longer than 16 bytes", "actions.psample.cookie", p)
            attrs.append((odp_actions.PSAMPLE_COOKIE, cookie))
        else:
            raise ctx.err("unknown field %r" % name, "actions.psample." + name, p)
    return (odp_actions.ACT_PSAMPLE, tuple(attrs))


def _ip_any(txt):
    try:
        return odp_keys.parse_ip4(txt)
    except ValueError:
        return odp_keys.parse_ip6(txt)


def _parse_nat(body, pos, ctx):
    attrs = []
    items = fields(body, pos)
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
            attrs.append((odp_actions.NAT_SRC if kind == "src" else odp_actions.NAT_DST, b""))
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
    for name, t in (("persistent", odp_actions.NAT_PERSISTENT), ("hash", odp_actions.NAT_PROTO_HASH), ("random", odp_actions.NAT_PROTO_RANDOM)):
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
    out = [(odp_actions.NAT_IP_MIN, amin)]
    if amax is not None:
        if len(amax) != len(amin) or amax < amin:
            raise ctx.err("bad nat address range", field, pos)
        out.append((odp_actions.NAT_IP_MAX, amax))
    if ports is not None:
        plo, _sep, phi = ports.partition("-")
        pmin = num(plo, ctx, field, pos, 16)
        out.append((odp_actions.NAT_PROTO_MIN, _U16.pack(pmin)))
        if phi:
            pmax = num(phi, ctx, field, pos, 16)
            if pmax < pmin:
                raise ctx.err("bad nat port range", field, pos)
            out.append((odp_actions.NAT_PROTO_MAX, _U16.pack(pmax)))
    return out


def _a_ct(s, bs, be, ctx, depth):
    got = {}
    for item, ipos in fields(s[bs:be], bs):
        name, eq, rest = item.partition("=")
        key = name.partition("(")[0]
        if key in got or (key in ("commit", "force_commit") and ("commit" in got or "force_commit" in got)):
            raise ctx.err("ct argument %s conflicts or repeats" % key, "actions.ct." + key, ipos)
        vpos = ipos + len(name) + 1
        if item in ("commit", "force_commit"):
            got[item] = (odp_actions.CT_COMMIT if item == "commit" else odp_actions.CT_FORCE_COMMIT, b"")
        elif name == "zone" and eq:
            got["zone"] = (odp_actions.CT_ZONE, _U16.pack(num(rest, ctx, "actions.ct.zone", vpos, 16)))
        elif name == "mark" and eq:
            v, sl, m = rest.partition("/")
            val = num(v, ctx, "actions.ct.mark", vpos, 32, odp_keys.parse_hex)
            msk = num(m, ctx, "actions.ct.mark", vpos, 32, odp_keys.parse_hex) if sl else 0xFFFFFFFF
            got["mark"] = (odp_actions.CT_MARK, struct.pack("=II", val, msk))
        elif name == "label" and eq:
            v, sl, m = rest.partition("/")
            val = parse_u128(v, ctx, "actions.ct.label", vpos)
            msk = parse_u128(m, ctx, "actions.ct.label", vpos) if sl else (1 << 128) - 1
            got["label"] = (odp_actions.CT_LABELS, val.to_bytes(16, NATIVE) + msk.to_bytes(16, NATIVE))
        elif name in ("helper", "timeout") and eq:
            top = 15 if name == "helper" else 31
            if not rest or len(rest) > top:
                raise ctx.err("%s must be 1 to %d characters" % (name, top), "actions.ct." + name, vpos)
            got[name] = (odp_actions.CT_HELPER if name == "helper" else odp_actions.CT_TIMEOUT, rest.encode() + b"\0")
        elif item == "nat":
            got["nat"] = (odp_actions.CT_NAT, ())
        elif item.startswith("nat(") and item.endswith(")"):
            got["nat"] = (odp_actions.CT_NAT, _parse_nat(item[4:-1], ipos + 4, ctx))
        else:
            raise ctx.err("unknown ct argument %r" % item, "actions.ct", ipos)
    order = ("commit", "force_commit", "zone", "mark", "label", "helper", "timeout", "nat")
    return (odp_actions.ACT_CT, tuple(got[k] for k in order if k in got))


def _a_recirc(s, bs, be, ctx, depth):
    return (odp_actions.ACT_RECIRC, _U32.pack(num(s[bs:be], ctx, "actions.recirc", bs)))


_ACTION_PARSERS = {
    "output": _a_output,
    "set": _a_set,
    "push_vlan": _a_push_vlan,
    "sample": _a_sample,
    "recirc": _a_recirc,
    "hash": _a_hash,
    "push_mpls": _mpls_action(odp_actions.ACT_PUSH_MPLS, "push_mpls"),
    "pop_mpls": _a_pop_mpls,
    "add_mpls": _mpls_action(odp_actions.ACT_ADD_MPLS, "add_mpls"),
    "ct": _a_ct,
    "trunc": _a_trunc,
    "push_eth": _a_push_eth,
    "push_nsh": _a_push_nsh,
    "pop_nsh": _a_pop_nsh,
    "meter": _a_u32(odp_actions.ACT_METER, "meter"),
    "clone": _a_clone,
    "check_pkt_len": _a_check_pkt_len,
    "dec_ttl": _a_dec_ttl,
    "drop": _a_drop,
    "userspace": _a_userspace,
    "psample": _a_psample,
}
