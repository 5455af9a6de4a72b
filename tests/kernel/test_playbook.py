"""End to end: ansible-playbook applies a datapath, then a second run changes nothing."""

import os
import re
import subprocess
import sys

from conftest import COLL_ROOT

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def playbook(path, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLL_ROOT, ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_LOCAL_TEMP="/tmp/ansible-local",
               ANSIBLE_REMOTE_TEMP="/tmp/ansible-remote")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, path] + list(extra)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out.stdout)
    assert recap, out.stdout + out.stderr
    return out, tuple(int(x) for x in recap.groups())


def test_playbook_applies_then_changes_nothing(veth, dpctl, new_name):
    dp = new_name("pb")
    veth(dp + "-vm1")
    veth(dp + "-vm2")
    path = os.path.join(TOP, "tests", "playbooks", "foundation.yml")
    # On a host that has nothing yet, --check plans every task, the flows too.
    out, (ok, changed, unreachable, failed) = playbook(path, "-e", "dp_name=" + dp, "--check", "--diff")
    assert failed == 0 and changed == 5, out.stdout
    assert "+in_port(%s-vm1),eth(),eth_type(0x0800),ipv4(frag=no) %s-vx" % (dp, dp) in out.stdout
    assert dpctl("show", dp, check=False) == ""          # check mode made nothing
    out, (ok, changed, unreachable, failed) = playbook(path, "-e", "dp_name=" + dp, "--diff")
    assert failed == 0 and changed == 5, out.stdout
    assert "+in_port(21),eth(),eth_type(0x0800),ipv4(frag=no) 10" in out.stdout
    assert '+    "port_no": 10,' in out.stdout          # --diff shows the new port
    ports = [line.strip() for line in dpctl("show", dp).splitlines() if line.strip().startswith("port ")]
    assert ports == [
        "port 0: %s (internal)" % dp,
        "port 1: %s-int (internal)" % dp,
        "port 10: %s-vx (vxlan: packet_type=ptap)" % dp,
        "port 21: %s-vm1" % dp,
        "port 22: %s-vm2" % dp,
    ]
    out, (ok, changed, unreachable, failed) = playbook(path, "-e", "dp_name=" + dp)
    assert failed == 0 and changed == 0, out.stdout
