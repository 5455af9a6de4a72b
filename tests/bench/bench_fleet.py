"""make bench, fleet section: the hypervisor role over SSH with become on 1,
8 and 32 hosts.

Each host is a fleet host of tests/kernel/fleet.py (a network namespace with
its own sshd and a sudo user; all of them share the sandbox's kernel and its
one CPU). Ansible runs with forks = hosts, pipelining on, ControlPersist,
gather_facts off, and a document per host of one datapath, 2 vports and 2
flows naming its own prefix, persist off (the restore is not what a fleet
multiplies). For each size, on fresh hosts: --check, the first run, a
no-change run. Per row: wall time, time per host, module processes per host
(each host's interpreter is a small script that logs every start) and the
seconds those processes ran, per host.

Where the time goes is printed under the table, for the largest no-change
run: each task's wall time (a task runs until the next starts), the module
processes' time on the hosts, and what one new SSH connection costs.

Target (issue "Fleets"): a no-change run on 32 hosts within 10x the time of
one host.

The floor row measures what any play costs on the same fleet, without the
collection: one ansible.builtin.ping task with become (a worker process per
host on the controller, an SSH session, sudo, an interpreter and AnsiballZ on
the host). Its own ratio says how far below the target this sandbox can go:
every host's module runs on the one CPU the controller uses too.
"""

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "kernel"))

from bench_role import WRAPPER  # noqa: E402
from fleet import HOST_PYTHON, MOUNTED, ROLE_PLAY, Fleet, host_document  # noqa: E402

