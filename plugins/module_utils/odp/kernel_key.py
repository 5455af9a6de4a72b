# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Our model of the kernel's flow key and mask, for :mod:`.overlap`: a key
or mask as one integer in a layout that mirrors the kernel's
``sw_flow_key`` (MAC protocol, in_port, metadata, Ethernet, VLAN tags,
eth_type, L3, L4), built from the netlink payloads as the kernel builds its
key and mask from them, with the kernel's defaults and the fields it shares.

:func:`flatten_key` walks a key; :class:`KeyFlattener` slices keys laid out
like one seen before (same length, attribute headers and deciding values:
eth_types, IP protocol and fragment) without walking their attributes;
:func:`flatten_mask` builds a mask. Anything the model does not cover (see
the list in :mod:`.overlap`) raises :class:`Unsure`: no prediction, never a
false one.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from operator import itemgetter
from typing import Dict, List, Optional, Tuple, Union

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import (
    CTX_KEY,
    decode_attrs,
    headers_reader,
    slices_getter,
)

_U32 = struct.Struct("=I")

# --- the flattened form -------------------------------------------------------------

#: Fields of the flattened form, in order, with their sizes in bytes. The
#: kernel overlays the L3 structs; here each has its own field, which is
#: the same, since the kernel only compares them between flows of the same
#: (exact) eth_type.
_LAYOUT = (
    ("mac_proto", 1), ("in_port", 5), ("priority", 4), ("skb_mark", 4), ("dp_hash", 4), ("recirc_id", 4),
    ("eth", 12), ("vlan_tpid", 2), ("vlan_tci", 2), ("cvlan_tpid", 2), ("cvlan_tci", 2), ("eth_type", 2),
    ("ipv4", 12), ("ipv6", 40), ("ipv6_exthdrs", 2), ("arp", 22), ("nd", 28), ("tp", 4), ("tcp_flags", 2),
)


def _offsets() -> Dict[str, int]:
    """Field name -> its offset in the flattened form."""
    out = {}
    at = 0
    for name, size in _LAYOUT:
        out[name] = at
        at += size
    return out


_AT = _offsets()
_SIZES = dict(_LAYOUT)
_SIZE = sum(_SIZES.values())
_MAC_PROTO = _AT["mac_proto"]
_IPV4_PROTO = _AT["ipv4"] + 8
_IPV6_PROTO = _AT["ipv6"] + 36
_ICMP_TYPE = _AT["tp"] + 1
#: Fields only L3 parsing fills (the kernel allows their masks with an exact
#: eth_type only), and those of L4 (with an exact IP protocol only).
_L3_AREA = slice(_AT["ipv4"], _AT["nd"] + _SIZES["nd"])
_L4_AREA = slice(_AT["nd"], _SIZE)

# in_port: a presence byte (1: the key has none) and the u32 as sent. A
# port-less key holds a number no port has (checked: it does not match
# in_port(0)), which the presence byte says; ports sent are below 0xffff.
_NO_PORT = b"\x01\0\0\0\0"
_PORT_EXACT = b"\xff" * 5
_PORT_LOW16 = 0xFFFF
_ETH_P_802_2 = b"\x00\x04"          # the kernel's eth_type for a frame with none
_MAC_ETHERNET = b"\x00"
_MAC_NONE = b"\x01"
_VLAN_CFI = keys.VLAN_CFI >> 8     # in the TCI's first (big-endian) byte
_VLAN_TPIDS = (keys.ETH_P_8021Q, keys.ETH_P_8021AD)
_FRAG_MAX = keys.FRAG_LATER
_MAX_VLANS = 2

# How an attribute's payload lands in its field: None copies it whole,
# else one source index (or None for a zero byte) per field byte.
_ICMP_MAP = (None, 0, None, 1)             # type and code as 16-bit ports
_ARP_MAP = tuple(range(8)) + (None,) + tuple(range(9, 22))    # opcode low byte, no padding
_PORT_MAP = (None, 0, 1, 2, 3)             # the presence byte, then the u32 as sent (host order)

