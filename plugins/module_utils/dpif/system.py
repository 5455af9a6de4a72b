# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The "system" provider: the Linux kernel datapath over Generic Netlink.

Datapaths and vports go through pyroute2's generic netlink socket with the
message classes of :mod:`.netlink.messages`. Kernel facts this relies on
(see ``reference/kernel-ovs.md``):

* DP NEW must carry version 2 and an upcall PID; SET must always carry the
  user features, which the kernel otherwise resets to 0.
* NEW/SET/DEL are sent with NLM_F_ECHO so the kernel answers with the object
  it made (otherwise only an ack comes back).
* Vport requests name the datapath by the ifindex of its local port.

Flows and packets use the raw transport of :mod:`.netlink.genl` instead:
every write carries NLM_F_ACK (each op gets its own result), flow NEW for
"create" carries NLM_F_CREATE (EEXIST instead of a silent modify), and a
DEL is never sent without a key or UFID except by :meth:`flow_flush`,
because the kernel reads it as "delete all".
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import struct
from typing import Dict, Iterator, List, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import genl
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import messages as m
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import (
    UFID_MAX,
    DatapathInfo,
    DatapathStats,
    DpifProvider,
    DumpedFlow,
    FlowDel,
    FlowGet,
    FlowOp,
    FlowPut,
    PortInfo,
    PortRequest,
    PortStats,
)

try:
    from pyroute2.netlink import NLM_F_ACK, NLM_F_DUMP, NLM_F_ECHO, NLM_F_REQUEST
    from pyroute2.netlink.exceptions import NetlinkError
    from pyroute2.netlink.generic import GenericNetlinkSocket
except ImportError:  # the modules report it with missing_required_lib
    NetlinkError = OSError

_WRITE = 0
_READ = 0
_DUMP = 0
if m.HAS_PYROUTE2:
    _WRITE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO
    _READ = NLM_F_REQUEST
    _DUMP = NLM_F_REQUEST | NLM_F_DUMP


def module_not_loaded(family: str) -> DpifError:
    return DpifError(
        errno.ENOENT, "open", "kernel",
        "the openvswitch kernel module is not loaded (generic netlink family '%s' "
        "is missing); load it with 'modprobe openvswitch'" % family)


def open_family(family: str, msg_class):
    """A pyroute2 socket bound to ``family``; DpifError if the family is missing."""
    sock = GenericNetlinkSocket()
    try:
        sock.bind(family, msg_class)
    except NetlinkError as exc:
        sock.close()
        if exc.code == errno.ENOENT:
            raise module_not_loaded(family) from None
        raise DpifError(exc.code, "open", "family '%s'" % family) from None
    return sock


