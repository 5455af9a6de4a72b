"""The ovs_datapath / ovs_vport codec, byte for byte against the uapi layout.

Expected bytes are written out by hand from ``linux/openvswitch.h`` (attribute
numbers) and the netlink attribute format (u16 length, u16 type, payload
padded to 4), not produced by the helpers under test. The kernel side of the
same codec is exercised by tests/kernel (test_provider, test_modules)."""

import struct

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import messages as m
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortStats


def attr(attr_type, payload):
    size = 4 + len(payload)
    return struct.pack("=HH", size, attr_type) + payload + b"\0" * (-size % 4)


def test_datapath_request_attributes():
    assert m.datapath_attrs("dp0") == b"\x08\x00\x01\x00dp0\x00"
    got = m.datapath_attrs("br-int", upcall_pids=[0], user_features=0x9, masks_cache_size=256)
    assert got == (b"\x0b\x00\x01\x00br-int\x00\x00"          # name, NUL, 1 byte of padding
                   b"\x08\x00\x02\x00\x00\x00\x00\x00"          # OVS_DP_ATTR_UPCALL_PID [0]
                   b"\x08\x00\x05\x00\x09\x00\x00\x00"          # OVS_DP_ATTR_USER_FEATURES
                   b"\x08\x00\x07\x00\x00\x01\x00\x00")         # OVS_DP_ATTR_MASKS_CACHE_SIZE


def test_datapath_reply_is_decoded():
    reply = (attr(1, b"dp0\0")
             + attr(3, struct.pack("=QQQQ", 10, 2, 1, 7))
             + attr(4, struct.pack("=QIIQQ", 99, 3, 0, 42, 0))
             + attr(5, struct.pack("=I", 0xb))
             + attr(6, b"\0" * 4)                               # OVS_DP_ATTR_PAD: ignored
             + attr(7, struct.pack("=I", 256))
             + attr(8, struct.pack("=3I", 11, 12, 13))
             + attr(30, b"future"))                             # unknown to us: ignored
    info = m.decode_datapath(17, memoryview(reply))
    assert (info.name, info.ifindex, info.user_features, info.masks_cache_size) == ("dp0", 17, 0xb, 256)
    assert info.per_cpu_pids == [11, 12, 13]
    s = info.stats
    assert (s.hit, s.missed, s.lost, s.flows, s.mask_hit, s.masks, s.cache_hits) == (10, 2, 1, 7, 99, 3, 42)


def test_datapath_reply_without_optional_attributes():
    info = m.decode_datapath(5, attr(1, b"d\0") + attr(3, b"\1\2"))     # a cut stats struct is left out
    assert (info.name, info.masks_cache_size, info.per_cpu_pids, info.stats.hit) == ("d", None, [], 0)


def test_vport_new_request_attributes():
    got = m.vport_new_attrs("vx0", "vxlan", [0], 5, {"dst_port": 4789, "extensions": ["gbp"]})
    assert got == (b"\x08\x00\x03\x00vx0\x00"                   # OVS_VPORT_ATTR_NAME
                   b"\x08\x00\x02\x00\x04\x00\x00\x00"          # TYPE vxlan (4)
                   b"\x08\x00\x05\x00\x00\x00\x00\x00"          # UPCALL_PID [0]
                   b"\x08\x00\x01\x00\x05\x00\x00\x00"          # PORT_NO 5
                   b"\x14\x00\x04\x00"                          # OPTIONS, 20 bytes
                   b"\x06\x00\x01\x00" + struct.pack("=H", 4789) + b"\x00\x00"   # DST_PORT, host order
                   + b"\x08\x00\x02\x00\x04\x00\x01\x00")       # EXTENSION { GBP flag }
    plain = m.vport_new_attrs("eth1", "netdev", [7, 8], None, {})
    assert plain == (b"\x09\x00\x03\x00eth1\x00\x00\x00\x00" b"\x08\x00\x02\x00\x01\x00\x00\x00"
                     b"\x0c\x00\x05\x00\x07\x00\x00\x00\x08\x00\x00\x00")


def test_vport_reply_is_decoded():
    options = attr(1, struct.pack("=H", 6081)) + attr(2, attr(1, b""))
    reply = (attr(1, struct.pack("=I", 3)) + attr(2, struct.pack("=I", 5)) + attr(3, b"gnv0\0")
             + attr(4, options) + attr(5, struct.pack("=2I", 100, 101))
             + attr(6, struct.pack("=8Q", 1, 2, 3, 4, 5, 6, 7, 8)) + attr(8, struct.pack("=I", 42))
             + attr(9, struct.pack("=i", -1)))
    port = m.decode_vport(reply)
    assert (port.name, port.port_no, port.type, port.ifindex) == ("gnv0", 3, "geneve", 42)
    assert port.options == {"dst_port": 6081, "extensions": ["gbp"]}
    assert port.upcall_pids == [100, 101]
    assert port.stats == PortStats(1, 2, 3, 4, 5, 6, 7, 8)


def test_vport_reply_of_an_unknown_type_and_no_options():
    port = m.decode_vport(attr(1, struct.pack("=I", 9)) + attr(2, struct.pack("=I", 77)) + attr(3, b"x\0"))
    assert (port.name, port.port_no, port.type, port.options, port.ifindex) == ("x", 9, "unknown", {}, None)
