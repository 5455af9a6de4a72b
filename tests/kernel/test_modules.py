"""Every option and error of ovs_datapath, ovs_vport and ovs_datapath_info, on the real kernel.

Modules run in this process through their own main() (tests/kernel/conftest.py::run_module),
so each case costs milliseconds, not an ansible-playbook start.
"""

import json
import os
import site
import subprocess
import sys
import time

import pytest

from conftest import COLL_ROOT, module_script


def check_real_idempotent(run_module, module, args):
    """check mode predicts, the real run does it, a second run changes nothing."""
    predicted = run_module(module, args, check=True, diff=True)
    real = run_module(module, args, diff=True)
    again = run_module(module, args, diff=True)
    assert not predicted.failed and not real.failed, (predicted, real)
    assert predicted["changed"] and real["changed"], (predicted, real)
    assert predicted["commands"] == real["commands"]
    assert not again["changed"] and again["commands"] == []
    return predicted, real, again


# -- ovs_datapath --------------------------------------------------------------

def test_datapath_create_change_delete(run_module, dpif, new_name, dpctl):
    name = new_name("dp")
    predicted, real, again = check_real_idempotent(
        run_module, "ovs_datapath", {"name": name, "masks_cache_size": 512, "user_features": ["unaligned"]})
    assert predicted["commands"] == ["add-dp %s user_features=unaligned masks_cache_size=512" % name]
    assert real["diff"] == {"before": {}, "after": {"name": name, "masks_cache_size": 512,
                                                    "user_features": ["unaligned"]}}
    assert "masks-cache: size:512" in dpctl("show", name)
    # Features and cache size change in place.
    predicted, real, again = check_real_idempotent(
        run_module, "ovs_datapath", {"name": name, "masks_cache_size": 1024, "user_features": ["unaligned", "vport_pids"]})
    assert real["commands"] == ["set-dp %s user_features=unaligned,vport_pids masks_cache_size=1024" % name]
    assert real["diff"]["before"]["masks_cache_size"] == 512
    assert real["diff"]["after"] == {"name": name, "masks_cache_size": 1024, "user_features": ["unaligned", "vport_pids"]}
    info = dpif.get(name)
    assert (info.user_features, info.masks_cache_size) == (0x3, 1024)
    # Omitted options are not managed.
    assert not run_module("ovs_datapath", {"name": name})["changed"]
    assert dpif.get(name).masks_cache_size == 1024
    # Deleting removes the ports too.
    dpctl("add-if", name, "ix%s,type=internal" % name[2:])
    predicted, real, again = check_real_idempotent(run_module, "ovs_datapath", {"name": name, "state": "absent"})
    assert real["commands"] == ["del-dp %s" % name]
    assert dpif.get(name) is None
    assert not os.path.exists("/sys/class/net/ix%s" % name[2:])


def test_datapath_check_mode_changes_nothing(run_module, dpif, new_name, dp):
    name = new_name("dp")
    assert run_module("ovs_datapath", {"name": name}, check=True)["changed"]
    assert dpif.get(name) is None
    assert run_module("ovs_datapath", {"name": dp, "state": "absent"}, check=True)["changed"]
    assert dpif.get(dp) is not None
    assert run_module("ovs_datapath", {"name": dp, "masks_cache_size": 128}, check=True)["changed"]
    assert dpif.get(dp).masks_cache_size == 256


@pytest.mark.parametrize("args,errno_name,text", [
    ({"masks_cache_size": 3}, "EINVAL", "masks cache size 3 rejected: it must be 0 (disabled) or a power of two"),
    ({"user_features": ["tc_recirc_sharing"]}, "EOPNOTSUPP", "does not support user features tc_recirc_sharing"),
])
def test_datapath_bad_features_change_nothing(run_module, dpif, new_name, args, errno_name, text):
    name = new_name("dp")
    res = run_module("ovs_datapath", dict(args, name=name))
    assert res.failed and res["errno"] == errno_name and text in res["msg"], res
    assert dpif.get(name) is None


