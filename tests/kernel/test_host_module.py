"""ovs_datapaths: a whole host in one transaction, on the real kernel.

ovs-dpctl (a real process) is the oracle for what the kernel holds. Every
apply is preceded by a check-mode run whose commands must equal the real
run's, and followed by a run that changes nothing.
"""

import json
import re
import subprocess

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.resources import host


def flows(dpctl, dp):
    """dump-flows without the counters, sorted."""
    return sorted(re.sub(r", packets:\d+, bytes:\d+, used:[^,]+", "", line).strip()
                  for line in dpctl("dump-flows", dp).splitlines())


def ports(dpctl, dp):
    return [line.strip() for line in dpctl("show", dp, check=False).splitlines() if line.strip().startswith("port ")]


def kernel_view(dpctl, names):
    """What ovs-dpctl shows of these datapaths: ports and flows (None: absent)."""
    out = {}
    for dp in names:
        shown = dpctl("show", dp, check=False)
        out[dp] = (ports(dpctl, dp), flows(dpctl, dp)) if shown else None
    return out


@pytest.fixture
def apply_host(run_module):
    """``apply_host(config, state)``: check mode, real run, second run; the
    check run's commands equal the real run's, the second changes nothing.
    Returns the real run's result."""
    def apply(config, state="merged", check_equal=True):
        args = {"config": config, "state": state}
        predicted = run_module("ovs_datapaths", args, check=True, diff=True)
        assert not predicted.get("failed"), predicted
        done = run_module("ovs_datapaths", args, diff=True)
        assert not done.get("failed"), done
        if check_equal:
            assert predicted["commands"] == done["commands"]
            assert predicted["datapaths"] == done["datapaths"]
        again = run_module("ovs_datapaths", args)
        assert not again.get("failed"), again
        assert again["changed"] is False and again["commands"] == [], again["commands"]
        return done
    return apply


def test_merged_builds_a_host_check_mode_first(apply_host, run_module, new_name, veth, dpctl, dpif, tmp_path):
    dp1, dp2 = new_name("hm"), new_name("hm")
    vm = veth(dp1 + "v")
    flows_file = tmp_path / "dp2.flows"
    flows_file.write_text("# a file on the host\n" + "".join(
        "in_port(%s-in),eth(),eth_type(0x0800),ipv4(dst=10.1.0.%d,frag=no) %s-vx\n" % (dp2, i, dp2)
        for i in range(1, 21)))
    config = [
        {"name": dp1, "masks_cache_size": 512, "vports": [
            {"name": dp1 + "-in", "type": "internal", "port_no": 1},
            {"name": vm, "type": "netdev", "port_no": 7}],
         "flows": ["in_port(%s),eth(),eth_type(0x0806),arp() %s-in" % (vm, dp1),
                   {"in_port": dp1 + "-in", "eth": {}, "eth_type": 0x0806, "arp": {}, "actions": [vm]}]},
        {"name": dp2, "vports": [
            {"name": dp2 + "-in", "type": "internal"},
            {"name": dp2 + "-vx", "type": "vxlan", "port_no": 10, "options": {"dst_port": 4790}}],
         "flows_file": str(flows_file)},
    ]
    predicted = run_module("ovs_datapaths", {"config": config}, check=True)
    # Its own plan creates the datapaths and ports its flows name: nothing to warn about.
    assert predicted.warning_texts == [], predicted.warning_texts
    done = apply_host(config)
    assert done["changed"]
    assert done["commands"][:3] == ["add-dp %s masks_cache_size=512" % dp1,
                                    "add-if %s %s-in,type=internal,port_no=1" % (dp1, dp1),
                                    "add-if %s %s,type=netdev,port_no=7" % (dp1, vm)]
    assert done["datapaths"][dp1]["flows"] == {"create": 2, "modify": 0, "delete": 0, "unchanged": 0}
    assert done["datapaths"][dp2]["flows"]["create"] == 20
    assert done["datapaths"][dp2]["ports"] == {"add": 2, "delete": 0, "recreate": 0}
    assert ports(dpctl, dp1) == ["port 0: %s (internal)" % dp1, "port 1: %s-in (internal)" % dp1, "port 7: %s" % vm]
    assert len(flows(dpctl, dp1)) == 2 and len(flows(dpctl, dp2)) == 20
    assert "+port 1: %s-in (internal)" % dp1 in done["diff"]["prepared"]


