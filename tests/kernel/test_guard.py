"""The management-path guard of ovs_vport against real SSH sessions.

A real sshd (its own config and host key under the test's tmp directory)
listens on the root namespace's side of veth pairs whose other ends are in
the network namespace 'gcli'. An ssh client in 'gcli' logs in as root and
runs the real ovs_vport entry point (python -m, a JSON args file, as Ansible
runs it) through ``sudo``, which drops SSH_CONNECTION as Ansible's become
does: the guard has only the kernel to find the session by.

    gcli namespace                         root namespace (sshd on port 22022)
    10.71.0.2  gmgmtp  <---- veth ---->  gmgmt   10.71.0.1, 10.71.0.11
    10.72.0.2  gsidep  <---- veth ---->  gside   10.72.0.1
               gtrunkp <---- veth ---->  gtrunk
    10.75.0.2  gtrunkp.100             gtrunk.100  10.75.0.1   (VLAN 100)
               gfreep  <---- veth ---->  gfree   (carries nothing)

Policy routing: "from 10.71.0.11 lookup 171", and table 171 sends
10.71.0.2 out of gside, while the main table says gmgmt.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import COLL_ROOT, sh

from ansible_collections.dpif.ovs.plugins.module_utils.dpif import safety

NS = "gcli"
PORT = 22022
SSHD = "/usr/sbin/sshd"
# host device, namespace peer, host addresses, peer address
LINKS = [("gmgmt", "gmgmtp", ["10.71.0.1/24", "10.71.0.11/24"], "10.71.0.2/24"),
         ("gside", "gsidep", ["10.72.0.1/24"], "10.72.0.2/24"),
         ("gtrunk", "gtrunkp", [], None),
         ("gfree", "gfreep", [], None)]
RUN_MODULE = """#!/bin/sh
# Runs under sudo, as a become task does: SSH_CONNECTION must be gone.
[ -z "${SSH_CONNECTION:-}" ] || { echo "SSH_CONNECTION leaked through sudo" >&2; exit 97; }
PYTHONPATH=%s exec %s -m ansible_collections.dpif.ovs.plugins.modules.ovs_vport "$1"
""" % (COLL_ROOT, sys.executable)


def _write_sysctl(path, value):
    with open(path) as fh:
        old = fh.read().strip()
    with open(path, "w") as fh:
        fh.write(value)
    return old


class Rig:
    """The sshd, the client namespace and how to run ovs_vport over SSH."""

    def __init__(self, tmp, sshd):
        self.tmp = tmp
        self.sshd = sshd
        self.key = str(tmp / "client_key")

    def ssh(self, host, remote_cmd, timeout=120):
        cmd = ["ip", "netns", "exec", NS, "ssh", "-F", "none", "-i", self.key, "-p", str(PORT),
               "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", "root@" + host, remote_cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)

    def vport(self, host, args, name):
        """Run ovs_vport with ``args`` over an SSH session to ``host``, under sudo."""
        path = self.tmp / ("%s.json" % name)
        path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        out = self.ssh(host, "sudo -n /bin/sh %s %s" % (self.tmp / "run-module.sh", path))
        assert out.returncode in (0, 1) and out.stdout.strip(), (out.returncode, out.stdout, out.stderr)
        return json.loads(out.stdout)


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ssh")
    made, restore, sshd = [], [], None
    made_run_sshd = not os.path.isdir("/run/sshd")
    try:
        sh("ip netns add %s" % NS)
        for host, peer, addrs, peer_addr in LINKS:
            sh("ip link add %s type veth peer name %s netns %s" % (host, peer, NS))
            made.append(host)
            for addr in addrs:
                sh("ip addr add %s dev %s" % (addr, host))
            sh("ip link set %s up && ip -n %s link set %s up" % (host, NS, peer))
            if peer_addr:
                sh("ip -n %s addr add %s dev %s" % (NS, peer_addr, peer))
        sh("ip link add link gtrunk name gtrunk.100 type vlan id 100 && ip addr add 10.75.0.1/24 dev gtrunk.100"
           " && ip link set gtrunk.100 up")
        sh(f"ip -n {NS} link add link gtrunkp name gtrunkp.100 type vlan id 100 && ip -n {NS} addr add 10.75.0.2/24"
           f" dev gtrunkp.100 && ip -n {NS} link set gtrunkp.100 up && ip -n {NS} link set lo up")
        # Replies from 10.71.0.11 leave by gside; both ends must accept the asymmetric path.
        sh("ip route add 10.71.0.2/32 dev gside table 171 && ip rule add from 10.71.0.11 lookup 171 pref 171")
        for conf in ("all", "gmgmt", "gside"):
            path = "/proc/sys/net/ipv4/conf/%s/rp_filter" % conf
            restore.append((path, _write_sysctl(path, "0")))
        sh("ip netns exec %s sh -c 'for c in all gmgmtp gsidep; do echo 0 >/proc/sys/net/ipv4/conf/$c/rp_filter; "
           "done'" % NS)

        sh("ssh-keygen -q -t ed25519 -N '' -f %s/host_key && ssh-keygen -q -t ed25519 -N '' -f %s/client_key"
           % (tmp, tmp))
        shutil.copy(tmp / "client_key.pub", tmp / "authorized_keys")
        (tmp / "sshd_config").write_text("\n".join([
            "Port %d" % PORT, "ListenAddress 10.71.0.1", "ListenAddress 10.71.0.11", "ListenAddress 10.75.0.1",
            "HostKey %s/host_key" % tmp, "PidFile %s/sshd.pid" % tmp,
            "AuthorizedKeysFile %s/authorized_keys" % tmp, "PermitRootLogin prohibit-password",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
            "UseDNS no", "LogLevel VERBOSE", ""]))
        (tmp / "run-module.sh").write_text(RUN_MODULE)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        # sshd (without PAM) refuses a user with no /etc/shadow entry, and the
        # qemu sandbox mounts an empty /etc/shadow: sshd gets its own mount
        # namespace with a shadow file naming root alone (no password).
        (tmp / "shadow").write_text("root:*:20000:0:99999:7:::\n")
        sshd = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                 'mount --bind "$1" /etc/shadow && exec "$2" -D -e -f "$3"', "sh",
                                 str(tmp / "shadow"), SSHD, str(tmp / "sshd_config")],
                                stdout=subprocess.DEVNULL, stderr=open(tmp / "sshd.log", "w"))
        r = Rig(tmp, sshd)
        listening = ":%04X 00000000:0000 0A" % PORT
        for _attempt in range(300):           # until it listens (no process spawned per try)
            if sshd.poll() is not None:
                raise AssertionError("sshd exited: %s" % (tmp / "sshd.log").read_text())
            with open("/proc/net/tcp") as fh:
                if listening in fh.read():
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("sshd never listened: %s" % (tmp / "sshd.log").read_text())
        out = r.ssh("10.71.0.1", "true", timeout=60)
        assert out.returncode == 0, (out.returncode, out.stderr, (tmp / "sshd.log").read_text())
        yield r
    finally:
        if sshd is not None:
            sshd.terminate()       # the listener takes its session children with it
            try:
                sshd.wait(10)
            except subprocess.TimeoutExpired:
                sshd.kill()
                sshd.wait()
        subprocess.run("ip rule del pref 171; ip route flush table 171", shell=True, check=False,
                       stderr=subprocess.DEVNULL)
        for path, old in restore:
            with open(path, "w") as fh:
                fh.write(old)
        for host in made:
            subprocess.run(["ip", "link", "del", host], check=False, stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", NS], check=False, stderr=subprocess.DEVNULL)
        if made_run_sshd:
            shutil.rmtree("/run/sshd", ignore_errors=True)


def refused(res, name):
    assert res.get("failed") and res["errno"] == "EPERM", res
    assert res["msg"].startswith("vport '%s': refusing to attach '%s' as a netdev port: " % (name, name)), res
    assert res["msg"].endswith("set force: true if you really mean it"), res
    return res["msg"]


def test_session_interface_refused_under_sudo(rig, dp, dpctl):
    msg = refused(rig.vport("10.71.0.1", {"datapath": dp, "name": "gmgmt", "type": "netdev"}, "a"), "gmgmt")
    sshd = "(sshd pid %d)" % rig.sshd.pid
    assert "it carries the SSH session this task runs under, from 10.71.0.2 (sshd pid " in msg, msg
    assert "it holds the session's local address 10.71.0.1" in msg, msg
    assert sshd not in msg        # the listener holds no session: the per-session sshd is named
    assert "gmgmt" not in dpctl("show", dp)


def test_policy_routed_session(rig, dp, dpctl):
    msg = refused(rig.vport("10.71.0.11", {"datapath": dp, "name": "gside", "type": "netdev"}, "b"), "gside")
    assert ("it carries the SSH session this task runs under, from 10.71.0.2 (sshd pid " in msg
            and "the kernel routes traffic to 10.71.0.2 through it (routing table 171)" in msg), msg
    assert "gside" not in dpctl("show", dp)


def test_session_routed_by_a_rule_on_its_port(rig, dp, dpctl):
    """A rule that selects the SSH port's replies (ipproto tcp sport PORT)
    sends them out gside: the kernel's lookup must be asked with the
    session's protocol and ports to name it."""
    sh("ip route add 10.71.0.2/32 dev gside table 174 && "
       "ip rule add from 10.71.0.1 ipproto tcp sport %d lookup 174 pref 170" % PORT)
    try:
        msg = refused(rig.vport("10.71.0.1", {"datapath": dp, "name": "gside", "type": "netdev"}, "p"), "gside")
        assert "the kernel routes traffic to 10.71.0.2 through it (routing table 174)" in msg, msg
        assert "gside" not in dpctl("show", dp)
    finally:
        subprocess.run("ip rule del pref 170; ip route flush table 174", shell=True, check=False,
                       stderr=subprocess.DEVNULL)