def test_datapath_name_errors(run_module, veth):
    res = run_module("ovs_datapath", {"name": "a-very-long-name0"})
    assert res.failed and res["msg"] == "datapath 'a-very-long-name0': name is 17 bytes long; the kernel allows at most 15"
    veth("taken0")
    res = run_module("ovs_datapath", {"name": "taken0"})
    assert res.failed and res["errno"] == "EEXIST"
    assert "a network device with this name exists and is not a datapath" in res["msg"]


# -- ovs_vport -----------------------------------------------------------------

def test_vport_every_type(run_module, dp, veth, dpctl, dpif):
    veth("vm0")
    cases = [
        ({"name": "int0", "type": "internal"}, "add-if %s int0,type=internal" % dp),
        ({"name": "vx0", "type": "vxlan", "port_no": 10}, "add-if %s vx0,type=vxlan,port_no=10,dst_port=4789" % dp),
        ({"name": "vxg0", "type": "vxlan", "options": {"dst_port": 4800, "extensions": ["gbp"]}},
         "add-if %s vxg0,type=vxlan,dst_port=4800,extensions=gbp" % dp),
        ({"name": "gnv0", "type": "geneve", "options": {"dst_port": 6090}}, "add-if %s gnv0,type=geneve,dst_port=6090" % dp),
        ({"name": "gt0", "type": "gre"}, "add-if %s gt0,type=gre" % dp),
        ({"name": "vm0", "type": "netdev", "port_no": 20}, "add-if %s vm0,type=netdev,port_no=20" % dp),
    ]
    for args, command in cases:
        predicted, real, again = check_real_idempotent(run_module, "ovs_vport", dict(args, datapath=dp))
        assert real["commands"] == [command]
        assert real["diff"]["before"] == {}
        assert real["diff"]["after"] == real["vport"] == again["vport"]
    ports = {p.name: (p.port_no, p.type, p.options) for p in dpif.ports(dp)}
    assert ports == {
        dp: (0, "internal", {}),
        "int0": (1, "internal", {}),
        "vx0": (10, "vxlan", {"dst_port": 4789}),
        "vxg0": (2, "vxlan", {"dst_port": 4800, "extensions": ["gbp"]}),
        "gnv0": (3, "geneve", {"dst_port": 6090}),
        "gt0": (4, "gre", {}),
        "vm0": (20, "netdev", {}),
    }
    # Absent: check mode predicts, then it goes, then nothing to do.
    predicted, real, again = check_real_idempotent(
        run_module, "ovs_vport", {"datapath": dp, "name": "vx0", "state": "absent"})
    assert real["commands"] == ["del-if %s vx0" % dp]
    assert "vx0" not in dpctl("show", dp)


def test_vport_immutable_attributes_refused_or_recreated(run_module, dp, dpif):
    base = {"datapath": dp, "name": "vx1", "type": "vxlan", "port_no": 5}
    assert run_module("ovs_vport", base)["changed"]
    res = run_module("ovs_vport", dict(base, options={"dst_port": 4790}))
    assert res.failed and res["errno"] == "EEXIST"
    assert res["msg"] == ("vport 'vx1': dst_port is 4789, wanted 4790; the kernel cannot change this in place; "
                          "set recreate: true to delete and re-create the port")
    res = run_module("ovs_vport", dict(base, type="geneve"))
    assert res.failed and "type is vxlan, wanted geneve" in res["msg"]
    res = run_module("ovs_vport", dict(base, port_no=6))
    assert res.failed and "port number is 5, wanted 6" in res["msg"]
    assert dpif.port_by_name(dp, "vx1").options == {"dst_port": 4789}
    # recreate: check mode predicts, real run recreates keeping the number.
    args = dict(base, options={"dst_port": 4790}, recreate=True)
    predicted, real, again = check_real_idempotent(run_module, "ovs_vport", args)
    assert real["commands"] == ["del-if %s vx1" % dp, "add-if %s vx1,type=vxlan,port_no=5,dst_port=4790" % dp]
    assert real["diff"]["before"]["options"] == {"dst_port": 4789}
    assert real["diff"]["after"]["options"] == {"dst_port": 4790}
    port = dpif.port_by_name(dp, "vx1")
    assert (port.port_no, port.options) == (5, {"dst_port": 4790})
    real = run_module("ovs_vport", dict(base, type="geneve", options={}, recreate=True, port_no=None))
    assert real["changed"] and dpif.port_by_name(dp, "vx1").type == "geneve"
    assert dpif.port_by_name(dp, "vx1").port_no == 5