def test_a_failure_at_any_step_leaves_the_host_as_it_was(run_module, new_name, dpctl, dpif):
    """A failure injected at each kind of step: datapath, port, flow. Every
    step done before it is undone: a created datapath deleted, a purged port
    re-created with its number, flows restored, a deleted datapath re-created
    with its ports and flows."""
    old, gone, fresh = new_name("ha"), new_name("ha"), new_name("ha")
    setup = [
        {"name": old, "vports": [{"name": old + "-a", "type": "internal", "port_no": 3},
                                 {"name": old + "-b", "type": "internal", "port_no": 4}],
         "flows": ["in_port(%s-a),eth(),eth_type(0x0806),arp() %s-b" % (old, old),
                   "in_port(%s-b),eth(),eth_type(0x0806),arp() %s-a" % (old, old)]},
        {"name": gone, "masks_cache_size": 128, "vports": [{"name": gone + "-a", "type": "internal", "port_no": 9}],
         "flows": ["in_port(%s-a),eth(),eth_type(0x0800),ipv4(frag=no) drop" % gone]},
    ]
    assert run_module("ovs_datapaths", {"config": setup})["changed"]
    names = [old, gone, fresh]
    before = kernel_view(dpctl, names)
    assert before[fresh] is None

    changed_old = {"name": old, "purge_ports": True, "purge_flows": True, "vports": [
        {"name": old + "-a", "type": "internal", "port_no": 3},
        {"name": old + "-c", "type": "internal", "port_no": 5}],
        "flows": ["in_port(%s-a),eth(),eth_type(0x0806),arp() %s-c" % (old, old)]}
    new_dp = {"name": fresh, "vports": [{"name": fresh + "-a", "type": "internal"}],
              "flows": ["in_port(%s-a),eth(),eth_type(0x0806),arp() drop" % fresh]}
    cases = {
        # a datapath step: a name another device has
        "datapath": [changed_old, new_dp, {"name": old + "-b"}],
        # a port step: a netdev that does not exist (and is not optional)
        "vport": [new_dp, dict(changed_old, vports=changed_old["vports"] + [{"name": "nosuchdev9", "type": "netdev"}])],
        # a flow step: conntrack zones, which this kernel refuses, after other flows were applied
        "flows": [new_dp, dict(changed_old, flows=changed_old["flows"] + [
            "in_port(%s-a),eth(),eth_type(0x0800),ipv4(frag=no) ct(zone=5)" % old])],
    }
    for kind, config in cases.items():
        for state in ("merged", "overridden"):
            if kind == "datapath" and state == "overridden":
                continue        # the clash is checked before anything is deleted
            res = run_module("ovs_datapaths", {"config": config, "state": state})
            assert res.get("failed"), (kind, state, res)
            assert "undone, so the host is as it was" in res["msg"], (kind, res["msg"])
            assert res["step"].startswith({"datapath": "datapath", "vport": "vport", "flows": "flows"}[kind]), res
            assert "rollback_failures" not in res
            assert kernel_view(dpctl, names) == before, (kind, state)
            assert dpif.get(fresh) is None