#: Attribute -> (field, payload size, byte map), for attributes copied into
#: their field (keys and masks alike).
_META = {
    keys.KEY_PRIORITY: ("priority", 4, None), keys.KEY_SKB_MARK: ("skb_mark", 4, None),
    keys.KEY_DP_HASH: ("dp_hash", 4, None), keys.KEY_RECIRC_ID: ("recirc_id", 4, None),
    keys.KEY_ETHERNET: ("eth", 12, None),
}
_L3 = {keys.KEY_IPV4: ("ipv4", 12, None), keys.KEY_IPV6: ("ipv6", 40, None), keys.KEY_ARP: ("arp", 24, _ARP_MAP)}
_L4 = {
    keys.KEY_TCP: ("tp", 4, None), keys.KEY_UDP: ("tp", 4, None), keys.KEY_SCTP: ("tp", 4, None),
    keys.KEY_ICMP: ("tp", 2, _ICMP_MAP), keys.KEY_ICMPV6: ("tp", 2, _ICMP_MAP),
}
_L4_EXTRA = {
    keys.KEY_TCP_FLAGS: ("tcp_flags", 2, None), keys.KEY_ND: ("nd", 28, None),
    keys.KEY_IPV6_EXTHDRS: ("ipv6_exthdrs", 2, None),
}
#: Everything the innermost level (inside the ENCAPs) may carry.
_INNER = {**_L3, **_L4, **_L4_EXTRA}
_TOP_ONLY = frozenset(_META) | {keys.KEY_IN_PORT}
_L3_ETHERTYPES = {keys.KEY_IPV4: (keys.ETH_P_IP,), keys.KEY_IPV6: (keys.ETH_P_IPV6,),
                  keys.KEY_ARP: (keys.ETH_P_ARP, keys.ETH_P_RARP)}
_ETHERTYPE_L3 = {et: t for t, ets in _L3_ETHERTYPES.items() for et in ets}
#: (L3 attribute, IP protocol) -> the L4 attribute that carries its ports.
_L4_FOR = {(keys.KEY_IPV4, keys.IPPROTO_TCP): keys.KEY_TCP, (keys.KEY_IPV6, keys.IPPROTO_TCP): keys.KEY_TCP,
           (keys.KEY_IPV4, keys.IPPROTO_UDP): keys.KEY_UDP, (keys.KEY_IPV6, keys.IPPROTO_UDP): keys.KEY_UDP,
           (keys.KEY_IPV4, keys.IPPROTO_SCTP): keys.KEY_SCTP, (keys.KEY_IPV6, keys.IPPROTO_SCTP): keys.KEY_SCTP,
           (keys.KEY_IPV4, keys.IPPROTO_ICMP): keys.KEY_ICMP, (keys.KEY_IPV6, keys.IPPROTO_ICMPV6): keys.KEY_ICMPV6}
#: Attributes an installed flow's key may carry unmodelled, if its mask does
#: not match them (the kernel dumps them all, zero-masked). Not the CT
#: tuples: the kernel overlays them on ARP and ND fields.
_IGNORABLE = frozenset((keys.KEY_CT_STATE, keys.KEY_CT_ZONE, keys.KEY_CT_MARK, keys.KEY_CT_LABELS,
                        keys.KEY_MPLS, keys.KEY_NSH))
_VLAN_LEVEL = frozenset((keys.KEY_ETHERTYPE, keys.KEY_VLAN, keys.KEY_ENCAP))


class Unsure(Exception):
    """The flow is one this module does not predict for."""


