# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The "system" provider: the Linux kernel datapath over Generic Netlink.

All four families go through the raw transport of :mod:`.netlink.genl`;
datapath and vport messages are built and read by :mod:`.netlink.messages`,
flow messages here. Kernel facts this relies on (see
``reference/kernel-ovs.md``):

* DP NEW must carry version 2 and an upcall PID; SET must always carry the
  user features, which the kernel otherwise resets to 0.
* NEW/SET/DEL are sent with NLM_F_ECHO so the kernel answers with the object
  it made (otherwise only an ack comes back); such requests are never
  resent, since a second NEW would find the first one's object.
* Vport requests name the datapath by the ifindex of its local port.
* Every flow op gets its own result: the kernel answers a failed write with
  its error, and a batch's last ack vouches for the silent successes before
  it (see :mod:`.netlink.genl`). Flow NEW
  for "create" carries NLM_F_CREATE (EEXIST instead of a silent modify), and
  a flow DEL is never sent without a key or UFID except by
  :meth:`flow_flush`, because the kernel reads it as "delete all".
* A refused request's DpifError carries the kernel's own words when it gave
  some (netlink's extended ack, only from attribute policy checks: OVS's
  own checks give a bare errno); a refused flow op keeps them in
  ``op.kernel_msg`` (None otherwise) for the front-end's explanation.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import struct
from typing import Dict, Iterator, List, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import framing, genl
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import messages
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.flow_reply import (
    FLOW_ATTR_ACTIONS,
    FLOW_ATTR_CLEAR,
    FLOW_ATTR_KEY,
    FLOW_ATTR_MASK,
    FLOW_ATTR_PROBE,
    FLOW_ATTR_STATS,
    FLOW_ATTR_TCP_FLAGS,
    FLOW_ATTR_UFID,
    FLOW_ATTR_UFID_FLAGS,
    FLOW_ATTR_USED,
)
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import (
    UFID_MAX,
    DatapathInfo,
    DpifProvider,
    DumpedFlow,
    FlowDel,
    FlowGet,
    FlowOp,
    FlowPut,
    FlowReplies,
    PortInfo,
    PortRequest,
)

#: Batch kinds of the datapath and vport requests (see GenlSocket.batch).
_READ = genl.EXPECT_REPLY | genl.RESENDABLE
_WRITE = genl.EXPECT_REPLY
_I32 = struct.Struct("=i")


