"""The boot-time restore: cli.py re-applies a saved state after the module reloads."""

import json
import os
import re
import subprocess
import sys

from conftest import COLL_ROOT, sh

CLI = "ansible_collections.dpif.ovs.plugins.module_utils.cli"


def restore(path, command="restore"):
    env = dict(os.environ, PYTHONPATH=COLL_ROOT)
    return subprocess.run([sys.executable, "-m", CLI, command, path], capture_output=True, text=True,
                          env=env, check=False)


def flows(dpctl, dp):
    """dump-flows without the counters, sorted."""
    out = []
    for line in dpctl("dump-flows", dp).splitlines():
        line = re.sub(r", packets:\d+, bytes:\d+, used:[^,]+", "", line)
        out.append(line.strip())
    return sorted(out)


def ports(dpctl, dp):
    return [line.strip() for line in dpctl("show", dp).splitlines() if line.strip().startswith("port ")]


def test_restore_after_module_reload(tmp_path, veth, dpctl):
    # Not new_name: its handle is stale once the module is reloaded.
    dp = "rs%d" % (os.getpid() % 100000)
    try:
        _restore_after_module_reload(tmp_path, veth, dpctl, dp)
    finally:
        dpctl("del-dp", dp, check=False)


def _restore_after_module_reload(tmp_path, veth, dpctl, dp):
    vm = veth(dp + "-vm")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / (dp + ".flows")).write_text(
        "# from a file\n" + "".join("in_port(vxlan_sys_4790),eth(),eth_type(0x0800),ipv4(dst=10.9.0.%d,frag=no) %s\n"
                                    % (i, vm) for i in range(1, 51)))
    doc = {"dpif_ovs_datapaths": [{
        "name": dp, "masks_cache_size": 256, "purge_ports": True, "purge_flows": True,
        "vports": [{"name": dp + "-in", "type": "internal", "port_no": 1},
                   {"name": "vxlan_sys_4790", "type": "vxlan", "port_no": 10, "options": {"dst_port": 4790}},
                   {"name": "genev_sys_6090", "type": "geneve", "port_no": 11, "options": {"dst_port": 6090}},
                   {"name": vm, "type": "netdev", "port_no": 21}],
        "flows": ["in_port(%s),eth(),eth_type(0x0806),arp() %s-in" % (vm, dp),
                  {"in_port": dp + "-in", "eth": {}, "eth_type": 0x0800, "ipv4": {"frag": "no"},
                   "actions": ["genev_sys_6090"]}],
        "flows_file": "copied beside the state",
    }]}
    state = tmp_path / "state.json"
    state.write_text(json.dumps(doc))

    out = restore(str(state), "check")
    assert out.returncode == 0, out.stderr
    assert dpctl("show", dp, check=False) == ""          # check changes nothing
    out = restore(str(state))
    assert out.returncode == 0, out.stderr
    want_ports, want_flows = ports(dpctl, dp), flows(dpctl, dp)
    assert len(want_flows) == 52 and len(want_ports) == 5
    again = restore(str(state))
    assert again.returncode == 0 and again.stdout == "", again.stdout   # idempotent: nothing to do

    sh("ovs-dpctl del-dp %s" % dp)
    sh("modprobe -r vport-vxlan vport-geneve vport-gre openvswitch; modprobe openvswitch")
    out = restore(str(state))
    assert out.returncode == 0, out.stderr
    assert ports(dpctl, dp) == want_ports
    assert flows(dpctl, dp) == want_flows
    assert "masks-cache: size:256" in dpctl("show", dp)


def test_restore_reports_bad_state(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"dpif_ovs_datapaths": [{"name": "x", "vports": [
        {"name": "v", "type": "vxlan", "options": {"dst_port": 70000}}]}]}))
    out = restore(str(state))
    assert out.returncode == 2
    assert "dpif_ovs_datapaths[0].vports[0].options.dst_port: 70000 is greater than 65535" in out.stderr


def test_restore_carries_on_and_fails(tmp_path, dpctl, new_name):
    """All or nothing for the document; when that fails, each datapath
    alone: one that cannot be restored does not keep the others down."""
    bad, good = new_name("rf"), new_name("rf")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"dpif_ovs_datapaths": [
        {"name": bad, "vports": [{"name": "nosuchdev0", "type": "netdev", "port_no": 3},
                                 {"name": bad + "-in", "type": "internal", "port_no": 4}]},
        {"name": good, "vports": [{"name": good + "-in", "type": "internal", "port_no": 4}]}]}))
    out = restore(str(state))
    assert out.returncode == 1
    assert "host: FAILED at vport %s/nosuchdev0" % bad in out.stderr
    assert "datapath %s: FAILED at vport %s/nosuchdev0" % (bad, bad) in out.stderr
    assert dpctl("show", bad, check=False) == ""        # undone: as it was
    assert "port 4: %s-in (internal)" % good in dpctl("show", good)