class Flat:
    """A flattened key or mask being built. For a key it also records what
    makes another key flatten the same way (see :class:`Layout`): where
    each byte came from, the headers, the bytes the result depended on."""

    __slots__ = ("vec", "src", "headers", "decisions", "tests", "port_at", "vlans", "ethernet", "creatable")

    def __init__(self):
        self.vec = bytearray(_SIZE)
        self.src: List[Optional[int]] = [None] * _SIZE    # key offset of each byte, None: constant
        self.headers: List[int] = []        # offsets of every attribute header
        self.decisions: List[int] = []      # offsets of bytes whose exact value was decided on
        self.tests: List[tuple] = []        # (offset, bits, value): key[offset] & bits == value
        self.port_at: Optional[int] = None  # offset of the in_port payload
        self.vlans = 0                      # how many VLAN tags the key has
        self.ethernet = True                # an Ethernet flow (not L3)
        self.creatable = True               # in scope as a new flow's key, not only an installed one's

    def put(self, spec: tuple, payload, at: Optional[int]) -> None:
        """An attribute's payload (at key offset ``at``) into its field by
        ``spec`` (field, size, byte map); Unsure on a wrong size."""
        field, size, byte_map = spec
        if payload.__class__ is not bytes or len(payload) != size:
            raise Unsure()
        start = _AT[field]
        if byte_map is None:
            self.vec[start:start + size] = payload
            sources = range(size)
        else:
            self.vec[start:start + len(byte_map)] = bytes(0 if i is None else payload[i] for i in byte_map)
            sources = byte_map
        if at is not None:
            for n, i in enumerate(sources):
                self.src[start + n] = None if i is None else at + i

    def const(self, field: str, value: bytes) -> None:
        start = _AT[field]
        self.vec[start:start + len(value)] = value

    def decide(self, payload: bytes, at: Optional[int], index: int) -> int:
        """``payload[index]``, recording that the result depends on it."""
        if at is not None:
            self.decisions.append(at + index)
        return payload[index]

    def decide16(self, payload, at: Optional[int]) -> int:
        """A big-endian u16 payload's value, recorded as decided on."""
        if payload.__class__ is not bytes or len(payload) != 2:
            raise Unsure()
        return (self.decide(payload, at, 0) << 8) | self.decide(payload, at, 1)

    def require(self, payload: bytes, at: Optional[int], index: int, bits: int, value: int) -> None:
        """Unsure unless ``payload[index] & bits == value``; recorded."""
        if payload[index] & bits != value:
            raise Unsure()
        if at is not None:
            self.tests.append((at + index, bits, value))


# --- attribute levels ---------------------------------------------------------------

def decode_key(buf: bytes) -> tuple:
    """Attribute tree of a key or mask payload; Unsure if malformed."""
    try:
        return decode_attrs(buf, CTX_KEY, "key")
    except FlowSyntaxError:
        raise Unsure() from None


def _padded(payload) -> int:
    """Bytes an attribute takes on the wire (header, payload, padding), as
    encode_attrs lays it out: a nest's children padded."""
    size = sum(_padded(p) for _t, p in payload) if payload.__class__ is tuple else len(payload)
    return (size + 7) & ~3


def _level(attrs: tuple, start: int, flat: Optional[Flat]) -> Dict[int, tuple]:
    """One nesting level laid out from key offset ``start``:
    {type: (payload, payload offset)}, headers recorded in ``flat``;
    Unsure on a repeated type (the kernel refuses it)."""
    level = {}
    at = start
    for t, payload in attrs:
        if t in level:
            raise Unsure()
        level[t] = (payload, at + 4)
        if flat is not None:
            flat.headers.append(at)
        at += _padded(payload)
    return level


# --- keys ------------------------------------------------------------------------------

