# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action printers of the ovs-dpctl text form.

A printer takes ``(payload, names)`` (``names``: port numbers to
names or None) and returns the action as ``dump-flows`` prints it, or
None when it cannot (the action then prints raw, ``actionN(HEX)``, as
it does when its payload is not of the size the printer expects).
:func:`format_actions` prints an action list (``drop`` when empty),
:func:`action_text` one action.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.cookie import fmt_cookie
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_print import fmt_tci, format_attr, lse_text, nsh_values
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import all_ones, bytes_hex, hex, u128_hex

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U32 = odp_keys.U32
_U16 = odp_keys.U16
_BE16 = odp_keys.BE16


def format_actions(actions, names):
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
    out = ["userspace(pid=%d" % _U32.unpack(d[odp_actions.USERSPACE_PID])[0]]
    ud = d.get(odp_actions.USERSPACE_USERDATA)
    if ud is not None:
        cookie = fmt_cookie(ud)
        out.append("," + cookie if cookie is not None else ",userdata(%s)" % ud.hex())
    if odp_actions.USERSPACE_ACTIONS in d:
        out.append(",actions")
    tp = d.get(odp_actions.USERSPACE_EGRESS_TUN_PORT)
    if tp is not None:
        out.append(",tunnel_out_port=%d" % _U32.unpack(tp)[0])
    out.append(")")
    return "".join(out)


def _fa_set(p, names):
    (t, v), = p
    return "set(" + format_attr(t, v, None, True, None) + ")"


def _fa_set_masked(p, names):
    (t, vm), = p
    if t == odp_keys.KEY_NSH:
        return None
    half = len(vm) // 2
    return "set(" + format_attr(t, vm[:half], vm[half:], False, None) + ")"


def _fa_push_vlan(p, names):
    tpid, tci = struct.unpack("!HH", p)
    pre = "" if tpid == 0x8100 else "tpid=0x%04x," % tpid
    return "push_vlan(" + pre + fmt_tci(tci, 0xFFFF, False) + ")"


def _fa_sample(p, names):
    d = dict(p)
    prob = _U32.unpack(d[odp_actions.SAMPLE_PROBABILITY])[0]
    return "sample(sample=%.1f%%,actions(%s))" % (100.0 * prob / 0xFFFFFFFF, format_actions(d.get(odp_actions.SAMPLE_ACTIONS, ()), names))


def _fa_hash(p, names):
    alg, basis = struct.unpack("=II", p)
    if alg == odp_actions.HASH_ALG_L4:
        return "hash(l4(%d))" % basis
    if alg == odp_actions.HASH_ALG_SYM_L4:
        return "hash(sym_l4(%d))" % basis
    return "hash(Unknown hash algorithm(%d))" % alg


def _fa_push_mpls(p, names):
    lse, et = struct.unpack("!IH2x", p)
    return "push_mpls(%s,eth_type=0x%x)" % (lse_text(lse), et)


def _fa_add_mpls(p, names):
    lse, et = struct.unpack_from("!IH", p)
    return "add_mpls(%s,eth_type=0x%x)" % (lse_text(lse), et)


def _fmt_ip6_bracket(b, bracket):
    s = odp_keys.format_ip6(b)
    return "[" + s + "]" if bracket else s


def _fa_nat(p):
    d = dict(p)
    if odp_actions.NAT_SRC not in d and odp_actions.NAT_DST not in d:
        return "nat"
    out = ["nat(", "src" if odp_actions.NAT_SRC in d else "dst"]
    amin = d.get(odp_actions.NAT_IP_MIN)
    amax = d.get(odp_actions.NAT_IP_MAX)
    pmin = _U16.unpack(d[odp_actions.NAT_PROTO_MIN])[0] if odp_actions.NAT_PROTO_MIN in d else 0
    pmax = _U16.unpack(d[odp_actions.NAT_PROTO_MAX])[0] if odp_actions.NAT_PROTO_MAX in d else 0
    if amin:
        out.append("=")
        if len(amin) == 4:
            out.append(odp_keys.format_ip4(amin))
            if amax and any(amax) and amax > amin:
                out.append("-" + odp_keys.format_ip4(amax))
        else:
            out.append(_fmt_ip6_bracket(amin, pmin))
            if amax and any(amax) and amax > amin:
                out.append("-" + _fmt_ip6_bracket(amax, pmin))
        if pmin:
            out.append(":%d" % pmin)
            if pmax and pmax > pmin:
                out.append("-%d" % pmax)
    for t, word in ((odp_actions.NAT_PERSISTENT, ",persistent"), (odp_actions.NAT_PROTO_HASH, ",hash"),
                    (odp_actions.NAT_PROTO_RANDOM, ",random")):
        if t in d:
            out.append(word)
    out.append(")")
    return "".join(out)


