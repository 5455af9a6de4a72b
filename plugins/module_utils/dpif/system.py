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
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
from typing import Dict, Iterator, List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import messages as m
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import (
    DatapathInfo,
    DatapathStats,
    DpifProvider,
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
