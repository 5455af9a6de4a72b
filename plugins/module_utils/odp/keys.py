# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow key table: one literal row per ``OVS_KEY_ATTR_*``.

A row says what the kernel expects on the wire (attribute number, payload
size, struct layout and byte order) and how the text and structured forms
spell it (attribute name, field names in print order, value kind). The same
rows drive the wire codec (sizes, nesting), the text parser and printer, the
structured form and mask building. Sizes are checked at import.

Field kinds (how one struct member is read and written in text):

=========  ==================================  =========================
kind       value                               mask
=========  ==================================  =========================
``dec``    unsigned decimal (``80``)           ``/0xff00``
``hex``    ``%#x`` (``0``, ``0x80``)           ``/0xf0``
``ip4``    dotted quad                         dotted quad
``ip6``    RFC 5952 text                       address text
``mac``    ``00:01:02:03:04:05``               MAC text
``frag``   ``no`` / ``first`` / ``later``      none (all or nothing)
``label``  ``%#x``, 20 significant bits         ``/0x...``
=========  ==================================  =========================
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re
import socket
import struct
from collections import namedtuple
from functools import partial

# Attribute payload sizes that are not fixed.
NESTED = -1
VARIABLE = -2

# --- OVS_KEY_ATTR_* (linux/openvswitch.h, kernel 6.1) -----------------------
KEY_ENCAP = 1
KEY_PRIORITY = 2
KEY_IN_PORT = 3
KEY_ETHERNET = 4
KEY_VLAN = 5
KEY_ETHERTYPE = 6
KEY_IPV4 = 7
KEY_IPV6 = 8
KEY_TCP = 9
KEY_UDP = 10
KEY_ICMP = 11
KEY_ICMPV6 = 12
KEY_ARP = 13
KEY_ND = 14
KEY_SKB_MARK = 15
KEY_TUNNEL = 16
KEY_SCTP = 17
KEY_TCP_FLAGS = 18
KEY_DP_HASH = 19
KEY_RECIRC_ID = 20
KEY_MPLS = 21
KEY_CT_STATE = 22
KEY_CT_ZONE = 23
KEY_CT_MARK = 24
KEY_CT_LABELS = 25
KEY_CT_ORIG_TUPLE_IPV4 = 26
KEY_CT_ORIG_TUPLE_IPV6 = 27
KEY_NSH = 28
KEY_PACKET_TYPE = 29
KEY_ND_EXTENSIONS = 30
KEY_TUNNEL_INFO = 31
KEY_IPV6_EXTHDRS = 32

# --- OVS_TUNNEL_KEY_ATTR_* (numbering starts at 0) ---------------------------
TUN_ID = 0
TUN_IPV4_SRC = 1
TUN_IPV4_DST = 2
TUN_TOS = 3
TUN_TTL = 4
TUN_DONT_FRAGMENT = 5
TUN_CSUM = 6
TUN_OAM = 7
TUN_GENEVE_OPTS = 8
TUN_TP_SRC = 9
TUN_TP_DST = 10
TUN_VXLAN_OPTS = 11
TUN_IPV6_SRC = 12
TUN_IPV6_DST = 13
TUN_PAD = 14
TUN_ERSPAN_OPTS = 15
TUN_IPV4_INFO_BRIDGE = 16
VXLAN_EXT_GBP = 1

# --- OVS_NSH_KEY_ATTR_* -----------------------------------------------------
NSH_BASE = 1
NSH_MD1 = 2
NSH_MD2 = 3

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_RARP = 0x8035
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_MPLS_UC = 0x8847
ETH_P_MPLS_MC = 0x8848
ETH_P_NSH = 0x894F
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ICMPV6 = 58
IPPROTO_SCTP = 132

FRAG_NAMES = ("no", "first", "later")
FRAG_VALUES = {"no": 0, "first": 1, "later": 2}
#: ``frag=later``: a later fragment, which has no transport header to match.
FRAG_LATER = FRAG_VALUES["later"]

#: The TCI bit that says a VLAN header is present (802.1Q's CFI/DEI bit, which
#: the kernel repurposes): a vlan key or push_vlan without it is refused.
VLAN_CFI = 0x1000
#: The TCI's other fields: the VLAN id in its low 12 bits, the priority in its top 3.
VLAN_VID_MASK = 0x0FFF
VLAN_PCP_SHIFT = 13