def test_vlan_session_protects_vlan_and_lower_device(rig, dp, dpctl):
    msg = refused(rig.vport("10.75.0.1", {"datapath": dp, "name": "gtrunk.100", "type": "netdev"}, "c1"),
                  "gtrunk.100")
    assert "it carries the SSH session this task runs under, from 10.75.0.2 (sshd pid " in msg, msg
    msg = refused(rig.vport("10.75.0.1", {"datapath": dp, "name": "gtrunk", "type": "netdev"}, "c2"), "gtrunk")
    assert "it is the lower device of 'gtrunk.100', which carries the SSH session this task runs under, " \
           "from 10.75.0.2 (sshd pid " in msg, msg
    shown = dpctl("show", dp)
    assert "gtrunk" not in shown


def test_force_attaches_a_protected_interface(rig, dp, dpctl):
    # The VLAN's lower device: tagged frames reach gtrunk.100 before the
    # datapath's receive hook, so the session survives to report the change.
    args = {"datapath": dp, "name": "gtrunk", "type": "netdev", "force": True}
    res = rig.vport("10.75.0.1", args, "d1")
    assert res["changed"] and not res.get("failed"), res
    assert "gtrunk" in dpctl("show", dp)
    res = rig.vport("10.75.0.1", dict(args, state="absent"), "d2")
    assert res["changed"] and not res.get("failed"), res
    assert "gtrunk" not in dpctl("show", dp)


