"""The system provider and front-end against the real kernel."""

import errno

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortRequest
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError


def test_datapath_lifecycle(dpif, new_name):
    name = new_name("dp")
    assert dpif.get(name) is None
    info = dpif.create(name, user_features=0x1, masks_cache_size=512)
    assert info.name == name and info.ifindex > 0
    assert info.user_features == 0x1
    assert info.masks_cache_size == 512
    assert name in [d.name for d in dpif.enumerate()]
    ports = dpif.ports(name)
    assert [(p.port_no, p.name, p.type) for p in ports] == [(0, name, "internal")]
    info = dpif.set_features(name, 0x3, 1024)
    assert (info.user_features, info.masks_cache_size) == (0x3, 1024)
    # SET without a cache size keeps it; features are always sent.
    info = dpif.set_features(name, 0x1)
    assert (info.user_features, info.masks_cache_size) == (0x1, 1024)
    dpif.destroy(name)
    assert dpif.get(name) is None


def test_port_types_and_numbers(dpif, dp, veth):
    veth("pv0")
    added = [
        dpif.port_add(dp, PortRequest(name="pi0", type="internal")),
        dpif.port_add(dp, PortRequest(name="px0", type="vxlan", options={"dst_port": 4795, "extensions": ["gbp"]})),
        dpif.port_add(dp, PortRequest(name="pg0", type="geneve", port_no=20)),
        dpif.port_add(dp, PortRequest(name="pr0", type="gre")),
        dpif.port_add(dp, PortRequest(name="pv0", type="netdev", port_no=7)),
    ]
    assert [(p.name, p.port_no, p.type, p.options) for p in added] == [
        ("pi0", 1, "internal", {}),
        ("px0", 2, "vxlan", {"dst_port": 4795, "extensions": ["gbp"]}),
        ("pg0", 20, "geneve", {"dst_port": 6081}),
        ("pr0", 3, "gre", {}),
        ("pv0", 7, "netdev", {}),
    ]
    dumped = dpif.ports(dp)
    assert [p.port_no for p in dumped] == [0, 1, 2, 3, 7, 20]
    assert dpif.port_by_number(dp, 20).name == "pg0"
    assert dpif.port_by_name(dp, "px0").options == {"dst_port": 4795, "extensions": ["gbp"]}
    assert dpif.port_by_name(dp, "nope") is None
    assert dpif.port_by_number(dp, 99) is None
    dpif.port_del(dp, "px0")
    assert dpif.port_by_name(dp, "px0") is None


def expect_error(code, text, fn, *args):
    with pytest.raises(DpifError) as err:
        fn(*args)
    assert err.value.errno == code, str(err.value)
    assert text in str(err.value)
    return err.value


def test_port_errors_are_explained(dpif, dp, veth, new_name):
    dpif.port_add(dp, PortRequest(name="eth1x", type="internal", port_no=3))
    expect_error(errno.EBUSY, "vport 'q0': port number 3 is taken by 'eth1x'",
                 dpif.port_add, dp, PortRequest(name="q0", type="internal", port_no=3))
    expect_error(errno.ENODEV, "no network interface named 'nosuch0' exists",
                 dpif.port_add, dp, PortRequest(name="nosuch0", type="netdev"))
    expect_error(errno.EEXIST, "a network device named 'eth1x' already exists",
                 dpif.port_add, dp, PortRequest(name="eth1x", type="internal"))
    expect_error(errno.EEXIST, "'gre0' is the ip_gre module's own fallback device",
                 dpif.port_add, dp, PortRequest(name="gre0", type="gre"))
    expect_error(errno.EINVAL, "option 'dst_port' does not apply to gre ports",
                 dpif.port_add, dp, PortRequest(name="q1", type="gre", options={"dst_port": 1}))
    expect_error(errno.EFBIG, "port number 70000 is out of range",
                 dpif.port_add, dp, PortRequest(name="q2", type="internal", port_no=70000))
    expect_error(errno.EINVAL, "name is 16 bytes long",
                 dpif.port_add, dp, PortRequest(name="x" * 16, type="internal"))
    expect_error(errno.ENODEV, "datapath 'nodp9': no such datapath",
                 dpif.port_add, "nodp9", PortRequest(name="q3", type="internal"))
    # A device already in another datapath is busy; already in this one exists.
    veth("pb0")
    other = new_name("dp")
    dpif.create(other)
    dpif.port_add(other, PortRequest(name="pb0", type="netdev"))
    expect_error(errno.EBUSY, "device 'pb0' is already attached elsewhere",
                 dpif.port_add, dp, PortRequest(name="pb0", type="netdev"))
    expect_error(errno.EEXIST, "device 'pb0' is already a port of datapath '%s'" % other,
                 dpif.port_add, other, PortRequest(name="pb0", type="netdev"))
    expect_error(errno.EINVAL, "this is the datapath's own port", dpif.port_del, dp, dp)
    expect_error(errno.ENODEV, "not a port of datapath", dpif.port_del, dp, "q0")


def test_datapath_errors_are_explained(dpif, new_name, veth):
    veth("ndev0")
    expect_error(errno.EEXIST, "a network device with this name exists and is not a datapath",
                 dpif.create, "ndev0")
    expect_error(errno.EINVAL, "masks cache size 3 rejected", dpif.create, new_name("dp"), 0, 3)
    name = new_name("dp")
    dpif.create(name)
    expect_error(errno.EOPNOTSUPP, "does not support user features tc_recirc_sharing",
                 dpif.set_features, name, 0x4)
    expect_error(errno.ENODEV, "no such datapath", dpif.destroy, new_name("dp"))


def test_udp_port_in_use_is_explained(dpif, dp, new_name):
    dpif.port_add(dp, PortRequest(name="ua0", type="vxlan", options={"dst_port": 4796}))
    expect_error(errno.EADDRINUSE, "vport 'ua1': UDP port 4796 is already used by another tunnel device",
                 dpif.port_add, dp, PortRequest(name="ua1", type="geneve", options={"dst_port": 4796}))