# What the kernel's match_validate() requires of a key, given its values: the
# L3 attribute an ethertype requires, and the L4 attributes an IP protocol does.
L3_KEY_BY_ETHERTYPE = {ETH_P_IP: KEY_IPV4, ETH_P_IPV6: KEY_IPV6, ETH_P_ARP: KEY_ARP, ETH_P_RARP: KEY_ARP,
                       ETH_P_MPLS_UC: KEY_MPLS, ETH_P_MPLS_MC: KEY_MPLS, ETH_P_NSH: KEY_NSH}
#: The ethertype an L3 attribute implies when the flow does not say (MPLS: unicast).
ETHERTYPE_BY_L3_KEY = {KEY_IPV4: ETH_P_IP, KEY_IPV6: ETH_P_IPV6, KEY_ARP: ETH_P_ARP, KEY_MPLS: ETH_P_MPLS_UC,
                       KEY_NSH: ETH_P_NSH}
L4_KEYS_BY_PROTO = {
    (KEY_IPV4, IPPROTO_TCP): (KEY_TCP, KEY_TCP_FLAGS), (KEY_IPV6, IPPROTO_TCP): (KEY_TCP, KEY_TCP_FLAGS),
    (KEY_IPV4, IPPROTO_UDP): (KEY_UDP,), (KEY_IPV6, IPPROTO_UDP): (KEY_UDP,),
    (KEY_IPV4, IPPROTO_SCTP): (KEY_SCTP,), (KEY_IPV6, IPPROTO_SCTP): (KEY_SCTP,),
    (KEY_IPV4, IPPROTO_ICMP): (KEY_ICMP,), (KEY_IPV6, IPPROTO_ICMPV6): (KEY_ICMPV6,),
}
#: The IP protocol an L4 attribute needs matched exactly.
PROTO_BY_L4_KEY = {KEY_TCP: IPPROTO_TCP, KEY_TCP_FLAGS: IPPROTO_TCP, KEY_UDP: IPPROTO_UDP,
                   KEY_SCTP: IPPROTO_SCTP, KEY_ICMP: IPPROTO_ICMP, KEY_ICMPV6: IPPROTO_ICMPV6}
#: ICMPv6 types of neighbour discovery (solicitation, advertisement): an ND key goes with them.
ICMPV6_ND_TYPES = (135, 136)

# Flag sets, ascending bit order (the order the printer uses).
CT_STATE_FLAGS = (("new", 0x01), ("est", 0x02), ("rel", 0x04), ("rpl", 0x08),
                  ("inv", 0x10), ("trk", 0x20), ("snat", 0x40), ("dnat", 0x80))
CT_STATE_SUPPORTED = 0xFF
TCP_FLAG_NAMES = (("fin", 0x001), ("syn", 0x002), ("rst", 0x004), ("psh", 0x008),
                  ("ack", 0x010), ("urg", 0x020), ("ece", 0x040), ("cwr", 0x080),
                  ("ns", 0x100), ("[200]", 0x200), ("[400]", 0x400), ("[800]", 0x800))
TCP_FLAGS_FULL = 0x0FFF
TUN_FLAG_NAMES = (("oam", 0x1), ("df", 0x2), ("csum", 0x4), ("key", 0x8))
TUN_FLAGS_FULL = 0xF
# Tunnel flag bit -> the flag attribute that carries it on the wire.
TUN_FLAG_ATTRS = ((0x1, TUN_OAM), (0x2, TUN_DONT_FRAGMENT), (0x4, TUN_CSUM))


# --- value kinds --------------------------------------------------------------

def _hex(v: int) -> str:
    """C ``%#x``: ``0`` for zero, else ``0x..``."""
    return "0x%x" % v if v else "0"


_HEX_RE = re.compile(r"0[xX][0-9a-fA-F]+\Z")
_BAREHEX_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]+)\Z")


def parse_int(s: str) -> int:
    """C ``%i``: decimal, ``0x`` hex, leading ``0`` octal; ValueError otherwise."""
    if s.isdigit() and s.isascii():     # [0-9]+ without a regex: the hot path
        if len(s) > 1 and s[0] == "0":
            return int(s, 8)
        return int(s)
    if _HEX_RE.match(s):
        return int(s, 16)
    raise ValueError("%r is not a number" % s)


def parse_hex(s: str) -> int:
    """C ``%x``: hex with or without ``0x``."""
    m = _BAREHEX_RE.match(s)
    if m:
        return int(m.group(1), 16)
    raise ValueError("%r is not a hex number" % s)