@pytest.mark.parametrize("args,errno_name,msg", [
    ({"name": "q0", "type": "internal", "port_no": 3}, "EBUSY", "vport 'q0': port number 3 is taken by 'holder0'"),
    ({"name": "q0", "type": "gre", "options": {"dst_port": 4789}}, "EINVAL",
     "vport 'q0': option 'dst_port' does not apply to gre ports; gre ports take no options"),
    ({"name": "q0", "type": "geneve", "options": {"extensions": ["gbp"]}}, "EINVAL",
     "vport 'q0': option 'extensions' does not apply to geneve ports; geneve ports take only dst_port"),
    ({"name": "q0", "type": "vxlan", "options": {"dst_port": 70000}}, "EINVAL",
     "vport 'q0': dst_port must be a UDP port number from 1 to 65535, not 70000"),
    ({"name": "sixteen-bytes-xx", "type": "internal"}, "EINVAL",
     "vport 'sixteen-bytes-xx': name is 16 bytes long; the kernel allows at most 15"),
    ({"name": "nosuchdev0", "type": "netdev"}, "ENODEV",
     "vport 'nosuchdev0': no network interface named 'nosuchdev0' exists on this host; a netdev port attaches an existing device"),
    ({"name": "q0", "type": "internal", "port_no": 65536}, "EFBIG",
     "vport 'q0': port number 65536 is out of range: use 1 to 65535 (0 is the datapath's own port)"),
    ({"name": "lo", "type": "netdev"}, "EINVAL",
     "vport 'lo': 'lo' is a loopback device; the kernel attaches only Ethernet-like devices as netdev ports"),
])
def test_vport_bad_input_changes_nothing(run_module, dp, dpif, args, errno_name, msg):
    run_module("ovs_vport", {"datapath": dp, "name": "holder0", "type": "internal", "port_no": 3})
    before = [(p.name, p.port_no) for p in dpif.ports(dp)]
    res = run_module("ovs_vport", dict(args, datapath=dp))
    assert res.failed, res
    assert (res["errno"], res["msg"]) == (errno_name, msg)
    assert [(p.name, p.port_no) for p in dpif.ports(dp)] == before


def test_vport_argument_spec_errors(run_module, dp):
    res = run_module("ovs_vport", {"datapath": dp, "name": "q1", "type": "patch"})
    assert res.failed and "value of type must be one of: netdev, internal, vxlan, geneve, gre, got: patch" in res["msg"]
    res = run_module("ovs_vport", {"datapath": dp, "name": "q1"})
    assert res.failed and "state is present but all of the following are missing: type" in res["msg"]
    res = run_module("ovs_vport", {"datapath": dp, "name": "q1", "type": "vxlan", "options": {"remote_ip": "1.2.3.4"}})
    assert res.failed and "remote_ip" in res["msg"]


def test_vport_on_missing_datapath(run_module):
    res = run_module("ovs_vport", {"datapath": "nodp0", "name": "q2", "type": "internal"})
    assert res.failed and res["errno"] == "ENODEV"
    assert res["msg"] == "datapath 'nodp0': no such datapath; create it first (dpif.ovs.ovs_datapath)"


def test_vport_device_busy_elsewhere(run_module, dp, new_name, dpif, veth):
    veth("busy0")
    other = new_name("dp")
    dpif.create(other)
    assert run_module("ovs_vport", {"datapath": other, "name": "busy0", "type": "netdev"})["changed"]
    res = run_module("ovs_vport", {"datapath": dp, "name": "busy0", "type": "netdev"})
    assert res.failed and res["errno"] == "EBUSY"
    assert "device 'busy0' is already attached elsewhere" in res["msg"]