class SystemProvider(DpifProvider):
    """Kernel datapaths of the caller's network namespace."""

    type = "system"

    def __init__(self):
        self._dp_sock = open_family(m.DATAPATH_FAMILY, m.dpmsg)
        self._vport_sock = None
        self._ifindex: Dict[str, int] = {}

    def close(self) -> None:
        self._close_flow_sockets()
        for sock in (self._dp_sock, self._vport_sock):
            if sock is not None:
                sock.close()
        self._dp_sock = self._vport_sock = None

    # -- plumbing ---------------------------------------------------------

    def _vport(self):
        if self._vport_sock is None:
            self._vport_sock = open_family(m.VPORT_FAMILY, m.vportmsg)
        return self._vport_sock

    @staticmethod
    def _request(sock, msg_class, cmd, dpifindex, attrs, flags, op, obj):
        msg = msg_class()
        msg["cmd"] = cmd
        msg["version"] = m.GENL_VERSION
        msg["reserved"] = 0
        msg["dpifindex"] = dpifindex
        msg["attrs"] = attrs
        try:
            return list(sock.nlm_request(msg, msg_type=sock.prid, msg_flags=flags))
        except NetlinkError as exc:
            raise DpifError(exc.code, op, obj) from None

    def _dp_request(self, cmd, name, attrs, flags, op):
        attrs = [["OVS_DP_ATTR_NAME", name]] + attrs
        return self._request(self._dp_sock, m.dpmsg, cmd, 0, attrs, flags, op,
                             "datapath '%s'" % name)

    def dp_ifindex(self, dp: str) -> int:
        """The ifindex naming ``dp`` in requests (cached per provider)."""
        idx = self._ifindex.get(dp)
        if idx is None:
            idx = self._get_dp(dp).ifindex
        return idx

    def _remember(self, info: DatapathInfo) -> DatapathInfo:
        self._ifindex[info.name] = info.ifindex
        return info

    @staticmethod
    def _dp_info(msg) -> DatapathInfo:
        stats = msg.get_attr("OVS_DP_ATTR_STATS") or {}
        mega = msg.get_attr("OVS_DP_ATTR_MEGAFLOW_STATS") or {}
        return DatapathInfo(
            name=msg.get_attr("OVS_DP_ATTR_NAME"),
            ifindex=msg["dpifindex"],
            user_features=msg.get_attr("OVS_DP_ATTR_USER_FEATURES") or 0,
            masks_cache_size=msg.get_attr("OVS_DP_ATTR_MASKS_CACHE_SIZE"),
            per_cpu_pids=list(msg.get_attr("OVS_DP_ATTR_PER_CPU_PIDS") or []),
            stats=DatapathStats(
                hit=stats.get("hit", 0), missed=stats.get("missed", 0),
                lost=stats.get("lost", 0), flows=stats.get("flows", 0),
                mask_hit=mega.get("mask_hit", 0), masks=mega.get("masks", 0),
                cache_hits=mega.get("cache_hits", 0)),
        )

    def _get_dp(self, name: str) -> DatapathInfo:
        (msg,) = self._dp_request(m.CMD_GET, name, [], _READ, "query datapath")
        return self._remember(self._dp_info(msg))

    # -- datapaths --------------------------------------------------------

    def enumerate(self) -> List[DatapathInfo]:
        msgs = self._request(self._dp_sock, m.dpmsg, m.CMD_GET, 0, [], _DUMP,
                             "list datapaths", "")
        return sorted((self._remember(self._dp_info(x)) for x in msgs),
                      key=lambda d: d.name)

    def open(self, name: str, create: bool = False, user_features: int = 0,
             masks_cache_size: Optional[int] = None) -> DatapathInfo:
        try:
            return self._get_dp(name)
        except DpifError as exc:
            if exc.errno != errno.ENODEV or not create:
                raise
        attrs = [["OVS_DP_ATTR_UPCALL_PID", [0]],
                 ["OVS_DP_ATTR_USER_FEATURES", user_features]]
        if masks_cache_size is not None:
            attrs.append(["OVS_DP_ATTR_MASKS_CACHE_SIZE", masks_cache_size])
        (msg,) = self._dp_request(m.CMD_NEW, name, attrs, _WRITE, "create datapath")
        return self._remember(self._dp_info(msg))

    def set_features(self, name: str, user_features: int,
                     masks_cache_size: Optional[int] = None) -> DatapathInfo:
        attrs = [["OVS_DP_ATTR_USER_FEATURES", user_features]]
        if masks_cache_size is not None:
            attrs.append(["OVS_DP_ATTR_MASKS_CACHE_SIZE", masks_cache_size])
        (msg,) = self._dp_request(m.CMD_SET, name, attrs, _WRITE, "set datapath features")
        return self._remember(self._dp_info(msg))

    def destroy(self, name: str) -> None:
        self._dp_request(m.CMD_DEL, name, [], _WRITE, "delete datapath")
        self._ifindex.pop(name, None)

    # -- ports ------------------------------------------------------------

    @staticmethod
    def _port_info(msg) -> PortInfo:
        type_name = m.VPORT_TYPE_NAMES.get(msg.get_attr("OVS_VPORT_ATTR_TYPE"), "unknown")
        options = {}
        opts = msg.get_attr("OVS_VPORT_ATTR_OPTIONS")
        if opts is not None:
            dst_port = opts.get_attr("OVS_TUNNEL_ATTR_DST_PORT")
            if dst_port is not None:
                options["dst_port"] = dst_port
            ext = opts.get_attr("OVS_TUNNEL_ATTR_EXTENSION")
            if ext is not None and ext.get_attr("OVS_VXLAN_EXT_GBP"):
                options["extensions"] = ["gbp"]
        stats = msg.get_attr("OVS_VPORT_ATTR_STATS") or {}
        pids = msg.get_attr("OVS_VPORT_ATTR_UPCALL_PID") or []
        return PortInfo(
            name=msg.get_attr("OVS_VPORT_ATTR_NAME"),
            port_no=msg.get_attr("OVS_VPORT_ATTR_PORT_NO"),
            type=type_name,
            options=options,
            ifindex=msg.get_attr("OVS_VPORT_ATTR_IFINDEX"),
            upcall_pids=list(pids),
            stats=PortStats(**dict((k, stats.get(k, 0)) for k in PortStats.__dataclass_fields__)),
        )

    @staticmethod
    def _options_attr(req: PortRequest):
        attrs = []
        if "dst_port" in req.options:
            attrs.append(["OVS_TUNNEL_ATTR_DST_PORT", req.options["dst_port"]])
        if "gbp" in req.options.get("extensions", ()):
            attrs.append(["OVS_TUNNEL_ATTR_EXTENSION", {"attrs": [["OVS_VXLAN_EXT_GBP", True]]}])
        return {"attrs": attrs} if attrs else None

    def _port_request(self, dp, cmd, attrs, flags, op, obj):
        return self._request(self._vport(), m.vportmsg, cmd, self.dp_ifindex(dp), attrs,
                             flags, op, obj)

    def port_add(self, dp: str, req: PortRequest) -> PortInfo:
        attrs = [
            ["OVS_VPORT_ATTR_NAME", req.name],
            ["OVS_VPORT_ATTR_TYPE", m.VPORT_TYPES[req.type]],
            ["OVS_VPORT_ATTR_UPCALL_PID", list(req.upcall_pids)],
        ]
        if req.port_no is not None:
            attrs.append(["OVS_VPORT_ATTR_PORT_NO", req.port_no])
        options = self._options_attr(req)
        if options is not None:
            attrs.append(["OVS_VPORT_ATTR_OPTIONS", options])
        (msg,) = self._port_request(dp, m.CMD_NEW, attrs, _WRITE, "create vport",
                                    "vport '%s'" % req.name)
        return self._port_info(msg)

    def port_del(self, dp: str, name: str) -> None:
        self._port_request(dp, m.CMD_DEL, [["OVS_VPORT_ATTR_NAME", name]], _WRITE,
                           "delete vport", "vport '%s'" % name)

    def port_query_by_name(self, dp: str, name: str) -> PortInfo:
        (msg,) = self._port_request(dp, m.CMD_GET, [["OVS_VPORT_ATTR_NAME", name]], _READ,
                                    "query vport", "vport '%s'" % name)
        return self._port_info(msg)

    def port_query_by_number(self, dp: str, port_no: int) -> PortInfo:
        (msg,) = self._port_request(dp, m.CMD_GET, [["OVS_VPORT_ATTR_PORT_NO", port_no]], _READ,
                                    "query vport", "port number %d of datapath '%s'" % (port_no, dp))
        return self._port_info(msg)

    def port_dump(self, dp: str) -> Iterator[PortInfo]:
        msgs = self._port_request(dp, m.CMD_GET, [], _DUMP, "list vports", "datapath '%s'" % dp)
        return iter(sorted((self._port_info(x) for x in msgs), key=lambda p: p.port_no))

    # -- flows ------------------------------------------------------------
    #
    # Flows go through the raw transport of :mod:`.netlink.genl`, not
    # pyroute2 (see there for the numbers). Key, mask and actions are opaque
    # bytes here; only the flow-level attributes below are ours.

    def _family_id(self, family: str) -> int:
        # The datapath socket is already bound; asking it saves opening a
        # third pyroute2 socket.
        try:
            msg = self._dp_sock.discovery(family)
        except NetlinkError as exc:
            if exc.code == errno.ENOENT:
                raise module_not_loaded(family) from None
            raise DpifError(exc.code, "open", "family '%s'" % family) from None
        return msg.get_attr("CTRL_ATTR_FAMILY_ID")

    def _flow(self) -> genl.GenlSocket:
        sock = getattr(self, "_flow_sock", None)
        if sock is None:
            sock = self._flow_sock = genl.GenlSocket(m.FLOW_FAMILY, self._family_id(m.FLOW_FAMILY))
        return sock

    def _packet(self) -> genl.GenlSocket:
        sock = getattr(self, "_packet_sock", None)
        if sock is None:
            sock = self._packet_sock = genl.GenlSocket(m.PACKET_FAMILY, self._family_id(m.PACKET_FAMILY))
        return sock

    def _close_flow_sockets(self) -> None:
        for attr in ("_flow_sock", "_packet_sock"):
            sock = getattr(self, attr, None)
            if sock is not None:
                sock.close()
                setattr(self, attr, None)

    def _encode_op(self, sock: genl.GenlSocket, ifindex: int, op: FlowOp) -> Tuple[Optional[bytes], int]:
        """The request for ``op`` and its batch kind; (None, 0) after
        setting ``op.error`` when it must not be sent."""
        nla = genl.nla
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
                cmd = m.CMD_NEW
                flags = 0 if op.modify else genl.NLM_F_CREATE
                attrs.append(nla(FLOW_ATTR_ACTIONS, op.actions or b""))
                kind = 0
            else:
                cmd = m.CMD_SET
                flags = 0
                if op.actions is not None:
                    attrs.append(nla(FLOW_ATTR_ACTIONS, op.actions))
                kind = genl.RESENDABLE
            if op.zero_stats:
                attrs.append(_CLEAR)
            if op.probe:
                attrs.append(_PROBE)
            if op.want_stats:
                flags |= genl.NLM_F_ECHO
                kind |= genl.EXPECT_REPLY
            op.stats = None
        elif isinstance(op, FlowDel):
            if op.key is None and ufid is None:
                op.error = errno.EINVAL     # the kernel would flush every flow
                return None, 0
            if op.key is not None:
                attrs.append(nla(FLOW_ATTR_KEY, op.key))
            cmd, flags, kind = m.CMD_DEL, 0, 0
            if op.want_stats:
                flags |= genl.NLM_F_ECHO
                kind |= genl.EXPECT_REPLY
            op.stats = None
        elif isinstance(op, FlowGet):
            if op.key is None and ufid is None:
                op.error = errno.EINVAL
                return None, 0
            if op.key is not None:
                attrs.append(nla(FLOW_ATTR_KEY, op.key))
            if op.terse:
                attrs.append(_TERSE)
            cmd, flags, kind = m.CMD_GET, 0, genl.EXPECT_REPLY | genl.RESENDABLE
            op.flow = None
        else:
            raise TypeError("operate() takes FlowPut, FlowDel and FlowGet, not %r" % (op,))
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
        messages = []
        kinds = []
        for op in ops:
            msg, kind = self._encode_op(sock, ifindex, op)
            if msg is not None:
                sent.append(op)
                messages.append(msg)
                kinds.append(kind)
        results = sock.batch(messages, kinds)
        for op, msg, (code, reply) in zip(sent, messages, results):
            if code == errno.ENOBUFS:
                code, reply = self._recover(sock, ifindex, op, msg)
            op.error = code
            if code or reply is None:
                continue
            if isinstance(op, FlowGet):
                op.flow = parse_flow(reply)
            else:
                op.stats = parse_flow(reply).stats

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
        sock.request(sock.build(m.CMD_DEL, 0, self.dp_ifindex(dp)), "flush flows", "datapath '%s'" % dp)

    def flow_dump(self, dp: str, terse: bool = False, keys: bool = True) -> Iterator[DumpedFlow]:
        sock = self._flow()
        omit = _TERSE if terse else b"" if keys else _NO_KEYS
        msg = sock.build(m.CMD_GET, genl.NLM_F_DUMP, self.dp_ifindex(dp), omit)
        for _ifindex, attrs in sock.dump(msg, "dump flows", "datapath '%s'" % dp):
            yield parse_flow(attrs)

    def execute(self, dp: str, packet: bytes, key: bytes, actions: bytes,
                probe: bool = False) -> None:
        sock = self._packet()
        nla = genl.nla
        attrs = nla(PACKET_ATTR_PACKET, packet) + nla(PACKET_ATTR_KEY, key) + nla(PACKET_ATTR_ACTIONS, actions)
        if probe:
            attrs += genl.nla_flag(PACKET_ATTR_PROBE)
        sock.request(sock.build(PACKET_CMD_EXECUTE, 0, self.dp_ifindex(dp), attrs),
                     "execute packet", "datapath '%s'" % dp)


