# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The datapath provider contract, after Open vSwitch's ``dpif-provider.h``.

A provider implements one kind of datapath ("system" = the Linux kernel
datapath over Generic Netlink, :mod:`.system`). Callers never use a provider
directly: they go through the front-end, :class:`.frontend.Dpif`, which logs,
adds context to errors and is the only place that knows which provider to use.

Error convention, stated once: every method either returns its documented
value or raises :class:`~..errors.DpifError` whose ``errno`` is one of those
listed for the method (or ``EPERM`` when the caller lacks CAP_NET_ADMIN, or
``ENOENT`` with op "open" when the openvswitch kernel module is not loaded).
Providers report raw facts (the kernel's errno, the object it concerns); the
front-end turns them into sentences a person can act on. Nothing a provider
returns is shared with it afterwards: the caller owns the returned objects.

Names are at most 15 bytes (IFNAMSIZ - 1). Port number 0 is the datapath's
own internal port and carries the datapath's name.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from dataclasses import dataclass, field
from typing import Iterator, List, Optional

NAME_MAX = 15


@dataclass
class DatapathStats:
    """``struct ovs_dp_stats`` plus ``ovs_dp_megaflow_stats``."""

    hit: int = 0
    missed: int = 0
    lost: int = 0
    flows: int = 0
    mask_hit: int = 0
    masks: int = 0
    cache_hits: int = 0


@dataclass
class DatapathInfo:
    """One datapath as the kernel reports it."""

    name: str
    ifindex: int                      # ifindex of the local port, the dp_ifindex of requests
    user_features: int = 0            # OVS_DP_F_* bits
    masks_cache_size: Optional[int] = None
    per_cpu_pids: List[int] = field(default_factory=list)
    stats: DatapathStats = field(default_factory=DatapathStats)


@dataclass
class PortStats:
    """``struct ovs_vport_stats``."""

    rx_packets: int = 0
    tx_packets: int = 0
    rx_bytes: int = 0
    tx_bytes: int = 0
    rx_errors: int = 0
    tx_errors: int = 0
    rx_dropped: int = 0
    tx_dropped: int = 0


@dataclass
class PortInfo:
    """One vport. ``options`` holds only what the type has: ``dst_port`` for
    vxlan and geneve, ``extensions`` (a list, ``["gbp"]``) for vxlan."""

    name: str
    port_no: int
    type: str                         # netdev, internal, gre, vxlan, geneve
    options: dict = field(default_factory=dict)
    ifindex: Optional[int] = None
    upcall_pids: List[int] = field(default_factory=list)
    stats: PortStats = field(default_factory=PortStats)


@dataclass
class PortRequest:
    """Input of :meth:`DpifProvider.port_add`.

    ``port_no`` None lets the kernel choose the lowest free number >= 1.
    ``upcall_pids`` defaults to ``[0]``: no upcalls, misses are counted as lost
    (we run no userspace slow path)."""

    name: str
    type: str
    options: dict = field(default_factory=dict)
    port_no: Optional[int] = None
    upcall_pids: List[int] = field(default_factory=lambda: [0])


class DpifProvider:
    """The contract. Subclasses implement every method."""

    #: Datapath kind this provider serves, e.g. "system".
    type = ""

    # -- datapaths --------------------------------------------------------

    def enumerate(self) -> List[DatapathInfo]:
        """Every datapath of this kind in the caller's network namespace,
        sorted by name. An empty list when there are none."""
        raise NotImplementedError

    def open(self, name: str, create: bool = False, user_features: int = 0,
             masks_cache_size: Optional[int] = None) -> DatapathInfo:
        """Find datapath ``name``; with ``create``, make it first if missing.

        ``user_features`` and ``masks_cache_size`` apply only to a datapath
        this call creates. Returns the datapath as the kernel reports it.
        ENODEV: missing and not ``create``. EEXIST: ``create`` and a network
        device that is not a datapath already has that name. EOPNOTSUPP: a
        feature bit this kernel lacks. EINVAL: a bad masks cache size."""
        raise NotImplementedError

    def set_features(self, name: str, user_features: int,
                     masks_cache_size: Optional[int] = None) -> DatapathInfo:
        """Replace the user features (always sent: the kernel clears them
        when absent) and, if not None, the masks cache size. ENODEV, EINVAL
        (cache size not 0 or a power of two up to 4096), EOPNOTSUPP."""
        raise NotImplementedError

    def destroy(self, name: str) -> None:
        """Delete datapath ``name`` with all its ports and flows. Tunnel and
        internal devices the datapath created go with it; netdev ports are
        only detached. ENODEV if it does not exist."""
        raise NotImplementedError

    # -- ports ------------------------------------------------------------

    def port_add(self, dp: str, req: PortRequest) -> PortInfo:
        """Add a vport and return it as created (its port number filled in).

        ENODEV: no such datapath, or a netdev port names no existing device.
        EBUSY: the requested port number is taken, or the device is already
        enslaved (bridge, bond, other datapath). EEXIST: a device with that
        name exists (internal/tunnel types) or the device is already a port
        of this datapath. EFBIG: port number >= 65536 or none free.
        EINVAL: options the type does not accept, a loopback device.
        EAFNOSUPPORT: the kernel lacks the tunnel type."""
        raise NotImplementedError

    def port_del(self, dp: str, name: str) -> None:
        """Remove vport ``name``. ENODEV if it is not a port of ``dp``;
        EINVAL for port 0 (destroy the datapath instead)."""
        raise NotImplementedError

    def port_query_by_name(self, dp: str, name: str) -> PortInfo:
        """The vport called ``name`` in ``dp``. ENODEV if there is none."""
        raise NotImplementedError

    def port_query_by_number(self, dp: str, port_no: int) -> PortInfo:
        """The vport numbered ``port_no`` in ``dp``. ENODEV if there is none,
        EFBIG if ``port_no`` >= 65536."""
        raise NotImplementedError

    def port_dump(self, dp: str) -> Iterator[PortInfo]:
        """Every vport of ``dp``, the local port (0) included, in port-number
        order. ENODEV if the datapath does not exist."""
        raise NotImplementedError

    def close(self) -> None:
        """Release sockets. Safe to call twice."""