def test_vport_refuses_default_route_interface(run_module, dp, veth, dpif):
    veth("uplink0")
    subprocess.run("ip addr add 192.0.2.2/24 dev uplink0 && ip route add default via 192.0.2.1",
                   shell=True, check=True)
    try:
        res = run_module("ovs_vport", {"datapath": dp, "name": "uplink0", "type": "netdev"})
        assert res.failed and res["errno"] == "EPERM"
        assert res["msg"] == ("vport 'uplink0': refusing to attach 'uplink0' as a netdev port: it carries the "
                              "host's IPv4 default route, and a datapath port takes all of a device's traffic; "
                              "set force: true if you really mean it")
        assert dpif.port_by_name(dp, "uplink0") is None
        res = run_module("ovs_vport", {"datapath": dp, "name": "uplink0", "type": "netdev", "force": True})
        assert res["changed"] and dpif.port_by_name(dp, "uplink0") is not None
    finally:
        subprocess.run(["ip", "route", "del", "default"], check=False)


def test_vport_refuses_ansible_connection_interface(run_module, dp, veth, monkeypatch):
    veth("mgmt0")
    subprocess.run("ip addr add 198.51.100.5/24 dev mgmt0", shell=True, check=True)
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.9 50000 198.51.100.5 22")
    res = run_module("ovs_vport", {"datapath": dp, "name": "mgmt0", "type": "netdev"})
    assert res.failed and "it carries this Ansible connection (198.51.100.5)" in res["msg"]


def test_vport_port_zero_is_the_datapath(run_module, dp):
    res = run_module("ovs_vport", {"datapath": dp, "name": dp, "state": "absent"})
    assert res.failed and "delete the datapath instead" in res["msg"]


# -- ovs_datapath_info ---------------------------------------------------------

def test_info_reports_modules_input_shape(run_module, dp, new_name):
    run_module("ovs_vport", {"datapath": dp, "name": "vi0", "type": "vxlan", "port_no": 4,
                             "options": {"extensions": ["gbp"]}})
    res = run_module("ovs_datapath_info", {"name": dp})
    assert not res["changed"]
    (entry,) = res["datapaths"]
    assert entry["name"] == dp and entry["masks_cache_size"] == 256 and entry["user_features"] == []
    assert entry["stats"]["flows"] == 0
    assert [{k: v for k, v in p.items() if k != "stats"} for p in entry["vports"]] == [
        {"name": dp, "type": "internal", "port_no": 0, "options": {}},
        {"name": "vi0", "type": "vxlan", "port_no": 4, "options": {"dst_port": 4789, "extensions": ["gbp"]}},
    ]
    assert set(entry["vports"][1]["stats"]) == {"rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
                                                "rx_errors", "tx_errors", "rx_dropped", "tx_dropped"}
    assert run_module("ovs_datapath_info", {"name": new_name("dp")})["datapaths"] == []
    every = run_module("ovs_datapath_info", {})["datapaths"]
    assert dp in [d["name"] for d in every]


# -- privileges, ownership, module loading ----------------------------------------

DROP_AND_RUN = module_script("""
import os, ansible.module_utils.basic, errno, encodings.idna  # before losing /root
# Imported lazily by the run: load them while the checkout, the .venv and the
# interpreter are still readable (a checkout under /root, mode 0700, is not to nobody).
import ansible_collections.dpif.ovs.plugins.module_utils.dpif.system
import ansible.module_utils._internal._json._profiles._module_legacy_c2m
import ansible.module_utils._internal._json._profiles._module_legacy_m2c
os.setgid(65534); os.setuid(65534)
""")


def test_non_root_gets_a_clear_error(new_name):
    name = new_name("dp")
    out = subprocess.run([sys.executable, "-c", DROP_AND_RUN, "ovs_datapath", json.dumps({"name": name})],
                         capture_output=True, text=True, check=True, cwd="/",
                         env=dict(os.environ, HOME="/tmp", PYTHONPATH=COLL_ROOT))
    res = json.loads(out.stdout)
    assert res["failed"] and res["errno"] == "EPERM"
    assert res["msg"] == ("datapath '%s': permission denied: changing kernel datapaths needs root "
                          "(CAP_NET_ADMIN); run the task with 'become: true'" % name)


