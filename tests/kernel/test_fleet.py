"""The hypervisor role on a fleet: 8 hosts, each its own network namespace
with its own sshd, reached only over SSH as a normal user with become, with
Ansible's forks (one per host) as the engine (see fleet.py).

Each ansible-playbook run costs one to two minutes in the sandbox (every
task on every host is a worker process, and all of them share the sandbox's
one CPU), so the bad host rides along in the same runs as the good ones."""

import re

import pytest

from fleet import ROLE_PLAY, Fleet, host_document

HOSTS = 8
BAD = "hv%d" % HOSTS        # its document is refused; the others converge
GUARD_PLAY = """\
- name: The SSH session's interface is refused, reached over SSH with become
  hosts: hv1
  gather_facts: false
  become: true
  tasks:
    - name: A datapath
      dpif.ovs.ovs_datapath:
        name: fguard
    - name: The session's interface as a port, one task
      dpif.ovs.ovs_vport:
        datapath: fguard
        name: eth0
        type: netdev
      ignore_errors: true
    - name: The session's interface as a port, the whole host
      dpif.ovs.ovs_datapaths:
        config:
          - name: fguard
            vports:
              - name: eth0
                type: netdev
      ignore_errors: true
    - name: What the kernel has
      ansible.builtin.command: ovs-dpctl show fguard
      register: shown
      changed_when: false
    - name: No such port
      ansible.builtin.assert:
        that: "'eth0' not in shown.stdout"
    - name: Clean up
      dpif.ovs.ovs_datapath:
        name: fguard
        state: absent
"""


def document(n):
    return host_document(n, "fdp")


def host_vars(n, doc=None):
    """The role's variables for host N: its document, no persistence (the
    restore is tested in test_cli_restore and molecule)."""
    return {"dpif_ovs_datapaths": document(n) if doc is None else doc, "dpif_ovs_persist": False}


def recaps(out):
    """host -> (ok, changed, unreachable, failed) from the play recap."""
    found = dict((m.group(1), tuple(int(x) for x in m.groups()[1:])) for m in re.finditer(
        r"^(hv\d+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out.stdout, re.M))
    assert len(found) == HOSTS, out.stdout + out.stderr
    return found


def good_hosts(out, changed):
    """The recaps, every host but the bad one converging (``changed`` says
    whether it changed); the bad host's failure, with its reason."""
    found = recaps(out)
    assert found.pop(BAD)[1:] == (0, 0, 1), out.stdout[-3000:]
    assert "dpif_ovs_datapaths[0].vports[1].options.dst_port: 70000 is greater than 65535" in out.stdout
    for host, (_ok, host_changed, unreachable, failed) in found.items():
        assert (unreachable, failed) == (0, 0) and (host_changed > 0) == changed, (host, out.stdout[-3000:])


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    work = tmp_path_factory.mktemp("fleet")
    built = Fleet(HOSTS, work)
    yield built
    built.close()


def test_the_role_on_eight_hosts_over_ssh_with_become(fleet, dpctl):
    play = fleet.work / "site.yml"
    play.write_text(ROLE_PLAY)
    bad = document(HOSTS)
    bad[0]["vports"][1]["options"]["dst_port"] = 70000
    inventory = fleet.inventory(dict(("hv%d" % n, host_vars(n, bad if n == HOSTS else None))
                                     for n in range(1, HOSTS + 1)))

    out = fleet.playbook(play, inventory, "--check", "--diff")
    good_hosts(out, changed=True)
    assert out.stdout.count("+port 10: fdp-vx (vxlan: dst_port=4789)") == HOSTS - 1     # each host's plan, as a diff
    for n in range(1, HOSTS + 1):
        assert fleet.dpctl(n, "show", "fdp") == ""              # --check created nothing

    out = fleet.playbook(play, inventory)
    good_hosts(out, changed=True)
    for n in range(1, HOSTS):
        shown = fleet.dpctl(n, "show", "fdp")
        assert "port 1: fdp-in (internal)" in shown and "port 10: fdp-vx (vxlan" in shown, (n, shown)
        flows = fleet.dpctl(n, "dump-flows", "fdp")
        assert "ipv4(dst=10.%d.0.0/255.255.0.0,frag=no)" % n in flows and len(flows.splitlines()) == 2
    assert fleet.dpctl(HOSTS, "show", "fdp") == ""                # the bad host: nothing half-done
    assert "fdp" not in dpctl("dump-dps")                         # nothing in the controller's namespace

    out = fleet.playbook(play, inventory)
    good_hosts(out, changed=False)


def test_the_ssh_session_interface_is_refused_under_become(fleet):
    play = fleet.work / "guard.yml"
    play.write_text(GUARD_PLAY)
    inventory = fleet.inventory({})
    out = fleet.playbook(play, inventory)
    assert re.search(r"^hv1\s*:.*failed=0\s.*ignored=2", out.stdout, re.M), out.stdout[-3000:]
    refusals = re.findall(r'"msg": "vport \'eth0\': refusing to attach \'eth0\' as a netdev port: ([^"]*)"', out.stdout)
    assert len(refusals) == 2, out.stdout[-3000:]          # the per-object task and the whole-host one
    for reason in refusals:
        assert "it carries the SSH session this task runs under, from 10.80.1.1" in reason, reason