def parse_mac(s: str) -> bytes:
    if len(s) == 17 and s[2] == s[5] == s[8] == s[11] == s[14] == ":" and s.isascii():
        try:
            out = bytes.fromhex(s.replace(":", ""))
        except ValueError:
            out = b""
        if len(out) == 6:
            return out
    # odd spellings (1:2:3:4:5:6, +a, spaces): the careful path
    parts = s.split(":")
    if len(parts) != 6:
        raise ValueError("%r is not a MAC address" % s)
    try:
        out = bytes(int(p, 16) for p in parts if 0 < len(p) <= 2)
    except ValueError:
        raise ValueError("%r is not a MAC address" % s)
    if len(out) != 6:
        raise ValueError("%r is not a MAC address" % s)
    return out


def format_mac(b: bytes) -> str:
    return "%02x:%02x:%02x:%02x:%02x:%02x" % tuple(b)


def parse_ip4(s: str) -> bytes:
    try:
        return socket.inet_pton(socket.AF_INET, s)
    except (OSError, ValueError):
        raise ValueError("%r is not an IPv4 address" % s)


def parse_ip6(s: str) -> bytes:
    try:
        return socket.inet_pton(socket.AF_INET6, s)
    except (OSError, ValueError):
        raise ValueError("%r is not an IPv6 address" % s)


# The C functions themselves, not Python wrappers: a dump prints an address
# per flow, and a wrapper's frame costs a tenth of the printing.
#: format_ip4(b: bytes) -> str, dotted quad.
format_ip4 = socket.inet_ntoa
#: format_ip6(b: bytes) -> str, RFC 5952 text.
format_ip6 = partial(socket.inet_ntop, socket.AF_INET6)


def _int_kind(bits: int, value_fmt, parse=parse_int, full=None):
    top = (1 << bits) - 1

    def parse_checked(s):
        if parse is parse_int and s.isdigit() and s.isascii() and (len(s) == 1 or s[0] != "0"):
            v = int(s)      # plain decimal: parse_int inlined
        else:
            v = parse(s)
        if v > top:
            raise ValueError("%s does not fit in %d bits" % (s, bits))
        return v
    return Kind(parse_checked, parse_checked, value_fmt, _hex, top if full is None else full, 0)


def _bytes_kind(size, parse, fmt):
    return Kind(parse, parse, fmt, fmt, b"\xff" * size, bytes(size))


def _parse_frag(s):
    try:
        return FRAG_VALUES[s]
    except KeyError:
        raise ValueError("frag must be no, first or later, not %r" % s)


def _no_mask(s):
    raise ValueError("this field takes no mask")


Kind = namedtuple("Kind", "parse parse_mask fmt fmt_mask full zero")
Kind.__doc__ = """How one field is spelled: parsers and printers for value and mask,
the all-ones (exact) mask and the zero (wildcard) mask."""

KINDS = {
    "dec8": _int_kind(8, str),
    "dec16": _int_kind(16, str),
    "dec32": _int_kind(32, str),
    "hex8": _int_kind(8, _hex),
    "hex16": _int_kind(16, _hex),
    "hex32": _int_kind(32, _hex),
    "hex64": _int_kind(64, lambda v: "0x%x" % v),
    "label": _int_kind(20, _hex, full=0xFFFFF),
    "frag": Kind(_parse_frag, _no_mask, lambda v: FRAG_NAMES[v] if v < 3 else "0x%x" % v, _hex, 0xFF, 0),
    "ip4": _bytes_kind(4, parse_ip4, format_ip4),
    "ip6": _bytes_kind(16, parse_ip6, format_ip6),
    "mac": _bytes_kind(6, parse_mac, format_mac),
}

# --- the key table -----------------------------------------------------------

Field = namedtuple("Field", "name index kind")
Field.__doc__ = "One struct member: text name, position in the unpacked tuple, kind."

KeyAttr = namedtuple("KeyAttr", "num name size layout fields kernel doc")
KeyAttr.__doc__ = """One key attribute.

num: OVS_KEY_ATTR_* value; name: text and structured name; size: payload
bytes, NESTED or VARIABLE; layout: struct.Struct of the payload or None;
fields: Field rows in print order (empty for specially printed attributes);
kernel: True when the Linux datapath accepts it in a flow key; doc: one line.
"""


