# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel's flow rules, checked before anything is sent.

Mirrors ``flow_netlink.c`` (key parsing, ``match_validate``, mask rules) and
action validation (``__ovs_nla_copy_actions``) of the 6.1 kernel, so a bad
flow gets a FlowSyntaxError naming the field instead of a bare EINVAL.

``validate(flow, fix=True)`` also fills in what the kernel requires and the
writer obviously meant (a wildcarded ``tcp_flags`` next to ``tcp``, an exact
``eth_type`` mask, the L3/L4 attributes an exact ``eth_type``/``proto``
implies, masked-set values clipped to their mask) and returns notes that say
what was added.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow

_U32 = odp_keys.U32
_BE16 = odp_keys.BE16

_SETTABLE = {odp_keys.KEY_PRIORITY, odp_keys.KEY_SKB_MARK, odp_keys.KEY_CT_MARK, odp_keys.KEY_CT_LABELS, odp_keys.KEY_ETHERNET, odp_keys.KEY_TUNNEL,
             odp_keys.KEY_IPV4, odp_keys.KEY_IPV6, odp_keys.KEY_TCP, odp_keys.KEY_UDP, odp_keys.KEY_SCTP, odp_keys.KEY_MPLS, odp_keys.KEY_NSH}


class _Check:
    """Collects fixes; raises on the first problem it cannot (or may not) fix."""

    def __init__(self, flow, text, fix):
        self.text = text
        self.fix = fix
        self.notes = []
        self.flow = flow

    def fail(self, detail, field):
        raise FlowSyntaxError(self.text, detail, field, op="validate flow")

    def fixed(self, note):
        self.notes.append(note)


def _name(t):
    row = odp_keys.KEY_BY_NUM.get(t)
    return row.name if row else "key%d" % t


def _zero_like(t):
    return bytes(odp_keys.KEY_BY_NUM[t].size)