def test_gathered_round_trips_and_imports_a_dpctl_host(run_module, new_name, dpctl, dpif):
    dp = new_name("hg")
    dpctl("add-dp", dp)
    dpctl("add-if", dp, "%s-i,type=internal,port_no=6" % dp)
    dpctl("add-flow", dp, "in_port(6),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,frag=no)", "0")
    dpctl("add-flow", dp, "in_port(0),eth(),eth_type(0x0806),arp()", "6")
    res = run_module("ovs_datapaths", {"state": "gathered"})
    (entry,) = [e for e in res["gathered"] if e["name"] == dp]
    assert entry["vports"] == [{"name": dp + "-i", "type": "internal", "port_no": 6}]
    assert sorted(entry["flows"]) == entry["flows"] and len(entry["flows"]) == 2
    assert any(f.startswith("in_port(%s-i)" % dp) for f in entry["flows"])
    before = kernel_view(dpctl, [dp])
    back = run_module("ovs_datapaths", {"config": [entry], "state": "replaced"})
    assert not back.get("failed") and back["changed"] is False, back
    assert kernel_view(dpctl, [dp]) == before


def test_replaced_overridden_and_deleted(apply_host, run_module, new_name, dpctl, dpif):
    keep, other = new_name("hr"), new_name("hr")
    run_module("ovs_datapaths", {"config": [
        {"name": keep, "vports": [{"name": keep + "-x", "type": "internal", "port_no": 2}],
         "flows": ["in_port(%s-x),eth(),eth_type(0x0806),arp() drop" % keep]},
        {"name": other}]})
    want = [{"name": keep, "vports": [{"name": keep + "-y", "type": "internal", "port_no": 3}]}]
    done = apply_host(want, "replaced")
    assert done["commands"] == ["del-if %s %s-x" % (keep, keep),
                                "add-if %s %s-y,type=internal,port_no=3" % (keep, keep),
                                "del-flows %s" % keep]
    assert dpif.get(other) is not None           # replaced leaves unlisted datapaths alone
    listed = [{"name": e["name"]} for e in run_module("ovs_datapaths", {"state": "gathered"})["gathered"]
              if e["name"] != other]
    done = apply_host(want + [e for e in listed if e["name"] != keep], "overridden")
    assert done["commands"] == ["del-dp %s" % other]
    assert dpif.get(other) is None
    done = apply_host([{"name": keep}], "deleted")
    assert done["commands"] == ["del-dp %s" % keep] and dpif.get(keep) is None


def test_verify_after_apply_finds_another_writer(run_module, new_name, dpctl, dpif, monkeypatch):
    """Another writer (ovs-dpctl, a real process) adds a flow between the
    apply and its verification: the run fails saying what differs, undoes
    its own steps, and leaves the other writer's flow."""
    dp = new_name("hv")
    real_verify = host.verify

    def other_writer_then_verify(*args):
        subprocess.run(["ovs-dpctl", "add-flow", dp, "in_port(0),eth(),eth_type(0x0800),ipv4(frag=no)", "0"], check=True)
        return real_verify(*args)

    monkeypatch.setattr(host, "verify", other_writer_then_verify)
    res = run_module("ovs_datapaths", {"config": [
        {"name": dp, "purge_flows": True, "flows": ["in_port(0),eth(),eth_type(0x0806),arp() drop"]}]})
    assert res.get("failed") and res["errno"] == "EIO", res
    assert "it would still take: del-flow %s in_port(%s),eth(),eth_type(0x0800),ipv4(frag=no)" % (dp, dp) in res["msg"]
    assert dpif.get(dp) is None          # the datapath this run created is gone again


def test_optional_port_pending_then_attached(run_module, new_name, veth, dpctl):
    dp = new_name("ho")
    tap = dp + "t"
    config = [{"name": dp, "vports": [{"name": dp + "-in", "type": "internal", "port_no": 1},
                                      {"name": tap, "type": "netdev", "port_no": 20, "optional": True}],
               "flows": ["in_port(%s),eth(),eth_type(0x0806),arp() %s-in" % (tap, dp),
                         "in_port(%s-in),eth(),eth_type(0x0806),arp() %s" % (dp, tap),
                         "in_port(%s-in),eth(),eth_type(0x0800),ipv4(frag=no) drop" % dp]}]
    for check in (True, False):
        res = run_module("ovs_datapaths", {"config": config}, check=check)
        assert not res.get("failed"), res
        assert res["pending"] == [{"datapath": dp, "vport": tap, "port_no": 20, "flows": 2}]
        assert any("pending" in w for w in res.warning_texts), res
    assert len(flows(dpctl, dp)) == 1
    again = run_module("ovs_datapaths", {"config": config})
    assert again["changed"] is False
    veth(tap)
    res = run_module("ovs_datapaths", {"config": config})
    assert res["changed"] and res["pending"] == []
    assert "port 20: %s" % tap in ports(dpctl, dp) and len(flows(dpctl, dp)) == 3


