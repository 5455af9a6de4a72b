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


class PrintedStats:
    """Counters of a dumped flow, as printed after the key."""

    __slots__ = ("packets", "bytes", "used_ms_ago", "tcp_flags")

    def __init__(self, packets: int = 0, bytes: int = 0, used_ms_ago: int | None = None,
                 tcp_flags: int = 0):
        self.packets = packets
        self.bytes = bytes
        self.used_ms_ago = used_ms_ago
        self.tcp_flags = tcp_flags

    def __eq__(self, other):
        return isinstance(other, PrintedStats) and self._t() == other._t()

    def __hash__(self):
        return hash(self._t())

    def _t(self):
        """The counters as a tuple, for equality and hashing."""
        return (self.packets, self.bytes, self.used_ms_ago, self.tcp_flags)

    def __repr__(self):
        return "PrintedStats(packets=%d, bytes=%d, used_ms_ago=%r, tcp_flags=%#x)" % self._t()


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
        """``(key, mask, actions)`` in canonical form (see :func:`canonical`), computed once."""
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
        """A copy with the fields named in ``kw`` replaced."""
        d = {"key": self.key, "mask": self.mask, "actions": self.actions, "ufid": self.ufid}
        d.update(kw)
        return Flow(**d)


def wildcard_mask(payload):
    """The mask that matches nothing of ``payload``: zero bytes of its
    length, or no attributes for a nest. Stands for a mask attribute a
    mask leaves out."""
    return () if payload.__class__ is tuple else bytes(len(payload))


def mask_for(mask_attrs: dict | None, attr_type: int, payload):
    """The mask of attribute ``attr_type`` (whose value is ``payload``)
    among ``mask_attrs``, a mask's attributes by type: the wildcard when the
    mask leaves it out, None when there is no mask (exact)."""
    if mask_attrs is None:
        return None
    mask = mask_attrs.get(attr_type)
    return wildcard_mask(payload) if mask is None else mask


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
    """``a`` AND ``b`` byte by byte; ``a`` itself when their lengths differ."""
    n = len(a)
    if len(b) != n:
        return a
    return (int.from_bytes(a, "big") & int.from_bytes(b, "big")).to_bytes(n, "big")


def _ones(n: int) -> bytes:
    """An exact mask of ``n`` bytes."""
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
    for attr_type, payload in attrs:
        if payload.__class__ is tuple:
            out.append((attr_type, _full_mask_of(payload, tunnel=(attr_type == odp_keys.KEY_TUNNEL))))
        else:
            out.append((attr_type, _ones(len(payload))))
    return tuple(out)


def _canon_tunnel(key, mask):
    """Canonical key and mask of nested attributes (tunnel, nsh): masked
    payloads, wildcarded ones dropped, flags kept as the mask has them."""
    mask_attrs = dict(mask) if mask is not None else None
    out_k = []
    out_m = []
    for attr_type, payload in key:
        if mask_attrs is None:
            attr_mask = _ones(len(payload)) if payload.__class__ is bytes else _full_mask_of(payload)
        else:
            attr_mask = mask_attrs.get(attr_type)
            if attr_mask is None:
                continue
        if payload.__class__ is tuple:
            canon_key, canon_mask = _canon_tunnel(payload, attr_mask)
            out_k.append((attr_type, canon_key))
            out_m.append((attr_type, canon_mask))
            continue
        if len(payload) == 0:            # flag: matched when the mask carries it
            out_k.append((attr_type, payload))
            out_m.append((attr_type, payload))
            continue
        if not any(attr_mask):
            continue
        out_k.append((attr_type, _and(payload, attr_mask)))
        out_m.append((attr_type, attr_mask))
    if mask_attrs is not None:   # flags cleared in the key but present in the mask
        have = {attr_type for attr_type, _payload in out_m}
        for attr_type, payload in mask:
            # (The kernel pads its tunnel mask with an empty PAD attribute.)
            if payload == b"" and attr_type not in have and attr_type != odp_keys.TUN_PAD:
                out_m.append((attr_type, b""))
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
    """Canonical key and mask: masked payloads, kernel-forced masks,
    wildcarded attributes dropped unless required, in kernel order."""
    mask_attrs = dict(mask) if mask else None
    out_k = []
    out_m = []
    dropped = {}
    for attr_type, payload in key:
        if mask_attrs is None:
            attr_mask = _ones(len(payload)) if payload.__class__ is bytes else None
        else:
            attr_mask = mask_attrs.get(attr_type)
        if attr_type == odp_keys.KEY_ENCAP:
            canon_key, canon_mask = _canon_keys(payload, attr_mask if attr_mask is not None
                                                else (None if mask_attrs is None else ()))
            out_k.append((attr_type, canon_key))
            out_m.append((attr_type, canon_mask))
            continue
        if attr_type == odp_keys.KEY_TUNNEL:
            canon_key, canon_mask = _canon_tunnel(payload, attr_mask if mask_attrs is not None else None)
            if canon_key or canon_mask:
                out_k.append((attr_type, canon_key))
                out_m.append((attr_type, canon_mask))
            continue
        if attr_type == odp_keys.KEY_NSH:
            canon_key, canon_mask = _canon_tunnel(payload, attr_mask if mask_attrs is not None else None)
            out_k.append((attr_type, canon_key))
            out_m.append((attr_type, canon_mask))
            continue
        if attr_mask is None:
            attr_mask = bytes(len(payload))
        if attr_type == odp_keys.KEY_IN_PORT:
            attr_mask = _IN_PORT_FULL if odp_keys.U32.unpack(attr_mask)[0] & 0xFFFF else b"\0\0\0\0"
        elif attr_type == odp_keys.KEY_ETHERTYPE:
            attr_mask = _ETHERTYPE_FULL
        else:
            limit = _MASK_LIMITS.get(attr_type)
            if limit is not None:
                attr_mask = _and(attr_mask, limit)
        if not any(attr_mask):
            if attr_type == odp_keys.KEY_ETHERNET:    # presence means "Ethernet frame"
                out_k.append((attr_type, bytes(len(payload))))
                out_m.append((attr_type, attr_mask))
            else:
                dropped[attr_type] = len(payload)
            continue
        out_k.append((attr_type, _and(payload, attr_mask)))
        out_m.append((attr_type, attr_mask))
    # (An eth_type in the mask but not the key is an 802.2 frame's: the
    # kernel's own mask entry, nothing to compare.)
    # A fully wildcarded attribute goes, unless the kernel requires it in the
    # key anyway (TCP needs TCP_FLAGS, IPv4 needs IPV4...): then it stays, zero.
    present = set(attr_type for attr_type, _payload in out_k)
    for attr_type in _required_attrs(out_k):
        size = dropped.get(attr_type, odp_keys.KEY_BY_NUM[attr_type].size)
        if size >= 0 and attr_type not in present:
            out_k.append((attr_type, bytes(size)))
            out_m.append((attr_type, bytes(size)))
    rank = odp_keys.KEY_RANK
    out_k.sort(key=lambda a: rank.get(a[0], 99))
    out_m.sort(key=lambda a: rank.get(a[0], 99))
    return tuple(out_k), tuple(out_m)


