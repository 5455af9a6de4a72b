# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A raw Generic Netlink transport for the four OVS families.

Why not pyroute2 here: its generic ``nla`` objects cost about 200 us to
encode one flow message (213 us measured in the style-anchor study) against
about 13 us with ``struct``; decoding is as costly. At 100k flows that is
the difference between seconds and minutes. And importing pyroute2 costs a
task 2.05 s in the UML sandbox (see :mod:`.messages`), so the datapath and
vport families, and the family-id lookup (:func:`resolve_family`), use this
transport too. Requests and replies go through a plain ``AF_NETLINK``
socket with ``struct``-packed headers, and replies are parsed in place from
one big receive buffer.

Every OVS message has the same fixed 24-byte prefix::

    0       4       6       8               12              16
    +-------+-------+-------+---------------+---------------+
    | len   | type  | flags | seq           | pid           |  nlmsghdr
    +---+---+-------+-------+---------------+---------------+
    |cmd|ver| rsvd  | dp_ifindex (int)  | attributes...        genlmsghdr + ovs_header
    +---+---+-------+-------------------+

Batching (:meth:`GenlSocket.batch`): many requests are concatenated into one
``send`` and answers are matched by sequence number. The kernel processes a
netlink ``send`` synchronously, in order, and queues each answer on our
socket. It always answers a request that failed with an NLMSG_ERROR, but a
success only when asked (NLM_F_ACK). So requests that expect no reply (a
create, modify or delete) go without NLM_F_ACK, except the last of each
``send``: its ack says every earlier request was processed, and one that
sent no error succeeded. A success then costs no answer to receive, which
matters where a system call is dear: under User-Mode Linux, 100k creates
took 8-10 s with an ack each and 0.5-0.8 s this way (100k ``recv`` calls
saved). Requests that expect a reply (GET, NLM_F_ECHO) carry NLM_F_ACK, so
each gets its reply and then exactly one NLMSG_ERROR (error 0 = success).

Answers that do not fit the receive buffer are dropped and the next
``recv`` fails with ENOBUFS. We therefore size each window so its answers
fit even if every request fails (see ``ACK_COST``/``REPLY_COST``) and force
a large SO_RCVBUF; if ENOBUFS happens anyway, answers still queued are read,
and every request without a recorded answer is lost (a silent one may have
had its error dropped): those marked safe to resend are resent in a smaller
window, the others are reported with ENOBUFS ("outcome unknown") for the
caller to re-query.

The socket asks for extended acks (NETLINK_EXT_ACK): a refusal's answer may
carry the kernel's reasons, which :mod:`.extack` turns into words. Netlink's
own framing (headers, flags, attributes) is :mod:`.framing`.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import socket
import struct
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.extack import kernel_words
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import (
    NETLINK_CAP_ACK,
    NETLINK_EXT_ACK,
    NLHDR,
    NLM_F_ACK,
    NLM_F_ACK_TLVS,
    NLM_F_DUMP,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
    NLMSG_OVERRUN,
    SO_RCVBUFFORCE,
    SO_SNDBUFFORCE,
    SOL_NETLINK,
    AttrNames,
    iter_nlas,
    nla,
)

NETLINK_GENERIC = 16

# The generic netlink controller ("nlctrl"), which maps family names to ids.
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7     # a nest holding one nest per multicast group:
CTRL_ATTR_MCAST_GRP_NAME = 1   # its name (string)
CTRL_ATTR_MCAST_GRP_ID = 2     # its id (u32), the number to join
NETLINK_ADD_MEMBERSHIP = 1     # setsockopt(SOL_NETLINK, ...): join a multicast group by number

#: The genl version byte we send; the kernel ignores it outside DP NEW, and
#: OVS userspace sends 2 for every family.
GENL_VERSION = 2

HDR = struct.Struct("=IHHIIBBHi")     # nlmsghdr + genlmsghdr + ovs_header
HDR_LEN = HDR.size                   # 24
OVS_HDR_LEN = 4                      # struct ovs_header, the last field of HDR
_I32 = struct.Struct("=i")
_U32 = struct.Struct("=I")
_U16 = struct.Struct("=H")

#: Batch message kinds (bit flags, one per message).
EXPECT_REPLY = 1        # the kernel answers with a message before the ack (GET, ECHO)
RESENDABLE = 2          # sending it twice has the effect of sending it once (GET, SET)

#: Receive-buffer cost of one answer, in bytes of skb truesize. Measured on
#: 6.1 (UML) with /proc/net/netlink Rmem: an ack with NETLINK_CAP_ACK, 768;
#: a simple flow's GET reply plus its ack, 2048. Replies grow with the
#: actions; GETs are resendable, so an underestimate costs a retry, not a
#: result.
ACK_COST = 1024
REPLY_COST = 4096