def _check_keys(c, key, mask, level):
    """Returns the (possibly fixed) key and mask lists of one level."""
    key = list(key)
    mask = list(mask) if mask is not None else None
    seen = set()
    for t, p in key:
        name = level + _name(t)
        if t in seen:
            c.fail("%s appears twice" % _name(t), name)
        seen.add(t)
        row = odp_keys.KEY_BY_NUM.get(t)
        if row is None:
            c.fail("unknown key attribute type %d" % t, name)
        if not row.kernel:
            c.fail("%s is userspace-datapath only; the kernel rejects it" % row.name, name)
        if row.size >= 0 and len(p) != row.size:
            c.fail("%s payload is %d bytes, the kernel wants %d" % (row.name, len(p), row.size), name)
    kd = dict(key)
    md = dict(mask) if mask is not None else None

    def mask_of(t):
        if md is None:
            return None if t not in kd else (b"\xff" * len(kd[t]) if kd[t].__class__ is bytes else None)
        return md.get(t)

    def add(t, note):
        if not c.fix:
            return False
        key.append((t, _zero_like(t)))
        if mask is not None:
            mask.append((t, _zero_like(t)))
        kd[t] = _zero_like(t)
        if md is not None:
            md[t] = _zero_like(t)
        c.fixed(note)
        return True

    # Ethernet / L3 root.
    if level == "":
        if odp_keys.KEY_IN_PORT in kd and _U32.unpack(kd[odp_keys.KEY_IN_PORT])[0] >= 65536:
            c.fail("in_port must be below 65536", "in_port")
        if odp_keys.KEY_ETHERNET not in kd and odp_keys.KEY_ETHERTYPE not in kd:
            l3 = [t for t in odp_keys.ETHERTYPE_BY_L3_KEY if t in kd]
            if l3 and c.fix:
                key.append((odp_keys.KEY_ETHERNET, bytes(12)))
                if mask is not None:
                    mask.append((odp_keys.KEY_ETHERNET, bytes(12)))
                kd[odp_keys.KEY_ETHERNET] = bytes(12)
                c.fixed("added eth(): the flow names L3 fields, so it matches Ethernet frames")
            elif not l3:
                if not c.fix:
                    c.fail("either eth(...) or eth_type(...) is required (no eth() means an L3 flow)", "eth")
                key.append((odp_keys.KEY_ETHERNET, bytes(12)))
                if mask is not None:
                    mask.append((odp_keys.KEY_ETHERNET, bytes(12)))
                kd[odp_keys.KEY_ETHERNET] = bytes(12)
                c.fixed("added eth(): a key needs eth() or eth_type(); eth() matches any Ethernet frame")
    # eth_type implied by an L3 attribute
    if odp_keys.KEY_ETHERTYPE not in kd:
        l3 = [t for t in odp_keys.ETHERTYPE_BY_L3_KEY if t in kd]
        if l3:
            et = odp_keys.ETHERTYPE_BY_L3_KEY[l3[0]]
            if not c.fix:
                c.fail("%s needs eth_type(0x%04x) matched exactly" % (_name(l3[0]), et), level + "eth_type")
            key.append((odp_keys.KEY_ETHERTYPE, _BE16.pack(et)))
            if mask is not None:
                mask.append((odp_keys.KEY_ETHERTYPE, b"\xff\xff"))
            kd[odp_keys.KEY_ETHERTYPE] = _BE16.pack(et)
            if md is not None:
                md[odp_keys.KEY_ETHERTYPE] = b"\xff\xff"
            c.fixed("added eth_type(0x%04x) for %s" % (et, _name(l3[0])))
    et = None
    if odp_keys.KEY_ETHERTYPE in kd:
        et = _BE16.unpack(kd[odp_keys.KEY_ETHERTYPE])[0]
        em = mask_of(odp_keys.KEY_ETHERTYPE)
        if em is not None and em != b"\xff\xff":
            if not c.fix:
                c.fail("eth_type must be matched exactly", level + "eth_type")
            mask = [(t, b"\xff\xff" if t == odp_keys.KEY_ETHERTYPE else m) for t, m in mask]
            md[odp_keys.KEY_ETHERTYPE] = b"\xff\xff"
            c.fixed("made the eth_type mask exact (the kernel forces it)")
        if et < 0x600:
            c.fail("eth_type 0x%04x is below 0x0600 (not an Ethertype)" % et, level + "eth_type")
    # VLAN
    if odp_keys.KEY_VLAN in kd or odp_keys.KEY_ENCAP in kd:
        if et not in (odp_keys.ETH_P_8021Q, odp_keys.ETH_P_8021AD):
            c.fail("vlan/encap need eth_type(0x8100) or eth_type(0x88a8) before them", level + "vlan")
        if odp_keys.KEY_VLAN not in kd or odp_keys.KEY_ENCAP not in kd:
            c.fail("a VLAN match needs both vlan(...) and encap(...)", level + "vlan")
        tci = _BE16.unpack(kd[odp_keys.KEY_VLAN])[0]
        if not tci & odp_keys.VLAN_CFI and (tci or kd[odp_keys.KEY_ENCAP]):
            c.fail("vlan without the CFI bit is only valid as vlan(0) with an empty encap()", level + "vlan")
        if level.count("encap.") >= 1 and odp_keys.KEY_ENCAP in kd and any(t == odp_keys.KEY_ENCAP for t, _p in kd[odp_keys.KEY_ENCAP]):
            c.fail("at most two VLAN headers", level + "encap")
        em = mask_of(odp_keys.KEY_ENCAP) if md is not None else None
        ik, im = _check_keys(c, kd[odp_keys.KEY_ENCAP], em if md is not None else None, level + "encap.")
        key = [(t, ik if t == odp_keys.KEY_ENCAP else p) for t, p in key]
        if mask is not None:
            if odp_keys.KEY_ENCAP in md:
                mask = [(t, im if t == odp_keys.KEY_ENCAP else m) for t, m in mask]
        et = None
    # L3 companions and their mask rule
    if et is not None:
        need = odp_keys.L3_KEY_BY_ETHERTYPE.get(et)
        if need is not None and need not in kd:
            if not add(need, "added %s() (wildcarded): eth_type 0x%04x requires it" % (_name(need), et)):
                c.fail("eth_type 0x%04x requires a %s(...) attribute" % (et, _name(need)), level + _name(need))
    for t in (odp_keys.KEY_IPV4, odp_keys.KEY_IPV6, odp_keys.KEY_ARP, odp_keys.KEY_MPLS, odp_keys.KEY_NSH,
              odp_keys.KEY_CT_ORIG_TUPLE_IPV4, odp_keys.KEY_CT_ORIG_TUPLE_IPV6):
        if t in kd and t in odp_keys.ETHERTYPE_BY_L3_KEY:
            want = odp_keys.ETHERTYPE_BY_L3_KEY[t]
            ok = et == want or (t == odp_keys.KEY_ARP and et == odp_keys.ETH_P_RARP) or (t == odp_keys.KEY_MPLS and et == odp_keys.ETH_P_MPLS_MC)
            if not ok:
                c.fail("%s needs eth_type(0x%04x)" % (_name(t), want), level + _name(t))
    if odp_keys.KEY_CT_ORIG_TUPLE_IPV6 in kd and odp_keys.KEY_ND in kd:
        c.fail("ct_tuple6 and nd cannot be matched together", level + "ct_tuple6")
    # L4
    l3 = odp_keys.KEY_IPV4 if odp_keys.KEY_IPV4 in kd else (odp_keys.KEY_IPV6 if odp_keys.KEY_IPV6 in kd else None)
    proto = frag = pmask = None
    if l3 is not None:
        v = kd[l3]
        proto, frag = (v[8], v[11]) if l3 == odp_keys.KEY_IPV4 else (v[36], v[39])
        m = mask_of(l3)
        pmask = 0xFF if m is None else (m[8] if l3 == odp_keys.KEY_IPV4 else m[36])
        if frag > odp_keys.FRAG_LATER:
            c.fail("frag must be no, first or later", level + _name(l3) + ".frag")
        if l3 == odp_keys.KEY_IPV6 and odp_keys.BE32.unpack_from(v, 32)[0] > 0xFFFFF:
            c.fail("ipv6 label is 20 bits", level + "ipv6.label")
    for t in (odp_keys.KEY_TCP, odp_keys.KEY_TCP_FLAGS, odp_keys.KEY_UDP, odp_keys.KEY_SCTP, odp_keys.KEY_ICMP, odp_keys.KEY_ICMPV6):
        if t not in kd:
            continue
        want = odp_keys.PROTO_BY_L4_KEY[t]
        if l3 is None:
            c.fail("%s needs an ipv4(...) or ipv6(...) match" % _name(t), level + _name(t))
        if t == odp_keys.KEY_ICMP and l3 != odp_keys.KEY_IPV4 or t == odp_keys.KEY_ICMPV6 and l3 != odp_keys.KEY_IPV6:
            c.fail("%s does not go with %s" % (_name(t), _name(l3)), level + _name(t))
        if proto != want or pmask != 0xFF:
            if c.fix and (pmask == 0 or proto == want):
                v = bytearray(kd[l3])
                off = 8 if l3 == odp_keys.KEY_IPV4 else 36
                v[off] = want
                kd[l3] = bytes(v)
                key = [(tt, kd[l3] if tt == l3 else pp) for tt, pp in key]
                if mask is not None:
                    mm = bytearray(md[l3])
                    mm[off] = 0xFF
                    md[l3] = bytes(mm)
                    mask = [(tt, md[l3] if tt == l3 else pp) for tt, pp in mask]
                proto, pmask = want, 0xFF
                c.fixed("set %s(proto=%d) exactly, as %s requires" % (_name(l3), want, _name(t)))
            else:
                c.fail("%s needs %s(proto=%d) matched exactly" % (_name(t), _name(l3) if l3 else "ipv4", want),
                       level + _name(t))
    if frag == odp_keys.FRAG_LATER:
        # A later fragment has no transport header: the kernel's key has no
        # L4 fields, and a mask that matches some is refused with EINVAL.
        for t in (odp_keys.KEY_TCP, odp_keys.KEY_TCP_FLAGS, odp_keys.KEY_UDP, odp_keys.KEY_SCTP, odp_keys.KEY_ICMP, odp_keys.KEY_ICMPV6):
            tm = mask_of(t)
            if t in kd and (tm is None or any(tm)):
                c.fail("a later fragment has no %s header to match: use frag=first or frag=no, or leave out %s(...)"
                       % (_name(t), _name(t)), level + _name(t))
    if proto is not None and pmask == 0xFF and frag != odp_keys.FRAG_LATER:
        for t in odp_keys.L4_KEYS_BY_PROTO.get((l3, proto), ()):
            if t not in kd:
                if not add(t, "added %s(%s) (wildcarded): proto=%d requires it"
                           % (_name(t), "0/0" if t == odp_keys.KEY_TCP_FLAGS else "", proto)):
                    c.fail("proto=%d requires %s(...)" % (proto, _name(t)), level + _name(t))
    if odp_keys.KEY_ICMPV6 in kd:
        typ = kd[odp_keys.KEY_ICMPV6][0]
        tm = mask_of(odp_keys.KEY_ICMPV6)
        if typ in odp_keys.ICMPV6_ND_TYPES and (tm is None or tm[0] == 0xFF) and odp_keys.KEY_ND not in kd:
            if not add(odp_keys.KEY_ND, "added nd() (wildcarded): icmpv6 type %d requires it" % typ):
                c.fail("icmpv6 type %d requires nd(...)" % typ, level + "nd")
    if odp_keys.KEY_ND in kd and odp_keys.KEY_ICMPV6 not in kd:
        c.fail("nd needs icmpv6(type=135 or 136)", level + "nd")
    if odp_keys.KEY_ARP in kd and kd[odp_keys.KEY_ARP][8] != 0:
        c.fail("arp op must be below 256", level + "arp.op")
    if odp_keys.KEY_CT_STATE in kd:
        if _U32.unpack(kd[odp_keys.KEY_CT_STATE])[0] & ~odp_keys.CT_STATE_SUPPORTED:
            c.fail("unsupported ct_state bits", level + "ct_state")
        m = mask_of(odp_keys.KEY_CT_STATE)
        if m is not None and _U32.unpack(m)[0] & ~odp_keys.CT_STATE_SUPPORTED:
            if not c.fix:
                c.fail("ct_state mask has bits the kernel does not know", level + "ct_state")
            mask = [(t, _U32.pack(_U32.unpack(x)[0] & 0xFF) if t == odp_keys.KEY_CT_STATE else x) for t, x in mask]
            c.fixed("limited the ct_state mask to the 8 known flags")
    if odp_keys.KEY_MPLS in kd and not 4 <= len(kd[odp_keys.KEY_MPLS]) <= 12:
        c.fail("mpls needs 1 to 3 label stack entries", level + "mpls")
    if odp_keys.KEY_TUNNEL in kd:
        _check_tunnel(c, kd[odp_keys.KEY_TUNNEL], level + "tunnel")
    return tuple(key), (tuple(mask) if mask is not None else None)