class SystemProvider(DpifProvider):
    """Kernel datapaths of the caller's network namespace."""

    type = "system"

    def __init__(self):
        self._socks: Dict[str, genl.GenlSocket] = {}
        self._ifindex: Dict[str, int] = {}
        # Opened now so a missing openvswitch module is reported at once.
        self._sock(messages.DATAPATH_FAMILY)

    def close(self) -> None:
        for sock in self._socks.values():
            sock.close()
        self._socks.clear()

    # -- plumbing ---------------------------------------------------------

    def _sock(self, family: str) -> genl.GenlSocket:
        """The socket of ``family``, opened (and its id resolved) on first use."""
        sock = self._socks.get(family)
        if sock is None:
            sock = self._socks[family] = genl.GenlSocket(family, attr_names=ATTR_NAMES.get(family))
        return sock

    def _flow(self) -> genl.GenlSocket:
        return self._sock(messages.FLOW_FAMILY)

    def _transact(self, family: str, cmd: int, dp_ifindex: int, attrs: bytes, kind: int,
                  op: str, obj: str) -> Tuple[int, bytes]:
        """One datapath or vport request; the reply's (dp_ifindex, attributes)."""
        sock = self._sock(family)
        flags = framing.NLM_F_ECHO if kind == _WRITE else 0
        reply = sock.request(sock.build(cmd, flags, dp_ifindex, attrs), op, obj, kind)
        if reply is None:           # the kernel only acknowledged (a DEL may)
            return dp_ifindex, b""
        return _I32.unpack_from(reply)[0], memoryview(reply)[genl.OVS_HDR_LEN:]

    def _dp_request(self, cmd: int, name: str, attrs: bytes, kind: int, op: str) -> DatapathInfo:
        """``attrs`` from :func:`messages.datapath_attrs`, naming ``name``."""
        ifindex, reply = self._transact(messages.DATAPATH_FAMILY, cmd, 0, attrs, kind, op, "datapath '%s'" % name)
        return self._remember(messages.decode_datapath(ifindex, reply))

    def dp_ifindex(self, dp: str) -> int:
        """The ifindex naming ``dp`` in requests (cached per provider)."""
        idx = self._ifindex.get(dp)
        if idx is None:
            idx = self._get_dp(dp).ifindex
        return idx

    def _remember(self, info: DatapathInfo) -> DatapathInfo:
        if info.name:
            self._ifindex[info.name] = info.ifindex
        return info

    def _get_dp(self, name: str) -> DatapathInfo:
        return self._dp_request(messages.CMD_GET, name, messages.datapath_attrs(name), _READ, "query datapath")

    # -- datapaths --------------------------------------------------------

    def enumerate(self) -> List[DatapathInfo]:
        sock = self._sock(messages.DATAPATH_FAMILY)
        infos = [self._remember(messages.decode_datapath(ifindex, attrs))
                 for ifindex, attrs in sock.dump(sock.build(messages.CMD_GET, 0, 0), "list datapaths", "")]
        return sorted(infos, key=lambda d: d.name)

    def open(self, name: str, create: bool = False, user_features: int = 0,
             masks_cache_size: Optional[int] = None) -> DatapathInfo:
        try:
            return self._get_dp(name)
        except DpifError as exc:
            if exc.errno != errno.ENODEV or not create:
                raise
        attrs = messages.datapath_attrs(name, upcall_pids=[0], user_features=user_features,
                                        masks_cache_size=masks_cache_size)
        return self._dp_request(messages.CMD_NEW, name, attrs, _WRITE, "create datapath")

    def set_features(self, name: str, user_features: int,
                     masks_cache_size: Optional[int] = None) -> DatapathInfo:
        attrs = messages.datapath_attrs(name, user_features=user_features, masks_cache_size=masks_cache_size)
        return self._dp_request(messages.CMD_SET, name, attrs, _WRITE, "set datapath features")

    def destroy(self, name: str) -> None:
        self._transact(messages.DATAPATH_FAMILY, messages.CMD_DEL, 0, messages.datapath_attrs(name), _WRITE,
                       "delete datapath", "datapath '%s'" % name)
        self._ifindex.pop(name, None)

    # -- ports ------------------------------------------------------------

    def _port_request(self, dp: str, cmd: int, attrs: bytes, kind: int, op: str, obj: str) -> PortInfo:
        _ifindex, reply = self._transact(messages.VPORT_FAMILY, cmd, self.dp_ifindex(dp), attrs, kind, op, obj)
        return messages.decode_vport(reply)

    def port_add(self, dp: str, req: PortRequest) -> PortInfo:
        attrs = messages.vport_new_attrs(req.name, req.type, req.upcall_pids, req.port_no, req.options)
        return self._port_request(dp, messages.CMD_NEW, attrs, _WRITE, "create vport", "vport '%s'" % req.name)

    def port_del(self, dp: str, name: str) -> None:
        self._port_request(dp, messages.CMD_DEL, messages.name_attr(messages.VPORT_ATTR_NAME, name), _WRITE,
                           "delete vport", "vport '%s'" % name)

    def port_query_by_name(self, dp: str, name: str) -> PortInfo:
        return self._port_request(dp, messages.CMD_GET, messages.name_attr(messages.VPORT_ATTR_NAME, name), _READ,
                                  "query vport", "vport '%s'" % name)

    def port_query_by_number(self, dp: str, port_no: int) -> PortInfo:
        return self._port_request(dp, messages.CMD_GET, framing.nla_u32(messages.VPORT_ATTR_PORT_NO, port_no), _READ,
                                  "query vport", "port number %d of datapath '%s'" % (port_no, dp))

    def port_dump(self, dp: str) -> Iterator[PortInfo]:
        sock = self._sock(messages.VPORT_FAMILY)
        msg = sock.build(messages.CMD_GET, 0, self.dp_ifindex(dp))
        ports = [messages.decode_vport(attrs) for _ifindex, attrs in sock.dump(msg, "list vports", "datapath '%s'" % dp)]
        return iter(sorted(ports, key=lambda p: p.port_no))

    # -- flows ------------------------------------------------------------
    #
    # Key, mask and actions are opaque bytes here; only the flow-level
    # attributes below are ours.

    def _encode_op(self, sock: genl.GenlSocket, ifindex: int, op: FlowOp) -> Tuple[Optional[bytes], int]:
        """The request for ``op`` and its batch kind; (None, 0) after
        setting ``op.error`` when it must not be sent."""
        nla = framing.nla
        op.kernel_msg = None
        attrs = []
        ufid = op.ufid
        if ufid is not None:
            if not 1 <= len(ufid) <= UFID_MAX:
                # Too long is ignored by the kernel (the flow would become
                # key-identified; a del would flush), empty is ERANGE.
                op.error = errno.EINVAL
                return None, 0
            attrs.append(nla(FLOW_ATTR_UFID, ufid))
        if isinstance(op, FlowPut):
            attrs.append(nla(FLOW_ATTR_KEY, op.key))
            if op.mask is not None:
                attrs.append(nla(FLOW_ATTR_MASK, op.mask))
            if op.create:
                cmd = messages.CMD_NEW
                flags = 0 if op.modify else framing.NLM_F_CREATE
                attrs.append(nla(FLOW_ATTR_ACTIONS, op.actions or b""))
                kind = 0
            else:
                cmd = messages.CMD_SET
                flags = 0
                if op.actions is not None:
                    attrs.append(nla(FLOW_ATTR_ACTIONS, op.actions))
                kind = genl.RESENDABLE
            if op.zero_stats:
                attrs.append(_CLEAR)
            if op.probe:
                attrs.append(_PROBE)
        else:
            if not isinstance(op, (FlowDel, FlowGet)):
                raise TypeError("operate() takes FlowPut, FlowDel and FlowGet, not %r" % (op,))
            if op.key is None and ufid is None:
                op.error = errno.EINVAL     # a del would flush every flow
                return None, 0
            if op.key is not None:
                attrs.append(nla(FLOW_ATTR_KEY, op.key))
            if isinstance(op, FlowDel):
                cmd, flags, kind = messages.CMD_DEL, 0, 0
            else:
                if op.terse:
                    attrs.append(_TERSE)
                cmd, flags, kind = messages.CMD_GET, 0, genl.EXPECT_REPLY | genl.RESENDABLE
                op.flow = None
        if not isinstance(op, FlowGet):
            # A put's or del's counters come in the kernel's echo of the flow.
            if op.want_stats:
                flags |= framing.NLM_F_ECHO
                kind |= genl.EXPECT_REPLY
            op.stats = None
        op.error = 0
        return sock.build(cmd, flags, ifindex, b"".join(attrs)), kind

    def operate(self, dp: str, ops: List[FlowOp]) -> None:
        # In slices, so encoded messages and answers of a huge batch are not
        # all held at once (a 100k-op slice was seen to exhaust memory).
        for start in range(0, len(ops), OPERATE_SLICE):
            self._operate_slice(dp, ops[start:start + OPERATE_SLICE])

    def _operate_slice(self, dp: str, ops: List[FlowOp]) -> None:
        ifindex = self.dp_ifindex(dp)
        sock = self._flow()
        sent = []
        requests = []
        kinds = []
        for op in ops:
            msg, kind = self._encode_op(sock, ifindex, op)
            if msg is not None:
                sent.append(op)
                requests.append(msg)
                kinds.append(kind)
        results = sock.batch(requests, kinds)
        for op, msg, (code, reply) in zip(sent, requests, results):
            if code == errno.ENOBUFS:
                code, reply = self._recover(sock, ifindex, op, msg)
            op.error = code
            if code:
                # The kernel's own words about the refusal, when it gave some.
                op.kernel_msg = reply if isinstance(reply, str) else None
                continue
            if reply is None:
                continue
            if isinstance(op, FlowGet):
                op.flow = DumpedFlow.from_reply(reply, genl.OVS_HDR_LEN, len(reply))
            else:
                op.stats = DumpedFlow.from_reply(reply, genl.OVS_HDR_LEN, len(reply)).stats

    def _recover(self, sock: genl.GenlSocket, ifindex: int, op: FlowOp,
                 msg: bytes) -> Tuple[int, Optional[bytes]]:
        """The result of a put or del whose answer was lost to ENOBUFS.

        The kernel did process it. Ask whether the flow now exists: a put
        whose flow exists succeeded (or found an identical flow; either way
        the flow is there); a del whose flow is gone succeeded. Otherwise
        the op failed and sending it again gives its error. Stats asked for
        are lost (None)."""
        probe = FlowGet(key=op.key, ufid=op.ufid, terse=True)
        get_msg, kind = self._encode_op(sock, ifindex, probe)
        ((code, reply),) = sock.batch([get_msg], [kind])
        exists = code == 0
        if isinstance(op, FlowPut) and exists or isinstance(op, FlowDel) and code == errno.ENOENT:
            return 0, None
        if code not in (0, errno.ENOENT):
            return code, None
        ((code, reply),) = sock.batch([msg], [genl.EXPECT_REPLY | genl.RESENDABLE])
        return code, reply

    def flow_flush(self, dp: str) -> None:
        sock = self._flow()
        # A DEL naming no flow is the kernel's flush.
        sock.request(sock.build(messages.CMD_DEL, 0, self.dp_ifindex(dp)), "flush flows", "datapath '%s'" % dp)

    def flow_dump_replies(self, dp: str, terse: bool = False, keys: bool = True) -> Iterator[FlowReplies]:
        sock = self._flow()
        omit = _TERSE if terse else b"" if keys else _NO_KEYS
        msg = sock.build(messages.CMD_GET, framing.NLM_F_DUMP, self.dp_ifindex(dp), omit)
        return sock.dump_datagrams(msg, "dump flows", "datapath '%s'" % dp)

    def execute(self, dp: str, packet: bytes, key: bytes, actions: bytes,
                probe: bool = False) -> None:
        sock = self._sock(messages.PACKET_FAMILY)
        nla = framing.nla
        attrs = nla(PACKET_ATTR_PACKET, packet) + nla(PACKET_ATTR_KEY, key) + nla(PACKET_ATTR_ACTIONS, actions)
        if probe:
            attrs += framing.nla_flag(PACKET_ATTR_PROBE)
        sock.request(sock.build(PACKET_CMD_EXECUTE, 0, self.dp_ifindex(dp), attrs),
                     "execute packet", "datapath '%s'" % dp)


