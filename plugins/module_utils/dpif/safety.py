# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guards against the two ways a datapath change can hurt a host.

1. A netdev port takes all of its device's traffic: attaching the interface
   that carries a default route or an SSH session (the Ansible connection
   among them), or a device below one, cuts the host off.
   :func:`protected_interfaces` names those interfaces, asking the kernel
   (see :mod:`.mgmt_path`).
2. ovs-vswitchd owns the datapaths it created and rewrites their ports and
   flows behind our back. :func:`vswitchd_owner` tells whether a datapath's
   upcalls go to a running ovs-vswitchd's sockets.

Both only read /proc and ask the kernel; nothing here changes the host.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import os
from typing import Dict, Iterable, Mapping, Optional, Set

from ansible_collections.dpif.ovs.plugins.module_utils.dpif import mgmt_path


def protected_interfaces(environ: Optional[Mapping[str, str]] = None, proc: str = "/proc",
                         kernel=None) -> Dict[str, str]:
    """Interfaces that must not become netdev ports, {name: reason}.

    The reasons are sentences naming the SSH session (peer and sshd pid) or
    the default route and, for a device below another, the chain ("it is the
    lower device of 'eth0.100', which carries the SSH session from ...").
    See :mod:`.mgmt_path` for how they are found: SSH sessions from the
    kernel's socket tables, the kernel's own route lookups, default routes
    of every table, lower devices, underlays and members.

    Raises DpifError (op "find the management path") when the management
    path cannot be determined; its ``detail`` says what could not be read.
    The caller must then treat every interface as protected."""
    return mgmt_path.find(environ, proc, kernel)


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