def _check_tunnel(c, attrs, field, for_set=False):
    d = dict(attrs)
    if not attrs:
        return
    if odp_keys.TUN_IPV4_INFO_BRIDGE in d:
        return
    has4 = odp_keys.TUN_IPV4_DST in d or odp_keys.TUN_IPV4_SRC in d
    has6 = odp_keys.TUN_IPV6_DST in d or odp_keys.TUN_IPV6_SRC in d
    if has4 and has6:
        c.fail("tunnel cannot mix IPv4 and IPv6 addresses", field)
    dst = d.get(odp_keys.TUN_IPV4_DST) or d.get(odp_keys.TUN_IPV6_DST)
    if dst is None or not any(dst):
        c.fail("tunnel needs a non-zero dst (or ipv6_dst)", field + ".dst")
    if odp_keys.TUN_TTL not in d:
        c.fail("tunnel needs ttl", field + ".ttl")
    opts = [t for t in (odp_keys.TUN_GENEVE_OPTS, odp_keys.TUN_VXLAN_OPTS, odp_keys.TUN_ERSPAN_OPTS) if t in d]
    if len(opts) > 1:
        c.fail("only one of geneve, vxlan, erspan options", field)
    g = d.get(odp_keys.TUN_GENEVE_OPTS)
    if g is not None and (len(g) % 4 or len(g) > 252):
        c.fail("geneve options must be a multiple of 4 bytes, at most 252", field + ".geneve")


