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

import struct
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple, Union

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import flow_reply

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


# -- flows ----------------------------------------------------------------
#
# Flows are handled as wire bytes here: ``key``, ``mask`` and ``actions`` are
# the contents of OVS_FLOW_ATTR_KEY / _MASK / _ACTIONS (a sequence of
# OVS_KEY_ATTR_* or OVS_ACTION_ATTR_* attributes, as ``odp.wire`` encodes
# them). Providers do not look inside them; the kernel validates them.
#
# A flow is identified either by its UFID (1 to 16 bytes, when it was
# installed with one) or by its key. Every operation on a flow names it the
# same way it was installed: a UFID flow by ``ufid`` (``key`` may be given
# too), a key flow by ``key`` alone.
#
# Batch operations (FlowPut, FlowDel, FlowGet) split their fields into input
# and output, after OVS's ``struct dpif_flow_put``. :meth:`DpifProvider.operate`
# fills ``error`` in every op (0 or a positive errno) and the outputs of the
# ops that succeeded; outputs of failed ops are left as None.

#: Largest UFID the kernel accepts (MAX_UFID_LENGTH); longer ones would be
#: ignored and the flow become key-identified, so we refuse them (EINVAL).
UFID_MAX = 16


@dataclass
class FlowStats:
    """What the kernel counts per flow. ``used`` is the last-hit time in
    milliseconds of CLOCK_MONOTONIC, 0 if never hit; ``tcp_flags`` is the OR
    of the TCP flags seen."""

    packets: int = 0
    bytes: int = 0
    used: int = 0
    tcp_flags: int = 0


@dataclass
class DumpedFlow:
    """One flow as the kernel reports it (``OVS_FLOW_CMD_GET`` or dump).

    ``key``, ``mask`` and ``actions`` are the kernel's re-serialisation, not
    an echo of what was installed: a superset of key attributes in canonical
    order; actions in their userspace form. A UFID flow reports its masked
    key, a key flow its unmasked key. In a terse dump a UFID flow has only
    ``ufid`` and ``stats`` (``key``/``mask``/``actions`` None); a key flow
    keeps ``key``. ``actions`` is b"" for a drop flow; it may also be None in
    a full dump when the kernel could not fit a huge action list."""

    ufid: Optional[bytes] = None
    key: Optional[bytes] = None
    mask: Optional[bytes] = None
    actions: Optional[bytes] = None
    stats: FlowStats = field(default_factory=FlowStats)

    @classmethod
    def from_reply(cls, data, start: int, end: int) -> DumpedFlow:
        """The flow of the reply whose attributes are at ``data[start:end]``
        (bytes or a view; what is kept is copied)."""
        get = flow_reply.attribute_spans(data, start, end)[0].get
        span = get(flow_reply.FLOW_ATTR_UFID)
        ufid = bytes(data[span[0]:span[1]]) if span else None
        span = get(flow_reply.FLOW_ATTR_KEY)
        key = bytes(data[span[0]:span[1]]) if span else None
        span = get(flow_reply.FLOW_ATTR_MASK)
        mask = bytes(data[span[0]:span[1]]) if span else None
        span = get(flow_reply.FLOW_ATTR_ACTIONS)
        actions = bytes(data[span[0]:span[1]]) if span else None
        # A counter shorter than its type (never sent by the kernel) is
        # taken as absent: data may hold the next reply after this one.
        span = get(flow_reply.FLOW_ATTR_STATS)
        packets, nbytes = _STATS.unpack_from(data, span[0]) if span and span[1] - span[0] >= _STATS.size else (0, 0)
        span = get(flow_reply.FLOW_ATTR_USED)
        used = _U64.unpack_from(data, span[0])[0] if span and span[1] - span[0] >= _U64.size else 0
        span = get(flow_reply.FLOW_ATTR_TCP_FLAGS)
        tcp_flags = data[span[0]] if span and span[1] > span[0] else 0
        return cls(ufid, key, mask, actions, FlowStats(packets, nbytes, used, tcp_flags))


