# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few rtnetlink questions the management-path guard asks the kernel.

Links, addresses and routes (every table) are dumped, and a route is looked
up the way the kernel would send a packet (RTM_GETROUTE with a destination,
a source and optionally an output device, so policy routing rules and VRFs
apply). Like :mod:`.genl`, this speaks netlink through a plain socket with
``struct``: importing pyroute2 costs a task about 2 s under User-Mode Linux,
and the guard runs before every netdev attach.

Every call returns decoded values or raises :class:`DpifError` with the
kernel's errno (op "query routing") and, when it said why (an extended
ack), its own words. Nothing here changes the host.

Message layouts (after the 16-byte nlmsghdr)::

    ifinfomsg  family:u8 pad:u8 type:u16 index:i32 flags:u32 change:u32   (16)
    ifaddrmsg  family:u8 prefixlen:u8 flags:u8 scope:u8 index:u32         (8)
    rtmsg      family dst_len src_len tos table protocol scope type:u8 x8,
               flags:u32                                                  (12)
    rtnexthop  len:u16 flags:u8 hops:u8 ifindex:i32, then attributes      (8)
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import os
import socket
import struct
from typing import Dict, List, NamedTuple, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.extack import kernel_words
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import (
    NETLINK_EXT_ACK, NLHDR, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, SOL_NETLINK,
    iter_nlas, nla, nla_u32)

NETLINK_ROUTE = 0
RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_DELLINK = 17
#: The multicast group of link notifications (RTM_NEWLINK, RTM_DELLINK), for genl.join_group.
RTNLGRP_LINK = 1
RTM_NEWADDR, RTM_GETADDR = 20, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26

IFINFOMSG = struct.Struct("=BxHiII")
IFADDRMSG = struct.Struct("=BBBBI")
RTMSG = struct.Struct("=BBBBBBBBI")
RTNEXTHOP = struct.Struct("=HBBi")
_U32 = struct.Struct("=I")

IFF_LOOPBACK = 0x8
# Link attributes (include/uapi/linux/if_link.h).
IFLA_IFNAME, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO, IFLA_LINK_NETNSID = 3, 5, 10, 18, 37
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_SRC, RTA_OIF, RTA_GATEWAY, RTA_MULTIPATH, RTA_TABLE = 1, 2, 4, 5, 9, 15
RTA_IP_PROTO, RTA_SPORT, RTA_DPORT = 27, 28, 29     # u8; be16; be16 (Linux 4.17)
_BE16 = struct.Struct("!H")
RTN_UNICAST = 1
RTM_F_CLONED = 0x200
RTM_F_LOOKUP_TABLE = 0x1000
#: Answer with the matched FIB entry (every ECMP nexthop) rather than the one
#: path the flow hashed to.
RTM_F_FIB_MATCH = 0x2000
RT_TABLE_MAIN = 254
#: The attributes we send, by name, for the kernel's reasons on a refusal.
RTA_NAMES = {RTA_DST: ("RTA_DST", None), RTA_SRC: ("RTA_SRC", None), RTA_OIF: ("RTA_OIF", None),
             RTA_IP_PROTO: ("RTA_IP_PROTO", None), RTA_SPORT: ("RTA_SPORT", None), RTA_DPORT: ("RTA_DPORT", None)}
#: Size of each request's fixed header (after nlmsghdr), before its attributes.
FIXED_HEADER = {RTM_GETLINK: IFINFOMSG.size, RTM_GETADDR: IFADDRMSG.size, RTM_GETROUTE: RTMSG.size}

#: Where each tunnel kind keeps its remote address and its bound device, in
#: IFLA_INFO_DATA: kind -> (remote attributes, link attribute).
TUNNEL_ATTRS = {
    "vxlan": ((2, 16), 3),            # IFLA_VXLAN_GROUP, _GROUP6; IFLA_VXLAN_LINK
    "geneve": ((2, 7), None),         # IFLA_GENEVE_REMOTE, _REMOTE6
    "gre": ((7,), 1), "gretap": ((7,), 1), "erspan": ((7,), 1),   # IFLA_GRE_REMOTE; IFLA_GRE_LINK
    "ip6gre": ((7,), 1), "ip6gretap": ((7,), 1), "ip6erspan": ((7,), 1),
    "ipip": ((3,), 1), "sit": ((3,), 1), "ip6tnl": ((3,), 1),      # IFLA_IPTUN_REMOTE; IFLA_IPTUN_LINK
    "vti": ((5,), 1), "vti6": ((5,), 1),                          # IFLA_VTI_REMOTE; IFLA_VTI_LINK
}

RECV_SIZE = 256 << 10


class Link(NamedTuple):
    """One network device of this namespace, as RTM_GETLINK reports it."""
    index: int
    name: str
    kind: str                      # IFLA_INFO_KIND, "" for a plain device
    loopback: bool
    link: Optional[int]            # IFLA_LINK: lower device (vlan, macvlan), peer (veth)
    link_elsewhere: bool           # IFLA_LINK_NETNSID: ``link`` is in another namespace
    master: Optional[int]          # IFLA_MASTER: the bond, bridge or VRF it belongs to
    tunnel_remote: Optional[str]   # a tunnel's unicast remote address
    tunnel_link: Optional[int]     # a tunnel's bound underlay device


