"""The safety guards read /proc; these tests give them prepared /proc trees."""

import os

from ansible_collections.dpif.ovs.plugins.module_utils.dpif import safety

ROUTE = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
eth1\t000010AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
"""
IPV6_ROUTE = (
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth2\n"
    "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth1\n"
)


def make_proc(tmp_path, route=ROUTE, ipv6=IPV6_ROUTE):
    net = tmp_path / "net"
    net.mkdir()
    (net / "route").write_text(route)
    (net / "ipv6_route").write_text(ipv6)
    return str(tmp_path)


def test_default_route_interfaces(tmp_path):
    proc = make_proc(tmp_path)
    found = safety.protected_interfaces(environ={}, proc=proc)
    assert found == {
        "eth0": "it carries the host's IPv4 default route",
        "eth2": "it carries the host's IPv6 default route",
    }


def test_no_routes_nothing_protected(tmp_path):
    proc = make_proc(tmp_path, route=ROUTE.splitlines()[0] + "\n", ipv6="")
    assert safety.protected_interfaces(environ={}, proc=proc) == {}


def test_vswitchd_not_running_means_no_owner(tmp_path):
    proc = make_proc(tmp_path)
    os.makedirs(tmp_path / "123")
    (tmp_path / "123" / "comm").write_text("sshd\n")
    assert safety.vswitchd_owner([5, 6], "ovs-system", proc=proc) is None


def test_vswitchd_owns_by_socket(tmp_path):
    proc = make_proc(tmp_path)
    (tmp_path / "net" / "netlink").write_text(
        "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
        "0000000000000000 16  4242       00000000 0        0        0     2        0        9001\n"
        "0000000000000000 16  4343       00000000 0        0        0     2        0        9002\n")
    fd = tmp_path / "77" / "fd"
    fd.mkdir(parents=True)
    (tmp_path / "77" / "comm").write_text("ovs-vswitchd\n")
    os.symlink("socket:[9001]", fd / "3")
    assert safety.vswitchd_owner([0, 4242], "dp9", proc=proc) == "its upcalls go to ovs-vswitchd (pid 77)"
    assert safety.vswitchd_owner([4343], "dp9", proc=proc) is None
    assert "owns 'ovs-system'" in safety.vswitchd_owner([], "ovs-system", proc=proc)