#: Operations encoded and sent per slice of :meth:`SystemProvider.operate`.
OPERATE_SLICE = 8192

# ovs_flow attributes (enum ovs_flow_attr).
FLOW_ATTR_KEY = 1
FLOW_ATTR_ACTIONS = 2
FLOW_ATTR_STATS = 3
FLOW_ATTR_TCP_FLAGS = 4
FLOW_ATTR_USED = 5
FLOW_ATTR_CLEAR = 6
FLOW_ATTR_MASK = 7
FLOW_ATTR_PROBE = 8
FLOW_ATTR_UFID = 9
FLOW_ATTR_UFID_FLAGS = 10
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

_CLEAR = genl.nla_flag(FLOW_ATTR_CLEAR)
_PROBE = genl.nla_flag(FLOW_ATTR_PROBE)
_TERSE = genl.nla_u32(FLOW_ATTR_UFID_FLAGS, UFID_F_OMIT_KEY | UFID_F_OMIT_MASK | UFID_F_OMIT_ACTIONS)
_NO_KEYS = genl.nla_u32(FLOW_ATTR_UFID_FLAGS, UFID_F_OMIT_KEY | UFID_F_OMIT_MASK)
_NLA = struct.Struct("=HH")
_STATS = struct.Struct("=QQ")
_U64 = struct.Struct("=Q")


