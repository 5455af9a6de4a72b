# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow model: key, mask and actions as attribute trees.

An attribute list is a tuple of ``(type, payload)`` pairs. ``type`` is the
kernel's attribute number (``OVS_KEY_ATTR_*``, ``OVS_ACTION_ATTR_*`` or a
nested table's number) and ``payload`` is either the kernel's payload bytes
or, for nested attributes, another attribute list. The tables in keys.py
and actions.py say what the bytes mean. Keeping the kernel's bytes makes the
wire codec trivial and equality cheap; the text and structured layers unpack
fields through the tables.

``Flow.mask`` is None when no mask is sent (the kernel then matches every
present attribute exactly); otherwise it is an attribute list in the same
shape as the key. Equality and hashing use :func:`canonical`.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys


class FlowStats:
    """Counters of a dumped flow, as printed after the key."""

    __slots__ = ("packets", "bytes", "used_ms_ago", "tcp_flags")

    def __init__(self, packets: int = 0, bytes: int = 0, used_ms_ago: int | None = None,
                 tcp_flags: int = 0):
        self.packets = packets
        self.bytes = bytes
        self.used_ms_ago = used_ms_ago
        self.tcp_flags = tcp_flags

    def __eq__(self, other):
        return isinstance(other, FlowStats) and self._t() == other._t()

    def __hash__(self):
        return hash(self._t())

    def _t(self):
        return (self.packets, self.bytes, self.used_ms_ago, self.tcp_flags)

    def __repr__(self):
        return "FlowStats(packets=%d, bytes=%d, used_ms_ago=%r, tcp_flags=%#x)" % self._t()


class Flow:
    """A datapath flow: key, mask (or None), actions, optional 16-byte UFID.

    Two flows are equal when their canonical forms are (see :func:`canonical`);
    the UFID and the statistics do not take part.
    """

    __slots__ = ("key", "mask", "actions", "ufid", "_canon")

    def __init__(self, key: tuple = (), mask: tuple | None = None, actions: tuple = (),
                 ufid: bytes | None = None):
        self.key = key
        self.mask = mask
        self.actions = actions
        self.ufid = ufid
        self._canon = None

    def canonical_tuple(self) -> tuple:
        c = self._canon
        if c is None:
            c = self._canon = _canonical_tuple(self.key, self.mask, self.actions)
        return c

    def __eq__(self, other):
        if not isinstance(other, Flow):
            return NotImplemented
        return self.canonical_tuple() == other.canonical_tuple()

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        return hash(self.canonical_tuple())

    def __repr__(self):
        return "Flow(key=%r, mask=%r, actions=%r, ufid=%r)" % (self.key, self.mask, self.actions, self.ufid)

    def replace(self, **kw) -> Flow:
        d = {"key": self.key, "mask": self.mask, "actions": self.actions, "ufid": self.ufid}
        d.update(kw)
        return Flow(**d)


def canonical(flow: Flow) -> Flow:
    """The flow as the kernel will hold it: masked key bytes, kernel-forced
    masks, wildcarded attributes dropped, attributes in kernel order, and
    actions in the form the kernel echoes them."""
    key, mask, actions = flow.canonical_tuple()
    result = Flow(key, mask, actions, flow.ufid)
    result._canon = (key, mask, actions)     # canonical of canonical is itself
    return result


# --- canonicalisation ------------------------------------------------------------

def _and(a: bytes, b: bytes) -> bytes:
    n = len(a)
    if len(b) != n:
        return a
    return (int.from_bytes(a, "big") & int.from_bytes(b, "big")).to_bytes(n, "big")


def _ones(n: int) -> bytes:
    return b"\xff" * n


_IN_PORT_FULL = b"\xff\xff\xff\xff"
_ETHERTYPE_FULL = b"\xff\xff"
# Mask bits the kernel keeps (the rest is ignored or rejected).
_MASK_LIMITS = {
    odp_keys.KEY_TCP_FLAGS: b"\x0f\xff",
    odp_keys.KEY_CT_STATE: odp_keys.U32.pack(odp_keys.CT_STATE_SUPPORTED),
    odp_keys.KEY_ARP: b"\xff" * 8 + b"\x00\xff" + b"\xff" * 12 + b"\0\0",
    odp_keys.KEY_IPV6: b"\xff" * 32 + b"\x00\x0f\xff\xff" + b"\xff" * 4,
    odp_keys.KEY_CT_ORIG_TUPLE_IPV4: b"\xff" * 13 + b"\0\0\0",
    odp_keys.KEY_CT_ORIG_TUPLE_IPV6: b"\xff" * 37 + b"\0\0\0",
}