def _key_type_of(flow_key):
    kd = dict(flow_key)
    while odp_keys.KEY_ENCAP in kd and kd[odp_keys.KEY_ENCAP]:
        kd = dict(kd[odp_keys.KEY_ENCAP])
    return kd


def _check_actions(c, actions, key, mask, max_action, depth, path):
    out = []
    n = len(actions)
    kd = _key_type_of(key)
    et = _BE16.unpack(kd[odp_keys.KEY_ETHERTYPE])[0] if odp_keys.KEY_ETHERTYPE in kd else None
    ethernet = odp_keys.KEY_ETHERNET in dict(key)
    for i, (t, p) in enumerate(actions):
        row = odp_actions.ACTION_BY_NUM.get(t)
        where = "%s[%d].%s" % (path, i, row.name if row else "action%d" % t)
        if row is None:
            c.fail("unknown action type %d" % t, where)
        if t > max_action:
            if t == odp_actions.ACT_DROP:
                c.fail("drop(N) needs kernel 6.6 or later; write the action list as 'drop' (empty) for 6.1",
                       where)
            c.fail("%s needs kernel %d.%d or later (target allows action types up to %d)"
                   % (row.name, row.since[0], row.since[1], max_action), where)
        if t == odp_actions.ACT_DROP and i != n - 1:
            c.fail("drop(N) must be the last action", where)
        if row.size >= 0 and (p.__class__ is not bytes or len(p) != row.size):
            c.fail("%s payload must be %d bytes" % (row.name, row.size), where)
        if t == odp_actions.ACT_OUTPUT and _U32.unpack(p)[0] >= 65536:
            c.fail("output port must be below 65536", where)
        elif t == odp_actions.ACT_TRUNC and _U32.unpack(p)[0] < 14:
            c.fail("trunc length must be at least 14", where)
        elif t == odp_actions.ACT_PUSH_VLAN:
            tpid, tci = odp_actions.ACTION_BY_NUM[odp_actions.ACT_PUSH_VLAN].layout.unpack(p)
            if tpid not in (odp_keys.ETH_P_8021Q, odp_keys.ETH_P_8021AD):
                c.fail("push_vlan tpid must be 0x8100 or 0x88a8", where)
            if not tci & odp_keys.VLAN_CFI:
                c.fail("push_vlan needs the CFI bit (cfi=0 is not allowed by the kernel)", where)
            if not ethernet:
                c.fail("push_vlan needs an Ethernet flow", where)
        elif t in (odp_actions.ACT_POP_VLAN, odp_actions.ACT_POP_ETH) and not ethernet:
            c.fail("%s needs an Ethernet flow" % row.name, where)
        elif t == odp_actions.ACT_PUSH_ETH and ethernet:
            c.fail("push_eth needs an L3 flow (no eth())", where)
        elif (t == odp_actions.ACT_HASH and max_action <= odp_actions.MAX_ACTION_6_1
              and odp_actions.ACTION_BY_NUM[odp_actions.ACT_HASH].layout.unpack(p)[0] == odp_actions.HASH_ALG_SYM_L4):
            c.fail("hash(sym_l4) needs kernel 6.5 or later", where)
        elif t == odp_actions.ACT_CT:
            if et not in (odp_keys.ETH_P_IP, odp_keys.ETH_P_IPV6):
                c.fail("ct needs an IPv4 or IPv6 flow (eth_type 0x0800 or 0x86dd)", where)
            d = dict(p)
            commit = odp_actions.CT_COMMIT in d or odp_actions.CT_FORCE_COMMIT in d
            if (odp_actions.CT_MARK in d or odp_actions.CT_LABELS in d) and not commit:
                c.fail("ct mark= and label= need commit", where)
            nat = dict(d.get(odp_actions.CT_NAT, ()))
            if (odp_actions.NAT_SRC in nat or odp_actions.NAT_DST in nat) and not commit:
                c.fail("ct nat(src|dst) needs commit", where)
            if odp_actions.NAT_SRC in nat and odp_actions.NAT_DST in nat:
                c.fail("ct nat takes src or dst, not both", where)
            ip = nat.get(odp_actions.NAT_IP_MIN)
            if ip is not None and len(ip) != (4 if et == odp_keys.ETH_P_IP else 16):
                c.fail("ct nat address family does not match the flow", where)
            helper = d.get(odp_actions.CT_HELPER)
            if helper is not None:
                _check_ct_helper(c, helper.rstrip(b"\0").decode("ascii", "replace"), key, mask, where)
        elif t == odp_actions.ACT_USERSPACE:
            pid = dict(p).get(odp_actions.USERSPACE_PID)
            if pid is None or _U32.unpack(pid)[0] == 0:
                c.fail("userspace needs a non-zero pid", where)
        elif t == odp_actions.ACT_CHECK_PKT_LEN:
            if _U16_unpack(dict(p)[odp_actions.CPL_PKT_LEN]) == 0:
                c.fail("check_pkt_len size must not be 0", where)
        elif t in (odp_actions.ACT_SET, odp_actions.ACT_SET_MASKED):
            p = _check_set(c, t, p, kd, et, where)
        elif t == odp_actions.ACT_POP_NSH and et != odp_keys.ETH_P_NSH:
            c.fail("pop_nsh needs eth_type(0x894f)", where)
        # nesting
        if t in (odp_actions.ACT_CLONE, odp_actions.ACT_SAMPLE, odp_actions.ACT_CHECK_PKT_LEN, odp_actions.ACT_DEC_TTL):
            if depth + 1 > odp_actions.MAX_NESTING:
                c.fail("actions nested deeper than %d" % odp_actions.MAX_NESTING, where)
            if t == odp_actions.ACT_CLONE:
                p = _check_actions(c, p, key, mask, max_action, depth + 1, where)
            else:
                p = tuple((st, _check_actions(c, sp, key, mask, max_action, depth + 1, where)
                           if sp.__class__ is tuple else sp) for st, sp in p)
        out.append((t, p))
    return tuple(out)


