"""A fleet of hypervisors inside the sandbox kernel, reached only over SSH.

Each host is a network namespace ``flN`` with its own address on a veth to
the controller's (root) namespace, its own sshd listening there, its own
datapaths, and, in the sshd's own mount namespace, private copies of what a
run writes: ``/tmp`` and ``/var/tmp``, the flow cache, the lock directory,
and a tmpfs home for the non-root user ``fleet``, who logs in with a key and
has passwordless sudo (Ansible's ``become``). The host's ``/etc/passwd``,
``group``, ``shadow`` and ``sudoers`` are bind-mounted copies that add that
user; nothing of the real host's configuration is changed.

    controller (root namespace)            host N (namespace flN)
    10.80.N.1/24  flhN  <---- veth ---->  eth0  10.80.N.2/24, sshd :22

Facts this rests on (found building it in the UML sandbox): sshd without PAM
refuses a key login to an account whose password field is locked (``!``),
so the user's is ``*``; files made through hostfs belong to root whoever
makes them, so the user's home is a tmpfs; ssh's ControlPersist sockets
cannot live on hostfs, so the controller's control path directory is a
tmpfs too.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

SSHD = "/usr/sbin/sshd"
#: The collection as ansible-playbook finds it (make link).
COLL_ROOT = str(Path(__file__).resolve().parents[2] / ".build" / "collections")
USER, UID = "fleet", 4242
#: The managed hosts' Python: the system's, which any user can run (the
#: checkout's virtualenv may sit in a directory only root can enter).
HOST_PYTHON = "/usr/bin/python3"
#: What a run writes on a host, each a private tmpfs in the host's sshd.
PRIVATE_DIRS = ["/tmp", "/var/tmp", "/var/cache/dpif-ovs", "/run/dpif-ovs"]

#: The fleet's directory as every host sees it (bound there in the host's mount
#: namespace, so that a private /tmp does not hide it, and so that the user can
#: reach its home whatever the directories above the real one allow).
MOUNTED = "/mnt"
SSHD_START = r"""
set -e
mount --bind "$FLEET" %(mnt)s
for f in passwd group shadow sudoers; do mount --bind "%(mnt)s/$HOST/etc/$f" "/etc/$f"; done
mount -t tmpfs -o mode=0755,uid=%(uid)d,gid=%(uid)d tmpfs "%(mnt)s/$HOST/home"
# A missing mount point is made as the collection makes these directories (root's, 0700): it is
# on the real filesystem, which later runs as root check.
for d in $PRIVATE; do [ -d "$d" ] || mkdir -m 0700 "$d"; mount -t tmpfs -o mode=0700 tmpfs "$d"; done
chmod 1777 /tmp /var/tmp        # the lock and cache directories stay root's alone (0700)
exec %(sshd)s -D -e -f "%(mnt)s/$HOST/sshd_config"
""" % {"mnt": MOUNTED, "uid": UID, "sshd": SSHD}


#: The hypervisor role on every fleet host, as a user's site.yml has it.
ROLE_PLAY = """\
- name: Hypervisors
  hosts: hypervisors
  gather_facts: false
  become: true
  roles:
    - role: dpif.ovs.hypervisor
"""


def host_document(n: int, dp: str) -> list:
    """Host N's own document: datapath ``dp`` with an internal port and a
    vxlan port, and two flows that match the host's own prefix 10.N/16."""
    inner, tunnel = dp + "-in", dp + "-vx"
    match = "eth(),eth_type(0x0800),ipv4(dst=10.%d.0.0/255.255.0.0,frag=no)" % n
    return [{"name": dp, "purge_ports": True, "purge_flows": True,
             "vports": [{"name": inner, "type": "internal", "port_no": 1},
                        {"name": tunnel, "type": "vxlan", "port_no": 10, "options": {"dst_port": 4789}}],
             "flows": ["in_port(%s),%s %s" % (inner, match, tunnel), "in_port(%s),%s %s" % (tunnel, match, inner)]}]


def sh(cmd: str) -> str:
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False)
    if out.returncode:
        raise AssertionError("%s failed (%d): %s" % (cmd, out.returncode, out.stderr))
    return out.stdout