def _full_mask_of(attrs, tunnel=False):
    """The mask the kernel builds when no MASK attribute is sent."""
    out = []
    for t, p in attrs:
        if p.__class__ is tuple:
            out.append((t, _full_mask_of(p, tunnel=(t == odp_keys.KEY_TUNNEL))))
        else:
            out.append((t, _ones(len(p))))
    return tuple(out)


def _canon_tunnel(key, mask):
    m = dict(mask) if mask is not None else None
    out_k = []
    out_m = []
    for t, p in key:
        if m is None:
            mp = _ones(len(p)) if p.__class__ is bytes else _full_mask_of(p)
        else:
            mp = m.get(t)
            if mp is None:
                continue
        if p.__class__ is tuple:
            ck, cm = _canon_tunnel(p, mp)
            out_k.append((t, ck))
            out_m.append((t, cm))
            continue
        if len(p) == 0:            # flag: matched when the mask carries it
            out_k.append((t, p))
            out_m.append((t, p))
            continue
        if not any(mp):
            continue
        out_k.append((t, _and(p, mp)))
        out_m.append((t, mp))
    if m is not None:   # flags cleared in the key but present in the mask
        have = {t for t, _p in out_m}
        for t, p in mask:
            # (The kernel pads its tunnel mask with an empty PAD attribute.)
            if p == b"" and t not in have and t != odp_keys.TUN_PAD:
                out_m.append((t, b""))
    rank = odp_keys.TUN_RANK
    out_k.sort(key=lambda a: rank.get(a[0], 99))
    out_m.sort(key=lambda a: rank.get(a[0], 99))
    return tuple(out_k), tuple(out_m)


def _required_attrs(attrs):
    """The key attributes the kernel's match_validate() requires, given the
    values of the others: by ethertype, then (unless a later fragment) by IP
    protocol."""
    values = dict(attrs)
    eth_type = values.get(odp_keys.KEY_ETHERTYPE)
    if eth_type is None or len(eth_type) != 2:
        return ()
    l3_key = odp_keys.L3_KEY_BY_ETHERTYPE.get((eth_type[0] << 8) | eth_type[1])
    need = [] if l3_key is None else [l3_key]
    if l3_key == odp_keys.KEY_IPV6:
        # Not required, but the kernel reports it for every IPv6 flow (and
        # ovs-dpctl prints it): canonical IPv6 flows carry it too.
        need.append(odp_keys.KEY_IPV6_EXTHDRS)
    l3 = values.get(odp_keys.KEY_IPV4)
    if l3 is not None and len(l3) == 12:
        l3_key, proto, frag = odp_keys.KEY_IPV4, l3[8], l3[11]
    else:
        l3 = values.get(odp_keys.KEY_IPV6)
        if l3 is None or len(l3) != 40:
            return need
        l3_key, proto, frag = odp_keys.KEY_IPV6, l3[36], l3[39]
    if frag == odp_keys.FRAG_LATER:
        return need
    l4_keys = odp_keys.L4_KEYS_BY_PROTO.get((l3_key, proto), ())
    need.extend(l4_keys)
    if l4_keys == (odp_keys.KEY_ICMPV6,):
        icmp_key = values.get(odp_keys.KEY_ICMPV6)
        if icmp_key and icmp_key[0] in odp_keys.ICMPV6_ND_TYPES:
            need.append(odp_keys.KEY_ND)
    return need


