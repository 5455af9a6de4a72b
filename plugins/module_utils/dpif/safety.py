# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guards against the two ways a datapath change can hurt a host.

1. A netdev port takes all of its device's traffic: attaching the interface
   that carries the default route, or the Ansible connection itself, cuts the
   host off. :func:`protected_interfaces` names those interfaces.
2. ovs-vswitchd owns the datapaths it created and rewrites their ports and
   flows behind our back. :func:`vswitchd_owner` tells whether a datapath's
   upcalls go to a running ovs-vswitchd's sockets.

Both read /proc only; nothing here changes the host.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import os
import socket
from typing import Dict, Iterable, Optional, Set


def _default_route_interfaces(proc: str = "/proc") -> Dict[str, str]:
    found = {}
    try:
        with open(os.path.join(proc, "net/route")) as fh:
            next(fh, None)
            for line in fh:
                cols = line.split()
                # Iface Destination Gateway Flags RefCnt Use Metric Mask ...
                if len(cols) > 7 and cols[1] == "00000000" and cols[7] == "00000000":
                    found[cols[0]] = "it carries the host's IPv4 default route"
    except OSError:
        pass
    try:
        with open(os.path.join(proc, "net/ipv6_route")) as fh:
            for line in fh:
                cols = line.split()
                # dest plen src plen nexthop metric refcnt use flags iface
                if len(cols) == 10 and cols[0] == "0" * 32 and cols[1] == "00" \
                        and cols[9] != "lo" and int(cols[8], 16) & 0x0002:  # RTF_GATEWAY
                    found.setdefault(cols[9], "it carries the host's IPv6 default route")
    except OSError:
        pass
    return found


def _connection_interfaces(environ) -> Dict[str, str]:
    """The interface holding the local address of the SSH connection Ansible uses."""
    conn = environ.get("SSH_CONNECTION", "").split()
    if len(conn) < 3:
        return {}
    local_ip = conn[2]
    try:
        from pyroute2 import IPRoute
    except ImportError:
        return {}
    found = {}
    with IPRoute() as ipr:
        for addr in ipr.get_addr():
            if addr.get_attr("IFA_ADDRESS") == local_ip or addr.get_attr("IFA_LOCAL") == local_ip:
                name = socket.if_indextoname(addr["index"])
                found[name] = "it carries this Ansible connection (%s)" % local_ip
    return found


def protected_interfaces(environ=None, proc: str = "/proc") -> Dict[str, str]:
    """Interfaces that must not become netdev ports, with the reason for each."""
    environ = os.environ if environ is None else environ
    found = _default_route_interfaces(proc)
    found.update(_connection_interfaces(environ))
    return found


def _vswitchd_pids(proc: str) -> Iterable[int]:
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, "comm")) as fh:
                if fh.read().strip() == "ovs-vswitchd":
                    yield int(entry)
        except OSError:
            continue


def _netlink_portids(proc: str, pid: int) -> Set[int]:
    """Netlink port ids of the sockets process ``pid`` holds."""
    inodes = set()
    fd_dir = os.path.join(proc, str(pid), "fd")
    try:
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    portids = set()
    with open(os.path.join(proc, "net/netlink")) as fh:
        next(fh, None)
        for line in fh:
            # sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
            cols = line.split()
            if len(cols) >= 10 and cols[9] in inodes:
                portids.add(int(cols[2]))
    return portids


def vswitchd_owner(upcall_pids: Iterable[int], dp_name: str, proc: str = "/proc") -> Optional[str]:
    """Why ``dp_name`` belongs to a running ovs-vswitchd, or None.

    ``upcall_pids`` are the datapath's per-CPU PIDs and its ports' upcall
    PIDs. A datapath is vswitchd's when one of them is a netlink socket of
    an ovs-vswitchd process, or when it is vswitchd's conventional
    'ovs-system' datapath while vswitchd runs."""
    pids = list(_vswitchd_pids(proc))
    if not pids:
        return None
    wanted = set(p for p in upcall_pids if p)
    for pid in pids:
        if wanted & _netlink_portids(proc, pid):
            return "its upcalls go to ovs-vswitchd (pid %d)" % pid
    if dp_name == "ovs-system":
        return "ovs-vswitchd (pid %d) is running and owns 'ovs-system'" % pids[0]
    return None