def _fa_ct(p, names):
    d = dict(p)
    out = []
    if odp_actions.CT_COMMIT in d:
        out.append("commit")
    if odp_actions.CT_FORCE_COMMIT in d:
        out.append("force_commit")
    z = d.get(odp_actions.CT_ZONE)
    if z is not None and _U16.unpack(z)[0]:
        out.append("zone=%d" % _U16.unpack(z)[0])
    mk = d.get(odp_actions.CT_MARK)
    if mk is not None:
        v, m = struct.unpack("=II", mk)
        out.append("mark=%s/%s" % (hex(v), hex(m)))
    lb = d.get(odp_actions.CT_LABELS)
    if lb is not None:
        s = "label=" + u128_hex(lb[:16])
        if not all_ones(lb[16:]):
            s += "/" + u128_hex(lb[16:])
        out.append(s)
    for t, word in ((odp_actions.CT_HELPER, "helper="), (odp_actions.CT_TIMEOUT, "timeout=")):
        v = d.get(t)
        if v is not None:
            out.append(word + v.rstrip(b"\0").decode("ascii", "replace"))
    if odp_actions.CT_NAT in d:
        out.append(_fa_nat(d[odp_actions.CT_NAT]))
    return "ct(" + ",".join(out) + ")" if out else "ct"


def _fa_push_eth(p, names):
    return "push_eth(src=%s,dst=%s)" % (odp_keys.format_mac(p[:6]), odp_keys.format_mac(p[6:]))


def _fa_push_nsh(p, names):
    for t, v in p:      # OVS_KEY_ATTR_NSH around BASE and MD1/MD2
        if t == odp_keys.KEY_NSH and v.__class__ is tuple:
            p = v
            break
    d = nsh_values(p, 0)
    s = "push_nsh(flags=%d,ttl=%d,mdtype=%d,np=%d,spi=0x%x,si=%d" % (
        d["flags"], d["ttl"], d["mdtype"], d["np"], d["spi"], d["si"])
    if d["mdtype"] == 1:
        s += ",c1=0x%x,c2=0x%x,c3=0x%x,c4=0x%x" % (d["c1"], d["c2"], d["c3"], d["c4"])
    elif d["mdtype"] == 2:
        md2 = dict(p).get(odp_keys.NSH_MD2, b"")
        # ovs-dpctl prints md2 as one hex number: no leading zeros, "0" when empty or all zero
        s += ",md2=" + ("0x%x" % int(md2.hex(), 16) if any(md2) else "0")
    return s + ")"


def _fa_check_pkt_len(p, names):
    d = dict(p)
    return "check_pkt_len(size=%d,gt(%s),le(%s))" % (
        _U16.unpack(d[odp_actions.CPL_PKT_LEN])[0], format_actions(d.get(odp_actions.CPL_ACTIONS_IF_GREATER, ()), names),
        format_actions(d.get(odp_actions.CPL_ACTIONS_IF_LESS_EQUAL, ()), names))


def _fa_dec_ttl(p, names):
    d = dict(p)
    return "dec_ttl(le_1(%s))" % format_actions(d.get(odp_actions.DEC_TTL_ACTION, ()), names)


def _fa_psample(p, names):
    d = dict(p)
    s = "psample(group=%d" % _U32.unpack(d[odp_actions.PSAMPLE_GROUP])[0]
    c = d.get(odp_actions.PSAMPLE_COOKIE)
    if c is not None:
        s += ",cookie=" + bytes_hex(c)
    return s + ")"


_ACTION_FORMATTERS = {
    odp_actions.ACT_OUTPUT: (4, _fa_output),
    odp_actions.ACT_USERSPACE: (None, _fa_userspace),
    odp_actions.ACT_SET: (None, _fa_set),
    odp_actions.ACT_SET_MASKED: (None, _fa_set_masked),
    odp_actions.ACT_PUSH_VLAN: (4, _fa_push_vlan),
    odp_actions.ACT_POP_VLAN: (0, lambda p, n: "pop_vlan"),
    odp_actions.ACT_SAMPLE: (None, _fa_sample),
    odp_actions.ACT_RECIRC: (4, lambda p, n: "recirc(%s)" % hex(_U32.unpack(p)[0])),
    odp_actions.ACT_HASH: (8, _fa_hash),
    odp_actions.ACT_PUSH_MPLS: (8, _fa_push_mpls),
    odp_actions.ACT_POP_MPLS: (2, lambda p, n: "pop_mpls(eth_type=0x%x)" % _BE16.unpack(p)[0]),
    odp_actions.ACT_CT: (None, _fa_ct),
    odp_actions.ACT_TRUNC: (4, lambda p, n: "trunc(%d)" % _U32.unpack(p)[0]),
    odp_actions.ACT_PUSH_ETH: (12, _fa_push_eth),
    odp_actions.ACT_POP_ETH: (0, lambda p, n: "pop_eth"),
    odp_actions.ACT_CT_CLEAR: (0, lambda p, n: "ct_clear"),
    odp_actions.ACT_PUSH_NSH: (None, _fa_push_nsh),
    odp_actions.ACT_POP_NSH: (0, lambda p, n: "pop_nsh()"),
    odp_actions.ACT_METER: (4, lambda p, n: "meter(%d)" % _U32.unpack(p)[0]),
    odp_actions.ACT_CLONE: (None, lambda p, n: "clone(%s)" % format_actions(p, n)),
    odp_actions.ACT_CHECK_PKT_LEN: (None, _fa_check_pkt_len),
    odp_actions.ACT_ADD_MPLS: (8, _fa_add_mpls),
    odp_actions.ACT_DEC_TTL: (None, _fa_dec_ttl),
    odp_actions.ACT_DROP: (4, lambda p, n: "drop"),
    odp_actions.ACT_PSAMPLE: (None, _fa_psample),
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
