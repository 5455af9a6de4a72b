# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Devices and datapath ports coming and going, as the kernel tells it.

A watcher learns of these changes when they happen, without polling, from
two netlink multicast groups the kernel sends to:

* rtnetlink's RTNLGRP_LINK: RTM_NEWLINK when a network device appears *or
  changes* (up/down, carrier, MTU, a rename...), RTM_DELLINK when it goes;
* the "ovs_vport" group of the openvswitch module's generic netlink family
  "ovs_vport": OVS_VPORT_CMD_NEW when a port is added to a datapath and
  OVS_VPORT_CMD_DEL when one is removed, whoever did it (ovs-dpctl,
  ovs-vswitchd, this collection), and also when the kernel detaches a
  netdev port because its device was deleted. (OVS_VPORT_CMD_SET, sent when
  a port's upcall PIDs change, is ignored.)

:class:`Notifications` listens to both on two sockets of its own and turns
what arrives into plain events: :class:`LinkEvent`, :class:`VportEvent`,
and :class:`Overrun` when the kernel dropped notifications for want of
receive buffer. A device counts as "added" only the first time its ifindex
is seen (the watcher keeps the ifindexes and names it knows, seeded by one
link dump when it starts), so state changes are not reported, and a rename
is reported as the old name removed and the new one added.

Use::

    with Notifications() as watch:
        state = read_everything()            # after the watcher started: nothing falls between
        while True:
            for event in watch.wait(timeout=5.0):
                if isinstance(event, Overrun):
                    state = read_everything()
                else:
                    apply(state, event)

What the caller must know:

* Events are hints to apply idempotently: a change made just after the
  watcher started can be both in the caller's first read and in an event,
  and after an :class:`Overrun` the events already queued are dropped but
  those that follow may predate the caller's own re-read.
* Link and vport events come from two sockets: their relative order is not
  the kernel's. Deleting a netdev port's device gives its LinkEvent
  "removed" and its VportEvent "removed" in either order (the port is
  detached by a kernel work item, a moment later).
* A datapath's creation and deletion send no vport notification (they go
  to the "ovs_datapath" group): neither its local port nor, on deletion,
  its other ports are reported as VportEvents. Its local port's device,
  named like the datapath, does come and go as a LinkEvent, as does every
  internal port's device.
* Only this process's network namespace is watched. Unloading the
  openvswitch module ends the vport notifications silently.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import math
import select
import socket
import struct
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import framing, genl, messages, rtnl

ADDED = "added"
REMOVED = "removed"

#: The multicast group of the "ovs_vport" family (OVS_VPORT_MCGROUP).
VPORT_GROUP = "ovs_vport"
#: What a vport notification's command means.
VPORT_KINDS = {messages.CMD_NEW: ADDED, messages.CMD_DEL: REMOVED}
#: At most this many datagrams are read from each socket per :meth:`Notifications.read`,
#: so a flood of notifications cannot keep one call reading forever.
DRAIN_LIMIT = 1024

_I32 = struct.Struct("=i")


@dataclass(frozen=True)
class LinkEvent:
    """A network device of this namespace appeared ("added") or went
    ("removed"); a rename is the old name removed, then the new one added."""

    kind: str           # ADDED or REMOVED
    name: str
    ifindex: int


@dataclass(frozen=True)
class VportEvent:
    """A port was added to ("added") or removed from ("removed") a datapath.

    ``datapath_ifindex`` is the ifindex of the datapath's local port (the
    ovs_header's dp_ifindex); ``datapath`` its name, looked up when the
    event was read, "" when the datapath was already gone and its name
    unknown. ``type`` as :class:`provider.PortInfo`'s: netdev, internal, gre, vxlan,
    geneve, or "unknown"."""

    kind: str           # ADDED or REMOVED
    datapath_ifindex: int
    name: str
    port_no: int
    type: str
    datapath: str = ""


@dataclass(frozen=True)
class Overrun:
    """The kernel dropped notifications (the socket's receive buffer was
    full: ENOBUFS), so events were lost: read everything again.

    ``source`` says which: "link" (the watcher has re-read the devices it
    knows, so later LinkEvents are relative to the devices that exist now)
    or "vport"."""

    source: str = ""


Event = Union[LinkEvent, VportEvent, Overrun]


def _messages(data: bytes) -> Iterator[Tuple[int, int, int]]:
    """(type, start, end) of each netlink message in the datagram ``data``."""
    off = 0
    while off + framing.NLHDR.size <= len(data):
        length, message_type = framing.NLHDR.unpack_from(data, off)[:2]
        if length < framing.NLHDR.size or off + length > len(data):
            break
        yield message_type, off, off + length
        off += (length + 3) & ~3


