"""make bench, role section: the hypervisor role against the per-object role it replaced.

One host document: 2 datapaths, 40 vports (34 netdev on veth pairs the bench
creates, 4 internal, 2 vxlan), 400 flows given inline naming ports by name,
purge_ports and purge_flows true. Both roles run through ansible-playbook
against the sandbox itself (inventory host ``hv``, connection local, as root,
no become), with dpif_ovs_persist false so that only the datapath work is
compared:

- per-object: tests/bench/role_per_object, the role's old tasks: the same
  validation on the controller, then one module process per datapath, per
  vport and per flow table (plus one ovs_datapath_info for the purges);
- hypervisor: dpif.ovs.hypervisor, the validation on the controller, then ONE
  ovs_datapaths task for the whole host.

Each round runs, per role, on a host cleaned before and after (datapaths and
veths deleted): --check on a fresh host, the first run, a no-change run and
--check on the converged host. The per-object role takes over a minute a run
in the UML sandbox: one round (--rounds) is the default. After the
per-object role's sequence the hypervisor role runs once more on the host it
converged (a migration from the old role, which must change nothing, and a
second no-change timing next to the per-object role's, for this machine's
drift). Rows keep the best round's wall time; every round's is printed. The
target is judged with the slower of the hypervisor role's no-change runs.

Module processes are counted where they start: the inventory's Python
interpreter is a small shell script that logs each start (with its start and
end time and its AnsiballZ file) and runs the real Python. ``hv`` and the
controller (``localhost``, where the validation is delegated) have one script
each, so processes on the host and on the controller are told apart. A
callback plugin (tests/bench/callback) records when each task starts, for the
breakdown of the hypervisor role's no-change run.

Target (issue "Cost"): the hypervisor role's no-change run takes at most 0.3x
the per-object role's, with exactly one module process on the host.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
COLL_ROOT = os.path.join(TOP, ".build", "collections")
OLD_ROLE = os.path.join(HERE, "role_per_object")
NEW_ROLE = "dpif.ovs.hypervisor"
ROLES = (("per-object", OLD_ROLE), ("hypervisor", NEW_ROLE))
TARGET = 0.3

#: The document: per datapath, 17 netdev vports (veth pairs), 2 internal, 1 vxlan; 200 flows.
DPS = ("bqdp0", "bqdp1")
NETDEVS = 17
FLOWS_PER_DP = 200
AFTER_OTHER = "no-change, host the per-object role converged"
#: (case, --check, whether the run should report a change)
CASES = (("check, fresh host", True, True), ("first run", False, True),
         ("no-change run", False, False), ("check, converged", True, False))

INVENTORY = """\
all:
  hosts:
    hv:
      ansible_connection: local
      ansible_python_interpreter: {host_py}
    localhost:
      ansible_connection: local
      ansible_python_interpreter: {ctl_py}
"""
PLAY = """\
- name: Bench {label}
  hosts: hv
  gather_facts: false
  roles:
    - role: {role}
      vars:
        dpif_ovs_persist: false