#: Operations encoded and sent per slice of :meth:`SystemProvider.operate`.
OPERATE_SLICE = 8192

# OVS_UFID_F_*: what a GET or dump leaves out of a UFID flow.
UFID_F_OMIT_KEY = 1
UFID_F_OMIT_MASK = 2
UFID_F_OMIT_ACTIONS = 4
# ovs_packet.
PACKET_CMD_EXECUTE = 3
PACKET_ATTR_PACKET = 1
PACKET_ATTR_KEY = 2
PACKET_ATTR_ACTIONS = 3
PACKET_ATTR_PROBE = 8

#: Attribute names for the kernel's reasons when it refuses a request (see
#: extack.kernel_words); the key, mask and actions are OVS's to check, and it
#: gives no reasons, so their contents go unnamed.
ATTR_NAMES = {
    messages.DATAPATH_FAMILY: messages.DP_ATTR_NAMES,
    messages.VPORT_FAMILY: messages.VPORT_ATTR_NAMES,
    messages.FLOW_FAMILY: {
        FLOW_ATTR_KEY: ("OVS_FLOW_ATTR_KEY", None),
        FLOW_ATTR_ACTIONS: ("OVS_FLOW_ATTR_ACTIONS", None),
        FLOW_ATTR_STATS: ("OVS_FLOW_ATTR_STATS", None),
        FLOW_ATTR_TCP_FLAGS: ("OVS_FLOW_ATTR_TCP_FLAGS", None),
        FLOW_ATTR_USED: ("OVS_FLOW_ATTR_USED", None),
        FLOW_ATTR_CLEAR: ("OVS_FLOW_ATTR_CLEAR", None),
        FLOW_ATTR_MASK: ("OVS_FLOW_ATTR_MASK", None),
        FLOW_ATTR_PROBE: ("OVS_FLOW_ATTR_PROBE", None),
        FLOW_ATTR_UFID: ("OVS_FLOW_ATTR_UFID", None),
        FLOW_ATTR_UFID_FLAGS: ("OVS_FLOW_ATTR_UFID_FLAGS", None),
    },
    messages.PACKET_FAMILY: {
        PACKET_ATTR_PACKET: ("OVS_PACKET_ATTR_PACKET", None),
        PACKET_ATTR_KEY: ("OVS_PACKET_ATTR_KEY", None),
        PACKET_ATTR_ACTIONS: ("OVS_PACKET_ATTR_ACTIONS", None),
        PACKET_ATTR_PROBE: ("OVS_PACKET_ATTR_PROBE", None),
    },
}

_CLEAR = framing.nla_flag(FLOW_ATTR_CLEAR)
_PROBE = framing.nla_flag(FLOW_ATTR_PROBE)
_TERSE = framing.nla_u32(FLOW_ATTR_UFID_FLAGS, UFID_F_OMIT_KEY | UFID_F_OMIT_MASK | UFID_F_OMIT_ACTIONS)
_NO_KEYS = framing.nla_u32(FLOW_ATTR_UFID_FLAGS, UFID_F_OMIT_KEY | UFID_F_OMIT_MASK)