class LinkTracker:
    """The devices a watcher knows (ifindex -> name), and the LinkEvents
    that rtnetlink link notifications make of them."""

    def __init__(self, names: Mapping[int, str]):
        self.names: Dict[int, str] = dict(names)

    def reset(self, names: Mapping[int, str]) -> None:
        """Know exactly ``names`` (a fresh dump), and nothing else."""
        self.names = dict(names)

    def update(self, data: bytes) -> List[LinkEvent]:
        """The events of the datagram ``data``, received on a socket in
        RTNLGRP_LINK; what is known is updated.

        RTM_NEWLINK of an unknown ifindex is "added", of a known one under a
        new name a rename (removed, added), otherwise a state change and no
        event. RTM_DELLINK of a known ifindex is "removed" under the name the
        watcher knew; of an unknown one (gone before the first dump) no
        event. Messages of another address family (AF_BRIDGE: a bridge
        port's state, sent on the same group, RTM_DELLINK when a device only
        leaves a bridge) and of other types are ignored."""
        events = []
        for message_type, start, end in _messages(data):
            body = start + framing.NLHDR.size
            if message_type not in (rtnl.RTM_NEWLINK, rtnl.RTM_DELLINK) or end - body < rtnl.IFINFOMSG.size:
                continue
            if rtnl.IFINFOMSG.unpack_from(data, body)[0] != socket.AF_UNSPEC:
                continue
            link = rtnl.decode_link(data, body, end)
            known = self.names.get(link.index)
            if message_type == rtnl.RTM_DELLINK:
                if known is not None:
                    del self.names[link.index]
                    events.append(LinkEvent(REMOVED, known, link.index))
            elif known is None:
                self.names[link.index] = link.name
                events.append(LinkEvent(ADDED, link.name, link.index))
            elif link.name and link.name != known:
                self.names[link.index] = link.name
                events.append(LinkEvent(REMOVED, known, link.index))
                events.append(LinkEvent(ADDED, link.name, link.index))
        return events


def vport_events(data: bytes, datapath_name: Optional[Callable[[int], str]] = None) -> List[VportEvent]:
    """The events of the datagram ``data``, received on a socket in the
    "ovs_vport" group: one per OVS_VPORT_CMD_NEW ("added") or
    OVS_VPORT_CMD_DEL ("removed") message, its attributes read by
    :func:`messages.decode_vport`. ``datapath_name(dp_ifindex)`` gives the
    events' ``datapath`` ("" without it). Other commands are ignored."""
    events = []
    for message_type, start, end in _messages(data):
        if message_type <= framing.NLMSG_OVERRUN or end - start < genl.HDR_LEN:
            continue
        kind = VPORT_KINDS.get(data[start + framing.NLHDR.size])     # genlmsghdr's cmd
        if kind is None:
            continue
        dp_ifindex = _I32.unpack_from(data, start + genl.HDR_LEN - genl.OVS_HDR_LEN)[0]
        port = messages.decode_vport(memoryview(data)[start + genl.HDR_LEN:end])
        events.append(VportEvent(kind, dp_ifindex, port.name, port.port_no, port.type,
                                 datapath_name(dp_ifindex) if datapath_name else ""))
    return events


class _Listener:
    """A netlink socket that only listens, to one multicast group.

    Not a :class:`genl.GenlSocket`: that one matches answers to requests by
    sequence number, and a notification carries the number of the request
    that caused it (see :func:`genl.join_group`)."""

    def __init__(self, protocol: int, group_id: int, what: str, receive_buffer: int):
        self.what = what
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, protocol)
        except OSError as exc:
            raise DpifError(exc.errno or errno.EIO, "open", what) from None
        try:
            sock.bind((0, 0))
            try:
                sock.setsockopt(socket.SOL_SOCKET, framing.SO_RCVBUFFORCE, receive_buffer)
            except OSError:         # not root: capped by net.core.rmem_max
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            genl.join_group(sock, group_id, what)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise DpifError(exc.errno or errno.EIO, "open", what) from None
        except BaseException:
            sock.close()
            raise
        self._sock: Optional[socket.socket] = sock
        self._buf = bytearray(genl.RECV_SIZE)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def drain(self, limit: int = DRAIN_LIMIT) -> Tuple[List[bytes], bool]:
        """The datagrams queued now (at most ``limit``; never blocks), and
        whether the kernel reported dropping some (ENOBUFS) meanwhile.
        DpifError, op "receive", for any other error of the socket."""
        datagrams: List[bytes] = []
        overrun = False
        for _attempt in range(limit):
            try:
                nbytes = self._sock.recv_into(self._buf)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:      # reported once; what is still queued follows
                    overrun = True
                    continue
                raise DpifError(exc.errno or errno.EIO, "receive", self.what) from None
            datagrams.append(bytes(self._buf[:nbytes]))
        return datagrams, overrun


def _dump_links() -> Dict[int, str]:
    """Every device of the namespace now, ifindex -> name (DpifError as :class:`rtnl.Rtnl`)."""
    with rtnl.Rtnl() as sock:
        return {index: link.name for index, link in sock.links().items()}