FAKE_VSWITCHD = r"""
import os, socket, sys, time
sys.path.insert(0, os.environ["COLL_ROOT"])
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortRequest
d = Dpif.open_system()
d.create(sys.argv[1])
# Point the port's upcalls at one of this process's netlink sockets, as vswitchd does.
sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
sock.bind((0, 0))
pid = sock.getsockname()[0]
d.port_add(sys.argv[1], PortRequest(name="up" + sys.argv[1], type="internal", upcall_pids=[pid]))
print(pid, flush=True)
time.sleep(60)
"""


def test_vswitchd_owned_datapath_is_left_alone(run_module, new_name, dpif, tmp_path):
    name = new_name("dp")
    exe = tmp_path / "ovs-vswitchd"   # the process name is what identifies vswitchd
    os.symlink(sys.executable, exe)
    proc = subprocess.Popen([str(exe), "-c", FAKE_VSWITCHD, name], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, COLL_ROOT=COLL_ROOT, PYTHONPATH=":".join(site.getsitepackages())))
    try:
        portid = int(proc.stdout.readline())
        assert portid in dpif.port_by_name(name, "up" + name).upcall_pids
        res = run_module("ovs_datapath", {"name": name, "state": "absent"})
        assert res.failed and res["errno"] == "EBUSY"
        assert res["msg"] == ("datapath '%s': refusing to change it: its upcalls go to ovs-vswitchd (pid %d); "
                              "manage it with ovs-vsctl, or set force: true" % (name, proc.pid))
        res = run_module("ovs_vport", {"datapath": name, "name": "x" + name, "type": "internal"})
        assert res.failed and "refusing to change it" in res["msg"]
        # The whole-host module: overridden and deleted-all leave it, with a warning; naming it is refused.
        others = [{"name": info.name} for info in dpif.enumerate() if info.name != name]
        res = run_module("ovs_datapaths", {"config": others, "state": "overridden"})
        assert not res.failed and not res["changed"], res
        assert "datapath '%s' is left as it is: its upcalls go to ovs-vswitchd (pid %d)" % (name, proc.pid) \
            in res.warning_texts
        res = run_module("ovs_datapaths", {"state": "gathered"})
        assert name not in [e["name"] for e in res["gathered"]]
        assert "datapath '%s' is left out: its upcalls go to ovs-vswitchd (pid %d)" % (name, proc.pid) \
            in res.warning_texts
        res = run_module("ovs_datapaths", {"config": [{"name": name}], "state": "deleted"})
        assert res.failed and res["errno"] == "EBUSY" and res["step"] == "datapath %s" % name, res
        assert dpif.get(name) is not None
        assert run_module("ovs_datapath", {"name": name, "state": "absent", "force": True})["changed"]
    finally:
        proc.kill()
        proc.wait()


