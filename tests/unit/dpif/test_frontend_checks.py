"""Argument checks and explanations of the dpif front-end (no kernel needed)."""

import errno

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif import frontend
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortInfo, PortRequest
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.resources import vport


@pytest.mark.parametrize("name", ["dp0", "a" * 15, "br-int.100", "vé"])
def test_valid_names(name):
    frontend.check_name("vport", name)


@pytest.mark.parametrize("name,detail", [
    ("a" * 16, "name is 16 bytes long; the kernel allows at most 15"),
    ("é" * 8, "name is 16 bytes long; the kernel allows at most 15"),
    ("a/b", "may not contain '/'"),
    ("a b", "white space"),
    ("", "a name is required"),
])
def test_bad_names(name, detail):
    with pytest.raises(DpifError) as err:
        frontend.check_name("vport", name)
    assert err.value.errno == errno.EINVAL
    assert detail in str(err.value)


@pytest.mark.parametrize("vtype,given,expected", [
    ("vxlan", None, {"dst_port": 4789}),
    ("vxlan", {"dst_port": 4790, "extensions": ["gbp"]}, {"dst_port": 4790, "extensions": ["gbp"]}),
    ("vxlan", {"extensions": "gbp"}, {"dst_port": 4789, "extensions": ["gbp"]}),
    ("geneve", {}, {"dst_port": 6081}),
    ("geneve", {"dst_port": 7000}, {"dst_port": 7000}),
    ("internal", None, {}),
    ("gre", {}, {}),
    ("netdev", None, {}),
])
def test_options_defaults(vtype, given, expected):
    assert frontend.normalize_options("p", vtype, given) == expected


@pytest.mark.parametrize("vtype,given,detail", [
    ("internal", {"dst_port": 4789}, "option 'dst_port' does not apply to internal ports; internal ports take no options"),
    ("geneve", {"extensions": ["gbp"]}, "option 'extensions' does not apply to geneve ports; geneve ports take only dst_port"),
    ("vxlan", {"dst_port": 70000}, "dst_port must be a UDP port number from 1 to 65535, not 70000"),
    ("vxlan", {"dst_port": 0}, "dst_port must be a UDP port number"),
    ("vxlan", {"extensions": ["gpe"]}, "unknown vxlan extension 'gpe'"),
    ("patch", {}, "unknown vport type 'patch'"),
])
def test_bad_options(vtype, given, detail):
    with pytest.raises(DpifError) as err:
        frontend.normalize_options("p", vtype, given)
    assert detail in str(err.value)
    assert str(err.value).startswith("vport 'p': ")


def test_feature_names_round_trip():
    bits = frontend.feature_bits(["unaligned", "vport_pids"])
    assert bits == 0x3
    assert frontend.feature_names(bits) == ["unaligned", "vport_pids"]
    assert frontend.feature_names(0x13) == ["unaligned", "vport_pids", "0x10"]
    with pytest.raises(DpifError, match="unknown user feature"):
        frontend.feature_bits(["fast"])


def test_vport_differences_compare_only_what_is_set():
    have = PortInfo(name="vx0", port_no=3, type="vxlan", options={"dst_port": 4789})
    same = PortRequest(name="vx0", type="vxlan", options={"dst_port": 4789})
    assert vport.differences(have, same, options_given=True) == []
    other = PortRequest(name="vx0", type="vxlan", options={"dst_port": 4790}, port_no=5)
    assert vport.differences(have, other, options_given=True) == [
        "port number is 3, wanted 5", "dst_port is 4789, wanted 4790"]
    assert vport.differences(have, other, options_given=False) == ["port number is 3, wanted 5"]
    retyped = PortRequest(name="vx0", type="geneve", options={"dst_port": 6081})
    assert vport.differences(have, retyped, options_given=True) == ["type is vxlan, wanted geneve"]


def test_add_command_reads_like_dpctl():
    req = PortRequest(name="vx0", type="vxlan", options={"dst_port": 4789, "extensions": ["gbp"]}, port_no=10)
    assert vport.add_command("dp0", req) == "add-if dp0 vx0,type=vxlan,port_no=10,dst_port=4789,extensions=gbp"


def test_error_message_and_fields():
    err = DpifError(errno.EBUSY, "create vport", "vport 'vx0'", "port number 3 is taken by 'eth1'")
    assert str(err) == "vport 'vx0': port number 3 is taken by 'eth1'"
    assert err.to_dict() == {"errno": "EBUSY", "op": "create vport", "object": "vport 'vx0'"}
    assert str(DpifError(errno.ENODEV, "open", "datapath 'x'")) == "datapath 'x': No such device"