def flatten_key(key: bytes) -> Flat:
    """The flattened form of a key payload, by walking its attributes;
    Unsure when the key is out of scope.

    An installed flow's key may carry the attributes of _IGNORABLE (its
    mask decides whether they matter) and lack what the kernel requires of
    a new key (dumped keys are masked); ``creatable`` says whether the key
    is also in scope as a new flow's: every attribute modelled, the key
    valid for the kernel."""
    flat = Flat()
    top = _level(decode_key(key), 0, flat)
    flat.ethernet = keys.KEY_ETHERNET in top
    if not flat.ethernet and keys.KEY_ETHERTYPE not in top:
        raise Unsure()         # the kernel refuses it
    flat.const("mac_proto", _MAC_ETHERNET if flat.ethernet else _MAC_NONE)
    _put_metadata(flat, top)
    level = top
    while flat.ethernet and keys.KEY_ETHERTYPE in level and \
            flat.decide16(*level[keys.KEY_ETHERTYPE]) in _VLAN_TPIDS:
        if flat.vlans == _MAX_VLANS:
            raise Unsure()
        level = _put_vlan(flat, level, level is top)
    if level is not top and not _TOP_ONLY.isdisjoint(level):
        raise Unsure()         # metadata inside an ENCAP
    _put_l3(flat, level)
    return flat


def _put_metadata(flat: Flat, top: dict) -> None:
    """Top-level attributes that are not headers: in_port and metadata;
    Unsure on one out of scope."""
    for t, (payload, at) in top.items():
        spec = _META.get(t)
        if spec is not None:
            flat.put(spec, payload, at)
        elif t == keys.KEY_IN_PORT:
            if payload.__class__ is not bytes or len(payload) != 4 or _U32.unpack(payload)[0] >= _PORT_LOW16:
                raise Unsure()     # the kernel refuses it (or takes it for "no port")
            flat.put(("in_port", 4, _PORT_MAP), payload, at)    # present: a zero presence byte
            flat.port_at = at
        elif t in _IGNORABLE:
            flat.creatable = False
        elif t not in _VLAN_LEVEL and t not in _INNER:
            raise Unsure()         # tunnel, ct, mpls, nsh, or unknown
    if keys.KEY_IN_PORT not in top:
        flat.const("in_port", _NO_PORT)


def _put_vlan(flat: Flat, level: dict, at_top: bool) -> dict:
    """Put the tag of a VLAN level (outer, then inner); return the level
    inside its ENCAP."""
    tci = level.get(keys.KEY_VLAN)
    encap = level.get(keys.KEY_ENCAP)
    if tci is None or encap is None or encap[0].__class__ is not tuple or len(tci[0]) != 2:
        raise Unsure()         # the kernel refuses it
    flat.require(tci[0], tci[1], 0, _VLAN_CFI, _VLAN_CFI)   # else a truncated header: its own corner case
    extra = set(level) - _VLAN_LEVEL
    if at_top:
        extra -= _TOP_ONLY | _IGNORABLE
    if extra:
        raise Unsure()         # headers outside the ENCAP
    prefix = "vlan" if flat.vlans == 0 else "cvlan"
    flat.vlans += 1
    flat.put((prefix + "_tpid", 2, None), *level[keys.KEY_ETHERTYPE])
    flat.put((prefix + "_tci", 2, None), *tci)
    return _level(encap[0], encap[1], flat)


def _put_l3(flat: Flat, level: dict) -> None:
    """The innermost level: eth_type and L3, checked for consistency (a key
    mixing headers would have the kernel overlay fields)."""
    if keys.KEY_VLAN in level or keys.KEY_ENCAP in level:
        raise Unsure()
    if keys.KEY_ETHERTYPE in level:
        eth_type = flat.decide16(*level[keys.KEY_ETHERTYPE])
        if eth_type < 0x600:
            flat.creatable = False  # the kernel refuses it (a dump's wildcarded eth_type)
        flat.put(("eth_type", 2, None), *level[keys.KEY_ETHERTYPE])
    elif flat.ethernet:
        eth_type = 0x0004
        flat.const("eth_type", _ETH_P_802_2)
    else:
        raise Unsure()
    l3_types = [t for t in level if t in _L3 or t in (keys.KEY_MPLS, keys.KEY_NSH)]
    if len(l3_types) > 1:
        raise Unsure()
    l3 = l3_types[0] if l3_types else None
    if l3 in (keys.KEY_MPLS, keys.KEY_NSH):
        flat.creatable = False
        l3 = None                   # an installed flow's: its mask must not match it
    elif l3 is not None and eth_type not in _L3_ETHERTYPES[l3]:
        raise Unsure()
    if l3 is None and eth_type in _ETHERTYPE_L3:
        flat.creatable = False      # "missing key": the kernel refuses it
    if l3 is not None:
        flat.put(_L3[l3], *level[l3])
        _check_l3_values(flat, l3, *level[l3])
    _put_l4(flat, level, l3)