SIZES = (1, 8, 32)
CASES = [("--check", True, True), ("first run", False, True), ("no-change", False, False)]
TARGET = 10.0
PING_PLAY = """\
- name: The floor, one module with become and no collection code
  hosts: hypervisors
  gather_facts: false
  become: true
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""


def procs(fleet):
    """[(start, end)] of the module processes every host logged; the logs are emptied."""
    out = []
    for n in range(1, fleet.count + 1):
        log = fleet.work / ("hv%d" % n) / "procs.log"
        if log.exists():
            out += [tuple(float(x) for x in line.split()[:2]) for line in log.read_text().splitlines() if line]
            log.unlink()
    return out


def recap_ok(out, hosts, changed):
    found = re.findall(r"^hv\d+\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out.stdout, re.M)
    return (out.returncode == 0 and len(found) == hosts
            and all((int(c) > 0) == changed and u == f == "0" for c, u, f in found))


def size_run(hosts, work):
    """{case: row} for one fleet of ``hosts`` hosts."""
    fleet = Fleet(hosts, work, prefix="fb")
    rows = {}
    try:
        host_vars = {}
        for n in range(1, hosts + 1):
            script = work / ("hv%d" % n) / "python"
            script.write_text(WRAPPER.format(py=HOST_PYTHON, log="%s/hv%d/procs.log" % (MOUNTED, n)))
            script.chmod(0o755)
            host_vars["hv%d" % n] = {"ansible_python_interpreter": "%s/hv%d/python" % (MOUNTED, n),
                                     "dpif_ovs_datapaths": host_document(n, "fb"), "dpif_ovs_persist": False}
        inventory = fleet.inventory(host_vars)
        play = work / "site.yml"
        play.write_text(ROLE_PLAY)
        times = work / "task-times.jsonl"
        env = {"ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback"),
               "ANSIBLE_CALLBACKS_ENABLED": "bench_task_times", "DPIF_BENCH_TASK_TIMES": str(times)}
        for case, check, changed in CASES:
            if times.exists():
                times.unlink()
            t0 = time.time()
            out = fleet.playbook(play, inventory, *(["--check"] if check else []), env=env, timeout=3600)
            wall = time.time() - t0
            if not recap_ok(out, hosts, changed):
                failures = [line for line in out.stdout.splitlines() if "UNREACHABLE" in line or "FAILED" in line]
                raise SystemExit("bench_fleet: %d hosts, %s failed:\n%s\n%s\n%s" % (
                    hosts, case, "\n".join(failures[:20]), out.stdout[-3000:], out.stderr[-2000:]))
            ran = procs(fleet)
            marks = [json.loads(line) for line in times.read_text().splitlines()] if times.exists() else []
            rows[case] = {"wall": wall, "procs": len(ran), "proc_s": sum(e - s for s, e in ran),
                          "marks": marks, "t1": t0 + wall}
            print("  (%d hosts, %s: %.1f s, %d module processes)" % (hosts, case, wall, len(ran)),
                  file=sys.stderr, flush=True)
        ping = work / "ping.yml"
        ping.write_text(PING_PLAY)
        t0 = time.time()
        out = fleet.playbook(ping, inventory, timeout=3600)
        rows["ping"] = time.time() - t0
        if not recap_ok(out, hosts, changed=False):
            raise SystemExit("bench_fleet: %d hosts, the ping floor failed:\n%s" % (hosts, out.stdout[-3000:]))
        procs(fleet)
        ssh = []
        for _attempt in range(3):
            t0 = time.time()
            fleet.ssh(1, "true")
            ssh.append(time.time() - t0)
        rows["ssh"] = min(ssh)
        shown = fleet.dpctl(hosts, "show", "fb")
        if "port 10: fb-vx" not in shown:
            raise SystemExit("bench_fleet: hv%d lacks its ports: %s" % (hosts, shown))
    finally:
        fleet.close()
    return rows


def tasks(row):
    """[(task, seconds)]: each task until the next starts, then the end."""
    marks = [m for m in row["marks"] if m["kind"] == "task"]
    end = [m["t"] for m in row["marks"] if m["kind"] == "end"] or [row["t1"]]
    stops = [m["t"] for m in marks[1:]] + end[:1]
    return [(m["name"].split(" : ", 1)[-1], stop - m["t"]) for m, stop in zip(marks, stops)]


def run(sizes=SIZES):
    print()
    print("fleet: the hypervisor role over SSH with become, forks = hosts, 1 datapath, 2 vports, 2 flows a host, "
          "persist off")
    results = {}
    for hosts in sizes:
        with tempfile.TemporaryDirectory(prefix="dpif-bench-fleet.") as work:
            results[hosts] = size_run(hosts, Path(work))
    print("%6s  %-10s %9s %8s %14s %16s" % ("hosts", "case", "wall s", "s/host", "procs/host", "proc s/host"))
    for hosts in sizes:
        for case, _check, _changed in CASES:
            row = results[hosts][case]
            print("%6d  %-10s %9.1f %8.2f %14.1f %16.2f" % (hosts, case, row["wall"], row["wall"] / hosts,
                                                            row["procs"] / hosts, row["proc_s"] / hosts))
    small, large = min(sizes), max(sizes)
    ratio = results[large]["no-change"]["wall"] / results[small]["no-change"]["wall"]
    print("no-change run, %d hosts / %d host%s: %.1fx (target <= %.0fx): %s" % (
        large, small, "" if small == 1 else "s", ratio, TARGET, "met" if ratio <= TARGET else "NOT met"))
    floor = results[large]["ping"] / results[small]["ping"]
    print("floor, one ansible.builtin.ping task with become, no collection code: %s; %d hosts / %d: %.1fx" % (
        ", ".join("%d host%s %.1f s" % (hosts, "" if hosts == 1 else "s", results[hosts]["ping"]) for hosts in sizes),
        large, small, floor))
    row = results[large]["no-change"]
    print("where the time goes, no-change run on %d hosts (%.1f s):" % (large, row["wall"]))
    for name, seconds in tasks(row):
        print("  %6.1f s  %s" % (seconds, name))
    print("  module processes on the hosts: %.1f s in all, %.2f s a host (interpreter, AnsiballZ, imports, work)"
          % (row["proc_s"], row["proc_s"] / large))
    print("  one new SSH connection (key login, no ControlPersist): %.2f s" % results[large]["ssh"])


if __name__ == "__main__":
    sizes = tuple(int(x) for x in sys.argv[1:]) or SIZES
    run(sizes)