def test_module_entry_points_import_only_what_they_need(new_name, dpctl, tmp_path):
    """Each import is seconds of a task in this sandbox: pyroute2 (2 s, all of
    its parts load with it) is imported by no module (the management-path
    guard has its own rtnetlink client), and the text syntax (0.8 s to compile) is not loaded by a src run that the
    table snapshot shows to have nothing to do."""
    dp = new_name("dp")
    dpctl("add-dp", dp)
    line = "in_port(0),eth(),eth_type(0x0806),arp(op=1) 0,0"
    src = tmp_path / "t.flows"
    src.write_text(line + "\n")
    pyroute2, text = "pyroute2", "ansible_collections.dpif.ovs.plugins.module_utils.odp.text"
    runs = [("ovs_datapath", {"name": dp, "masks_cache_size": 512}, True, [pyroute2]),
            ("ovs_vport", {"datapath": dp, "name": dp + "-i", "type": "internal"}, True, [pyroute2]),
            ("ovs_datapath_info", {"name": dp}, False, [pyroute2]),
            ("ovs_flow", {"datapath": dp, "config": [line[:-2]], "state": "merged"}, True, [pyroute2]),
            ("ovs_flow", {"datapath": dp, "config": [line], "state": "replaced"}, True, [pyroute2]),
            ("ovs_flow", {"datapath": dp, "state": "gathered"}, False, [pyroute2]),
            ("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"}, False, [pyroute2]),
            ("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"}, False, [pyroute2, text])]
    env = dict(os.environ, PYTHONPATH=COLL_ROOT, DPIF_OVS_CACHE_DIR=str(tmp_path / "cache"))
    for n, (module, args, changed, absent) in enumerate(runs):
        path = tmp_path / ("args%d.json" % n)
        path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m",
                               "ansible_collections.dpif.ovs.plugins.modules." + module, str(path)],
                              capture_output=True, text=True, check=True, env=env)
        res = json.loads(proc.stdout)
        assert res["changed"] == changed and not res.get("failed"), (n, module, res)
        imported = [row.rsplit("|", 1)[-1].strip() for row in proc.stderr.splitlines() if "|" in row]
        assert "ansible_collections.dpif.ovs.plugins.module_utils.dpif.system" in imported
        assert [name for name in imported if name.split(".")[0] == pyroute2 or name in absent] == [], (n, module)
        if module == "ovs_flow" and args["state"] == "gathered":
            gathered = res["gathered"]
    assert "masks-cache: size:512" in dpctl("show", dp)
    assert dpctl("dump-flows", dp).strip().endswith("actions:0,0")
    assert res["before"] == gathered and len(gathered) == 1


def test_module_not_loaded(run_module, dpif):
    for d in dpif.enumerate():
        dpif.destroy(d.name)
    # The kernel tears a deleted network namespace down in the background
    # (cleanup_net): a datapath in one an earlier test deleted (the fleet's)
    # holds the vport modules until then, seconds on a loaded machine.
    deadline = time.monotonic() + 60
    while True:
        out = subprocess.run("modprobe -r vport-vxlan vport-geneve vport-gre openvswitch", shell=True,
                             capture_output=True, text=True, check=False)
        if out.returncode == 0:
            break
        assert time.monotonic() < deadline, out.stderr
        time.sleep(0.5)
    # The kernel loads openvswitch on demand when a family is looked up; a host
    # without the module is one where that load fails.
    with open("/proc/sys/kernel/modprobe") as fh:
        modprobe = fh.read().strip()
    with open("/proc/sys/kernel/modprobe", "w") as fh:
        fh.write("/bin/false")
    try:
        res = run_module("ovs_datapath", {"name": "dpx"})
        assert res.failed and res["errno"] == "ENOENT"
        assert res["msg"] == ("kernel: the openvswitch kernel module is not loaded (generic netlink family "
                              "'ovs_datapath' is missing); load it with 'modprobe openvswitch'")
        res = run_module("ovs_datapath_info", {})
        assert res.failed and "modprobe openvswitch" in res["msg"]
    finally:
        with open("/proc/sys/kernel/modprobe", "w") as fh:
            fh.write(modprobe)
        subprocess.run(["modprobe", "openvswitch"], check=True)


def test_vport_check_mode_on_a_datapath_still_to_come(run_module, new_name):
    dp = new_name("dp")
    res = run_module("ovs_vport", {"datapath": dp, "name": "cm0", "type": "internal", "port_no": 4}, check=True)
    assert res["changed"] and res["commands"] == ["add-if %s cm0,type=internal,port_no=4" % dp]
    # ansible-core 2.19+ returns warnings as structured events, older releases as strings.
    warnings = [w if isinstance(w, str) else w["event"]["msg"] for w in res["warnings"]]
    assert warnings == ["datapath '%s' does not exist yet; planning as if an earlier task created it" % dp]
    res = run_module("ovs_vport", {"datapath": dp, "name": "cm0", "type": "internal"})
    assert res.failed and res["errno"] == "ENODEV"