# The conntrack helpers of Linux (6.1), by the name ct(helper=NAME) gives,
# with the IP protocols each is registered for: the kernel looks a helper up
# by name *and* the flow's ip proto, and answers EINVAL when none matches.
CT_HELPERS = {"amanda": (17,), "ftp": (6,), "irc": (6,), "netbios-ns": (17,), "pptp": (6,),
              "Q.931": (6,), "RAS": (17,), "sane": (6,), "sip": (6, 17), "snmp": (17,), "tftp": (17,)}
_PROTO_NAMES = {6: "tcp", 17: "udp"}


def _check_ct_helper(c, name, key, mask, where):
    protos = CT_HELPERS.get(name)
    if protos is None:
        c.fail("unknown ct helper %r; the kernel has %s" % (name, ", ".join(sorted(CT_HELPERS))), where)
    kd = _key_type_of(key)
    md = _key_type_of(mask) if mask is not None else {}
    proto = None
    for t, at in ((odp_keys.KEY_IPV4, 8), (odp_keys.KEY_IPV6, 36)):
        l3 = kd.get(t)
        if l3 is not None and len(l3) > at:
            m = md.get(t)
            if m is None and mask is not None:
                break                   # ip fields wildcarded: no proto to look the helper up by
            if m is None or (len(m) > at and m[at] == 0xFF):
                proto = l3[at]
            break
    if proto not in protos:
        want = " or ".join("proto=%d (%s)" % (p, _PROTO_NAMES[p]) for p in protos)
        c.fail("ct helper=%s needs the flow to match %s exactly: the kernel finds helpers by name "
               "and protocol" % (name, want), where)


