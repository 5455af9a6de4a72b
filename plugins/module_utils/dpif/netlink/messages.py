# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ovs_datapath`` and ``ovs_vport`` families: attribute numbers and codec.

Attribute numbers are those of the uapi header
(``/usr/include/linux/openvswitch.h``, kernel 6.1). Requests are built here
as attribute bytes and sent by the raw transport of :mod:`.genl`, like
flows; replies are decoded here into the provider's dataclasses.

Why not pyroute2's declarative message classes, which these families used
before: they need ``import pyroute2``, whose ``__init__`` imports every
part of the library (IPDB, NDB, asyncio, ssl...). Measured in the UML
sandbox, that import alone took 2.05 s of a task (0.15 s on the host), when
a no-change ``ovs_flow`` run over 100k flows has a 4 s budget; the flow
path already had its own transport. With this codec (and :mod:`.rtnl` for
the management-path guard's routing queries) no module imports pyroute2.

Every OVS family prefixes its attributes with ``struct ovs_header { int
dp_ifindex; }``: the ifindex of the datapath's local port, 0 when the request
names the datapath by name instead. The kernel does not set NLA_F_NESTED in
replies and does not require it in these requests.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from typing import Iterable, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import iter_nlas, nla, nla_flag, nla_u32
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import (
    DatapathInfo,
    DatapathStats,
    PortInfo,
    PortStats,
)

# Families. Their requests carry genl.GENL_VERSION (2): OVS_DP_CMD_NEW with
# an older version drops the user features of an existing datapath.
DATAPATH_FAMILY = "ovs_datapath"
VPORT_FAMILY = "ovs_vport"
FLOW_FAMILY = "ovs_flow"
PACKET_FAMILY = "ovs_packet"

CMD_NEW = 1
CMD_DEL = 2
CMD_GET = 3
CMD_SET = 4

# OVS_DP_F_* user features.
DP_F_UNALIGNED = 0x1
DP_F_VPORT_PIDS = 0x2
DP_F_TC_RECIRC_SHARING = 0x4
DP_F_DISPATCH_UPCALL_PER_CPU = 0x8
DP_FEATURE_NAMES = {
    "unaligned": DP_F_UNALIGNED,
    "vport_pids": DP_F_VPORT_PIDS,
    "tc_recirc_sharing": DP_F_TC_RECIRC_SHARING,
    "dispatch_upcall_per_cpu": DP_F_DISPATCH_UPCALL_PER_CPU,
}

# OVS_VPORT_TYPE_*.
VPORT_TYPES = {"netdev": 1, "internal": 2, "gre": 3, "vxlan": 4, "geneve": 5}
VPORT_TYPE_NAMES = dict((v, k) for k, v in VPORT_TYPES.items())

# Number of the datapath's own (local) port, OVSP_LOCAL.
OVSP_LOCAL = 0
# Vport numbers must be below DP_MAX_PORTS.
DP_MAX_PORTS = 65536

# enum ovs_datapath_attr.
DP_ATTR_NAME = 1                # string, the local port's netdev
DP_ATTR_UPCALL_PID = 2          # u32 array
DP_ATTR_STATS = 3               # struct ovs_dp_stats
DP_ATTR_MEGAFLOW_STATS = 4      # struct ovs_dp_megaflow_stats
DP_ATTR_USER_FEATURES = 5       # u32, OVS_DP_F_*
DP_ATTR_MASKS_CACHE_SIZE = 7    # u32
DP_ATTR_PER_CPU_PIDS = 8        # u32 array

# enum ovs_vport_attr.
VPORT_ATTR_PORT_NO = 1          # u32
VPORT_ATTR_TYPE = 2             # u32, OVS_VPORT_TYPE_*
VPORT_ATTR_NAME = 3             # string
VPORT_ATTR_OPTIONS = 4          # nested OVS_TUNNEL_ATTR_*
VPORT_ATTR_UPCALL_PID = 5       # u32 array
VPORT_ATTR_STATS = 6            # struct ovs_vport_stats
VPORT_ATTR_IFINDEX = 8          # u32

# OVS_VPORT_ATTR_OPTIONS of tunnels.
TUNNEL_ATTR_DST_PORT = 1        # u16 in host order; the kernel insists on 2 bytes
TUNNEL_ATTR_EXTENSION = 2       # nested OVS_VXLAN_EXT_*
VXLAN_EXT_GBP = 1               # flag

#: The uapi names of these families' attributes, for the kernel's reasons
#: when it refuses a request (see extack.kernel_words): type -> (name, the
#: names nested in it or None).
DP_ATTR_NAMES = {
    DP_ATTR_NAME: ("OVS_DP_ATTR_NAME", None),
    DP_ATTR_UPCALL_PID: ("OVS_DP_ATTR_UPCALL_PID", None),
    DP_ATTR_STATS: ("OVS_DP_ATTR_STATS", None),
    DP_ATTR_MEGAFLOW_STATS: ("OVS_DP_ATTR_MEGAFLOW_STATS", None),
    DP_ATTR_USER_FEATURES: ("OVS_DP_ATTR_USER_FEATURES", None),
    DP_ATTR_MASKS_CACHE_SIZE: ("OVS_DP_ATTR_MASKS_CACHE_SIZE", None),
    DP_ATTR_PER_CPU_PIDS: ("OVS_DP_ATTR_PER_CPU_PIDS", None),
    9: ("OVS_DP_ATTR_IFINDEX", None),
}
VPORT_ATTR_NAMES = {
    VPORT_ATTR_PORT_NO: ("OVS_VPORT_ATTR_PORT_NO", None),
    VPORT_ATTR_TYPE: ("OVS_VPORT_ATTR_TYPE", None),
    VPORT_ATTR_NAME: ("OVS_VPORT_ATTR_NAME", None),
    VPORT_ATTR_OPTIONS: ("OVS_VPORT_ATTR_OPTIONS", {
        TUNNEL_ATTR_DST_PORT: ("OVS_TUNNEL_ATTR_DST_PORT", None),
        TUNNEL_ATTR_EXTENSION: ("OVS_TUNNEL_ATTR_EXTENSION", {VXLAN_EXT_GBP: ("OVS_VXLAN_EXT_GBP", None)}),
    }),
    VPORT_ATTR_UPCALL_PID: ("OVS_VPORT_ATTR_UPCALL_PID", None),
    VPORT_ATTR_STATS: ("OVS_VPORT_ATTR_STATS", None),
    VPORT_ATTR_IFINDEX: ("OVS_VPORT_ATTR_IFINDEX", None),
    9: ("OVS_VPORT_ATTR_NETNSID", None),
    10: ("OVS_VPORT_ATTR_UPCALL_STATS", None),
}

_DP_STATS = struct.Struct("=QQQQ")          # hit, missed, lost, flows
_MEGAFLOW_STATS = struct.Struct("=QIIQ")    # mask_hit, masks, pad0, cache_hits (then pad1)
_VPORT_STATS = struct.Struct("=8Q")
_U32 = struct.Struct("=I")
_U16 = struct.Struct("=H")


def _string(payload) -> str:
    return bytes(payload).split(b"\0", 1)[0].decode("utf-8", "replace")


def _u32s(payload) -> list:
    return list(struct.unpack("=%dI" % (len(payload) // 4), payload[:len(payload) // 4 * 4]))


def _u32_array(attr_type: int, values: Iterable[int]) -> bytes:
    values = list(values)
    return nla(attr_type, struct.pack("=%dI" % len(values), *values))


def name_attr(attr_type: int, name: str) -> bytes:
    """A NUL-terminated name attribute (DP_ATTR_NAME, VPORT_ATTR_NAME)."""
    return nla(attr_type, name.encode("utf-8") + b"\0")


# -- datapaths ---------------------------------------------------------------

def datapath_attrs(name: str, upcall_pids: Optional[Iterable[int]] = None,
                   user_features: Optional[int] = None, masks_cache_size: Optional[int] = None) -> bytes:
    """Attributes of a datapath request; None leaves an attribute out."""
    out = name_attr(DP_ATTR_NAME, name)
    if upcall_pids is not None:
        out += _u32_array(DP_ATTR_UPCALL_PID, upcall_pids)
    if user_features is not None:
        out += nla_u32(DP_ATTR_USER_FEATURES, user_features)
    if masks_cache_size is not None:
        out += nla_u32(DP_ATTR_MASKS_CACHE_SIZE, masks_cache_size)
    return out


def decode_datapath(dp_ifindex: int, attrs) -> DatapathInfo:
    """A datapath reply (its ovs_header's dp_ifindex and its attributes)."""
    info = DatapathInfo(name="", ifindex=dp_ifindex)
    stats = info.stats = DatapathStats()
    for attr_type, payload in iter_nlas(attrs):
        if attr_type == DP_ATTR_NAME:
            info.name = _string(payload)
        elif attr_type == DP_ATTR_STATS and len(payload) >= _DP_STATS.size:
            stats.hit, stats.missed, stats.lost, stats.flows = _DP_STATS.unpack_from(payload)
        elif attr_type == DP_ATTR_MEGAFLOW_STATS and len(payload) >= _MEGAFLOW_STATS.size:
            stats.mask_hit, stats.masks, _pad, stats.cache_hits = _MEGAFLOW_STATS.unpack_from(payload)
        elif attr_type == DP_ATTR_USER_FEATURES and len(payload) >= 4:
            info.user_features = _U32.unpack_from(payload)[0]
        elif attr_type == DP_ATTR_MASKS_CACHE_SIZE and len(payload) >= 4:
            info.masks_cache_size = _U32.unpack_from(payload)[0]
        elif attr_type == DP_ATTR_PER_CPU_PIDS:
            info.per_cpu_pids = _u32s(payload)
    return info


# -- vports ------------------------------------------------------------------

def vport_options_attr(options: dict) -> bytes:
    """OVS_VPORT_ATTR_OPTIONS for ``options`` (``dst_port``, ``extensions``),
    or b"" when there is nothing to say."""
    inner = b""
    if "dst_port" in options:
        inner += nla(TUNNEL_ATTR_DST_PORT, _U16.pack(options["dst_port"]))
    if "gbp" in options.get("extensions", ()):
        inner += nla(TUNNEL_ATTR_EXTENSION, nla_flag(VXLAN_EXT_GBP))
    return nla(VPORT_ATTR_OPTIONS, inner) if inner else b""


def vport_new_attrs(name: str, type_name: str, upcall_pids: Iterable[int],
                    port_no: Optional[int], options: dict) -> bytes:
    """Attributes of OVS_VPORT_CMD_NEW."""
    out = (name_attr(VPORT_ATTR_NAME, name) + nla_u32(VPORT_ATTR_TYPE, VPORT_TYPES[type_name])
           + _u32_array(VPORT_ATTR_UPCALL_PID, upcall_pids))
    if port_no is not None:
        out += nla_u32(VPORT_ATTR_PORT_NO, port_no)
    return out + vport_options_attr(options)


def _decode_options(payload) -> dict:
    options = {}
    for attr_type, value in iter_nlas(payload):
        if attr_type == TUNNEL_ATTR_DST_PORT and len(value) >= 2:
            options["dst_port"] = _U16.unpack_from(value)[0]
        elif attr_type == TUNNEL_ATTR_EXTENSION:
            if any(ext == VXLAN_EXT_GBP for ext, _v in iter_nlas(value)):
                options["extensions"] = ["gbp"]
    return options


def decode_vport(attrs) -> PortInfo:
    """A vport reply's attributes."""
    port = PortInfo(name="", port_no=0, type="unknown")
    for attr_type, payload in iter_nlas(attrs):
        if attr_type == VPORT_ATTR_NAME:
            port.name = _string(payload)
        elif attr_type == VPORT_ATTR_PORT_NO and len(payload) >= 4:
            port.port_no = _U32.unpack_from(payload)[0]
        elif attr_type == VPORT_ATTR_TYPE and len(payload) >= 4:
            port.type = VPORT_TYPE_NAMES.get(_U32.unpack_from(payload)[0], "unknown")
        elif attr_type == VPORT_ATTR_OPTIONS:
            port.options = _decode_options(payload)
        elif attr_type == VPORT_ATTR_IFINDEX and len(payload) >= 4:
            port.ifindex = _U32.unpack_from(payload)[0]
        elif attr_type == VPORT_ATTR_UPCALL_PID:
            port.upcall_pids = _u32s(payload)
        elif attr_type == VPORT_ATTR_STATS and len(payload) >= _VPORT_STATS.size:
            port.stats = PortStats(*_VPORT_STATS.unpack_from(payload))
    return port