def test_interface_carrying_nothing_is_attached(rig, dp, dpctl):
    args = {"datapath": dp, "name": "gfree", "type": "netdev"}
    res = rig.vport("10.71.0.1", args, "e")
    assert res["changed"] and not res.get("failed"), res
    assert "gfree" in dpctl("show", dp)
    sh("ovs-dpctl del-if %s gfree" % dp)


def test_sshd_ancestor_without_a_session_refuses_everything(rig, dp, dpctl, tmp_path):
    """An SSH server among our ancestors whose session cannot be found: no
    interface is known to be safe, so none is attached."""
    fake = tmp_path / "sshd"               # the process name is what identifies sshd
    os.symlink("/bin/sh", fake)
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"datapath": dp, "name": "gfree", "type": "netdev"}}))
    out = subprocess.run([str(fake), "-c", '/bin/sh %s %s; exit $?' % (rig.tmp / "run-module.sh", args)],
                         capture_output=True, text=True, check=False, env=dict(os.environ, SSH_CONNECTION=""))
    msg = refused(json.loads(out.stdout), "gfree")
    assert ("the management path cannot be determined, so any interface may carry it: cannot tell which "
            "interface carries the SSH session of sshd pid ") in msg, msg
    assert "none of its sockets is an established TCP connection" in msg, msg
    assert "gfree" not in dpctl("show", dp)


def test_default_routes_of_every_table_and_device_only(veth, run_module, dp, dpctl):
    veth("gv6dflt")
    veth("gt172")
    sh("ip -6 route add default dev gv6dflt metric 4242 && ip route add default dev gt172 table 172")
    try:
        found = safety.protected_interfaces(environ={})
        assert found["gv6dflt"] == "it carries the host's IPv6 default route"
        assert found["gt172"] == "it carries the IPv4 default route of routing table 172"
        for name in ("gv6dflt", "gt172"):
            res = run_module("ovs_vport", {"datapath": dp, "name": name, "type": "netdev"})
            assert found[name] in refused(res, name)
            assert name not in dpctl("show", dp)
    finally:
        subprocess.run("ip -6 route del default dev gv6dflt metric 4242; ip route flush table 172",
                       shell=True, check=False, stderr=subprocess.DEVNULL)


def test_an_alternative_name_of_a_protected_device_is_refused(veth, run_module, dp, dpctl):
    """The kernel attaches a device by any of its names: asking for the
    default-route device by an altname is refused as the device itself is."""
    veth("gt173")
    sh("ip link property add dev gt173 altname gt173-mgmt && ip route add default dev gt173 table 173")
    try:
        res = run_module("ovs_vport", {"datapath": dp, "name": "gt173-mgmt", "type": "netdev"})
        assert "it carries the IPv4 default route of routing table 173" in refused(res, "gt173-mgmt")
        assert "gt173" not in dpctl("show", dp)
    finally:
        subprocess.run("ip route flush table 173", shell=True, check=False, stderr=subprocess.DEVNULL)