def _canon_keys(key, mask):
    m = dict(mask) if mask else None
    out_k = []
    out_m = []
    dropped = {}
    for t, p in key:
        if m is None:
            mp = _ones(len(p)) if p.__class__ is bytes else None
        else:
            mp = m.get(t)
        if t == odp_keys.KEY_ENCAP:
            ck, cm = _canon_keys(p, mp if mp is not None else (None if m is None else ()))
            out_k.append((t, ck))
            out_m.append((t, cm))
            continue
        if t == odp_keys.KEY_TUNNEL:
            ck, cm = _canon_tunnel(p, mp if m is not None else None)
            if ck or cm:
                out_k.append((t, ck))
                out_m.append((t, cm))
            continue
        if t == odp_keys.KEY_NSH:
            ck, cm = _canon_tunnel(p, mp if m is not None else None)
            out_k.append((t, ck))
            out_m.append((t, cm))
            continue
        if mp is None:
            mp = bytes(len(p))
        if t == odp_keys.KEY_IN_PORT:
            mp = _IN_PORT_FULL if odp_keys.U32.unpack(mp)[0] & 0xFFFF else b"\0\0\0\0"
        elif t == odp_keys.KEY_ETHERTYPE:
            mp = _ETHERTYPE_FULL
        else:
            lim = _MASK_LIMITS.get(t)
            if lim is not None:
                mp = _and(mp, lim)
        if not any(mp):
            if t == odp_keys.KEY_ETHERNET:    # presence means "Ethernet frame"
                out_k.append((t, bytes(len(p))))
                out_m.append((t, mp))
            else:
                dropped[t] = len(p)
            continue
        out_k.append((t, _and(p, mp)))
        out_m.append((t, mp))
    if m is not None and odp_keys.KEY_ETHERTYPE in m and not any(t == odp_keys.KEY_ETHERTYPE for t, _p in key):
        pass    # 802.2 frames: the kernel's own mask entry, nothing to compare
    # A fully wildcarded attribute goes, unless the kernel requires it in the
    # key anyway (TCP needs TCP_FLAGS, IPv4 needs IPV4...): then it stays, zero.
    present = set(t for t, _p in out_k)
    for t in _required_attrs(out_k):
        size = dropped.get(t, odp_keys.KEY_BY_NUM[t].size)
        if size >= 0 and t not in present:
            out_k.append((t, bytes(size)))
            out_m.append((t, bytes(size)))
    rank = odp_keys.KEY_RANK
    out_k.sort(key=lambda a: rank.get(a[0], 99))
    out_m.sort(key=lambda a: rank.get(a[0], 99))
    return tuple(out_k), tuple(out_m)


def _canon_actions(actions):
    out = []
    for t, p in actions:
        if t == odp_actions.ACT_SET_MASKED and len(p) == 1:
            kt, vm = p[0]
            half = len(vm) // 2
            value, mask = vm[:half], vm[half:]
            if mask == _ones(half):
                out.append((odp_actions.ACT_SET, ((kt, value),)))
            else:
                out.append((t, ((kt, _and(value, mask) + mask),)))
            continue
        if t == odp_actions.ACT_CT:
            sub = []
            for st, sp in p:
                if st == odp_actions.CT_ZONE and not any(sp):
                    continue
                if st == odp_actions.CT_NAT:
                    sp = _canon_nat(sp)
                sub.append((st, sp))
            sub.sort(key=lambda a: a[0])
            out.append((t, tuple(sub)))
            continue
        if t == odp_actions.ACT_CLONE:
            out.append((t, _canon_actions(p)))
            continue
        if t == odp_actions.ACT_SET and len(p) == 1 and p[0][0] == odp_keys.KEY_TUNNEL and p[0][1].__class__ is tuple:
            # The kernel echoes a tunnel set with an empty PAD attribute.
            out.append((t, ((odp_keys.KEY_TUNNEL, tuple(a for a in p[0][1] if a[0] != odp_keys.TUN_PAD)),)))
            continue
        if t in _NESTED_LISTS:
            sub = []
            for st, sp in p:
                if sp.__class__ is tuple and st in _NESTED_LISTS[t]:
                    sp = _canon_actions(sp)
                sub.append((st, sp))
            sub.sort(key=lambda a: a[0])
            out.append((t, tuple(sub)))
            continue
        out.append((t, p))
    return tuple(out)


# Nested action types whose children (the listed sub-types) are action lists.
_NESTED_LISTS = {
    odp_actions.ACT_SAMPLE: (odp_actions.SAMPLE_ACTIONS,),
    odp_actions.ACT_CHECK_PKT_LEN: (odp_actions.CPL_ACTIONS_IF_GREATER, odp_actions.CPL_ACTIONS_IF_LESS_EQUAL),
    odp_actions.ACT_DEC_TTL: (odp_actions.DEC_TTL_ACTION,),
    odp_actions.ACT_USERSPACE: (),
}


def _canon_nat(nat):
    d = dict(nat)
    out = []
    for st, sp in nat:
        if st == odp_actions.NAT_IP_MAX and d.get(odp_actions.NAT_IP_MIN) == sp:
            continue
        if st == odp_actions.NAT_PROTO_MAX and d.get(odp_actions.NAT_PROTO_MIN) == sp:
            continue
        out.append((st, sp))
    out.sort(key=lambda a: a[0])
    return tuple(out)


def _canonical_tuple(key, mask, actions):
    ck, cm = _canon_keys(key, mask)
    return ck, cm, _canon_actions(actions)