#: struct ovs_flow_stats (packets, bytes) and OVS_FLOW_ATTR_USED's u64.
_STATS = struct.Struct("=QQ")
_U64 = struct.Struct("=Q")

#: A datagram of flow replies (see :meth:`DpifProvider.flow_dump_replies`):
#: its bytes, and the ``(start, end)`` of each reply's attributes.
FlowReplies = Tuple[bytes, List[Tuple[int, int]]]


@dataclass
class FlowPut:
    """Install or change one flow.

    Input:

    * ``key`` (required), ``mask`` (None: every field of every attribute in
      ``key`` is exact), ``actions`` (None or b"": drop), ``ufid`` (None:
      identified by key).
    * ``create``/``modify`` choose the semantics:

      - create only (default): install; EEXIST if a flow with this UFID
        exists or any installed flow would match this key (an overlap).
      - modify only: replace the actions of the existing flow (found by
        UFID, else by exact key and mask) and keep its stats; ENOENT if it
        does not exist. ``zero_stats`` also clears stats and tcp_flags.
      - both: install, or replace the actions of an identical flow;
        ENOENT when the UFID matches a flow with another key, EEXIST on a
        non-identical overlap. ``zero_stats`` is not honoured here (the
        kernel ignores it on creation): use modify only.
    * ``probe``: the kernel logs nothing about a rejected flow (feature
      probing).
    * ``want_stats``: ask for the flow's stats before the change (costs an
      echoed reply per op).
    * ``text``: a printable form of the flow for messages; never sent.

    Output: ``error`` (0 or errno), ``stats`` (if ``want_stats`` and the
    kernel returned them, else None), ``kernel_msg`` (the kernel's own
    words about a refusal, from its extended ack, else None)."""

    key: bytes
    mask: Optional[bytes] = None
    actions: Optional[bytes] = None
    ufid: Optional[bytes] = None
    create: bool = True
    modify: bool = False
    zero_stats: bool = False
    probe: bool = False
    want_stats: bool = False
    text: Optional[str] = None
    # output
    error: int = 0
    stats: Optional[FlowStats] = None
    kernel_msg: Optional[str] = None


@dataclass
class FlowDel:
    """Delete one flow, by ``ufid`` (preferred) or by exact ``key``.

    At least one of them is required: the kernel reads a DEL naming no flow
    as "delete every flow", so providers refuse it (EINVAL) and offer
    :meth:`DpifProvider.flow_flush` instead. ``want_stats`` asks for the
    flow's final stats. Output: ``error``, ``stats``, ``kernel_msg``."""

    key: Optional[bytes] = None
    ufid: Optional[bytes] = None
    want_stats: bool = False
    text: Optional[str] = None
    # output
    error: int = 0
    stats: Optional[FlowStats] = None
    kernel_msg: Optional[str] = None


@dataclass
class FlowGet:
    """Read one flow, by ``ufid`` or exact ``key`` (one is required).
    ``terse`` leaves out key, mask and actions of a UFID flow. Output:
    ``error``, ``flow``, ``kernel_msg``."""

    key: Optional[bytes] = None
    ufid: Optional[bytes] = None
    terse: bool = False
    text: Optional[str] = None
    # output
    error: int = 0
    flow: Optional[DumpedFlow] = None
    kernel_msg: Optional[str] = None


#: Anything :meth:`DpifProvider.operate` takes.
FlowOp = Union[FlowPut, FlowDel, FlowGet]


