"""ovs-dpctl as the peer: it must see what our modules make, and we must read what it makes."""

import re
import subprocess

import pytest


def port_lines(show_output):
    return [line.strip() for line in show_output.splitlines() if line.strip().startswith("port ")]


def test_dpctl_show_lists_what_our_modules_made(run_module, new_name, veth, dpctl):
    dp = new_name("dp")
    veth("vmA0")
    veth("vmB0")
    tasks = [
        ("ovs_datapath", {"name": dp, "masks_cache_size": 512}),
        ("ovs_vport", {"datapath": dp, "name": "int0", "type": "internal"}),
        ("ovs_vport", {"datapath": dp, "name": "vx0", "type": "vxlan", "port_no": 10}),
        # ovs-dpctl rebuilds tunnel options from its own device naming (vxlan_sys_<port>),
        # not from the kernel, so only a port named that way shows its dst_port there.
        ("ovs_vport", {"datapath": dp, "name": "vxlan_sys_4790", "type": "vxlan", "options": {"dst_port": 4790}}),
        ("ovs_vport", {"datapath": dp, "name": "gnv0", "type": "geneve", "port_no": 11}),
        ("ovs_vport", {"datapath": dp, "name": "gt0", "type": "gre", "port_no": 12}),
        ("ovs_vport", {"datapath": dp, "name": "vmA0", "type": "netdev", "port_no": 20}),
        ("ovs_vport", {"datapath": dp, "name": "vmB0", "type": "netdev", "port_no": 21}),
    ]
    for module, args in tasks:
        assert run_module(module, args)["changed"], (module, args)
    out = dpctl("show", dp)
    assert out.startswith("system@%s:\n" % dp)
    assert "    masks-cache: size:512\n" in out
    assert port_lines(out) == [
        "port 0: %s (internal)" % dp,
        "port 1: int0 (internal)",
        "port 2: vxlan_sys_4790 (vxlan: dst_port=4790, packet_type=ptap)",
        "port 10: vx0 (vxlan: packet_type=ptap)",
        "port 11: gnv0 (geneve: packet_type=ptap)",
        "port 12: gt0 (gre: packet_type=ptap)",
        "port 20: vmA0",
        "port 21: vmB0",
    ]
    # A second pass of the same tasks changes nothing.
    for module, args in tasks:
        assert not run_module(module, args)["changed"], (module, args)


@pytest.fixture
def dpctl_tunnel_devices():
    """ovs-dpctl's tunnel devices outlive its datapath (they are netdev ports): remove them."""
    yield
    for dev in ("vxlan_sys_4790", "genev_sys_6081", "gre_sys"):
        subprocess.run(["ip", "link", "del", dev], stderr=subprocess.DEVNULL, check=False)


def test_we_read_and_converge_what_dpctl_made(run_module, new_name, veth, dpctl, dpif, dpctl_tunnel_devices):
    dp = new_name("dp")
    veth("vmC0")
    dpctl("add-dp", dp)
    dpctl("add-if", dp, "vmC0")
    dpctl("add-if", dp, "i%s,type=internal,port_no=9" % dp)
    dpctl("add-if", dp, "vx,type=vxlan,remote_ip=flow,dst_port=4790")   # dpctl names it vxlan_sys_4790
    dpctl("add-if", dp, "gn,type=geneve,remote_ip=flow")               # genev_sys_6081
    dpctl("add-if", dp, "gr,type=gre,remote_ip=flow")                  # gre_sys
    res = run_module("ovs_datapath_info", {"name": dp})
    (entry,) = res["datapaths"]
    ports = [{k: v for k, v in p.items() if k != "stats"} for p in entry["vports"]]
    assert ports == [
        {"name": dp, "type": "internal", "port_no": 0, "options": {}},
        {"name": "vmC0", "type": "netdev", "port_no": 1, "options": {}},
        # ovs-dpctl 3.1 makes tunnels as collect-metadata devices over rtnetlink and
        # attaches them as netdev ports: that is what the kernel reports.
        {"name": "vxlan_sys_4790", "type": "netdev", "port_no": 2, "options": {}},
        {"name": "genev_sys_6081", "type": "netdev", "port_no": 3, "options": {}},
        {"name": "gre_sys", "type": "netdev", "port_no": 4, "options": {}},
        {"name": "i" + dp, "type": "internal", "port_no": 9, "options": {}},
    ]
    # ovs-dpctl 3.1 creates datapaths with per-CPU upcall dispatch.
    assert "dispatch_upcall_per_cpu" in entry["user_features"]
    # The same description as input: left alone.
    assert not run_module("ovs_datapath", {"name": dp})["changed"]
    for port in ports[1:]:
        res = run_module("ovs_vport", dict(port, datapath=dp))
        assert not res["changed"] and not res.failed, (port, res)
    # Converge as asked: a new port number needs recreate.
    res = run_module("ovs_vport", {"datapath": dp, "name": "vmC0", "type": "netdev", "port_no": 5})
    assert res.failed and "port number is 1, wanted 5" in res["msg"]
    res = run_module("ovs_vport", {"datapath": dp, "name": "vmC0", "type": "netdev", "port_no": 5, "recreate": True})
    assert res["changed"] and res["commands"] == ["del-if %s vmC0" % dp, "add-if %s vmC0,type=netdev,port_no=5" % dp]
    assert re.search(r"^  port 5: vmC0$", dpctl("show", dp), re.M)
    # Its tunnel device is a netdev port: removing the port detaches the device.
    assert run_module("ovs_vport", {"datapath": dp, "name": "gre_sys", "state": "absent"})["changed"]
    assert "gre_sys" not in dpctl("show", dp)
    assert run_module("ovs_datapath", {"name": dp, "state": "absent"})["changed"]
    assert dpctl("show", dp, check=False) == ""