def _check_l3_values(flat: Flat, l3: int, payload: bytes, at: int) -> None:
    """Unsure on L3 values the kernel refuses (no installed flow has
    them): fragment type, IPv6 label, ARP opcode."""
    if l3 == keys.KEY_ARP:
        flat.require(payload, at, 8, 0xFF, 0)
        return
    if l3 == keys.KEY_IPV6:
        flat.require(payload, at, 32, 0xFF, 0)
        flat.require(payload, at, 33, 0xF0, 0)
    if flat.decide(payload, at, 11 if l3 == keys.KEY_IPV4 else 39) > _FRAG_MAX:
        raise Unsure()


def _put_l4(flat: Flat, level: dict, l3: Optional[int]) -> None:
    """Transport attributes, each consistent with the IP header it follows."""
    l4_types = [t for t in level if t in _L4]
    if len(l4_types) > 1:
        raise Unsure()
    proto = frag = None
    if l3 in (keys.KEY_IPV4, keys.KEY_IPV6):
        payload, at = level[l3]
        proto = flat.decide(payload, at, 8 if l3 == keys.KEY_IPV4 else 36)
        frag = flat.decide(payload, at, 11 if l3 == keys.KEY_IPV4 else 39)
    expected = _L4_FOR.get((l3, proto))
    for t in l4_types:
        if t != expected:
            raise Unsure()
        flat.put(_L4[t], *level[t])
    if keys.KEY_TCP_FLAGS in level and expected != keys.KEY_TCP or \
            keys.KEY_IPV6_EXTHDRS in level and l3 != keys.KEY_IPV6 or \
            keys.KEY_ND in level and expected != keys.KEY_ICMPV6:
        raise Unsure()
    for t, spec in _L4_EXTRA.items():
        if t in level:
            flat.put(spec, *level[t])
    if expected is not None and frag != _FRAG_MAX and _misses_l4(flat, level, expected):
        flat.creatable = False      # "missing key": the kernel refuses it


def _misses_l4(flat: Flat, level: dict, expected: int) -> bool:
    """Whether a key lacks an L4 attribute the kernel requires of it."""
    need = [expected]
    if expected == keys.KEY_TCP:
        need.append(keys.KEY_TCP_FLAGS)
    if expected == keys.KEY_ICMPV6 and expected in level and flat.decide(*level[expected], 0) in keys.ICMPV6_ND_TYPES:
        need.append(keys.KEY_ND)
    return any(t not in level for t in need)


class Layout:
    """How every key laid out like a learnt one flattens, without a walk.

    Same length, same attribute headers at the same offsets and the same
    values where the walk decided on a value (eth_types, IP protocol and
    fragment, ICMPv6 type) mean the same walk: the flattened form is then
    the learnt one's constants and the new key's bytes, sliced in one call,
    once the value checks the walk made (VLAN CFI bit, IPv6 label, ARP
    opcode, in_port range) pass for the new key too."""

    __slots__ = ("headers", "expect", "decided", "decisions", "tests", "port_at", "pool", "pieces",
                 "vlans", "ethernet", "creatable")

    def __init__(self, key: bytes, flat: Flat):
        self.headers = headers_reader(sorted(flat.headers))
        self.expect = self.headers(key)
        self.decisions = itemgetter(*flat.decisions) if flat.decisions else (lambda _key: None)
        self.decided = self.decisions(key)
        self.tests = tuple(flat.tests)
        self.port_at = flat.port_at
        self.vlans = flat.vlans
        self.ethernet = flat.ethernet
        self.creatable = flat.creatable
        self.pool, self.pieces = _pieces(len(key), flat)

    def flatten(self, key: bytes) -> Optional[int]:
        """``key``'s flattened form as an int, or None if it is not laid
        out like this (or fails a check: the walk then says why)."""
        if self.headers(key) != self.expect or self.decisions(key) != self.decided:
            return None
        for at, bits, value in self.tests:
            if key[at] & bits != value:
                return None
        if self.port_at is not None and _U32.unpack_from(key, self.port_at)[0] >= _PORT_LOW16:
            return None
        return int.from_bytes(b"".join(self.pieces(key + self.pool)), "big")