def flow_name(op: FlowOp) -> str:
    """How messages name the flow of ``op``: its ``text``, else its UFID."""
    if op.text:
        return "flow '%s'" % op.text
    if op.ufid:
        return "flow ufid:%s" % op.ufid.hex()
    return "flow"


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

    # -- flows ------------------------------------------------------------
    #
    # Errnos of the flow operations, per op or raised:
    #
    # * ENODEV: the datapath does not exist (raised by the whole call when
    #   it is found missing before sending, per op if it vanishes midway).
    # * ENOENT: no such flow (modify, del, get; or a UFID naming a flow with
    #   another key).
    # * EEXIST: create, and the UFID exists or an installed flow overlaps
    #   the key.
    # * EINVAL: a key, mask or actions the kernel rejects (missing companion
    #   attribute, unexpected mask, action not valid for the match...), a
    #   UFID not 1 to 16 bytes long, or a del/get naming no flow.
    # * EOVERFLOW: actions nested too deep (more than 16 levels).
    # * EMSGSIZE, ENOMEM: actions too large for the kernel.
    # * ENOBUFS (operate only): the op was sent but its answer was lost and
    #   could not be recovered, so its outcome is unknown. The system
    #   provider sizes its batches so this does not happen, and re-queries
    #   puts and dels when it does.

    def operate(self, dp: str, ops: List[FlowOp]) -> None:
        """Execute ``ops`` (FlowPut, FlowDel, FlowGet in any mix) in order,
        as few kernel round trips as possible. Fills each op's ``error`` and
        outputs; never raises for a per-op failure. Raises DpifError only
        for the whole call: ENODEV if ``dp`` does not exist, EPERM."""
        raise NotImplementedError

    def flow_put(self, dp: str, put: FlowPut) -> FlowPut:
        """:meth:`operate` on one put; raises its error. Returns ``put``."""
        return self._one(dp, put, "put flow")

    def flow_del(self, dp: str, delete: FlowDel) -> FlowDel:
        """:meth:`operate` on one del; raises its error. Returns ``delete``."""
        return self._one(dp, delete, "delete flow")

    def flow_get(self, dp: str, get: FlowGet) -> FlowGet:
        """:meth:`operate` on one get; raises its error (ENOENT if missing).
        Returns ``get`` with ``flow`` filled in."""
        return self._one(dp, get, "get flow")

    def _one(self, dp: str, op: FlowOp, what: str):
        self.operate(dp, [op])
        if op.error:
            raise DpifError(op.error, what, flow_name(op))
        return op

    def flow_flush(self, dp: str) -> None:
        """Delete every flow of ``dp``. ENODEV."""
        raise NotImplementedError

    def flow_dump_replies(self, dp: str, terse: bool = False, keys: bool = True) -> Iterator[FlowReplies]:
        """Every flow of ``dp``, in the kernel's order (a hash order), as
        the kernel sent it: ``(data, spans)`` per datagram, its bytes and,
        per flow reply in it, the ``(start, end)`` of the reply's attributes
        (OVS_FLOW_ATTR_*, read by :mod:`.netlink.flow_reply`) in ``data``.

        ``terse``: UFID flows come back with only their UFID and counters
        (the kernel's OMIT_KEY|OMIT_MASK|OMIT_ACTIONS); key flows keep
        their key. ``keys=False``: UFID flows come back without key and
        mask but with actions (OMIT_KEY|OMIT_MASK), for a caller that knows
        its flows by UFID: a fifth of the bytes to receive. Flows added or
        deleted during the dump may be missed or seen twice. Each datagram
        is fresh bytes the caller owns. ENODEV (raised when iteration
        starts).

        The contract's only dump: the front-end reads DumpedFlows out of
        it (``DumpedFlow.from_reply``), and the printer of ``state:
        gathered`` reads the replies themselves, a reply laid out as the
        last one in one step (half the printing time of 100k flows in the
        sandbox, 0.52 s against 1.03 s)."""
        raise NotImplementedError

    def execute(self, dp: str, packet: bytes, key: bytes, actions: bytes,
                probe: bool = False) -> None:
        """Run ``actions`` on ``packet`` (a whole frame from its Ethernet
        header, at least 14 bytes) as if it had arrived with the metadata of
        ``key`` (in_port, priority, skb_mark, tunnel...; the packet's own
        headers are parsed from ``packet``; a missing or unknown in_port
        means the local port). ENODEV, EINVAL (bad key, actions, or packet
        shorter than 14 bytes), EOVERFLOW."""
        raise NotImplementedError