#: Buffer sizes we ask for. SO_*BUFFORCE (root) ignores net.core.*mem_max;
#: the kernel doubles the value for bookkeeping. The buffers are limits, not
#: allocations.
RCVBUF = 32 << 20
SNDBUF = 4 << 20
#: At most this many request bytes per send (one skb in the kernel).
MAX_SEND = 1 << 20
#: Our receive buffer: one datagram per recv, a dump datagram is <= 32 KiB
#: (larger if an action list is bigger), a GET reply is one flow.
RECV_SIZE = 256 << 10


def module_not_loaded(family: str) -> DpifError:
    return DpifError(
        errno.ENOENT, "open", "kernel",
        "the openvswitch kernel module is not loaded (generic netlink family '%s' "
        "is missing); load it with 'modprobe openvswitch'" % family)


def _describe_family(name: str) -> memoryview:
    """The attributes of nlctrl's CTRL_CMD_GETFAMILY answer for family
    ``name`` (what follows its genlmsghdr).

    DpifError ENOENT, op "open", when the family is not registered: for the
    OVS families that means the openvswitch kernel module is not loaded,
    said in those words; the errno of the socket or of nlctrl otherwise."""
    obj = "family '%s'" % name
    payload = nla(CTRL_ATTR_FAMILY_NAME, name.encode("ascii") + b"\0")
    # nlctrl messages have no ovs_header: nlmsghdr + genlmsghdr + attributes.
    request = NLHDR.pack(20 + len(payload), GENL_ID_CTRL, NLM_F_REQUEST, 1, 0) + \
        bytes((CTRL_CMD_GETFAMILY, 1, 0, 0)) + payload
    # A fresh socket in no multicast group receives only the one answer.
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC) as sock:
            sock.bind((0, 0))
            sock.send(request)
            data = sock.recv(RECV_SIZE)
    except OSError as exc:
        raise DpifError(exc.errno or errno.EIO, "open", obj) from None
    length, mtype = NLHDR.unpack_from(data)[:2] if len(data) >= 16 else (0, 0)
    if mtype == NLMSG_ERROR and length >= 20:
        code = -_I32.unpack_from(data, 16)[0]
        if code == errno.ENOENT:
            raise module_not_loaded(name)
        raise DpifError(code or errno.EPROTO, "open", obj)
    if mtype != GENL_ID_CTRL:
        raise DpifError(errno.EPROTO, "open", obj, "nlctrl did not answer with the family's description")
    return memoryview(data)[20:min(length, len(data))]


def resolve_family(name: str) -> int:
    """The numeric id of generic netlink family ``name``, asked of the
    kernel's "nlctrl" family (CTRL_CMD_GETFAMILY). DpifError as
    :func:`_describe_family` says; EPROTO when the answer has no id."""
    for attr_type, value in iter_nlas(_describe_family(name)):
        if attr_type == CTRL_ATTR_FAMILY_ID:
            return _U16.unpack_from(value)[0]
    raise DpifError(errno.EPROTO, "open", "family '%s'" % name, "nlctrl did not answer with a family id")


def decode_multicast_groups(attrs) -> Dict[str, int]:
    """Group name -> group id, from the attributes of nlctrl's answer to
    CTRL_CMD_GETFAMILY (what follows its genlmsghdr): the
    CTRL_ATTR_MCAST_GROUPS nest holds one nest per group, each with a
    CTRL_ATTR_MCAST_GRP_NAME and a CTRL_ATTR_MCAST_GRP_ID. Empty when the
    family has no group."""
    groups = {}
    for attr_type, nest in iter_nlas(attrs):
        if attr_type != CTRL_ATTR_MCAST_GROUPS:
            continue
        for _position, group in iter_nlas(nest):
            fields = dict(iter_nlas(group))
            name, group_id = fields.get(CTRL_ATTR_MCAST_GRP_NAME), fields.get(CTRL_ATTR_MCAST_GRP_ID)
            if name is not None and group_id is not None and len(group_id) >= 4:
                groups[bytes(name).split(b"\0", 1)[0].decode("ascii", "replace")] = _U32.unpack_from(group_id)[0]
    return groups


def multicast_groups(name: str) -> Dict[str, int]:
    """The multicast groups of generic netlink family ``name``, name -> id
    (the id is what :func:`join_group` takes). DpifError as
    :func:`_describe_family` says."""
    return decode_multicast_groups(_describe_family(name))