def _vport_group_id() -> int:
    """The id of the "ovs_vport" multicast group; DpifError ENOENT when the
    openvswitch module is not loaded (or offers no such group)."""
    groups = genl.multicast_groups(messages.VPORT_FAMILY)
    if VPORT_GROUP not in groups:
        raise DpifError(errno.ENOENT, "open", "family '%s'" % messages.VPORT_FAMILY,
                        "the openvswitch kernel module offers no '%s' notification group (it has: %s)"
                        % (VPORT_GROUP, ", ".join(sorted(groups)) or "none"))
    return groups[VPORT_GROUP]


class Notifications:
    """Link and vport notifications of this network namespace, as events.

    Opening joins the "ovs_vport" group first, then RTNLGRP_LINK, then
    dumps the devices once (so every device is either in the dump or in a
    later notification). ``receive_buffer`` is each socket's kernel receive
    buffer in bytes: the default (32 MiB, forced when root) makes an
    :class:`Overrun` rare; tests pass a small one to provoke it.

    Raises :class:`DpifError`, op "open": ENOENT when the openvswitch
    module is not loaded (the sentence says to load it), another errno when
    a socket cannot be opened, bound or joined (EMFILE, ENOMEM, EPERM...);
    the device dump's errors are :class:`rtnl.Rtnl`'s (op "query routing").

    Use as a context manager, or call :meth:`close`. Not thread-safe."""

    def __init__(self, receive_buffer: int = genl.RCVBUF):
        self._listeners: List[_Listener] = []
        try:
            self._vport_listener = _Listener(genl.NETLINK_GENERIC, _vport_group_id(),
                                             "the ovs_vport notifications", receive_buffer)
            self._listeners.append(self._vport_listener)
            self._link_listener = _Listener(rtnl.NETLINK_ROUTE, rtnl.RTNLGRP_LINK, "the link notifications", receive_buffer)
            self._listeners.append(self._link_listener)
            self._tracker = LinkTracker(_dump_links())
        except BaseException:
            self.close()
            raise
        self._poller = select.poll()
        for listener in self._listeners:
            self._poller.register(listener.fileno(), select.POLLIN)     # POLLERR (an overrun) comes unasked

    def close(self) -> None:
        for listener in self._listeners:
            listener.close()
        self._listeners = []

    def __enter__(self) -> Notifications:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def filenos(self) -> Tuple[int, int]:
        """The (link, vport) sockets' file descriptors, for a caller's own
        event loop: when either is readable (or in error: an overrun),
        :meth:`read` has events, or perhaps none (a state change)."""
        self._check_open()
        return self._link_listener.fileno(), self._vport_listener.fileno()

    @property
    def links(self) -> Dict[int, str]:
        """The devices this watcher knows, ifindex -> name: those of its
        dump at start (and after a link :class:`Overrun`), kept up to date
        by the events read since. A copy."""
        return dict(self._tracker.names)

    def read(self) -> List[Event]:
        """Every event queued now, link events first; [] when there is none.
        Never blocks.

        An :class:`Overrun` replaces the events of its socket in this call
        (they are dropped: the caller reads everything again). ENOBUFS is
        never raised: it is the Overrun. DpifError, op "receive", for another
        error of a socket; after a link overrun, the new device dump's
        errors (op "query routing")."""
        self._check_open()
        events: List[Event] = []
        datagrams, overrun = self._link_listener.drain()
        if overrun:
            self._tracker.reset(_dump_links())
            events.append(Overrun("link"))
        else:
            for data in datagrams:
                events.extend(self._tracker.update(data))
        datagrams, overrun = self._vport_listener.drain()
        if overrun:
            events.append(Overrun("vport"))
        else:
            for data in datagrams:
                events.extend(vport_events(data, self._datapath_name))
        return events

    def wait(self, timeout: Optional[float] = None) -> List[Event]:
        """The next events: those queued now, or else the first that come
        within ``timeout`` seconds (None: wait as long as it takes). [] when
        the time ran out. Notifications that make no event (a device going
        up) do not end the wait. Errors as :meth:`read`."""
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        while True:
            events = self.read()
            if events:
                return events
            wait_ms = None
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                wait_ms = math.ceil(left * 1000)
            self._poller.poll(wait_ms)

    def _datapath_name(self, dp_ifindex: int) -> str:
        """The datapath's name: its local port's device name, asked of the
        kernel now, or as last known when it is already gone."""
        try:
            return socket.if_indextoname(dp_ifindex)
        except (OSError, ValueError, OverflowError):
            return self._tracker.names.get(dp_ifindex, "")

    def _check_open(self) -> None:
        if not self._listeners:
            raise DpifError(errno.EBADF, "receive", "notifications", "the watcher is closed")