def parse_flow(buf) -> DumpedFlow:
    """A flow reply's attributes (bytes or a view, copied) as a DumpedFlow."""
    flow = DumpedFlow()
    stats = flow.stats
    end = len(buf)
    off = 0
    unpack = _NLA.unpack_from
    while off + 4 <= end:
        size, attr_type = unpack(buf, off)
        if size < 4 or off + size > end:
            break
        attr_type &= genl.NLA_TYPE_MASK
        start = off + 4
        stop = off + size
        if attr_type == FLOW_ATTR_KEY:
            flow.key = bytes(buf[start:stop])
        elif attr_type == FLOW_ATTR_MASK:
            flow.mask = bytes(buf[start:stop])
        elif attr_type == FLOW_ATTR_ACTIONS:
            flow.actions = bytes(buf[start:stop])
        elif attr_type == FLOW_ATTR_UFID:
            flow.ufid = bytes(buf[start:stop])
        elif attr_type == FLOW_ATTR_STATS:
            stats.packets, stats.bytes = _STATS.unpack_from(buf, start)
        elif attr_type == FLOW_ATTR_USED:
            stats.used = _U64.unpack_from(buf, start)[0]
        elif attr_type == FLOW_ATTR_TCP_FLAGS:
            stats.tcp_flags = buf[start]
        off += (size + 3) & ~3
    return flow