"""
EMPTY_PLAY = """\
- name: Nothing (ansible-playbook's own start and end)
  hosts: hv
  gather_facts: false
  tasks: []
"""
# The interpreter the inventory names: log start, end, exit status and the
# arguments (the AnsiballZ file) of each process, then pass the status on.
WRAPPER = """\
#!/bin/sh
s=$(date +%s.%N)
{py} "$@"
rc=$?
echo "$s $(date +%s.%N) $rc $*" >>{log}
exit $rc
"""


def netdevs(d):
    return ["bq%dn%02d" % (d, i) for i in range(1, NETDEVS + 1)]


def document():
    """The host document (dpif_ovs_datapaths)."""
    doc = []
    for d, dp in enumerate(DPS):
        vports = [{"name": "bq%di1" % d, "type": "internal", "port_no": 1},
                  {"name": "bq%di2" % d, "type": "internal", "port_no": 2},
                  {"name": "bq%dvx" % d, "type": "vxlan", "port_no": 10, "options": {"dst_port": 14789 + d}}]
        vports += [{"name": name, "type": "netdev", "port_no": 20 + i} for i, name in enumerate(netdevs(d))]
        names = [v["name"] for v in vports]
        flows = []
        for i in range(FLOWS_PER_DP):
            in_port = names[i % len(names)]
            out = names[(i + 7) % len(names)]
            flows.append("in_port(%s),eth(),eth_type(0x0800),ipv4(src=10.%d.%d.%d,frag=no) %s"
                         % (in_port, 100 + d, i // 250, i % 250 + 1, out))
        doc.append({"name": dp, "purge_ports": True, "purge_flows": True, "vports": vports, "flows": flows})
    return doc


def ip_batch(lines):
    """ip -force -batch: every line is tried, errors (a missing device) ignored."""
    subprocess.run(["ip", "-force", "-batch", "-"], input="\n".join(lines) + "\n", text=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def clean_host():
    for dp in DPS:
        subprocess.run(["ovs-dpctl", "del-dp", dp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    ip_batch(["link del %s" % name for d in range(len(DPS)) for name in netdevs(d)])
    left = [dp for dp in DPS if os.path.exists("/sys/class/net/%s" % dp)]
    left += [n for d in range(len(DPS)) for n in netdevs(d) if os.path.exists("/sys/class/net/%s" % n)]
    if left:
        raise SystemExit("bench_role: could not remove %s" % ", ".join(left))


def make_veths():
    lines = []
    for d in range(len(DPS)):
        for name in netdevs(d):
            lines += ["link add %s type veth peer name %sp" % (name, name), "link set %s up" % name]
    ip_batch(lines)
    missing = [n for d in range(len(DPS)) for n in netdevs(d) if not os.path.exists("/sys/class/net/%s" % n)]
    if missing:
        raise SystemExit("bench_role: could not create veths %s" % ", ".join(missing))


def dpctl(*args):
    out = subprocess.run(["ovs-dpctl"] + list(args), capture_output=True, text=True, check=False)
    return out.returncode, out.stdout


def check_kernel(doc, applied):
    """After a run: the document is in the kernel (applied), or no datapath of it is (check mode on a fresh host)."""
    for entry in doc:
        rc, show = dpctl("show", entry["name"])
        if not applied:
            if rc == 0:
                raise SystemExit("bench_role: --check on a fresh host created %s" % entry["name"])
            continue
        ports = [line for line in show.splitlines() if line.strip().startswith("port ")]
        _rc, flows = dpctl("dump-flows", entry["name"])
        n_flows = len([line for line in flows.splitlines() if line.strip()])
        if len(ports) != len(entry["vports"]) + 1 or n_flows != len(entry["flows"]):
            raise SystemExit("bench_role: %s has %d ports and %d flows, not %d and %d"
                             % (entry["name"], len(ports), n_flows, len(entry["vports"]) + 1, len(entry["flows"])))


class Runner:
    """ansible-playbook against the sandbox, with counting interpreters."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.logs = {}
        pys = {}
        for side in ("host", "ctl"):
            log = os.path.join(workdir, "%s-procs.log" % side)
            script = os.path.join(workdir, "%s-python" % side)
            with open(script, "w") as fh:
                fh.write(WRAPPER.format(py=sys.executable, log=log))
            os.chmod(script, 0o755)
            self.logs[side], pys[side] = log, script
        self.inventory = os.path.join(workdir, "inventory.yml")
        with open(self.inventory, "w") as fh:
            fh.write(INVENTORY.format(host_py=pys["host"], ctl_py=pys["ctl"]))
        self.plays = {}
        for label, role in ROLES:
            self.plays[label] = os.path.join(workdir, "play-%s.yml" % label)
            with open(self.plays[label], "w") as fh:
                fh.write(PLAY.format(label=label, role=role))
        self.plays["empty"] = os.path.join(workdir, "play-empty.yml")
        with open(self.plays["empty"], "w") as fh:
            fh.write(EMPTY_PLAY)
        self.doc = os.path.join(workdir, "doc.json")
        with open(self.doc, "w") as fh:
            json.dump({"dpif_ovs_datapaths": document()}, fh)
        self.times = os.path.join(workdir, "task-times.jsonl")
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLL_ROOT, ANSIBLE_NOCOLOR="1",
                        ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_HOST_KEY_CHECKING="0",
                        ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "ansible-local"),
                        ANSIBLE_REMOTE_TEMP=os.path.join(workdir, "ansible-remote"),
                        ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback"),
                        ANSIBLE_CALLBACKS_ENABLED="bench_task_times", DPIF_BENCH_TASK_TIMES=self.times,
                        DPIF_OVS_CACHE_DIR=os.path.join(workdir, "cache"))
        self.exe = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

    def procs(self, side):
        """[(start, end, module)] logged since the last run."""
        out = []
        if os.path.exists(self.logs[side]):
            with open(self.logs[side]) as fh:
                for line in fh:
                    start, end, _rc, args = (line.rstrip("\n").split(" ", 3) + [""])[:4]
                    m = re.search(r"AnsiballZ_(\w+)\.py", args)
                    out.append((float(start), float(end), m.group(1) if m else args or "?"))
        return out

    def run(self, play, check=False):
        for path in list(self.logs.values()) + [self.times]:
            if os.path.exists(path):
                os.unlink(path)
        cmd = [self.exe, "-i", self.inventory, "-e", "@" + self.doc, self.plays[play]] + (["--check"] if check else [])
        t0 = time.time()
        out = subprocess.run(cmd, capture_output=True, text=True, env=self.env, cwd=self.workdir, check=False,
                             timeout=900)
        t1 = time.time()
        recap = re.search(r"^hv\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out.stdout, re.M)
        if out.returncode or (play != "empty" and not recap) or (recap and (int(recap.group(3)) or int(recap.group(4)))):
            raise SystemExit("bench_role: %s%s failed (exit %d):\n%s\n%s" % (
                play, " --check" if check else "", out.returncode, out.stdout[-6000:], out.stderr[-3000:]))
        marks = []
        if os.path.exists(self.times):
            with open(self.times) as fh:
                marks = [json.loads(line) for line in fh]
        return {"wall": t1 - t0, "t0": t0, "t1": t1, "changed": int(recap.group(2)) if recap else 0,
                "host": self.procs("host"), "ctl": self.procs("ctl"), "marks": marks}


def sequence(runner, label, doc, then=None):
    """The four cases for one role on a host cleaned before and after; {case: run}. With ``then``
    (another role's label), that role's no-change run on the host this one converged, under
    AFTER_OTHER: a migration, and a second timing of that role moments after this one's."""
    clean_host()
    make_veths()
    out = {}
    try:
        for case, check, changes in CASES:
            res = runner.run(label, check)
            progress(label, case, res)
            if bool(res["changed"]) != changes:
                raise SystemExit("bench_role: %s, %s: changed=%d" % (label, case, res["changed"]))
            check_kernel(doc, applied=not (check and changes))
            out[case] = res
        if then:
            res = runner.run(then)
            progress(then, AFTER_OTHER, res)
            check_kernel(doc, applied=True)
            out[AFTER_OTHER] = res
    finally:
        clean_host()
    return out


def progress(label, case, res):
    print("  (%s, %s: %.2f s, changed=%d, host processes %s)" % (
        label, case, res["wall"], res["changed"], proc_summary(res["host"])), file=sys.stderr, flush=True)


def in_window(procs, start, stop):
    """Seconds of the logged processes that ran between start and stop."""
    return sum(max(0.0, min(e, stop) - max(s, start)) for s, e, _m in procs)


def task_breakdown(res):
    """[(what, seconds, host process s, controller process s)] of one run: start-up, each task
    (until the next starts), the end."""
    marks = res["marks"]
    tasks = [m for m in marks if m["kind"] == "task"]
    end = [m["t"] for m in marks if m["kind"] == "end"] or [res["t1"]]
    if not tasks:
        return [("whole run", res["wall"], 0.0, 0.0)]
    windows = [("start-up (to the first task)", res["t0"], tasks[0]["t"])]
    for i, m in enumerate(tasks):
        windows.append(("task: " + m["name"].split(" : ", 1)[-1], m["t"],
                        tasks[i + 1]["t"] if i + 1 < len(tasks) else end[0]))
    windows.append(("end (recap, exit)", end[0], res["t1"]))
    return [(what, stop - start, in_window(res["host"], start, stop), in_window(res["ctl"], start, stop))
            for what, start, stop in windows]


def proc_summary(procs):
    """'N (module xK, ...), S s' for a list of logged processes."""
    counts = {}
    for _s, _e, mod in procs:
        counts[mod] = counts.get(mod, 0) + 1
    return "%d (%s), %.2f s" % (len(procs), ", ".join("%s x%d" % kv for kv in sorted(counts.items())) or "-",
                                sum(e - s for s, e, _m in procs))


def validate_cost(doc):
    """One validate_document of the bench document in this warm process (seconds), as each of the
    validate module, the ovs_datapaths action plugin and the ovs_datapaths module does once."""
    sys.path.insert(0, COLL_ROOT)
    from ansible_collections.dpif.ovs.plugins.module_utils.state_schema import ROOT, validate_document
    validate_document({ROOT: doc})             # imports, schema compiled
    t0 = time.perf_counter()
    problems = validate_document({ROOT: doc})
    seconds = time.perf_counter() - t0
    if problems:
        raise SystemExit("bench_role: the bench document is invalid: %s" % problems[:5])
    return seconds


def run(rounds=1):
    """The role section of make bench; prints its table."""
    started = time.time()
    doc = document()
    n_vports = sum(len(e["vports"]) for e in doc)
    n_flows = sum(len(e["flows"]) for e in doc)
    print()
    print("role: %s vs the per-object role, %d datapaths, %d vports, %d flows inline, persist off, %d round%s"
          % (NEW_ROLE, len(doc), n_vports, n_flows, rounds, "" if rounds == 1 else "s"))
    v_s = validate_cost(doc)
    results = dict((label, dict((case, []) for case, _c, _x in CASES)) for label, _r in ROLES)
    results["hypervisor"][AFTER_OTHER] = []
    empty = []
    with tempfile.TemporaryDirectory(prefix="dpif-bench-role.") as workdir:
        runner = Runner(workdir)
        empty.append(runner.run("empty")["wall"])
        for _round in range(rounds):
            for label, then in (("hypervisor", None), ("per-object", "hypervisor")):
                for case, res in sequence(runner, label, doc, then).items():
                    results[then if case == AFTER_OTHER else label][case].append(res)
        empty.append(runner.run("empty")["wall"])
    header = ("role", "case", "wall s", "changed", "host procs", "ctl procs", "host proc s", "rounds (wall s)")
    print("%-11s %-43s %8s %7s %10s %9s %11s  %s" % header)
    best = {}
    for label, _role in ROLES:
        for case, runs in results[label].items():
            b = min(runs, key=lambda r: r["wall"])
            best[label, case] = b
            print("%-11s %-43s %8.2f %7d %10d %9d %11.2f  %s" % (
                label, case, b["wall"], b["changed"], len(b["host"]), len(b["ctl"]),
                sum(e - s for s, e, _m in b["host"]), " ".join("%.2f" % r["wall"] for r in runs)))
    print("ansible-playbook with no task (start and end alone), first and last: %s s"
          % " and ".join("%.2f" % t for t in empty))
    for case, _c, _x in CASES:
        old, new = best["per-object", case], best["hypervisor", case]
        ratio = new["wall"] / old["wall"]
        print("%-18s hypervisor/per-object %.2f (%.2f s / %.2f s)" % (case, ratio, new["wall"], old["wall"]))
    # The target, conservatively: the slower of the hypervisor role's no-change runs (its own, and
    # the one right after the per-object role's sequence) against the per-object role's best.
    old = best["per-object", "no-change run"]["wall"]
    new_runs = results["hypervisor"]["no-change run"] + results["hypervisor"][AFTER_OTHER]
    worst = max(r["wall"] for r in new_runs)
    one_proc = all(len(r["host"]) == 1 for r in new_runs)
    print("target, no-change run: hypervisor <= %.2fx per-object with 1 module process on the host: "
          "slowest hypervisor run %.2f s = %.2fx, best %.2fx; host processes %s: %s" % (
              TARGET, worst, worst / old, best["hypervisor", "no-change run"]["wall"] / old,
              "/".join(str(len(r["host"])) for r in new_runs), "ok" if worst / old <= TARGET and one_proc else "MISSED"))
    for label, _role in ROLES:
        b = best[label, "no-change run"]
        print("%s, no-change run: host processes %s; controller processes %s"
              % (label, proc_summary(b["host"]), proc_summary(b["ctl"])))
    print("hypervisor, no-change run (best), where the time goes: %-28s %6s %8s %8s" % ("", "s", "host pr", "ctl pr"))
    for what, seconds, host_s, ctl_s in task_breakdown(best["hypervisor", "no-change run"]):
        print("  %-84s %6.2f %8s %8s" % (what[:84], seconds, "%.2f" % host_s if host_s else "",
                                         "%.2f" % ctl_s if ctl_s else ""))
    print("  (one validate_document of this document in a warm process: %.2f s; the validate module, the "
          "ovs_datapaths action plugin and the module each do one)" % v_s)
    print("role section: %.0f s" % (time.time() - started))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds (each: both roles' sequences, and the hypervisor role once more)")
    opts = parser.parse_args()
    if not os.path.isdir("/sys/module/openvswitch"):
        raise SystemExit("bench_role: needs the openvswitch kernel module; run it through tests/sandbox/run (make bench)")
    run(opts.rounds)


if __name__ == "__main__":
    main()