def _U16_unpack(b):
    return odp_keys.U16.unpack(b)[0]


def _check_set(c, t, p, kd, et, where):
    if len(p) != 1:
        c.fail("set carries exactly one key attribute", where)
    (kt, v), = p
    name = _name(kt)
    if kt not in _SETTABLE:
        c.fail("the kernel cannot set %s" % name, where + "." + name)
    if kt == odp_keys.KEY_TUNNEL:
        if t == odp_actions.ACT_SET_MASKED:
            c.fail("the kernel does not support a masked tunnel set", where + ".tunnel")
        _check_tunnel(c, v, where + ".tunnel", True)
        return p
    ip_types = (odp_keys.ETH_P_IP, odp_keys.ETH_P_IPV6)
    need = {odp_keys.KEY_IPV4: (odp_keys.ETH_P_IP,), odp_keys.KEY_IPV6: (odp_keys.ETH_P_IPV6,),
            odp_keys.KEY_MPLS: (odp_keys.ETH_P_MPLS_UC, odp_keys.ETH_P_MPLS_MC), odp_keys.KEY_NSH: (odp_keys.ETH_P_NSH,),
            odp_keys.KEY_TCP: ip_types, odp_keys.KEY_UDP: ip_types, odp_keys.KEY_SCTP: ip_types}.get(kt)
    if need is not None and et not in need:
        c.fail("set(%s) needs a flow matching eth_type 0x%04x" % (name, need[0]), where + "." + name)
    if kt in odp_keys.PROTO_BY_L4_KEY:
        l3 = kd.get(odp_keys.KEY_IPV4) or kd.get(odp_keys.KEY_IPV6)
        proto = None if l3 is None else (l3[8] if len(l3) == 12 else l3[36])
        if proto != odp_keys.PROTO_BY_L4_KEY[kt]:
            c.fail("set(%s) needs the flow to match proto=%d" % (name, odp_keys.PROTO_BY_L4_KEY[kt]), where + "." + name)
    if t == odp_actions.ACT_SET_MASKED:
        half = len(v) // 2
        val, msk = v[:half], v[half:]
        clipped = bytes(a & b for a, b in zip(val, msk))
        if kt in (odp_keys.KEY_IPV4, odp_keys.KEY_IPV6):
            pi, fi = (8, 11) if kt == odp_keys.KEY_IPV4 else (36, 39)
            if msk[pi] or msk[fi]:
                if not c.fix:
                    c.fail("a masked set cannot change proto or frag", where + "." + name)
                m2 = bytearray(msk)
                m2[pi] = m2[fi] = 0
                msk = bytes(m2)
                clipped = bytes(a & b for a, b in zip(val, msk))
                c.fixed("dropped proto/frag from set(%s): the kernel cannot rewrite them" % name)
        if clipped != val:
            if not c.fix:
                c.fail("set(%s) value has bits outside its mask" % name, where + "." + name)
            c.fixed("cleared value bits outside the mask in set(%s)" % name)
        return ((kt, clipped + msk),)
    if kt in (odp_keys.KEY_IPV4, odp_keys.KEY_IPV6):
        pass
    return p


