# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pyroute2 message classes for the ``ovs_datapath`` and ``ovs_vport`` families.

These two families carry few messages (one per datapath or port), so they use
pyroute2's declarative ``nla_map`` classes: they read like the uapi header
(``/usr/include/linux/openvswitch.h``, kernel 6.1) and pyroute2 handles
packing, acks and errors. Flows do not go through here: pyroute2's generic
``nla`` objects cost about 200 us per flow message against about 13 us with
``struct``, so the ``ovs_flow`` hot path has its own codec (``odp.wire``) and
raw socket (``dpif.netlink.genl``).

Every OVS family prefixes its attributes with ``struct ovs_header { int
dp_ifindex; }``: the ifindex of the datapath's local port, 0 when the request
names the datapath or vport by name instead.

Attribute positions in each ``nla_map`` are the attribute numbers; unused
numbers are ``none``. The kernel does not set NLA_F_NESTED in replies.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

try:
    from pyroute2.netlink import genlmsg, nla
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError as exc:  # reported by the modules through missing_required_lib
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = exc

    class genlmsg:  # stand-ins so this file imports; nothing is sent without pyroute2
        fields = ()

    class nla:
        pass

# Families and their versions (uapi OVS_*_VERSION). OVS_DP_CMD_NEW must carry
# version 2, or the kernel drops the user features of an existing datapath.
DATAPATH_FAMILY = "ovs_datapath"
VPORT_FAMILY = "ovs_vport"
FLOW_FAMILY = "ovs_flow"
PACKET_FAMILY = "ovs_packet"
GENL_VERSION = 2

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
# OVS_VXLAN_EXT_GBP inside OVS_TUNNEL_ATTR_EXTENSION.
VXLAN_EXT_GBP = 1


class ovs_msg(genlmsg):
    """A generic netlink message followed by ``struct ovs_header``."""

    fields = genlmsg.fields + (("dpifindex", "i"),)


class dpmsg(ovs_msg):
    prefix = "OVS_DP_ATTR_"
    nla_map = (
        ("OVS_DP_ATTR_UNSPEC", "none"),
        ("OVS_DP_ATTR_NAME", "asciiz"),
        ("OVS_DP_ATTR_UPCALL_PID", "array(uint32)"),
        ("OVS_DP_ATTR_STATS", "dpstats"),
        ("OVS_DP_ATTR_MEGAFLOW_STATS", "megaflowstats"),
        ("OVS_DP_ATTR_USER_FEATURES", "uint32"),
        ("OVS_DP_ATTR_PAD", "none"),
        ("OVS_DP_ATTR_MASKS_CACHE_SIZE", "uint32"),
        ("OVS_DP_ATTR_PER_CPU_PIDS", "array(uint32)"),
        ("OVS_DP_ATTR_IFINDEX", "uint32"),
    )

    class dpstats(nla):
        fields = (
            ("hit", "=Q"),
            ("missed", "=Q"),
            ("lost", "=Q"),
            ("flows", "=Q"),
        )

    class megaflowstats(nla):
        fields = (
            ("mask_hit", "=Q"),
            ("masks", "=I"),
            ("pad0", "=I"),
            ("cache_hits", "=Q"),
            ("pad1", "=Q"),
        )


class vportmsg(ovs_msg):
    prefix = "OVS_VPORT_ATTR_"
    nla_map = (
        ("OVS_VPORT_ATTR_UNSPEC", "none"),
        ("OVS_VPORT_ATTR_PORT_NO", "uint32"),
        ("OVS_VPORT_ATTR_TYPE", "uint32"),
        ("OVS_VPORT_ATTR_NAME", "asciiz"),
        ("OVS_VPORT_ATTR_OPTIONS", "vportopts"),
        ("OVS_VPORT_ATTR_UPCALL_PID", "array(uint32)"),
        ("OVS_VPORT_ATTR_STATS", "vportstats"),
        ("OVS_VPORT_ATTR_PAD", "none"),
        ("OVS_VPORT_ATTR_IFINDEX", "uint32"),
        ("OVS_VPORT_ATTR_NETNSID", "int32"),
        ("OVS_VPORT_ATTR_UPCALL_STATS", "none"),  # 6.2+, not decoded
    )

    class vportopts(nla):
        prefix = "OVS_TUNNEL_ATTR_"
        nla_map = (
            ("OVS_TUNNEL_ATTR_UNSPEC", "none"),
            # A u16 in host order: the kernel insists on exactly 2 bytes.
            ("OVS_TUNNEL_ATTR_DST_PORT", "uint16"),
            ("OVS_TUNNEL_ATTR_EXTENSION", "vxlanext"),
        )

        class vxlanext(nla):
            prefix = "OVS_VXLAN_EXT_"
            nla_map = (
                ("OVS_VXLAN_EXT_UNSPEC", "none"),
                ("OVS_VXLAN_EXT_GBP", "flag"),
            )

    class vportstats(nla):
        fields = (
            ("rx_packets", "=Q"),
            ("tx_packets", "=Q"),
            ("rx_bytes", "=Q"),
            ("tx_bytes", "=Q"),
            ("rx_errors", "=Q"),
            ("tx_errors", "=Q"),
            ("rx_dropped", "=Q"),
            ("tx_dropped", "=Q"),
        )
