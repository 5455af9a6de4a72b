# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which interfaces carry the host's management path, asked of the kernel.

A netdev port takes all of its device's traffic, so attaching the device an
SSH session or the default route runs over cuts the host off. This module
names those devices, each with a sentence saying why:

1. **SSH sessions, from the kernel.** The sshd processes among this
   process's ancestors (the session this task runs under, even when ``sudo``
   dropped ``SSH_CONNECTION``) and every other sshd on the host: their
   socket inodes (``/proc/PID/fd``) are matched with the ESTABLISHED rows of
   ``/proc/net/tcp`` and ``tcp6``, which give each session's local and peer
   address. ``SSH_CONNECTION``, when set, is one more source.
2. **For each session**, the devices holding its local address, and the
   route the kernel would send to the peer with (RTM_GETROUTE from the
   local address, so policy rules and VRFs apply), every ECMP nexthop of it.
3. **Default routes** of every routing table, IPv4 and IPv6, with or
   without a gateway.
4. **Devices below** each of those, recursively: a VLAN's or macvlan's
   lower device, a tunnel's underlay (the route to its remote, or its bound
   device), the members of a bond, bridge or VRF.

When the path cannot be determined (an sshd ancestor whose session socket
cannot be read, /proc or a routing query failing), :func:`find` raises
:class:`DpifError` saying exactly what could not be read; the caller must
then refuse every netdev attach. A run not under SSH (``connection:
local``, the boot-time restore) protects the default-route devices only.
The loopback device is never named. Nothing here changes the host.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import ipaddress
import os
import socket
import struct
from typing import Dict, List, Mapping, NamedTuple, Optional, Set, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import rtnl

OP = "find the management path"
TCP_ESTABLISHED = "01"
TCP_LISTEN = "0A"
#: Process names (comm) of SSH servers: OpenSSH's listener and per-session
#: processes ("sshd", and "sshd-session" since 9.8), and dropbear.
SSH_SERVER_PREFIX = "sshd"
SSH_SERVER_NAMES = ("dropbear",)
#: Tunnel kinds whose underlay is found from their remote or bound device;
#: with neither, the devices their packets leave through cannot be told.
OPAQUE_TUNNEL_KINDS = frozenset(rtnl.TUNNEL_ATTRS) | {"wireguard", "tun", "xfrm", "amt", "bareudp"}
#: Kinds whose IFLA_LINK names the other end of a pair, not a lower device.
PEER_KINDS = ("veth", "vxcan", "netkit")
_WORD = struct.Struct("=I")   # /proc/net/tcp prints addresses as native-order 32-bit words


class TcpConn(NamedTuple):
    """One row of /proc/net/tcp or tcp6, addresses in text form."""
    local: str
    local_port: int
    peer: str
    peer_port: int
    state: str


class Session(NamedTuple):
    """A TCP connection to protect; ``label`` names it in reasons, e.g.
    "the SSH session from 192.0.2.2 (sshd pid 123)"."""
    local: str
    peer: str
    label: str
    local_port: int = 0      # 0: unknown; the route lookup then names no ports
    peer_port: int = 0


# ---------------------------------------------------------------- /proc parsing

def tcp_address(text: str) -> Tuple[str, int]:
    """("192.0.2.1", 22) from a /proc/net/tcp{,6} address such as
    "0100007F:0016". The kernel prints each 32-bit word of the address in the
    host's byte order (so "0100007F" is 127.0.0.1 on x86); an IPv4-mapped
    IPv6 address (::ffff:192.0.2.1) comes back as the IPv4 address.
    ValueError if ``text`` is not such an address."""
    hexaddr, _colon, hexport = text.partition(":")
    if len(hexaddr) not in (8, 32) or not hexport:
        raise ValueError("not a /proc/net/tcp address: %r" % text)
    raw = b"".join(_WORD.pack(int(hexaddr[i:i + 8], 16)) for i in range(0, len(hexaddr), 8))
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw), int(hexport, 16)
    addr = ipaddress.IPv6Address(raw)
    mapped = addr.ipv4_mapped
    return str(mapped if mapped is not None else addr), int(hexport, 16)


def parse_tcp_table(text: str) -> Dict[int, TcpConn]:
    """The ESTABLISHED and LISTEN rows of a /proc/net/tcp{,6} table, by
    socket inode. Other states and malformed rows are left out."""
    found = {}
    for line in text.splitlines()[1:]:
        cols = line.split()
        # sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
        if len(cols) < 10 or cols[3] not in (TCP_ESTABLISHED, TCP_LISTEN) or not cols[9].isdigit():
            continue
        try:
            local, lport = tcp_address(cols[1])
            peer, pport = tcp_address(cols[2])
        except ValueError:
            continue
        found[int(cols[9])] = TcpConn(local, lport, peer, pport, cols[3])
    return found