def validate(flow: Flow, *, fix: bool = False, max_action: int = odp_actions.MAX_ACTION_6_1, text: str | None = None,
             check_size: bool = True):
    """Check ``flow`` against the kernel's rules.

    Returns ``(flow, notes)``: the flow (fixed when ``fix`` is true) and a
    list of sentences saying what was filled in. Raises FlowSyntaxError
    naming the field otherwise. ``max_action`` is the highest
    OVS_ACTION_ATTR_* the target kernel accepts (23 on 6.1, 24 with
    explicit drop on 6.6+, 25 with psample on 6.11+). ``check_size`` false
    leaves the 64 KiB attribute limit to a caller that encodes the flow
    anyway (see :func:`check_encoded_size`).
    """
    if text is None:
        from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import format_flow
        try:
            text = format_flow(flow)
        except Exception:       # a flow too broken to print still gets named
            text = repr(flow)[:200]
    c = _Check(flow, text, fix)
    key, mask = _check_keys(c, flow.key, flow.mask, "")
    acts = _check_actions(c, flow.actions, key, mask, max_action, 0, "actions")
    if check_size:
        from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs
        check_encoded_size(text, encode_attrs(key), encode_attrs(mask or ()), encode_attrs(acts))
    if c.notes:
        flow = Flow(key, mask, acts, flow.ufid)
    return flow, c.notes


def check_encoded_size(text: str, key: bytes, mask: bytes, actions: bytes) -> None:
    """FlowSyntaxError when an encoded part does not fit in one netlink attribute."""
    for what, payload in (("key", key), ("mask", mask), ("actions", actions)):
        if len(payload) > odp_actions.MAX_ATTR_PAYLOAD:
            raise FlowSyntaxError(text, "%s does not fit in one netlink attribute (64 KiB)" % what, what)
