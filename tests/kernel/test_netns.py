"""The netns option: every module, the role's restore, in another network
namespace, on the real kernel. Each namespace has its own datapaths: what a
task does there is seen by ``ip netns exec NS ovs-dpctl`` and not in the
host's own namespace. Modules run in processes of their own (a process
that enters a namespace stays there), as Ansible runs them."""

import json
import os
import subprocess
import sys

import pytest

from conftest import COLL_ROOT, module_script

RUN_MODULE = module_script()
CLI = "ansible_collections.dpif.ovs.plugins.module_utils.cli"


def module(name, args, check=False):
    env = dict(os.environ, PYTHONPATH=COLL_ROOT)
    full = dict(args, _ansible_check_mode=check)
    out = subprocess.run([sys.executable, "-c", RUN_MODULE, name, json.dumps(full)], capture_output=True,
                         text=True, env=env, check=False)
    assert out.stdout.strip(), out.stderr
    return json.loads(out.stdout)


def dpctl(*args, ns=None):
    prefix = ["ip", "netns", "exec", ns] if ns else []
    return subprocess.run(prefix + ["ovs-dpctl"] + list(args), capture_output=True, text=True, check=False).stdout


@pytest.fixture
def namespace():
    name = "dpifns%d" % (os.getpid() % 10000)
    subprocess.run(["ip", "netns", "add", name], check=True)
    # A guest's veth whose one end is in the namespace.
    subprocess.run(["ip", "link", "add", name + "v", "type", "veth", "peer", "name", name + "p"], check=True)
    subprocess.run(["ip", "link", "set", name + "v", "netns", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)
    subprocess.run(["ip", "link", "del", name + "p"], stderr=subprocess.DEVNULL, check=False)


def test_modules_work_in_the_namespace_they_are_given(namespace, new_name):
    dp = new_name("nn")
    vm = namespace + "v"            # exists only inside the namespace
    config = [{"name": dp, "purge_flows": True, "vports": [
        {"name": dp + "-i", "type": "internal", "port_no": 1}, {"name": vm, "type": "netdev", "port_no": 7}],
        "flows": ["in_port(%s),eth(),eth_type(0x0806),arp() %s-i" % (vm, dp)]}]
    args = {"config": config, "netns": namespace}
    res = module("ovs_datapaths", args, check=True)
    assert res["changed"] and not res.get("failed"), res
    assert dpctl("show", dp, ns=namespace) == ""
    res = module("ovs_datapaths", args)
    assert res["changed"] and not res.get("failed"), res
    shown = dpctl("show", dp, ns=namespace)
    assert "port 1: %s-i (internal)" % dp in shown and "port 7: %s" % vm in shown
    assert len(dpctl("dump-flows", dp, ns=namespace).splitlines()) == 1
    assert dpctl("show", dp) == ""                      # nothing in the host's own namespace
    assert module("ovs_datapaths", args)["changed"] is False
    # The per-object modules too.
    assert [d["name"] for d in module("ovs_datapath_info", {"netns": namespace})["datapaths"]] == [dp]
    assert dp not in [d["name"] for d in module("ovs_datapath_info", {})["datapaths"]]
    res = module("ovs_vport", {"datapath": dp, "name": dp + "-j", "type": "internal", "netns": namespace})
    assert res["changed"] and "-j (internal)" in dpctl("show", dp, ns=namespace)
    res = module("ovs_flow", {"datapath": dp, "state": "gathered", "names": True, "netns": namespace})
    assert res["gathered"] == ["in_port(%s),eth(),eth_type(0x0806) %s-i" % (vm, dp)]
    res = module("ovs_datapath", {"name": dp, "state": "absent", "netns": "/run/netns/" + namespace})
    assert res["changed"] and dpctl("show", dp, ns=namespace) == ""


def test_a_missing_or_wrong_namespace_is_a_sentence(namespace):
    res = module("ovs_datapath_info", {"netns": "nosuchns0"})
    assert res["failed"] and res["errno"] == "ENOENT"
    assert res["msg"] == ("netns 'nosuchns0': there is no network namespace at /run/netns/nosuchns0; "
                          "create it with: ip netns add nosuchns0")
    res = module("ovs_datapath_info", {"netns": "/proc/self/ns/mnt"})
    assert res["failed"] and res["errno"] == "EINVAL" and "is not a network namespace" in res["msg"]
    res = module("ovs_datapath_info", {"netns": "../x"})
    assert res["failed"] and "give a name under /run/netns" in res["msg"]


def test_the_restore_applies_the_state_in_its_namespace(namespace, new_name, tmp_path):
    dp = new_name("nr")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"dpif_ovs_netns": namespace, "dpif_ovs_datapaths": [
        {"name": dp, "vports": [{"name": dp + "-i", "type": "internal", "port_no": 3}]}]}))
    env = dict(os.environ, PYTHONPATH=COLL_ROOT)
    out = subprocess.run([sys.executable, "-m", CLI, "restore", str(state)], capture_output=True, text=True,
                         env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert "port 3: %s-i (internal)" % dp in dpctl("show", dp, ns=namespace)
    assert dpctl("show", dp) == ""


def test_module_defaults_for_the_action_group(namespace, new_name, tmp_path):
    """``module_defaults: {group/dpif.ovs.dpif: {netns: NS}}`` sends every
    module of the group into the namespace, through ansible-playbook."""
    from test_playbook import playbook
    dp = new_name("ng")
    path = tmp_path / "group.yml"
    path.write_text("""\
- hosts: all
  gather_facts: false
  module_defaults:
    group/dpif.ovs.dpif:
      netns: %s
  tasks:
    - dpif.ovs.ovs_datapaths:
        config: [{name: %s, vports: [{name: %s-i, type: internal}]}]
    - dpif.ovs.ovs_flow:
        datapath: %s
        config: ["in_port(%s-i),eth(),eth_type(0x0806),arp() 0"]
    - dpif.ovs.ovs_datapath_info:
      register: info
    - ansible.builtin.assert:
        that: info.datapaths | map(attribute='name') | list == ['%s']
""" % (namespace, dp, dp, dp, dp, dp))
    out, (ok, changed, unreachable, failed) = playbook(str(path))
    assert (changed, failed) == (2, 0), out.stdout
    assert "-i (internal)" in dpctl("show", dp, ns=namespace) and dpctl("show", dp) == ""
