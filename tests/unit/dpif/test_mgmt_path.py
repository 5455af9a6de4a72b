"""The management-path guard's pure parts: /proc parsing on prepared trees,
rtnetlink decoding on built messages, and the device resolution against a
kernel stand-in. The real-kernel behaviour is tests/kernel/test_guard.py."""

import errno
import os
import socket
import struct
import sys

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif import mgmt_path
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.mgmt_path import Session
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import rtnl
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import nla, nla_u32
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.rtnl import Address, Link, Route


def proc_hex(ip):
    """An address as /proc/net/tcp prints it: 32-bit words in host order."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    raw = socket.inet_pton(family, ip)
    return "".join("%08X" % struct.unpack("=I", raw[i:i + 4])[0] for i in range(0, len(raw), 4))


def tcp_row(n, local, lport, peer, pport, state, inode):
    return ("%4d: %s:%04X %s:%04X %s 00000000:00000000 00:00000000 00000000     0        0 %d 1 "
            "0000000000000000 20 4 30 10 -1" % (n, proc_hex(local), lport, proc_hex(peer), pport, state, inode))


HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"


# -- /proc/net/tcp ----------------------------------------------------------------

def test_tcp_address_byte_order():
    if sys.byteorder == "little":
        assert mgmt_path.tcp_address("0100007F:0016") == ("127.0.0.1", 22)
        assert mgmt_path.tcp_address("0102000A:01BB") == ("10.0.2.1", 443)
    assert mgmt_path.tcp_address(proc_hex("192.0.2.1") + ":0016") == ("192.0.2.1", 22)
    assert mgmt_path.tcp_address(proc_hex("2001:db8::1") + ":0016") == ("2001:db8::1", 22)
    assert mgmt_path.tcp_address(proc_hex("fe80::a:b") + ":D431") == ("fe80::a:b", 54321)


def test_tcp6_ipv4_mapped_is_ipv4():
    assert mgmt_path.tcp_address(proc_hex("::ffff:192.0.2.7") + ":0016") == ("192.0.2.7", 22)


@pytest.mark.parametrize("text", ["", "0100007F", "0100007F:", "01007F:0016", "XYZ0007F:0016"])
def test_tcp_address_rejects_non_addresses(text):
    with pytest.raises(ValueError):
        mgmt_path.tcp_address(text)


def test_parse_tcp_table_keeps_established_and_listen():
    text = "\n".join([HEADER,
                      tcp_row(0, "0.0.0.0", 22, "0.0.0.0", 0, "0A", 9000),
                      tcp_row(1, "192.0.2.1", 22, "192.0.2.2", 50000, "01", 9001),
                      tcp_row(2, "192.0.2.1", 22, "192.0.2.3", 50001, "06", 9002),   # TIME_WAIT
                      "   3: garbage"])
    assert mgmt_path.parse_tcp_table(text) == {
        9000: mgmt_path.TcpConn("0.0.0.0", 22, "0.0.0.0", 0, "0A"),
        9001: mgmt_path.TcpConn("192.0.2.1", 22, "192.0.2.2", 50000, "01"),
    }


def test_parent_pid_with_parentheses_in_the_name():
    assert mgmt_path.parent_pid("123 (a) (b) c) S 45 123 123 0 -1 4194560 1 0") == 45
    with pytest.raises(ValueError):
        mgmt_path.parent_pid("garbage")


@pytest.mark.parametrize("comm, yes", [("sshd", True), ("sshd-session", True), ("dropbear", True),
                                       ("ssh", False), ("python3", False)])
def test_ssh_server_names(comm, yes):
    assert mgmt_path.is_ssh_server(comm) is yes


def test_parse_ssh_connection():
    assert mgmt_path.parse_ssh_connection("192.0.2.2 50000 192.0.2.1 22") == ("192.0.2.1", "192.0.2.2")
    assert mgmt_path.parse_ssh_connection("") is None
    assert mgmt_path.parse_ssh_connection("x 1 y 2") is None


# -- sessions from a prepared /proc ---------------------------------------------------

def make_proc(tmp_path, procs, tcp_rows=(), tcp6_rows=()):
    """``procs``: {pid: (comm, ppid, [socket inodes] or None for an unreadable fd table)}."""
    net = tmp_path / "net"
    net.mkdir()
    (net / "tcp").write_text("\n".join([HEADER] + list(tcp_rows)) + "\n")
    (net / "tcp6").write_text("\n".join([HEADER] + list(tcp6_rows)) + "\n")
    for pid, (comm, ppid, inodes) in procs.items():
        base = tmp_path / str(pid)
        base.mkdir()
        (base / "comm").write_text(comm + "\n")
        (base / "stat").write_text("%d (%s) S %d 1 1 0 -1 0" % (pid, comm, ppid))
        if inodes is None:
            (base / "fd").write_text("")         # listing it fails, as EACCES would
            continue
        (base / "fd").mkdir()
        for fd, inode in enumerate(inodes, 3):
            os.symlink("socket:[%d]" % inode, base / "fd" / str(fd))
        os.symlink("/dev/null", base / "fd" / "0")
    return str(tmp_path)


# pid 300 (the task) <- 200 sudo <- 150 sshd (session) <- 100 sshd (listener) <- 1
TREE = {1: ("init", 0, []), 100: ("sshd", 1, [9000]), 150: ("sshd", 100, [9001, 9003]),
        200: ("sudo", 150, []), 300: ("python3", 200, []), 400: ("sshd", 100, [9004])}
ROWS = [tcp_row(0, "0.0.0.0", 22, "0.0.0.0", 0, "0A", 9000),
        tcp_row(1, "192.0.2.1", 22, "192.0.2.2", 50000, "01", 9001),
        tcp_row(2, "10.0.0.1", 40000, "10.0.0.5", 80, "01", 9003)]
ROWS6 = [tcp_row(0, "::ffff:192.0.2.1", 22, "::ffff:198.51.100.9", 50002, "01", 9004)]


def test_sessions_from_ancestry_and_every_sshd(tmp_path):
    proc = make_proc(tmp_path, TREE, ROWS, ROWS6)
    sessions = mgmt_path.ssh_sessions({"SSH_CONNECTION": "192.0.2.2 50000 192.0.2.1 22"}, proc, pid=300)
    assert sessions == [
        Session("192.0.2.1", "192.0.2.2", "the SSH session this task runs under, from 192.0.2.2 (sshd pid 150)",
                22, 50000),
        Session("10.0.0.1", "10.0.0.5", "the connection sshd pid 150 forwards to 10.0.0.5 port 80", 40000, 80),
        Session("192.0.2.1", "198.51.100.9", "the SSH session from 198.51.100.9 (sshd pid 400)", 22, 50002),
    ]


def test_ssh_connection_is_one_more_source(tmp_path):
    proc = make_proc(tmp_path, {1: ("init", 0, []), 300: ("python3", 1, [])})
    assert mgmt_path.ssh_sessions({"SSH_CONNECTION": "192.0.2.2 50000 192.0.2.1 22"}, proc, pid=300) == [
        Session("192.0.2.1", "192.0.2.2",
                "this Ansible connection (192.0.2.1), the SSH session from 192.0.2.2 named by SSH_CONNECTION")]
    assert mgmt_path.ssh_sessions({}, proc, pid=300) == []


def test_sshd_ancestor_without_a_session_is_an_error(tmp_path):
    tree = {**TREE, 150: ("sshd", 100, [9000])}
    proc = make_proc(tmp_path, tree, ROWS)
    with pytest.raises(DpifError) as err:
        mgmt_path.ssh_sessions({}, proc, pid=300)
    assert err.value.errno == errno.ENOENT
    assert err.value.detail == ("cannot tell which interface carries the SSH session of sshd pid 150: none of "
                                "its sockets is an established TCP connection in %s/net/tcp or tcp6" % proc)


def test_sshd_ancestor_unreadable_is_an_error(tmp_path):
    proc = make_proc(tmp_path, {**TREE, 150: ("sshd", 100, None)}, ROWS)
    with pytest.raises(DpifError) as err:
        mgmt_path.ssh_sessions({}, proc, pid=300)
    assert err.value.detail.startswith("cannot tell which interface carries the SSH session of sshd pid 150: "
                                       "cannot read %s/150/fd: " % proc)


def test_unreadable_other_sshd_is_left_out(tmp_path):
    proc = make_proc(tmp_path, {**TREE, 400: ("sshd", 100, None)}, ROWS)
    assert [s.peer for s in mgmt_path.ssh_sessions({}, proc, pid=300)] == ["192.0.2.2", "10.0.0.5"]


def test_no_tcp_table_with_an_sshd_is_an_error(tmp_path):
    proc = make_proc(tmp_path, TREE, ROWS)
    os.unlink(os.path.join(proc, "net", "tcp"))
    with pytest.raises(DpifError) as err:
        mgmt_path.ssh_sessions({}, proc, pid=300)
    assert "%s/net/tcp does not exist" % proc in err.value.detail


def test_own_process_unreadable_is_an_error(tmp_path):
    proc = make_proc(tmp_path, {1: ("init", 0, [])})
    with pytest.raises(DpifError) as err:
        mgmt_path.ssh_sessions({}, proc, pid=300)
    assert err.value.detail.startswith("cannot tell whether this task runs under SSH: cannot read %s/300: " % proc)


# -- rtnetlink decoding ---------------------------------------------------------------

def test_decode_route_multipath_and_table():
    nexthops = b"".join(rtnl.RTNEXTHOP.pack(16, 0, 0, ifindex) + nla(rtnl.RTA_GATEWAY, bytes([192, 0, 2, ifindex]))
                        for ifindex in (7, 3))
    msg = rtnl.RTMSG.pack(socket.AF_INET, 0, 0, 0, 252, 3, 0, rtnl.RTN_UNICAST, 0) + \
        nla_u32(rtnl.RTA_TABLE, 1000) + nla(rtnl.RTA_MULTIPATH, nexthops)
    assert rtnl.decode_route(msg, 0, len(msg)) == Route(socket.AF_INET, 1000, 0, rtnl.RTN_UNICAST, False, (3, 7))


def test_decode_link_vlan_and_gre():
    def link(index, flags, *attrs):
        msg = rtnl.IFINFOMSG.pack(0, 1, index, flags, 0) + b"".join(attrs)
        return rtnl.decode_link(msg, 0, len(msg))

    name = nla(rtnl.IFLA_IFNAME, b"eth0.100\0")
    vlan = link(5, 0, name, nla_u32(rtnl.IFLA_LINK, 2),
                nla(rtnl.IFLA_LINKINFO, nla(rtnl.IFLA_INFO_KIND, b"vlan\0")))
    assert vlan == Link(5, "eth0.100", "vlan", False, 2, False, None, None, None)
    gre = link(6, 0, nla(rtnl.IFLA_IFNAME, b"gre1\0"), nla_u32(rtnl.IFLA_LINK, 0),
               nla(rtnl.IFLA_LINKINFO, nla(rtnl.IFLA_INFO_KIND, b"gre\0")
                   + nla(rtnl.IFLA_INFO_DATA, nla_u32(1, 4) + nla(7, bytes([198, 51, 100, 7])))))
    assert (gre.kind, gre.tunnel_remote, gre.tunnel_link) == ("gre", "198.51.100.7", 4)
    vxlan = link(7, 0, nla(rtnl.IFLA_IFNAME, b"vx0\0"),
                 nla(rtnl.IFLA_LINKINFO, nla(rtnl.IFLA_INFO_KIND, b"vxlan\0")
                     + nla(rtnl.IFLA_INFO_DATA, nla(2, bytes([239, 1, 1, 1])))))
    assert vxlan.tunnel_remote is None            # a multicast group has no single route
    lo = link(1, rtnl.IFF_LOOPBACK, nla(rtnl.IFLA_IFNAME, b"lo\0"))
    assert lo.loopback and lo.link is None


# -- resolution against a kernel stand-in ------------------------------------------------

def L(index, name, kind="", link=None, master=None, remote=None, loopback=False, elsewhere=False):
    return Link(index, name, kind, loopback, link, elsewhere, master, remote, None)


LINKS = {1: L(1, "lo", loopback=True), 2: L(2, "eth0"), 3: L(3, "eth0.100", "vlan", link=2),
         4: L(4, "bond0", "bond"), 5: L(5, "eth1", master=4), 6: L(6, "eth2", master=4),
         7: L(7, "gre1", "gre", remote="198.51.100.7"), 8: L(8, "veth0", "veth", link=9), 9: L(9, "veth0p", "veth", link=8),
         10: L(10, "mgmt", "vrf"), 11: L(11, "eth3", master=10), 12: L(12, "mv0", "macvlan", link=3, elsewhere=True),
         13: L(13, "eth4")}


class FakeKernel:
    def __init__(self, addresses=(), routes=(), lookups=None, fail=None):
        self._addresses = list(addresses)
        self._routes = list(routes)
        self.lookups = lookups or {}
        self.fail = fail
        self.asked = []

    def links(self):
        return LINKS

    def addresses(self):
        return self._addresses

    def routes(self, family):
        if self.fail == "routes":
            raise DpifError(errno.EPERM, "query routing", "", "listing the IPv4 routes: Operation not permitted")
        return [r for r in self._routes if r.family == family]

    def route_get(self, dst, src=None, oif=None, sport=0, dport=0):
        self.asked.append((dst, src, oif))
        self.ports = (sport, dport)
        if dst not in self.lookups:
            raise DpifError(errno.ENETUNREACH, "query routing", "", "looking up the route to %s: Network is "
                            "unreachable" % dst)
        return self.lookups[dst]


def R(oifs, table=254, family=socket.AF_INET, dst_len=0, rtype=rtnl.RTN_UNICAST, cloned=False):
    return Route(family, table, dst_len, rtype, cloned, tuple(oifs))


SSH = Session("192.0.2.1", "192.0.2.2", "the SSH session from 192.0.2.2 (sshd pid 123)")


def test_vlan_session_protects_the_lower_device():
    kernel = FakeKernel([Address(3, "192.0.2.1")], lookups={"192.0.2.2": R([3])})
    assert mgmt_path.protected_devices([SSH], kernel) == {
        "eth0.100": "it carries the SSH session from 192.0.2.2 (sshd pid 123): it holds the session's local "
                    "address 192.0.2.1",
        "eth0": "it is the lower device of 'eth0.100', which carries the SSH session from 192.0.2.2 (sshd pid 123): "
                "it holds the session's local address 192.0.2.1",
    }
    assert kernel.asked == [("192.0.2.2", "192.0.2.1", None)]


def test_policy_route_and_multipath_devices():
    kernel = FakeKernel([Address(13, "192.0.2.1")], lookups={"192.0.2.2": R([4, 8], table=100)})
    found = mgmt_path.protected_devices([SSH], kernel)
    assert list(found) == ["eth4", "bond0", "veth0", "eth1", "eth2"]
    assert found["bond0"] == ("it carries the SSH session from 192.0.2.2 (sshd pid 123): the kernel routes "
                              "traffic to 192.0.2.2 through it (routing table 100)")
    assert found["eth1"].startswith("it is a member of 'bond0', which carries the SSH session from 192.0.2.2")
    assert "veth0p" not in found                      # a veth's IFLA_LINK is its peer, not a lower device


def test_default_routes_of_every_table():
    routes = [R([13]), R([2], family=socket.AF_INET6), R([7], table=100, family=socket.AF_INET6),
              R([9], dst_len=24), R([1]), R([5], rtype=6), R([6], cloned=True)]
    kernel = FakeKernel(routes=routes, lookups={"198.51.100.7": R([11], table=100)})
    assert mgmt_path.protected_devices([], kernel) == {
        "eth4": "it carries the host's IPv4 default route",
        "eth0": "it carries the host's IPv6 default route",
        "gre1": "it carries the IPv6 default route of routing table 100",
        "eth3": "it is the underlay of tunnel 'gre1' (its remote 198.51.100.7 is reached through it), which "
                "carries the IPv6 default route of routing table 100",
    }


def test_link_local_session_protects_every_holder():
    session = Session("fe80::1", "fe80::2", "the SSH session from fe80::2 (sshd pid 9)")
    kernel = FakeKernel([Address(2, "fe80::1"), Address(13, "FE80::1"), Address(5, "fe80::3")])
    assert list(mgmt_path.protected_devices([session], kernel)) == ["eth0", "eth4"]
    assert kernel.asked == []


def test_vrf_member_session_is_looked_up_in_the_vrf():
    kernel = FakeKernel([Address(11, "192.0.2.1")], lookups={"192.0.2.2": R([11], table=10)})
    found = mgmt_path.protected_devices([SSH], kernel)
    assert kernel.asked == [("192.0.2.2", "192.0.2.1", 10)]
    assert list(found) == ["eth3"]


def test_macvlan_lower_in_another_namespace_is_not_followed():
    kernel = FakeKernel([Address(12, "192.0.2.1")], lookups={"192.0.2.2": R([12])})
    assert list(mgmt_path.protected_devices([SSH], kernel)) == ["mv0"]


def test_failed_lookups_say_what_cannot_be_told():
    with pytest.raises(DpifError) as err:
        mgmt_path.protected_devices([SSH], FakeKernel([Address(13, "192.0.2.1")]))
    assert err.value.errno == errno.ENETUNREACH
    assert err.value.detail == ("cannot tell which interface carries the SSH session from 192.0.2.2 (sshd pid 123): "
                                "looking up the route to 192.0.2.2: Network is unreachable")
    with pytest.raises(DpifError) as err:
        mgmt_path.protected_devices([], FakeKernel(fail="routes"))
    assert err.value.detail == ("cannot tell which interfaces carry the default routes: listing the IPv4 routes: "
                                "Operation not permitted")


def test_a_process_name_that_is_not_utf8_does_not_stop_the_guard(tmp_path):
    """Any user can give a process a name of arbitrary bytes (PR_SET_NAME)."""
    proc = make_proc(tmp_path, TREE, ROWS, ROWS6)
    os.makedirs(str(tmp_path / "500"))
    (tmp_path / "500" / "comm").write_bytes(b"\xff\xfe\n")
    (tmp_path / "500" / "stat").write_bytes(b"500 (\xff\xfe) S 1 1 1 0 -1 0")
    sessions = mgmt_path.ssh_sessions({}, proc, pid=300)
    assert [s.peer for s in sessions] == ["192.0.2.2", "10.0.0.5", "198.51.100.9"]


def test_a_session_over_a_tunnel_without_a_known_underlay_cannot_be_placed():
    """A WireGuard (or tun, or remote-less vxlan) device carries the session:
    the uplink under it cannot be told, so the path is undeterminable."""
    LINKS[14] = L(14, "wg0", "wireguard")
    try:
        kernel = FakeKernel([Address(14, "192.0.2.1")], lookups={"192.0.2.2": R([14])})
        with pytest.raises(DpifError) as err:
            mgmt_path.protected_devices([SSH], kernel)
        assert err.value.detail == ("cannot tell the underlay of tunnel 'wg0' (wireguard), which carries the SSH "
                                    "session from 192.0.2.2 (sshd pid 123): it holds the session's local address "
                                    "192.0.2.1")
    finally:
        del LINKS[14]


def test_the_route_is_asked_with_the_sessions_ports():
    """Policy rules may select on ports (ip rule ... sport 22 lookup mgmt)."""
    kernel = FakeKernel([Address(2, "192.0.2.1")], lookups={"192.0.2.2": R([2])})
    mgmt_path.protected_devices([SSH._replace(local_port=22, peer_port=50000)], kernel)
    assert kernel.ports == (22, 50000)