class Address(NamedTuple):
    index: int
    address: str


class Route(NamedTuple):
    """One route; ``oifs`` are its output devices (every multipath nexthop's)."""
    family: int
    table: int
    dst_len: int
    type: int
    cloned: bool
    oifs: Tuple[int, ...]


def _ip(family: int, raw) -> Optional[str]:
    raw = bytes(raw)
    if family == socket.AF_INET and len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    if len(raw) == 16:
        return socket.inet_ntop(socket.AF_INET6, raw)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    return None


def _family_of(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _u32(raw) -> int:
    return _U32.unpack_from(raw)[0]


def _tunnel(kind: str, data) -> Tuple[Optional[str], Optional[int]]:
    remote_attrs, link_attr = TUNNEL_ATTRS[kind]
    remote = link = None
    for attr, value in iter_nlas(data):
        if attr in remote_attrs:
            ip = _ip(socket.AF_INET if len(value) == 4 else socket.AF_INET6, value)
            # A multicast group (vxlan) or an unset remote has no single route.
            if ip and ip not in ("0.0.0.0", "::") and not _is_multicast(ip):
                remote = ip
        elif attr == link_attr and len(value) >= 4:
            link = _u32(value) or None
    return remote, link


def _is_multicast(ip: str) -> bool:
    if ":" in ip:
        return ip.lower().startswith("ff")
    return 224 <= int(ip.split(".")[0]) <= 239


def decode_link(msg, off: int, end: int) -> Link:
    """The :class:`Link` in the RTM_NEWLINK message body at ``msg[off:end]``."""
    _family, _type, index, flags, _change = IFINFOMSG.unpack_from(msg, off)
    name, kind, link, master, elsewhere, remote, tlink, data = "", "", None, None, False, None, None, None
    for attr, value in iter_nlas(msg, off + IFINFOMSG.size, end):
        if attr == IFLA_IFNAME:
            name = bytes(value).split(b"\0", 1)[0].decode("utf-8", "replace")
        elif attr == IFLA_LINK:
            link = _u32(value)
        elif attr == IFLA_MASTER:
            master = _u32(value) or None
        elif attr == IFLA_LINK_NETNSID:
            elsewhere = True
        elif attr == IFLA_LINKINFO:
            for sub, sval in iter_nlas(value):
                if sub == IFLA_INFO_KIND:
                    kind = bytes(sval).split(b"\0", 1)[0].decode("ascii", "replace")
                elif sub == IFLA_INFO_DATA:
                    data = bytes(sval)
    if kind in TUNNEL_ATTRS and data is not None:
        remote, tlink = _tunnel(kind, data)
    return Link(index, name, kind, bool(flags & IFF_LOOPBACK), link if link != index else None,
                elsewhere, master, remote, tlink)


def decode_route(msg, off: int, end: int) -> Route:
    """The :class:`Route` in the RTM_NEWROUTE message body at ``msg[off:end]``."""
    family, dst_len, _src_len, _tos, table, _proto, _scope, rtype, flags = RTMSG.unpack_from(msg, off)
    oifs = []
    for attr, value in iter_nlas(msg, off + RTMSG.size, end):
        if attr == RTA_OIF:
            oifs.append(_u32(value))
        elif attr == RTA_TABLE:
            table = _u32(value)
        elif attr == RTA_MULTIPATH:
            pos, view = 0, memoryview(value)
            while pos + RTNEXTHOP.size <= len(view):
                size, _nhflags, _hops, ifindex = RTNEXTHOP.unpack_from(view, pos)
                if size < RTNEXTHOP.size:
                    break
                oifs.append(ifindex)
                pos += (size + 3) & ~3
    unique = tuple(sorted(set(i for i in oifs if i > 0)))
    return Route(family, table, dst_len, rtype, bool(flags & RTM_F_CLONED), unique)


class Rtnl:
    """A NETLINK_ROUTE socket of this process's network namespace.

    Use as a context manager, or call :meth:`close`. Every method raises
    DpifError (op "query routing") with the kernel's errno when the kernel
    refuses or the socket fails."""

    def __init__(self):
        try:
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
            self._sock.bind((0, 0))
            try:
                self._sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
            except OSError:         # kernels before 4.12: a refusal is a bare errno
                pass
        except OSError as exc:
            raise DpifError(exc.errno or errno.EIO, "query routing", "",
                            "cannot open a routing netlink socket: %s" % exc.strerror) from None
        self._seq = 0

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Rtnl:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _request(self, mtype: int, flags: int, body: bytes, what: str) -> List[Tuple[bytes, int, int]]:
        """Send one request; return (buffer, body offset, body end) per answer.
        A dump interrupted by a concurrent change is asked again (3 times)."""
        for _attempt in range(3):
            self._seq += 1
            seq = self._seq
            out, interrupted, done = [], False, False
            request = NLHDR.pack(NLHDR.size + len(body), mtype, NLM_F_REQUEST | flags, seq, 0) + body
            try:
                self._sock.send(request)
                while not done:
                    data = self._sock.recv(RECV_SIZE)
                    off = 0
                    while off + NLHDR.size <= len(data):
                        length, rtype, rflags, rseq, _pid = NLHDR.unpack_from(data, off)
                        if length < NLHDR.size:
                            break
                        if rseq == seq:
                            if rtype == NLMSG_ERROR:
                                code = -struct.unpack_from("=i", data, off + 16)[0]
                                if code:
                                    words = kernel_words(data, off, request, RTA_NAMES,
                                                         start=NLHDR.size + FIXED_HEADER.get(mtype, 0))
                                    raise DpifError(code, "query routing", "", "%s: %s" % (what, os.strerror(code)),
                                                    kernel_msg=words)
                                done = True
                            elif rtype == NLMSG_DONE:
                                done = True
                            else:
                                interrupted = interrupted or bool(rflags & NLM_F_DUMP_INTR)
                                out.append((data, off + NLHDR.size, off + length))
                                if not flags & NLM_F_DUMP:
                                    done = True
                        off += (length + 3) & ~3
            except OSError as exc:
                raise DpifError(exc.errno or errno.EIO, "query routing", "",
                                "%s: %s" % (what, exc.strerror)) from None
            if not interrupted:
                return out
        raise DpifError(errno.EAGAIN, "query routing", "", "%s: the dump kept changing under us" % what)

    def links(self) -> Dict[int, Link]:
        """Every device of the namespace, by ifindex."""
        found = {}
        for data, off, end in self._request(RTM_GETLINK, NLM_F_DUMP, IFINFOMSG.pack(0, 0, 0, 0, 0), "listing devices"):
            if NLHDR.unpack_from(data, off - NLHDR.size)[1] == RTM_NEWLINK:
                link = decode_link(data, off, end)
                found[link.index] = link
        return found

    def addresses(self) -> List[Address]:
        """Every address of every device, IPv4 and IPv6 (IFA_LOCAL and, for
        point-to-point devices, IFA_ADDRESS)."""
        found = []
        for data, off, end in self._request(RTM_GETADDR, NLM_F_DUMP, IFADDRMSG.pack(0, 0, 0, 0, 0), "listing addresses"):
            if NLHDR.unpack_from(data, off - NLHDR.size)[1] != RTM_NEWADDR:
                continue
            family, _plen, _flags, _scope, index = IFADDRMSG.unpack_from(data, off)
            for attr, value in iter_nlas(data, off + IFADDRMSG.size, end):
                if attr in (IFA_ADDRESS, IFA_LOCAL):
                    ip = _ip(family, value)
                    if ip and Address(index, ip) not in found:
                        found.append(Address(index, ip))
        return found

    def routes(self, family: int) -> List[Route]:
        """Every route of ``family`` (AF_INET or AF_INET6) in every table."""
        what = "listing the IPv%d routes" % (4 if family == socket.AF_INET else 6)
        return [decode_route(data, off, end)
                for data, off, end in self._request(RTM_GETROUTE, NLM_F_DUMP, RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0), what)
                if NLHDR.unpack_from(data, off - NLHDR.size)[1] == RTM_NEWROUTE]

    def route_get(self, dst: str, src: Optional[str] = None, oif: Optional[int] = None,
                  sport: int = 0, dport: int = 0) -> Route:
        """The route the kernel would send a packet to ``dst`` from ``src``
        (out of ``oif``; a TCP segment from port ``sport`` to ``dport`` when
        given) with: policy rules, including those on ports and protocol,
        and VRFs apply. The answer is the matched FIB entry, so ``oifs``
        holds every ECMP nexthop's device and ``table`` the table it was
        found in."""
        family = _family_of(dst)
        bits = 32 if family == socket.AF_INET else 128
        body = RTMSG.pack(family, bits, bits if src else 0, 0, 0, 0, 0, 0, RTM_F_FIB_MATCH | RTM_F_LOOKUP_TABLE)
        body += nla(RTA_DST, socket.inet_pton(family, dst))
        if src:
            body += nla(RTA_SRC, socket.inet_pton(family, src))
        if oif:
            body += nla_u32(RTA_OIF, oif)
        if sport or dport:
            body += nla(RTA_IP_PROTO, bytes((socket.IPPROTO_TCP,)))
            body += nla(RTA_SPORT, _BE16.pack(sport)) + nla(RTA_DPORT, _BE16.pack(dport))
        what = "looking up the route to %s%s" % (dst, " from %s" % src if src else "")
        answers = self._request(RTM_GETROUTE, 0, body, what)
        if not answers:
            raise DpifError(errno.EPROTO, "query routing", "", "%s: the kernel sent no route" % what)
        data, off, end = answers[0]
        return decode_route(data, off, end)