def parent_pid(stat: str) -> int:
    """The parent pid from the text of /proc/PID/stat. The command name,
    in parentheses, may itself hold spaces and parentheses, so the fields
    are counted from the last ')'. ValueError if malformed."""
    fields = stat[stat.rindex(")") + 1:].split()
    return int(fields[1])


def is_ssh_server(comm: str) -> bool:
    """Whether a process named ``comm`` (/proc/PID/comm) is an SSH server."""
    return comm.startswith(SSH_SERVER_PREFIX) or comm in SSH_SERVER_NAMES


def parse_ssh_connection(value: str) -> Optional[Tuple[str, str]]:
    """(local, peer) addresses from an SSH_CONNECTION value
    ("peer peer_port local local_port"), or None when it is not one."""
    cols = value.split()
    if len(cols) != 4:
        return None
    try:
        return str(ipaddress.ip_address(cols[2])), str(ipaddress.ip_address(cols[0]))
    except ValueError:
        return None


def _read(path: str) -> str:
    # Any user can name a process with bytes that are not UTF-8 (prctl
    # PR_SET_NAME): such a name must not stop the guard.
    with open(path, "rb") as fh:
        return fh.read().decode("utf-8", "replace")


def _socket_inodes(proc: str, pid: int) -> Set[int]:
    """Socket inodes of process ``pid``. OSError if its fd table cannot be read."""
    fd_dir = os.path.join(proc, str(pid), "fd")
    inodes = set()
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue      # closed since the listing
        if target.startswith("socket:[") and target.endswith("]"):
            inodes.add(int(target[8:-1]))
    return inodes


def _cannot_tell(pid: int, why: str, code: int = errno.EIO) -> DpifError:
    return DpifError(code, OP, "", "cannot tell which interface carries the SSH session of sshd "
                     "pid %d: %s" % (pid, why))


def _ancestors(proc: str, pid: int) -> List[Tuple[int, str]]:
    """(pid, comm) of ``pid`` and each of its ancestors, nearest first."""
    chain, seen = [], set()
    while pid > 0 and pid not in seen:
        seen.add(pid)
        base = os.path.join(proc, str(pid))
        try:
            comm = _read(os.path.join(base, "comm")).strip()
            ppid = parent_pid(_read(os.path.join(base, "stat")))
        except (OSError, ValueError) as exc:
            if not chain:
                raise DpifError(getattr(exc, "errno", None) or errno.EIO, OP, "",
                                "cannot tell whether this task runs under SSH: cannot read %s: %s"
                                % (base, getattr(exc, "strerror", None) or exc)) from None
            break          # an ancestor that exited: the chain above it is gone
        chain.append((pid, comm))
        pid = ppid
    return chain


def ssh_sessions(environ: Mapping[str, str], proc: str = "/proc", pid: Optional[int] = None) -> List[Session]:
    """The TCP connections of SSH servers on this host, from /proc, plus
    ``SSH_CONNECTION``; the session this task runs under first.

    ``pid`` is the process whose ancestry is walked (default: this one).
    Raises DpifError when an SSH server is among the ancestors but none of
    their ESTABLISHED connections can be found (fd table unreadable, another
    network namespace, no /proc/net/tcp): the session then cannot be
    protected. Connections of other sshd processes that cannot be read are
    left out (only root can read them, and only root can attach ports)."""
    pid = os.getpid() if pid is None else pid
    ancestry = _ancestors(proc, pid)
    mine = [p for p, comm in ancestry if is_ssh_server(comm)]
    servers = list(mine)
    try:
        entries = os.listdir(proc)
    except OSError as exc:
        raise DpifError(exc.errno or errno.EIO, OP, "", "cannot tell which SSH sessions this host has: "
                        "cannot list %s: %s" % (proc, exc.strerror)) from None
    for entry in entries:
        if entry.isdigit() and int(entry) not in servers:
            try:
                if is_ssh_server(_read(os.path.join(proc, entry, "comm")).strip()):
                    servers.append(int(entry))
            except OSError:
                continue       # exited while we looked
    sessions: List[Session] = []
    if servers:
        tables: Dict[int, TcpConn] = {}
        for name in ("tcp", "tcp6"):
            try:
                tables.update(parse_tcp_table(_read(os.path.join(proc, "net", name))))
            except FileNotFoundError:
                if name == "tcp":
                    raise _cannot_tell(servers[0], "%s/net/tcp does not exist" % proc, errno.ENOENT) from None
            except OSError as exc:
                raise _cannot_tell(servers[0], "cannot read %s/net/%s: %s" % (proc, name, exc.strerror),
                                   exc.errno or errno.EIO) from None
        held: Dict[int, List[TcpConn]] = {}
        unreadable: Dict[int, OSError] = {}
        for server in servers:
            try:
                held[server] = [tables[i] for i in sorted(_socket_inodes(proc, server)) if i in tables]
            except OSError as exc:
                unreadable[server] = exc
        listen_ports = set(c.local_port for conns in held.values() for c in conns if c.state == TCP_LISTEN)
        if mine and not any(c.state == TCP_ESTABLISHED for p in mine for c in held.get(p, ())):
            raise _no_session(proc, mine, unreadable)
        for server in servers:
            for conn in held.get(server, ()):
                if conn.state != TCP_ESTABLISHED:
                    continue
                if not listen_ports or conn.local_port in listen_ports:
                    label = "the SSH session %sfrom %s (sshd pid %d)" % (
                        "this task runs under, " if server in mine else "", conn.peer, server)
                else:
                    label = "the connection sshd pid %d forwards to %s port %d" % (server, conn.peer, conn.peer_port)
                sessions.append(Session(conn.local, conn.peer, label, conn.local_port, conn.peer_port))
    env = parse_ssh_connection(environ.get("SSH_CONNECTION", ""))
    if env:
        sessions.append(Session(env[0], env[1], "this Ansible connection (%s), the SSH session from %s "
                                "named by SSH_CONNECTION" % (env[0], env[1])))
    unique, seen = [], set()
    for session in sessions:
        if (session.local, session.peer) not in seen:
            seen.add((session.local, session.peer))
            unique.append(session)
    return unique