def join_group(sock: socket.socket, group_id: int, obj: str) -> None:
    """Make the netlink socket ``sock`` receive multicast group
    ``group_id`` of its protocol (NETLINK_ADD_MEMBERSHIP): an id from
    :func:`multicast_groups` for generic netlink, an RTNLGRP_* number for
    rtnetlink.

    Join a socket that only listens: a notification carries the sequence
    number of the request that caused it, in another process perhaps, so
    :class:`GenlSocket`'s reply matching could take it for an answer.

    DpifError, op "open" on ``obj``, with the errno of setsockopt: EINVAL
    for a group the protocol does not have, EPERM for one reserved to
    CAP_NET_ADMIN."""
    try:
        sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group_id)
    except OSError as exc:
        raise DpifError(exc.errno or errno.EIO, "open", obj,
                        "cannot join multicast group %d: %s" % (group_id, exc.strerror)) from None


class GenlSocket:
    """A raw socket speaking one generic netlink family.

    ``family_id`` skips the discovery when the caller already knows it;
    ``attr_names`` names the family's attributes in the kernel's reasons
    for a refusal (see :func:`kernel_words`). Not thread-safe; one request,
    dump or batch at a time."""

    def __init__(self, family_name: str, family_id: Optional[int] = None,
                 attr_names: Optional[AttrNames] = None):
        self.family_name = family_name
        self.attr_names = attr_names
        self.family_id = family_id if family_id is not None else resolve_family(family_name)
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        try:
            self._sock.bind((0, 0))
            self.rcvbuf = self._set_buf(socket.SO_RCVBUF, SO_RCVBUFFORCE, RCVBUF)
            self.sndbuf = self._set_buf(socket.SO_SNDBUF, SO_SNDBUFFORCE, SNDBUF)
            try:
                self._sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
                self.cap_ack = True
            except OSError:         # kernels before 4.3: errors echo the whole request
                self.cap_ack = False
            try:
                self._sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
            except OSError:         # kernels before 4.12: a refusal is a bare errno
                pass
        except OSError as exc:
            self._sock.close()
            raise DpifError(exc.errno or errno.EIO, "open", "family '%s'" % family_name) from None
        self._seq = 1
        self._buf = bytearray(RECV_SIZE)
        self._view = memoryview(self._buf)
        #: Answers lost to ENOBUFS so far (for tests and benchmarks).
        self.overruns = 0
        #: Requests per send; shrinks after an ENOBUFS.
        self.window = max(1, self.rcvbuf // (2 * ACK_COST))

    def _set_buf(self, opt: int, force_opt: int, size: int) -> int:
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, force_opt, size)
        except OSError:             # not root: capped by net.core.[rw]mem_max
            self._sock.setsockopt(socket.SOL_SOCKET, opt, size)
        return self._sock.getsockopt(socket.SOL_SOCKET, opt)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def fileno(self) -> int:
        return self._sock.fileno()

    # -- messages ---------------------------------------------------------

    def build(self, cmd: int, flags: int, dp_ifindex: int, attrs: bytes = b"") -> bytes:
        """One request: headers + ``attrs`` (already ``nla``-encoded).

        The sequence number is left 0: :meth:`batch`, :meth:`request` and
        :meth:`dump` stamp their own, so built messages can be kept and
        sent many times."""
        return HDR.pack(HDR_LEN + len(attrs), self.family_id, flags, 0, 0,
                        cmd, GENL_VERSION, 0, dp_ifindex) + attrs

    def _next_seq(self, count: int) -> int:
        seq = self._seq
        self._seq = (seq + count) & 0x7fffffff or 1
        if self._seq < seq:         # wrapped: restart so a window never straddles 0
            seq, self._seq = 1, 1 + count
        return seq

    # -- one request ------------------------------------------------------

    def request(self, msg: bytes, op: str, obj: str,
                kind: int = EXPECT_REPLY | RESENDABLE) -> Optional[bytes]:
        """Send one request and wait for its answer.

        Returns the reply as :meth:`batch` does (ovs_header, then
        attributes), or None when the kernel only acknowledged. DpifError
        with the kernel's errno (and its own words, ``kernel_msg``), ``op``
        and ``obj`` otherwise. ``kind`` as in :meth:`batch`: a request that
        changes something must not be RESENDABLE."""
        ((code, reply),) = self.batch([msg], [kind])
        if code:
            raise DpifError(code, op, obj, kernel_msg=reply if isinstance(reply, str) else None)
        return reply

    # -- dumps ------------------------------------------------------------

    def dump(self, msg: bytes, op: str, obj: str) -> Iterator[Tuple[int, memoryview]]:
        """Send a dump request (NLM_F_DUMP is added) and yield
        ``(dp_ifindex, attrs)`` for every reply message until NLMSG_DONE.

        ``attrs`` is a read-only view of the message's attributes. Stopping
        early drains the rest of the dump so the socket stays usable.
        DpifError with ``op``/``obj`` if the kernel refuses the dump
        (ENODEV...)."""
        datagrams = self.dump_datagrams(msg, op, obj)
        try:
            for data, spans in datagrams:
                view = memoryview(data)
                for start, end in spans:
                    yield _I32.unpack_from(data, start - OVS_HDR_LEN)[0], view[start:end]
        finally:
            datagrams.close()       # drains the dump if we stopped early

    def dump_datagrams(self, msg: bytes, op: str, obj: str) -> Iterator[Tuple[bytes, List[Tuple[int, int]]]]:
        """:meth:`dump`, a datagram at a time: yields ``(data, spans)``, the
        datagram's bytes and, per reply message in it, the ``(start, end)``
        of its attributes in ``data`` (the 4 bytes before ``start`` are its
        dp_ifindex). For hot loops: a dump of 100k flows is about 1,200
        datagrams, and a per-message generator step and view cost more than
        the parsing they feed. Errors and early stops as :meth:`dump`."""
        seq = self._next_seq(1)
        buf = bytearray(msg)
        flags = _U16.unpack_from(buf, 6)[0] | NLM_F_REQUEST | NLM_F_DUMP
        _U16.pack_into(buf, 6, flags)
        _U32.pack_into(buf, 8, seq)
        self._send(buf, op, obj)
        done = False
        unpack = NLHDR.unpack_from
        try:
            view = self._view
            while not done:
                nbytes = self._recv(op, obj)
                data = bytes(view[:nbytes])
                spans = []
                off = 0
                while off + 16 <= nbytes:
                    length, mtype, _mflags, mseq, _mpid = unpack(data, off)
                    if length < 16 or off + length > nbytes:
                        break
                    if mseq == seq:
                        if mtype == NLMSG_DONE or mtype == NLMSG_ERROR:
                            done = True
                            code = -_I32.unpack_from(data, off + 16)[0] if length >= 20 else 0
                            if code > 0:
                                raise DpifError(code, op, obj,
                                                kernel_msg=kernel_words(data, off, bytes(buf), self.attr_names,
                                                                        start=HDR_LEN))
                            break
                        if mtype > NLMSG_OVERRUN and length >= HDR_LEN:
                            spans.append((off + HDR_LEN, off + length))
                    off += (length + 3) & ~3
                if spans:
                    yield data, spans
        finally:
            if not done:
                self._drain(seq)

    def _drain(self, seq: int) -> None:
        """Read and discard the rest of dump ``seq``."""
        view = self._view
        while True:
            try:
                nbytes = self._sock.recv_into(self._buf)
            except OSError as exc:
                if exc.errno in (errno.ENOBUFS, errno.EINTR):
                    continue
                return
            off = 0
            while off + 16 <= nbytes:
                length, mtype, mflags, mseq, mpid = NLHDR.unpack_from(view, off)
                if length < 16:
                    break
                if mseq == seq and mtype in (NLMSG_DONE, NLMSG_ERROR):
                    return
                off += (length + 3) & ~3

    # -- batches ----------------------------------------------------------

    def batch(self, messages: Sequence[bytes],
              kinds: Optional[Sequence[int]] = None) -> List[Tuple[int, Union[bytes, str, None]]]:
        """Send many requests, as few sends as possible; one result each.

        Returns, in input order, ``(errno, reply)``: errno 0 on success,
        the kernel's positive errno otherwise. On success ``reply`` is None
        or the kernel's reply message (GET, or NLM_F_ECHO) from its
        ovs_header on: 4 bytes of dp_ifindex, then the attributes
        (``OVS_HDR_LEN``). On failure it is the kernel's own words about
        the refusal (a str, see :func:`kernel_words`), or None when it
        gave none.
        NLM_F_REQUEST is added to every message, NLM_F_ACK to those that
        expect a reply and to the last of each send (see the module doc).

        ``kinds[i]`` (default ``EXPECT_REPLY | RESENDABLE``) says whether
        message i makes the kernel reply (it costs more receive buffer; a
        message that gets a reply must say so, or its success is not told
        from its reply) and whether it may be resent if its answer is lost
        to ENOBUFS. A lost answer of a message that is not resendable is
        reported as ``(ENOBUFS, None)``: the kernel did process it, with an
        unknown result."""
        count = len(messages)
        results: List[Optional[Tuple[int, Optional[bytes]]]] = [None] * count
        if kinds is None:
            kinds = [EXPECT_REPLY | RESENDABLE] * count
        pending = list(range(count))
        budget = self.rcvbuf // 2        # stay well below the overrun threshold
        while pending:
            # Fill a window: bounded by count, request bytes and answer cost.
            chunk = []
            size = cost = 0
            limit = min(self.window, len(pending))
            for idx in pending:
                msg_cost = ACK_COST + (REPLY_COST if kinds[idx] & EXPECT_REPLY else 0)
                if chunk and (len(chunk) >= limit or size + len(messages[idx]) > MAX_SEND
                              or cost + msg_cost > budget):
                    break
                chunk.append(idx)
                size += len(messages[idx])
                cost += msg_cost
            lost = self._send_window(messages, kinds, chunk, results)
            pending = pending[len(chunk):]
            if lost:
                self.overruns += len(lost)
                self.window = max(1, len(chunk) // 4)
                again = [idx for idx in lost if kinds[idx] & RESENDABLE]
                for idx in lost:
                    if not kinds[idx] & RESENDABLE:
                        results[idx] = (errno.ENOBUFS, None)
                pending = again + pending
        return results  # type: ignore[return-value]

    def _send_window(self, messages, kinds, chunk, results) -> List[int]:
        """Send ``chunk`` (indexes into ``messages``) in one buffer and
        collect the answers into ``results``. Returns the indexes whose
        answer was lost to ENOBUFS."""
        seq0 = self._next_seq(len(chunk))
        buf = bytearray(b"".join([messages[idx] for idx in chunk]))
        off = 0
        pack_u32 = _U32.pack_into
        unpack_u16 = _U16.unpack_from
        pack_u16 = _U16.pack_into
        seq = seq0
        last = len(chunk) - 1
        for pos, idx in enumerate(chunk):
            flags = unpack_u16(buf, off + 6)[0] | NLM_F_REQUEST
            if kinds[idx] & EXPECT_REPLY or pos == last:
                flags |= NLM_F_ACK
            pack_u16(buf, off + 6, flags)
            pack_u32(buf, off + 8, seq)
            seq += 1
            off += len(messages[idx])
        self._send(buf, "send", "family '%s'" % self.family_name)

        done = False
        replies = {}
        overrun = False
        view = self._view
        sock = self._sock
        unpack = NLHDR.unpack_from
        unpack_i32 = _I32.unpack_from
        while not done:
            try:
                nbytes = sock.recv_into(self._buf, 0, socket.MSG_DONTWAIT if overrun else 0)
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    # Answers were dropped. The send was processed in full
                    # before it returned, so whatever survived is queued now.
                    overrun = True
                    continue
                if exc.errno == errno.EINTR:
                    continue
                if exc.errno == errno.EAGAIN and overrun:
                    break
                raise DpifError(exc.errno or errno.EIO, "receive",
                                "family '%s'" % self.family_name) from None
            off = 0
            while off + 16 <= nbytes:
                length, mtype, mflags, mseq, mpid = unpack(view, off)
                if length < 16 or off + length > nbytes:
                    break
                pos = mseq - seq0
                if 0 <= pos <= last:
                    if mtype == NLMSG_ERROR:
                        idx = chunk[pos]
                        if results[idx] is None:
                            code = -unpack_i32(view, off + 16)[0]
                            if code and mflags & NLM_F_ACK_TLVS:
                                # Only a refusal pays for reading the kernel's reasons.
                                results[idx] = (code, kernel_words(view, off, messages[idx], self.attr_names,
                                                                   start=HDR_LEN))
                            else:
                                results[idx] = (code, replies.pop(pos, None))
                        if pos == last:
                            done = True
                    elif mtype > NLMSG_OVERRUN:
                        replies[pos] = bytes(view[off + HDR_LEN - OVS_HDR_LEN:off + length])
                off += (length + 3) & ~3
        if overrun:
            # A silent request's error may be among the dropped answers.
            return [idx for idx in chunk if results[idx] is None]
        for idx in chunk:
            if results[idx] is None:
                results[idx] = (0, None)        # processed, and no error came
        return []

    def _send(self, buf, op: str, obj: str) -> None:
        while True:
            try:
                self._sock.send(buf)
                return
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise DpifError(exc.errno or errno.EIO, op, obj) from None

    def _recv(self, op: str, obj: str) -> int:
        while True:
            try:
                return self._sock.recv_into(self._buf)
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise DpifError(exc.errno or errno.EIO, op, obj) from None