def _pieces(key_len: int, flat: Flat) -> tuple:
    """(constant pool, slices getter) rebuilding ``flat.vec``: runs of bytes
    from the key, and constants sliced from the pool appended to it."""
    pool = bytearray()
    slices = []
    pos = 0
    while pos < _SIZE:
        src = flat.src[pos]
        end = pos + 1
        if src is None:
            while end < _SIZE and flat.src[end] is None:
                end += 1
            slices.append(slice(key_len + len(pool), key_len + len(pool) + end - pos))
            pool += flat.vec[pos:end]
        else:
            while end < _SIZE and flat.src[end] == src + end - pos:
                end += 1
            slices.append(slice(src, src + end - pos))
        pos = end
    return bytes(pool), slices_getter(slices)


#: Layouts remembered per key length (a few: tables mix shapes).
LAYOUTS_PER_LENGTH = 4


class KeyFlattener:
    """Flattened keys as ints, through learnt layouts."""

    def __init__(self):
        self.layouts: Dict[int, List[Layout]] = {}

    def flatten(self, key: bytes) -> Tuple[int, Union[Layout, Flat]]:
        """(flattened key, facts: the layout, or the walk's Flat, with
        ``vlans``, ``ethernet`` and ``creatable``); Unsure if out of scope."""
        known = self.layouts.get(len(key))
        if known:
            for layout in known:
                flat = layout.flatten(key)
                if flat is not None:
                    return flat, layout
        flat = flatten_key(key)
        result = int.from_bytes(flat.vec, "big")
        layout = Layout(key, flat)
        # Kept only once it rebuilds what the walk built from the key it was
        # learnt from: a wrong layout would answer wrongly for every key like it.
        if layout.flatten(key) == result:
            known = self.layouts.setdefault(len(key), [])
            if len(known) >= LAYOUTS_PER_LENGTH:
                known.pop(0)
            known.append(layout)
        return result, flat


# --- masks ------------------------------------------------------------------------------------

def _matches_nothing(t: int, payload) -> bool:
    """Whether a mask attribute matches no bits: all-zero bytes or an empty
    nest (the kernel drops both), or a tunnel or NSH nest of zero fields
    (the kernel dumps one for a flow that does not match them). A flag
    (empty attribute) in a tunnel mask matches."""
    if payload.__class__ is bytes:
        return not any(payload)
    if t not in (keys.KEY_TUNNEL, keys.KEY_NSH):
        return not payload
    return all(sub == keys.TUN_PAD or (p.__class__ is bytes and p and not any(p)) for sub, p in payload)


def exact_mask_of(attrs: tuple) -> tuple:
    """The mask the kernel builds when a flow is sent without one: every
    byte of every attribute in the key."""
    return tuple((t, exact_mask_of(p) if p.__class__ is tuple else b"\xff" * len(p)) for t, p in attrs)


