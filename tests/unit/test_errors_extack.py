"""The kernel's reasons for a refusal (netlink extended acks), read from
error messages written out by hand from ``linux/netlink.h``: nlmsghdr, the
error code, the request's header (and body unless NLM_F_CAPPED), then
NLMSGERR_ATTR_* attributes. The policy bytes are those the 7.2 kernel sent
for OVS_DP_ATTR_MASKS_CACHE_SIZE = 100000. tests/kernel/test_errors.py
gets the same from the real kernel."""

import struct

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif import system
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import extack, genl, messages, rtnl

NLMSG_ERROR, NLMSG_DONE = 2, 3
CAPPED, ACK_TLVS = 0x100, 0x200


def attr(attr_type, payload):
    size = 4 + len(payload)
    return struct.pack("=HH", size, attr_type) + payload + b"\0" * (-size % 4)


def request(attrs, cmd=1, family=0x20):
    """nlmsghdr + genlmsghdr + ovs_header (24 bytes), then ``attrs``."""
    return struct.pack("=IHHIIBBHi", 24 + len(attrs), family, 0x5, 7, 0, cmd, 2, 0, 0) + attrs


def error_message(req, code, tlvs, capped=True, flags=ACK_TLVS):
    echoed = req[:16] if capped else req + b"\0" * (-len(req) % 4)
    body = struct.pack("=i", -code) + echoed + tlvs
    return struct.pack("=IHHII", 16 + len(body), NLMSG_ERROR, flags | (CAPPED if capped else 0), 7, 0) + body


DP_NEW = request(attr(1, b"xdp1\0") + attr(2, struct.pack("=I", 0)) + attr(7, struct.pack("=I", 100000)))
U32_0_TO_4096 = (attr(4, struct.pack("=Q", 0)) + attr(5, struct.pack("=Q", 4096)) + attr(1, struct.pack("=I", 4)))
RANGE_TLVS = (attr(1, b"integer out of range\0") + attr(2, struct.pack("=I", 44)) + attr(4, U32_0_TO_4096))
RANGE_TEXT = "integer out of range (attribute OVS_DP_ATTR_MASKS_CACHE_SIZE: u32 from 0 to 4096)"


def words(message, req, names="datapath", **kw):
    """The kernel's words about ``message``; ``names``: the datapath family's attribute names, or None."""
    kw.setdefault("start", genl.HDR_LEN)
    return extack.kernel_words(message, 0, req, messages.DP_ATTR_NAMES if names == "datapath" else names, **kw)


@pytest.mark.parametrize("capped", [True, False])
def test_message_attribute_and_policy(capped):
    assert words(error_message(DP_NEW, 34, RANGE_TLVS, capped=capped), DP_NEW) == RANGE_TEXT


def test_no_tlvs_no_words():
    assert words(error_message(DP_NEW, 22, b"", flags=0), DP_NEW) is None


def test_the_error_may_follow_other_messages_in_the_datagram():
    first = struct.pack("=IHHII", 20, NLMSG_ERROR, CAPPED, 6, 0) + struct.pack("=i", 0)
    data = memoryview(first + error_message(DP_NEW, 34, RANGE_TLVS))
    assert extack.kernel_words(data, len(first), DP_NEW, messages.DP_ATTR_NAMES, start=genl.HDR_LEN) == RANGE_TEXT


def test_without_the_request_the_attribute_goes_unnamed():
    assert words(error_message(DP_NEW, 34, RANGE_TLVS), None) == "integer out of range (u32 from 0 to 4096)"


def test_without_names_the_attribute_is_its_type_number():
    assert words(error_message(DP_NEW, 34, RANGE_TLVS), DP_NEW, names=None) == (
        "integer out of range (attribute 7: u32 from 0 to 4096)")


def test_a_string_too_long():
    req = request(attr(1, b"a" * 40 + b"\0"), cmd=3)
    policy = attr(7, struct.pack("=I", 15)) + attr(1, struct.pack("=I", 12))
    tlvs = attr(1, b"Attribute failed policy validation\0") + attr(2, struct.pack("=I", 24)) + attr(4, policy)
    assert words(error_message(req, 22, tlvs), req) == (
        "Attribute failed policy validation (attribute OVS_DP_ATTR_NAME: NUL-terminated string of at most 15 bytes)")