def _canon_actions(actions):
    """Actions as the kernel echoes them: exact masked sets as sets, ct and nat normalised, no tunnel PAD."""
    out = []
    for act_type, payload in actions:
        if act_type == odp_actions.ACT_SET_MASKED and len(payload) == 1:
            key_type, value_mask = payload[0]
            half = len(value_mask) // 2
            value, mask = value_mask[:half], value_mask[half:]
            if mask == _ones(half):
                out.append((odp_actions.ACT_SET, ((key_type, value),)))
            else:
                out.append((act_type, ((key_type, _and(value, mask) + mask),)))
            continue
        if act_type == odp_actions.ACT_CT:
            sub = []
            for sub_type, sub_payload in payload:
                if sub_type == odp_actions.CT_ZONE and not any(sub_payload):
                    continue
                if sub_type == odp_actions.CT_NAT:
                    sub_payload = _canon_nat(sub_payload)
                sub.append((sub_type, sub_payload))
            sub.sort(key=lambda a: a[0])
            out.append((act_type, tuple(sub)))
            continue
        if act_type == odp_actions.ACT_CLONE:
            out.append((act_type, _canon_actions(payload)))
            continue
        if (act_type == odp_actions.ACT_SET and len(payload) == 1 and payload[0][0] == odp_keys.KEY_TUNNEL
                and payload[0][1].__class__ is tuple):
            # The kernel echoes a tunnel set with an empty PAD attribute.
            out.append((act_type, ((odp_keys.KEY_TUNNEL,
                                    tuple(a for a in payload[0][1] if a[0] != odp_keys.TUN_PAD)),)))
            continue
        if act_type in _NESTED_LISTS:
            sub = []
            for sub_type, sub_payload in payload:
                if sub_payload.__class__ is tuple and sub_type in _NESTED_LISTS[act_type]:
                    sub_payload = _canon_actions(sub_payload)
                sub.append((sub_type, sub_payload))
            sub.sort(key=lambda a: a[0])
            out.append((act_type, tuple(sub)))
            continue
        out.append((act_type, payload))
    return tuple(out)


# Nested action types whose children (the listed sub-types) are action lists.
_NESTED_LISTS = {
    odp_actions.ACT_SAMPLE: (odp_actions.SAMPLE_ACTIONS,),
    odp_actions.ACT_CHECK_PKT_LEN: (odp_actions.CPL_ACTIONS_IF_GREATER, odp_actions.CPL_ACTIONS_IF_LESS_EQUAL),
    odp_actions.ACT_DEC_TTL: (odp_actions.DEC_TTL_ACTION,),
    odp_actions.ACT_USERSPACE: (),
}


def _canon_nat(nat):
    """nat attributes without a range end equal to its start, sorted."""
    by_type = dict(nat)
    out = []
    for sub_type, sub_payload in nat:
        if sub_type == odp_actions.NAT_IP_MAX and by_type.get(odp_actions.NAT_IP_MIN) == sub_payload:
            continue
        if sub_type == odp_actions.NAT_PROTO_MAX and by_type.get(odp_actions.NAT_PROTO_MIN) == sub_payload:
            continue
        out.append((sub_type, sub_payload))
    out.sort(key=lambda a: a[0])
    return tuple(out)


def _canonical_tuple(key, mask, actions):
    """``(key, mask, actions)`` canonical (see :func:`canonical`)."""
    canon_key, canon_mask = _canon_keys(key, mask)
    return canon_key, canon_mask, _canon_actions(actions)