class Fleet:
    """``Fleet(n, work)`` builds hosts hv1..hvN under directory ``work``;
    :meth:`close` takes them down. :meth:`playbook` runs ansible-playbook
    against them over SSH with become."""

    def __init__(self, count: int, work: Path, prefix: str = "fl"):
        self.count = count
        self.work = work
        self.prefix = prefix
        self.sshds = []
        self.made_run_sshd = not os.path.isdir("/run/sshd")
        self.control = work / "control"        # ssh ControlPersist sockets: a tmpfs
        try:
            os.chmod(work, 0o755)
            self._keys()
            self.control.mkdir()
            sh("mount -t tmpfs -o mode=0700 tmpfs %s" % self.control)
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
            for n in range(1, count + 1):
                self._host(n)
            self._wait_for_logins()
        except BaseException:
            self.close()
            raise

    def ns(self, n: int) -> str:
        return "%s%d" % (self.prefix, n)

    def address(self, n: int) -> str:
        return "10.80.%d.2" % n

    def _keys(self):
        sh("ssh-keygen -q -t ed25519 -N '' -f %s/host_key && ssh-keygen -q -t ed25519 -N '' -f %s/client_key"
           % (self.work, self.work))
        shutil.copy(self.work / "client_key.pub", self.work / "authorized_keys")
        os.chmod(self.work / "client_key", 0o600)

    def _host(self, n: int):
        ns, host_dev = self.ns(n), "%sh%d" % (self.prefix, n)
        work = self.work / ("hv%d" % n)
        (work / "etc").mkdir(parents=True)
        (work / "home").mkdir()
        os.chmod(work, 0o755)
        seen = "%s/hv%d" % (MOUNTED, n)        # the same directory, as the host sees it
        sh("ip netns add %s" % ns)
        sh("ip link add %s type veth peer name eth0 netns %s" % (host_dev, ns))
        sh("ip addr add 10.80.%d.1/24 dev %s && ip link set %s up" % (n, host_dev, host_dev))
        sh("ip -n %s addr add %s/24 dev eth0 && ip -n %s link set eth0 up && ip -n %s link set lo up"
           % (ns, self.address(n), ns, ns))
        etc = work / "etc"
        etc.joinpath("passwd").write_text(Path("/etc/passwd").read_text()
                                          + "%s:x:%d:%d::%s/home:/bin/sh\n" % (USER, UID, UID, seen))
        etc.joinpath("group").write_text(Path("/etc/group").read_text() + "%s:x:%d:\n" % (USER, UID))
        etc.joinpath("shadow").write_text("root:*:20000:0:99999:7:::\n%s:*:20000:0:99999:7:::\n" % USER)
        etc.joinpath("sudoers").write_text("Defaults !fqdn\nDefaults !requiretty\nroot ALL=(ALL:ALL) ALL\n"
                                           "%s ALL=(ALL:ALL) NOPASSWD: ALL\n" % USER)
        os.chmod(etc / "sudoers", 0o440)
        os.chmod(etc / "shadow", 0o640)
        (work / "sshd_config").write_text("\n".join([
            "Port 22", "ListenAddress %s" % self.address(n), "HostKey %s/host_key" % MOUNTED,
            "PidFile %s/sshd.pid" % seen, "AuthorizedKeysFile %s/authorized_keys" % MOUNTED,
            "PermitRootLogin no", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
            "StrictModes no", "UseDNS no", "LogLevel ERROR", "MaxStartups 100", "MaxSessions 100",
            "Subsystem sftp internal-sftp", ""]))
        env = dict(os.environ, FLEET=str(self.work), HOST="hv%d" % n, PRIVATE=" ".join(PRIVATE_DIRS))
        self.sshds.append(subprocess.Popen(
            ["ip", "netns", "exec", ns, "unshare", "--mount", "--propagation", "private", "sh", "-c", SSHD_START],
            env=env, stdout=subprocess.DEVNULL, stderr=open(work / "sshd.log", "w")))

    def _wait_for_logins(self):
        for n in range(1, self.count + 1):
            for _attempt in range(100):
                if self.sshds[n - 1].poll() is not None:
                    log = self.work / ("hv%d" % n) / "sshd.log"
                    raise AssertionError("sshd of hv%d exited: %s" % (n, log.read_text()))
                out = self.ssh(n, "sudo -n true")
                if out.returncode == 0:
                    break
                time.sleep(0.2)
            else:
                raise AssertionError("no login to hv%d: %s" % (n, out.stderr))

    def ssh(self, n: int, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ssh", "-F", "none", "-i", str(self.work / "client_key"), "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
             "-o", "ConnectTimeout=10", "%s@%s" % (USER, self.address(n)), command],
            capture_output=True, text=True, timeout=60, check=False)

    def inventory(self, host_vars: dict) -> Path:
        """A YAML inventory of the hosts (``hvN``, group ``hypervisors``)
        with ``host_vars`` (host name -> variables) added to each."""
        import yaml
        hosts = {}
        for n in range(1, self.count + 1):
            hosts["hv%d" % n] = dict({"ansible_host": self.address(n), "ansible_user": USER,
                                      "ansible_ssh_private_key_file": str(self.work / "client_key"),
                                      "ansible_python_interpreter": HOST_PYTHON},
                                     **host_vars.get("hv%d" % n, {}))
        path = self.work / "inventory.yml"
        path.write_text(yaml.safe_dump({"hypervisors": {"hosts": hosts}}))
        return path

    def playbook(self, playbook: Path, inventory: Path, *extra: str, forks: int = 0, timeout: int = 1800,
                 env: Optional[dict] = None) -> subprocess.CompletedProcess:
        """ansible-playbook over SSH with become, forks = hosts; ``env`` adds
        to its environment."""
        run_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLL_ROOT, ANSIBLE_NOCOLOR="1",
                       ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_PIPELINING="1", ANSIBLE_FORKS=str(forks or self.count),
                       # Every host's SSH handshake shares the sandbox's one CPU: 32 at once took
                       # more than Ansible's default 10 s connection timeout for one of them.
                       ANSIBLE_TIMEOUT="120",
                       ANSIBLE_SSH_CONTROL_PATH_DIR=str(self.control),
                       ANSIBLE_LOCAL_TEMP=str(self.work / "local-tmp"),
                       ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null",
                       # As on a user's controller, Python keeps the bytecode it compiles (the test
                       # environment turns that off): every task on every host is a worker process
                       # that imports the collection's plugins again. The bytecode goes to a
                       # private prefix, not the checkout.
                       PYTHONPYCACHEPREFIX=str(self.work / "pycache"))
        run_env.pop("PYTHONDONTWRITEBYTECODE", None)
        run_env.update(env or {})
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
               str(playbook)] + list(extra)
        return subprocess.run(cmd, capture_output=True, text=True, env=run_env, check=False, timeout=timeout)

    def dpctl(self, n: int, *args: str) -> str:
        return subprocess.run(["ip", "netns", "exec", self.ns(n), "ovs-dpctl"] + list(args),
                              capture_output=True, text=True, check=False).stdout

    def close(self):
        for proc in self.sshds:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._remove(self.count, self.prefix, self.control, self.made_run_sshd)

    @staticmethod
    def _remove(count: int, prefix: str, control: Path, made_run_sshd: bool):
        """Take down what the hosts leave once their sshds are gone: the
        sessions ssh's ControlPersist kept open hold a namespace (and its
        datapaths) alive after ``ip netns del``, so every process in it is
        killed first."""
        for n in range(1, count + 1):
            pids = subprocess.run(["ip", "netns", "pids", "%s%d" % (prefix, n)], capture_output=True, text=True,
                                  check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "link", "del", "%sh%d" % (prefix, n)], check=False, stderr=subprocess.DEVNULL)
            subprocess.run(["ip", "netns", "del", "%s%d" % (prefix, n)], check=False, stderr=subprocess.DEVNULL)
        subprocess.run(["umount", "-l", str(control)], check=False, stderr=subprocess.DEVNULL)
        if made_run_sshd:
            shutil.rmtree("/run/sshd", ignore_errors=True)

    # -- for a process that outlives the fleet's maker (molecule, make bench) --

    def instances(self) -> list:
        """The hosts as molecule's instance config lists them."""
        return [{"instance": "hv%d" % n, "address": self.address(n), "user": USER, "port": 22,
                 "identity_file": str(self.work / "client_key")} for n in range(1, self.count + 1)]

    def leave_running(self):
        """Let the hosts outlive this process; ``down(work)`` takes them
        down later, from what this records in ``work/fleet.json``."""
        (self.work / "fleet.json").write_text(json.dumps({
            "count": self.count, "prefix": self.prefix, "made_run_sshd": self.made_run_sshd,
            "sshd_pids": [proc.pid for proc in self.sshds]}))
        self.sshds = []

    @classmethod
    def down(cls, work: Path):
        record = json.loads((work / "fleet.json").read_text())
        for pid in record["sshd_pids"]:       # sshd itself: ip netns exec, unshare and sh exec it
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for _attempt in range(50):
            if not any(os.path.exists("/proc/%d" % pid) and _alive(pid) for pid in record["sshd_pids"]):
                break
            time.sleep(0.1)
        cls._remove(record["count"], record["prefix"], work / "control", record["made_run_sshd"])
        (work / "fleet.json").unlink()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, whose parent has not reaped it, does not)."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main(argv=None) -> int:
    """``fleet.py up WORK --hosts N`` builds hosts hv1..hvN and prints them
    as molecule's instance config (JSON); ``fleet.py down WORK`` takes them
    down. Run as root inside the sandbox."""
    import argparse
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument("work", type=Path, help="a directory of the fleet's own (keys, configuration, sockets)")
    parser.add_argument("--hosts", type=int, default=2)
    args = parser.parse_args(argv)
    if args.action == "down":
        Fleet.down(args.work)
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    fleet = Fleet(args.hosts, args.work)
    fleet.leave_running()
    print(json.dumps(fleet.instances()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