def _s(fmt):
    return struct.Struct(fmt)


def _f(*rows):
    return tuple(Field(n, i, k) for n, i, k in rows)


_PORT_FIELDS = _f(("src", 0, "dec16"), ("dst", 1, "dec16"))
_ICMP_FIELDS = _f(("type", 0, "dec8"), ("code", 1, "dec8"))

KEY_TABLE = (
    KeyAttr(KEY_ENCAP, "encap", NESTED, None, (), True,
            "inner headers of a VLAN-tagged frame (nested key attributes)"),
    KeyAttr(KEY_PRIORITY, "skb_priority", 4, _s("=I"), _f(("value", 0, "hex32")), True, "skb->priority"),
    KeyAttr(KEY_IN_PORT, "in_port", 4, _s("=I"), _f(("value", 0, "dec32")), True, "datapath input port"),
    KeyAttr(KEY_ETHERNET, "eth", 12, _s("!6s6s"), _f(("src", 0, "mac"), ("dst", 1, "mac")), True,
            "Ethernet addresses; its presence makes an Ethernet (not L3) flow"),
    KeyAttr(KEY_VLAN, "vlan", 2, _s("!H"), (), True, "802.1Q TCI (vid, pcp, cfi)"),
    KeyAttr(KEY_ETHERTYPE, "eth_type", 2, _s("!H"), _f(("value", 0, "hex16")), True, "Ethertype"),
    KeyAttr(KEY_IPV4, "ipv4", 12, _s("!4s4sBBBB"),
            _f(("src", 0, "ip4"), ("dst", 1, "ip4"), ("proto", 2, "dec8"), ("tos", 3, "hex8"),
               ("ttl", 4, "dec8"), ("frag", 5, "frag")), True, "IPv4 header"),
    KeyAttr(KEY_IPV6, "ipv6", 40, _s("!16s16sIBBBB"),
            _f(("src", 0, "ip6"), ("dst", 1, "ip6"), ("label", 2, "label"), ("proto", 3, "dec8"),
               ("tclass", 4, "hex8"), ("hlimit", 5, "dec8"), ("frag", 6, "frag")), True, "IPv6 header"),
    KeyAttr(KEY_TCP, "tcp", 4, _s("!HH"), _PORT_FIELDS, True, "TCP ports"),
    KeyAttr(KEY_UDP, "udp", 4, _s("!HH"), _PORT_FIELDS, True, "UDP ports"),
    KeyAttr(KEY_ICMP, "icmp", 2, _s("!BB"), _ICMP_FIELDS, True, "ICMP type and code"),
    KeyAttr(KEY_ICMPV6, "icmpv6", 2, _s("!BB"), _ICMP_FIELDS, True, "ICMPv6 type and code"),
    KeyAttr(KEY_ARP, "arp", 24, _s("!4s4sH6s6s2x"),
            _f(("sip", 0, "ip4"), ("tip", 1, "ip4"), ("op", 2, "dec16"), ("sha", 3, "mac"),
               ("tha", 4, "mac")), True, "ARP/RARP header (22 bytes + 2 pad)"),
    KeyAttr(KEY_ND, "nd", 28, _s("!16s6s6s"),
            _f(("target", 0, "ip6"), ("sll", 1, "mac"), ("tll", 2, "mac")), True, "IPv6 neighbour discovery"),
    KeyAttr(KEY_SKB_MARK, "skb_mark", 4, _s("=I"), _f(("value", 0, "hex32")), True, "skb->mark"),
    KeyAttr(KEY_TUNNEL, "tunnel", NESTED, None, (), True, "tunnel metadata (nested OVS_TUNNEL_KEY_ATTR_*)"),
    KeyAttr(KEY_SCTP, "sctp", 4, _s("!HH"), _PORT_FIELDS, True, "SCTP ports"),
    KeyAttr(KEY_TCP_FLAGS, "tcp_flags", 2, _s("!H"), (), True, "TCP flags (12 bits)"),
    KeyAttr(KEY_DP_HASH, "dp_hash", 4, _s("=I"), _f(("value", 0, "hex32")), True, "datapath hash"),
    KeyAttr(KEY_RECIRC_ID, "recirc_id", 4, _s("=I"), _f(("value", 0, "hex32")), True, "recirculation id"),
    KeyAttr(KEY_MPLS, "mpls", VARIABLE, _s("!I"), (), True, "MPLS label stack entries (1 to 3)"),
    KeyAttr(KEY_CT_STATE, "ct_state", 4, _s("=I"), (), True, "conntrack state flags"),
    KeyAttr(KEY_CT_ZONE, "ct_zone", 2, _s("=H"), _f(("value", 0, "hex16")), True, "conntrack zone"),
    KeyAttr(KEY_CT_MARK, "ct_mark", 4, _s("=I"), _f(("value", 0, "hex32")), True, "conntrack mark"),
    KeyAttr(KEY_CT_LABELS, "ct_label", 16, None, (), True, "conntrack labels (128 bits)"),
    KeyAttr(KEY_CT_ORIG_TUPLE_IPV4, "ct_tuple4", 16, _s("!4s4sHHB3x"),
            _f(("src", 0, "ip4"), ("dst", 1, "ip4"), ("proto", 4, "dec8"), ("tp_src", 2, "dec16"),
               ("tp_dst", 3, "dec16")), True, "conntrack original tuple, IPv4 (13 bytes + 3 pad)"),
    KeyAttr(KEY_CT_ORIG_TUPLE_IPV6, "ct_tuple6", 40, _s("!16s16sHHB3x"),
            _f(("src", 0, "ip6"), ("dst", 1, "ip6"), ("proto", 4, "dec8"), ("src_port", 2, "dec16"),
               ("dst_port", 3, "dec16")), True, "conntrack original tuple, IPv6 (37 bytes + 3 pad)"),
    KeyAttr(KEY_NSH, "nsh", NESTED, None, (), True, "NSH header (nested OVS_NSH_KEY_ATTR_*)"),
    KeyAttr(KEY_PACKET_TYPE, "packet_type", 4, None, (), False, "userspace datapath only"),
    KeyAttr(KEY_ND_EXTENSIONS, "nd_ext", 8, None, (), False, "userspace datapath only"),
    KeyAttr(KEY_TUNNEL_INFO, "tunnel_info", VARIABLE, None, (), False, "kernel internal"),
    KeyAttr(KEY_IPV6_EXTHDRS, "ipv6_exthdrs", 2, _s("=H"), _f(("value", 0, "hex16")), True,
            "IPv6 extension header bitmap; emitted by the kernel for every IPv6 flow"),
)