def _no_session(proc: str, mine: List[int], unreadable: Dict[int, OSError]) -> DpifError:
    """Why none of the sshd ancestors ``mine`` shows an ESTABLISHED connection."""
    nearest = mine[0]
    for pid in mine:
        if pid in unreadable:
            exc = unreadable[pid]
            return _cannot_tell(pid, "cannot read %s/%d/fd: %s" % (proc, pid, exc.strerror or exc),
                                exc.errno or errno.EACCES)
    try:
        theirs = os.readlink(os.path.join(proc, str(nearest), "ns", "net"))
        ours = os.readlink(os.path.join(proc, "self", "ns", "net"))
        if theirs != ours:
            return _cannot_tell(nearest, "it runs in another network namespace (%s, this task is in %s)"
                                % (theirs, ours), errno.EXDEV)
    except OSError:
        pass
    return _cannot_tell(nearest, "none of its sockets is an established TCP connection in %s/net/tcp "
                        "or tcp6" % proc, errno.ENOENT)


# ---------------------------------------------------------------- the kernel's view

def _same_ip(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def _link_local(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_link_local
    except ValueError:
        return False


def _table(table: int) -> str:
    return "" if table == rtnl.RT_TABLE_MAIN else " (routing table %d)" % table


def _which(reason: str) -> str:
    """"it carries X" -> "carries X", to chain reasons: "..., which carries X"."""
    return reason[3:] if reason.startswith("it ") else reason


class _Found:
    """Protected devices by ifindex, in the order found; the first reason wins
    (direct reasons come before the ones derived from them)."""

    def __init__(self, links: Mapping[int, rtnl.Link]):
        self.links = links
        self.reasons: Dict[int, str] = {}
        self.order: List[int] = []

    def add(self, index: int, reason: str) -> None:
        link = self.links.get(index)
        if link is not None and not link.loopback and index not in self.reasons:
            self.reasons[index] = reason
            self.order.append(index)


def _session_devices(found: _Found, session: Session, addresses, kernel) -> None:
    holders = [a.index for a in addresses if _same_ip(a.address, session.local)]
    for index in holders:
        found.add(index, "it carries %s: it holds the session's local address %s" % (session.label, session.local))
    if _link_local(session.peer):
        # A link-local peer is on the link of the device holding our address:
        # there is no route to ask for, and without a scope id every holder counts.
        if not holders:
            raise DpifError(errno.ENODEV, OP, "", "cannot tell which interface carries %s: no device "
                            "holds its local address %s" % (session.label, session.local))
        return
    # A VRF member's session is routed in the VRF's table: ask with the VRF as
    # the output device, as the kernel does for the session's socket.
    vrf = None
    for index in holders:
        master = found.links.get(found.links[index].master) if index in found.links else None
        if master is not None and master.kind == "vrf":
            vrf = master.index
    try:
        # With the session's ports and protocol: rules may select on them
        # (ip rule ... sport 22 lookup mgmt).
        route = kernel.route_get(session.peer, src=session.local if holders else None, oif=vrf,
                                 sport=session.local_port, dport=session.peer_port)
    except DpifError as exc:
        raise DpifError(exc.errno, OP, "", "cannot tell which interface carries %s: %s"
                        % (session.label, exc.detail)) from None
    for oif in route.oifs:
        found.add(oif, "it carries %s: the kernel routes traffic to %s through it%s"
                  % (session.label, session.peer, _table(route.table)))
    if not route.oifs and route.type == rtnl.RTN_UNICAST:
        # A route through a nexthop object (nexthop_compat_mode=0) names no
        # device here: the uplink it uses cannot be told, so none is safe.
        raise DpifError(errno.ENODEV, OP, "", "cannot tell which interface carries %s: the kernel's route to %s "
                        "names no device (a nexthop object?)" % (session.label, session.peer))


def _default_route_devices(found: _Found, kernel) -> None:
    for family, version in ((socket.AF_INET, 4), (socket.AF_INET6, 6)):
        try:
            routes = kernel.routes(family)
        except DpifError as exc:
            raise DpifError(exc.errno, OP, "", "cannot tell which interfaces carry the default routes: %s"
                            % exc.detail) from None
        for route in routes:
            if route.dst_len or route.type != rtnl.RTN_UNICAST or route.cloned:
                continue
            if not route.oifs:
                raise DpifError(errno.ENODEV, OP, "", "cannot tell which interface carries the IPv%d default "
                                "route of table %d: it names no device (a nexthop object?)" % (version, route.table))
            for oif in route.oifs:
                if route.table == rtnl.RT_TABLE_MAIN:
                    found.add(oif, "it carries the host's IPv%d default route" % version)
                else:
                    found.add(oif, "it carries the IPv%d default route of routing table %d" % (version, route.table))


def _devices_below(found: _Found, kernel) -> None:
    """Add, recursively, what each protected device runs over."""
    pos = 0
    while pos < len(found.order):
        index = found.order[pos]
        pos += 1
        link = found.links[index]
        which = _which(found.reasons[index])
        if link.tunnel_remote:
            try:
                route = kernel.route_get(link.tunnel_remote)
            except DpifError as exc:
                raise DpifError(exc.errno, OP, "", "cannot tell the underlay of tunnel '%s', which %s: %s"
                                % (link.name, which, exc.detail)) from None
            for oif in route.oifs:
                found.add(oif, "it is the underlay of tunnel '%s' (its remote %s is reached through it), "
                          "which %s" % (link.name, link.tunnel_remote, which))
        if link.tunnel_link:
            found.add(link.tunnel_link, "it is the underlay of tunnel '%s' (the tunnel is bound to it), "
                      "which %s" % (link.name, which))
        if not (link.tunnel_remote or link.tunnel_link) and link.kind in OPAQUE_TUNNEL_KINDS:
            # Its packets leave through some other device that cannot be told from
            # here (a WireGuard peer's endpoint, a VPN daemon's socket, a vxlan
            # without a fixed remote): none is safe.
            raise DpifError(errno.ENODEV, OP, "", "cannot tell the underlay of tunnel '%s' (%s), which %s"
                            % (link.name, link.kind, which))
        if link.link and not link.link_elsewhere and link.kind not in PEER_KINDS:
            found.add(link.link, "it is the lower device of '%s', which %s" % (link.name, which))
        for member in found.links.values():
            if member.master == index:
                found.add(member.index, "it is a member of '%s', which %s" % (link.name, which))


def protected_devices(sessions: List[Session], kernel) -> Dict[str, str]:
    """{device name: reason} for ``sessions`` and the default routes, with the
    devices below them, in the order found. ``kernel`` answers like
    :class:`rtnl.Rtnl` (links, addresses, routes, route_get). Raises
    DpifError when a query fails or a session's device cannot be found."""
    try:
        links = kernel.links()
        addresses = kernel.addresses()
    except DpifError as exc:
        raise DpifError(exc.errno, OP, "", "cannot tell which interfaces carry the management path: %s"
                        % exc.detail) from None
    found = _Found(links)
    for session in sessions:
        _session_devices(found, session, addresses, kernel)
    _default_route_devices(found, kernel)
    _devices_below(found, kernel)
    return dict((links[i].name, found.reasons[i]) for i in found.order)


def find(environ: Optional[Mapping[str, str]] = None, proc: str = "/proc", kernel=None,
         pid: Optional[int] = None) -> Dict[str, str]:
    """{device name: reason} for every device that carries the management
    path: SSH sessions (from /proc and ``environ``'s SSH_CONNECTION), default
    routes of every table, and the devices below them. ``kernel`` defaults to
    a routing netlink socket of this namespace, ``pid`` to this process.
    Raises DpifError, with a sentence saying what could not be read, when the
    path cannot be determined: the caller must then protect every device."""
    environ = os.environ if environ is None else environ
    sessions = ssh_sessions(environ, proc, pid)
    if kernel is not None:
        return protected_devices(sessions, kernel)
    with rtnl.Rtnl() as sock:
        return protected_devices(sessions, sock)