def test_rendered_and_parsed_work_offline(run_module, new_name, dpctl):
    config = [{"name": "dpr", "masks_cache_size": 256, "vports": [
        {"name": "dpr-in", "type": "internal", "port_no": 1},
        {"name": "vx0", "type": "vxlan", "port_no": 10, "options": {"dst_port": 4790}}],
        "flows": ["in_port(vx0),eth(),eth_type(0x0800),ipv4(frag=no) dpr-in"], "flows_file": "/x/dpr.flows"}]
    res = run_module("ovs_datapaths", {"config": config, "state": "rendered"})
    assert res["rendered"] == [
        "add-dp dpr masks_cache_size=256", "add-if dpr dpr-in,type=internal,port_no=1",
        "add-if dpr vx0,type=vxlan,port_no=10,dst_port=4790",
        "add-flow dpr in_port(vx0),eth(),eth_type(0x0800),ipv4(frag=no) dpr-in", "add-flows dpr /x/dpr.flows"]
    # parsed reads what ovs-dpctl prints for a host it built.
    dp = new_name("hp")
    dpctl("add-dp", dp)
    dpctl("add-if", dp, "%s-i,type=internal,port_no=6" % dp)
    dpctl("add-flow", dp, "in_port(6),eth(),eth_type(0x0806),arp()", "0")
    text = dpctl("show", dp) + dpctl("dump-flows", dp)
    res = run_module("ovs_datapaths", {"running_config": text, "state": "parsed"})
    (gathered,) = [e for e in run_module("ovs_datapaths", {"state": "gathered"})["gathered"] if e["name"] == dp]
    del gathered["user_features"]       # show does not print them
    assert res["parsed"] == [gathered]
    assert gathered["vports"] == [{"name": dp + "-i", "type": "internal", "port_no": 6}]
    assert gathered["flows"] == ["in_port(%s-i),eth(),eth_type(0x0806) %s" % (dp, dp)]    # as the kernel has it
    back = run_module("ovs_datapaths", {"config": res["parsed"], "state": "replaced"})
    assert not back.get("failed") and back["changed"] is False, back


def test_bad_documents_are_refused_before_the_kernel(run_module):
    res = run_module("ovs_datapaths", {"config": [{"name": "x", "vports": [
        {"name": "v", "type": "vxlan", "options": {"dst_port": 70000}}]}]})
    assert res["failed"] and "config[0].vports[0].options.dst_port: 70000 is greater than 65535" in res["msg"]
    res = run_module("ovs_datapaths", {"config": [{"name": "x", "vports": []}], "state": "deleted"})
    assert res["failed"] and "give only name" in res["msg"]
    assert json.dumps(res)      # plain data


def test_check_mode_reuses_the_number_of_a_port_it_purges(apply_host, run_module, new_name, dpctl):
    """A purged port's number given to a new port: check mode plans it as
    the real run does (the number is free by the time the new port is added)."""
    dp = new_name("hn")
    old_port = {"name": dp + "-o", "type": "internal", "port_no": 5}
    run_module("ovs_datapaths", {"config": [{"name": dp, "vports": [old_port]}]})
    done = apply_host([{"name": dp, "purge_ports": True,
                        "vports": [{"name": dp + "-n", "type": "internal", "port_no": 5}]}])
    assert done["commands"] == ["del-if %s %s-o" % (dp, dp), "add-if %s %s-n,type=internal,port_no=5" % (dp, dp)]
    assert "port 5: %s-n (internal)" % dp in ports(dpctl, dp)


