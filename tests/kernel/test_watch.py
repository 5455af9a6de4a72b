"""The watch service (cli watch): a guest's tap that appears after the
playbook ran is attached with its port number and its flows, and again
after it is deleted and re-created. Real processes, real devices."""

import json
import os
import re
import subprocess
import sys
import time

from conftest import COLL_ROOT, sh

CLI = "ansible_collections.dpif.ovs.plugins.module_utils.cli"


def ports(dp):
    out = subprocess.run(["ovs-dpctl", "show", dp], capture_output=True, text=True, check=False).stdout
    return [line.strip() for line in out.splitlines() if line.strip().startswith("port ")]


def flow_count(dp):
    out = subprocess.run(["ovs-dpctl", "dump-flows", dp], capture_output=True, text=True, check=False).stdout
    return len(out.splitlines())


def wait_for(predicate, seconds=10.0):
    """How long ``predicate`` took to hold; fails after ``seconds``."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError("not within %.0f s" % seconds)


def test_watch_attaches_optional_ports_as_devices_appear(tmp_path, new_name):
    dp = new_name("wa")
    tap = dp + "t"
    doc = {"dpif_ovs_datapaths": [{
        "name": dp, "purge_flows": True,
        "vports": [{"name": dp + "-in", "type": "internal", "port_no": 1},
                   {"name": tap, "type": "netdev", "port_no": 20, "optional": True}],
        "flows": ["in_port(%s),eth(),eth_type(0x0806),arp() %s-in" % (tap, dp),
                  "in_port(%s-in),eth(),eth_type(0x0806),arp() %s" % (dp, tap),
                  "in_port(%s-in),eth(),eth_type(0x0800),ipv4(frag=no) drop" % dp]}]}
    state = tmp_path / "state.json"
    state.write_text(json.dumps(doc))
    os.chmod(tmp_path, 0o755)
    env = dict(os.environ, PYTHONPATH=COLL_ROOT)
    watcher = subprocess.Popen([sys.executable, "-m", CLI, "watch", str(state)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # It applies once as it starts: the tap is pending, its flows wait.
        wait_for(lambda: ports(dp) == ["port 0: %s (internal)" % dp, "port 1: %s-in (internal)" % dp]
                 and flow_count(dp) == 1, 30)
        sh("ip link add %s type veth peer name %sp" % (tap, tap))
        took = wait_for(lambda: "port 20: %s" % tap in ports(dp) and flow_count(dp) == 3)
        print("attached %.2f s after the device appeared" % took)
        sh("ip link del %s" % tap)
        wait_for(lambda: "port 20: %s" % tap not in ports(dp))
        sh("ip link add %s type veth peer name %sp" % (tap, tap))
        took = wait_for(lambda: "port 20: %s" % tap in ports(dp) and flow_count(dp) == 3)
        print("re-attached %.2f s after the device came back" % took)
    finally:
        watcher.terminate()
        out, err = watcher.communicate(timeout=30)
        subprocess.run(["ip", "link", "del", tap], stderr=subprocess.DEVNULL, check=False)
    assert "watch: device %s appeared" % tap in out, (out, err)
    assert re.search(r"watch: vport %s/%s \(port 20\) was removed" % (dp, tap), err), err
    assert "Traceback" not in err, err