def flatten_mask(mask: bytes, vlans: int, ethernet: bool) -> bytearray:
    """The flattened form of an installed flow's mask, given its key's VLAN
    tags and MAC protocol; Unsure when it matches what is not modelled or
    is not in the kernel's form."""
    flat = Flat()
    flat.vec[_MAC_PROTO] = 0xFF
    flat.const("vlan_tci", b"\xff\xff")         # the kernel always matches the TCIs...
    flat.const("cvlan_tci", b"\xff\xff")        # ...unless an ENCAP mask says otherwise
    top = _level(decode_key(mask), 0, None)
    level = top
    for depth in range(vlans):
        level = _mask_vlan(flat, level, depth, level is top)
    for t, (payload, _at) in level.items():
        if not _matches_nothing(t, payload):
            _mask_attr(flat, t, payload, level is top, ethernet)
    if level is not top:
        for t, (payload, _at) in top.items():
            if t not in _VLAN_LEVEL and not _matches_nothing(t, payload):
                _mask_top_only(flat, t, payload, ethernet)
    _check_mask_rules(flat.vec)
    return flat.vec


def _mask_vlan(flat: Flat, level: dict, depth: int, at_top: bool) -> dict:
    """The mask of a VLAN level: the kernel wants an exact TPID, the CFI bit
    in the TCI mask and an ENCAP; return the level inside."""
    tpid = level.get(keys.KEY_ETHERTYPE, (None,))[0]
    tci = level.get(keys.KEY_VLAN, (None,))[0]
    encap = level.get(keys.KEY_ENCAP, (None,))[0]
    if tpid != b"\xff\xff" or tci.__class__ is not bytes or len(tci) != 2 or not tci[0] & _VLAN_CFI \
            or encap.__class__ is not tuple or not encap:
        raise Unsure()
    if not at_top and any(t not in _VLAN_LEVEL and not _matches_nothing(t, p) for t, (p, _at) in level.items()):
        raise Unsure()
    prefix = "vlan" if depth == 0 else "cvlan"
    flat.const(prefix + "_tpid", b"\xff\xff")
    flat.const(prefix + "_tci", tci)
    return _level(encap, 0, None)


def _mask_attr(flat: Flat, t: int, payload, at_top: bool, ethernet: bool) -> None:
    """One matching attribute of the innermost mask level."""
    if t == keys.KEY_ETHERTYPE:
        if len(payload) != 2:
            raise Unsure()
        flat.const("eth_type", b"\xff\xff")     # present means exact
        return
    spec = _INNER.get(t)
    if spec is not None:
        flat.put(spec, payload, None)
    elif at_top:
        _mask_top_only(flat, t, payload, ethernet)
    else:
        raise Unsure()


def _mask_top_only(flat: Flat, t: int, payload, ethernet: bool) -> None:
    """One matching top-level attribute: metadata, in_port, Ethernet."""
    if t == keys.KEY_IN_PORT:
        if payload.__class__ is not bytes or len(payload) != 4:
            raise Unsure()
        if _U32.unpack(payload)[0] & _PORT_LOW16:
            flat.const("in_port", _PORT_EXACT)      # any port bit means exact
        return
    spec = _META.get(t)
    if spec is None or t == keys.KEY_ETHERNET and not ethernet:
        raise Unsure()         # tunnel, ct, mpls, nsh, a misplaced VLAN...
    flat.put(spec, payload, None)


def _check_mask_rules(vec: bytearray) -> None:
    """Unsure on a mask the kernel would not have taken: L3 fields without
    an exact eth_type, L4 fields without an exact IP protocol, ND without
    an exact ICMPv6 type."""
    eth_type = _AT["eth_type"]
    if any(vec[_L3_AREA]) and vec[eth_type:eth_type + 2] != b"\xff\xff":
        raise Unsure()
    if any(vec[_L4_AREA]) and vec[_IPV4_PROTO] != 0xFF and vec[_IPV6_PROTO] != 0xFF:
        raise Unsure()
    if any(vec[_AT["nd"]:_AT["nd"] + _SIZES["nd"]]) and vec[_ICMP_TYPE] != 0xFF:
        raise Unsure()