KEY_BY_NUM = {row.num: row for row in KEY_TABLE}
KEY_BY_NAME = {row.name: row for row in KEY_TABLE}
# Names OVS userspace knows that the kernel never accepts.
USERSPACE_ONLY_KEYS = frozenset(row.name for row in KEY_TABLE if not row.kernel)

# Kernel re-serialisation order (flow_netlink.c __ovs_nla_put_key); also the
# order `canonical()` sorts top-level key attributes into.
KEY_ORDER = (KEY_RECIRC_ID, KEY_DP_HASH, KEY_PRIORITY, KEY_TUNNEL, KEY_IN_PORT, KEY_SKB_MARK,
             KEY_CT_STATE, KEY_CT_ZONE, KEY_CT_MARK, KEY_CT_LABELS, KEY_CT_ORIG_TUPLE_IPV4,
             KEY_CT_ORIG_TUPLE_IPV6, KEY_PACKET_TYPE, KEY_ETHERNET, KEY_ETHERTYPE, KEY_VLAN, KEY_ENCAP,
             KEY_IPV4, KEY_IPV6, KEY_ARP, KEY_MPLS, KEY_NSH, KEY_IPV6_EXTHDRS, KEY_TCP, KEY_TCP_FLAGS,
             KEY_UDP, KEY_SCTP, KEY_ICMP, KEY_ICMPV6, KEY_ND, KEY_ND_EXTENSIONS, KEY_TUNNEL_INFO)
KEY_RANK = {num: i for i, num in enumerate(KEY_ORDER)}

# --- tunnel sub-attributes -----------------------------------------------------

TunAttr = namedtuple("TunAttr", "num name size kind doc")
TunAttr.__doc__ = "One OVS_TUNNEL_KEY_ATTR_*: number, text name, payload size, kind, doc."