def test_every_flow_held_back(run_module, new_name, dpctl):
    """All of a datapath's flows name a pending port: nothing to install
    (merged), or an empty table (purge_flows)."""
    dp = new_name("hb")
    tap = dp + "t"
    entry = {"name": dp, "vports": [{"name": tap, "type": "netdev", "port_no": 3, "optional": True}],
             "flows": ["in_port(%s),eth(),eth_type(0x0806),arp() 0" % tap, "in_port(0),eth(),eth_type(0x0806),arp() %s" % tap]}
    for purge in (False, True):
        for check in (True, False):
            res = run_module("ovs_datapaths", {"config": [dict(entry, purge_flows=purge)]}, check=check)
            assert not res.get("failed"), res
            assert res["pending"] == [{"datapath": dp, "vport": tap, "port_no": 3, "flows": 2}]
        assert flows(dpctl, dp) == []


def test_a_recreate_the_kernel_refuses_puts_the_old_port_back(run_module, new_name, dpctl):
    """recreate deletes the port, then the kernel refuses the new one (its
    UDP port is another tunnel's): the old port is put back as it was, and
    so is the rest of the host."""
    dp = new_name("hc")
    setup = [{"name": dp, "vports": [
        {"name": dp + "-a", "type": "vxlan", "port_no": 5, "options": {"dst_port": 4791}},
        {"name": dp + "-b", "type": "vxlan", "port_no": 6, "options": {"dst_port": 4792}}]}]
    run_module("ovs_datapaths", {"config": setup})
    before = kernel_view(dpctl, [dp])
    gathered = [e for e in run_module("ovs_datapaths", {"state": "gathered"})["gathered"] if e["name"] == dp]
    assert gathered[0]["vports"][0]["options"] == {"dst_port": 4791}   # ovs-dpctl show does not print it
    change = [{"name": dp, "vports": [
        {"name": dp + "-i", "type": "internal", "port_no": 2},
        {"name": dp + "-a", "type": "vxlan", "port_no": 5, "options": {"dst_port": 4792}, "recreate": True},
        {"name": dp + "-b", "type": "vxlan", "port_no": 6, "options": {"dst_port": 4792}}]}]
    res = run_module("ovs_datapaths", {"config": change})
    assert res.get("failed") and res["step"] == "vport %s/%s-a" % (dp, dp), res
    assert "the old port was put back as it was" in res["msg"]
    assert "so the host is as it was" in res["msg"]
    assert kernel_view(dpctl, [dp]) == before
    assert [e for e in run_module("ovs_datapaths", {"state": "gathered"})["gathered"] if e["name"] == dp] == gathered


def test_a_guest_starting_during_the_run_is_not_a_failure(run_module, new_name, dpctl, dpif, monkeypatch):
    """The optional port's device appears (a real veth) between the apply
    and its verification: the run keeps what it did and says the next run
    (or the watch service) attaches the port."""
    dp = new_name("hd")
    tap = dp + "t"
    real_verify = host.verify

    def device_appears_then_verify(*args):
        subprocess.run(["ip", "link", "add", tap, "type", "veth", "peer", "name", tap + "p"], check=True)
        return real_verify(*args)

    monkeypatch.setattr(host, "verify", device_appears_then_verify)
    try:
        res = run_module("ovs_datapaths", {"config": [{"name": dp, "vports": [
            {"name": dp + "-i", "type": "internal", "port_no": 1},
            {"name": tap, "type": "netdev", "port_no": 2, "optional": True}]}]})
        assert not res.get("failed"), res
        assert any("the device of vport %s/%s appeared or went away during this run" % (dp, tap) in w
                   for w in res.warning_texts), res.warning_texts
        assert ports(dpctl, dp) == ["port 0: %s (internal)" % dp, "port 1: %s-i (internal)" % dp]
    finally:
        subprocess.run(["ip", "link", "del", tap], stderr=subprocess.DEVNULL, check=False)