def test_a_types_own_range_goes_without_saying():
    policy = attr(4, struct.pack("=Q", 0)) + attr(5, struct.pack("=Q", 0xffffffff)) + attr(1, struct.pack("=I", 4))
    assert extack.policy_text(policy) == "u32"
    signed = attr(2, struct.pack("=q", -5)) + attr(3, struct.pack("=q", 5)) + attr(1, struct.pack("=I", 8))
    assert extack.policy_text(signed) == "s32 from -5 to 5"
    assert extack.policy_text(attr(6, struct.pack("=I", 1)) + attr(1, struct.pack("=I", 10))) == "binary of at least 1 bytes"


def test_an_attribute_inside_a_nest_is_named_by_its_path():
    options = attr(1, struct.pack("=H", 4789)) + attr(9, b"\1\0\0\0")
    req = request(attr(3, b"vx0\0") + attr(4, options))
    dst_port = 24 + 8 + 4          # name (8 bytes), then the OPTIONS header
    names = messages.VPORT_ATTR_NAMES
    assert extack.attr_path(req, dst_port, names, start=genl.HDR_LEN) == "OVS_VPORT_ATTR_OPTIONS.OVS_TUNNEL_ATTR_DST_PORT"
    assert extack.attr_path(req, dst_port + 8, names, start=genl.HDR_LEN) == "OVS_VPORT_ATTR_OPTIONS.9"
    assert extack.attr_path(req, 24 + 8, names, start=genl.HDR_LEN) == "OVS_VPORT_ATTR_OPTIONS"
    assert extack.attr_path(req, 2000, names, start=genl.HDR_LEN) is None
    tlvs = attr(1, b"bad port\0") + attr(2, struct.pack("=I", dst_port))
    assert words(error_message(req, 22, tlvs), req, names=names) == (
        "bad port (attribute OVS_VPORT_ATTR_OPTIONS.OVS_TUNNEL_ATTR_DST_PORT)")


def test_a_missing_attribute():
    req = request(attr(3, b"vx0\0") + attr(4, attr(2, b"")))
    names = messages.VPORT_ATTR_NAMES
    top = attr(1, b"required attribute missing\0") + attr(5, struct.pack("=I", 2))
    assert words(error_message(req, 22, top), req, names=names) == (
        "required attribute missing: missing attribute OVS_VPORT_ATTR_TYPE")
    nested = attr(5, struct.pack("=I", 1)) + attr(6, struct.pack("=I", 32))
    assert words(error_message(req, 22, nested), req, names=names) == (
        "missing attribute OVS_TUNNEL_ATTR_DST_PORT in OVS_VPORT_ATTR_OPTIONS")


def test_an_offset_alone_still_says_which_attribute():
    tlvs = attr(2, struct.pack("=I", 44))
    assert words(error_message(DP_NEW, 22, tlvs), DP_NEW) == "the kernel refused attribute OVS_DP_ATTR_MASKS_CACHE_SIZE"


def test_a_refused_dump_says_why_in_its_done_message():
    body = struct.pack("=i", -22) + attr(1, b"dump refused\0")
    done = struct.pack("=IHHII", 16 + len(body), NLMSG_DONE, 0x2 | ACK_TLVS, 7, 0) + body
    assert extack.kernel_words(done, 0, start=genl.HDR_LEN) == "dump refused"


def test_routing_requests_are_named_past_their_fixed_header():
    body = rtnl.RTMSG.pack(2, 32, 0, 0, 0, 0, 0, 0, 0) + attr(rtnl.RTA_DST, b"\x0a\0\0\1") + attr(rtnl.RTA_OIF, b"\1\0\0\0")
    req = struct.pack("=IHHII", 16 + len(body), rtnl.RTM_GETROUTE, 1, 3, 0) + body
    tlvs = attr(1, b"Invalid oif\0") + attr(2, struct.pack("=I", 16 + 12 + 8))
    got = extack.kernel_words(error_message(req, 19, tlvs), 0, req, rtnl.RTA_NAMES,
                              start=16 + rtnl.FIXED_HEADER[rtnl.RTM_GETROUTE])
    assert got == "Invalid oif (attribute RTA_OIF)"


def test_every_family_has_names():
    for family in (messages.DATAPATH_FAMILY, messages.VPORT_FAMILY, messages.FLOW_FAMILY, messages.PACKET_FAMILY):
        names = system.ATTR_NAMES[family]
        assert all(name.startswith("OVS_") for name, _inner in names.values())