TUNNEL_TABLE = (
    TunAttr(TUN_ID, "tun_id", 8, "hex64", "tunnel id, be64"),
    TunAttr(TUN_IPV4_SRC, "src", 4, "ip4", "outer IPv4 source"),
    TunAttr(TUN_IPV4_DST, "dst", 4, "ip4", "outer IPv4 destination"),
    TunAttr(TUN_TOS, "tos", 1, "hex8", "outer TOS"),
    TunAttr(TUN_TTL, "ttl", 1, "dec8", "outer TTL"),
    TunAttr(TUN_DONT_FRAGMENT, "df", 0, None, "flag: don't fragment"),
    TunAttr(TUN_CSUM, "csum", 0, None, "flag: checksum"),
    TunAttr(TUN_OAM, "oam", 0, None, "flag: OAM frame"),
    TunAttr(TUN_GENEVE_OPTS, "geneve", VARIABLE, None, "Geneve TLVs, multiple of 4, up to 252 bytes"),
    TunAttr(TUN_TP_SRC, "tp_src", 2, "dec16", "outer UDP source port, be16"),
    TunAttr(TUN_TP_DST, "tp_dst", 2, "dec16", "outer UDP destination port, be16"),
    TunAttr(TUN_VXLAN_OPTS, "vxlan", NESTED, None, "VXLAN extensions (nested; GBP only)"),
    TunAttr(TUN_IPV6_SRC, "ipv6_src", 16, "ip6", "outer IPv6 source"),
    TunAttr(TUN_IPV6_DST, "ipv6_dst", 16, "ip6", "outer IPv6 destination"),
    TunAttr(TUN_PAD, "pad", VARIABLE, None, "alignment padding"),
    TunAttr(TUN_ERSPAN_OPTS, "erspan", VARIABLE, None, "ERSPAN metadata (kept raw)"),
    TunAttr(TUN_IPV4_INFO_BRIDGE, "info_bridge", 0, None, "flag: IPv4 info bridge mode"),
)
TUN_BY_NUM = {row.num: row for row in TUNNEL_TABLE}
TUN_BY_NAME = {row.name: row for row in TUNNEL_TABLE}
# Kernel output order (ip_tun_to_nlattr); the parser emits the same order.
TUN_ORDER = (TUN_ID, TUN_IPV4_SRC, TUN_IPV4_DST, TUN_IPV6_SRC, TUN_IPV6_DST, TUN_TOS, TUN_TTL,
             TUN_DONT_FRAGMENT, TUN_CSUM, TUN_TP_SRC, TUN_TP_DST, TUN_OAM, TUN_GENEVE_OPTS,
             TUN_VXLAN_OPTS, TUN_ERSPAN_OPTS, TUN_IPV4_INFO_BRIDGE)
TUN_RANK = {num: i for i, num in enumerate(TUN_ORDER)}
TUN_BE16 = _s("!H")
TUN_BE64 = _s("!Q")
U32 = _s("=I")
U16 = _s("=H")
BE16 = _s("!H")
BE32 = _s("!I")

# --- NSH sub-attributes --------------------------------------------------------
NSH_BASE_LAYOUT = _s("!BBBBI")       # flags, ttl, mdtype, np, path_hdr (spi << 8 | si)
NSH_MD1_LAYOUT = _s("!IIII")         # context c1..c4
NSH_SIZES = {NSH_BASE: 8, NSH_MD1: 16, NSH_MD2: VARIABLE}
NSH_FIELDS = ("flags", "ttl", "mdtype", "np", "spi", "si", "c1", "c2", "c3", "c4")


def _check_tables():
    """Sizes must match the C structs, numbers must be unique."""
    for row in KEY_TABLE:
        if row.layout is not None and row.size > 0:
            if row.layout.size != row.size:
                raise AssertionError("key %s: layout size %d != %d" % (row.name, row.layout.size, row.size))
        for fld in row.fields:
            if fld.kind not in KINDS:
                raise AssertionError("key %s: field %r has an unknown kind" % (row.name, fld))
    if len(KEY_BY_NUM) != len(KEY_TABLE) or len(KEY_BY_NAME) != len(KEY_TABLE):
        raise AssertionError("duplicate key number or name")
    if set(KEY_ORDER) != set(KEY_BY_NUM):
        raise AssertionError("KEY_ORDER does not list every key")
    if set(TUN_ORDER) | {TUN_PAD} != set(TUN_BY_NUM):
        raise AssertionError("TUN_ORDER does not list every tunnel key")
    if NSH_BASE_LAYOUT.size != NSH_SIZES[NSH_BASE] or NSH_MD1_LAYOUT.size != NSH_SIZES[NSH_MD1]:
        raise AssertionError("NSH layout sizes")


_check_tables()
