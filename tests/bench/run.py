"""make bench: ovs_flow side by side with ovs-dpctl, in one sandbox run.

For each table size (10k and 100k flows of tests/bench/flowtable.py, written in
the ovs-dpctl add-flows format) it measures, on a fresh datapath:

=====================  ==============================  =============================
row                    ours (module entry point)        ovs-dpctl (same file)
=====================  ==============================  =============================
install (empty dp)     ovs_flow src=FILE overridden     add-flows FILE
no-change run          ovs_flow, same file again        mod-flows FILE; dump-flows
no-change, snapshot    the same, its table snapshot     mod-flows FILE
lost                   deleted first (parse cache path)
no-change, nothing     the same, snapshot and parse     mod-flows FILE
kept                   cache deleted first (every line
                       parsed, by template)
change 1%              ovs_flow replaced, 1% actions    (ratio to our no-change run)
gathered               ovs_flow state=gathered          dump-flows
dump+print, streamed   each flow decoded and printed    dump-flows (to /dev/null)
                       to /dev/null as it arrives, in
                       this warm process
dump+print, held       gathered's work (lines kept,     dump-flows
                       sorted), in this warm process
=====================  ==============================  =============================

"Ours" is the module's own entry point in a fresh process, as a task runs it
(python -m ...ovs_flow ARGS.json): interpreter start, imports, work, JSON out.
Peak RSS is that process's. Each row also gets one end-to-end
ansible-playbook timing. This machine's timings drift by 20% within minutes,
and by 3x within a quarter of an hour (dump-flows of one table has taken
0.99, 2.60 and 4.07 s in three minutes), so the no-change, change and
gathered runs and dump-flows run in ROUNDS interleaved rounds, and each keeps
its best time; every round's times are printed under the table. Install and
add-flows, and mod-flows (half a minute each at 100k), run once. The two
dump+print rows are the flow language's decode+print, without a task's
start-up; they and dump-flows run three times, interleaved, best of each.
The floor is pre-encoded flow messages sent in batches of 64 through the
provider (no parsing, no planning). The exit floor (exit_floor.py) is what
returning the table's lines alone takes a task, with no kernel work: it
bounds the no-change, change and gathered rows from below.

This is a benchmark, not a test: it prints numbers and targets; it fails only
when a run does not do what it should (wrong counts, errors).

Last, the role section (bench_role.py, skipped with --no-role): the
hypervisor role (one ovs_datapaths task) against the per-object role it
replaced, on one host document of 2 datapaths, 40 vports and 400 flows: wall
time and module processes of a first run, a no-change run and --check.

Then the fleet section (bench_fleet.py, --fleet SIZES, empty to skip): the
role over SSH with become on 1, 8 and 32 fleet hosts (tests/kernel/fleet.py),
--check, first run and no-change run, wall time and module processes per host.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
COLL_ROOT = os.path.join(TOP, ".build", "collections")
sys.path.insert(0, HERE)
sys.path.insert(0, COLL_ROOT)

from flowtable import write_table  # noqa: E402

DP = "bench0"
PORTS = (1, 2, 3, 4, 10, 11)
MODULE = "ansible_collections.dpif.ovs.plugins.modules.ovs_flow"
#: Rounds of the no-change, change and gathered runs, each round next to a
#: dump-flows: each row keeps its best.
ROUNDS = 3


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def fresh_datapath():
    subprocess.run(["ovs-dpctl", "del-dp", DP], stderr=subprocess.DEVNULL, check=False)
    sh("ovs-dpctl add-dp %s" % DP)
    for port in PORTS:
        sh("ip link show bp%d >/dev/null 2>&1 || ip link add bp%d type dummy" % (port, port))
        sh("ovs-dpctl add-if %s bp%d,port_no=%d" % (DP, port, port))


def module(args, workdir):
    """Run the module's entry point in a fresh process; (seconds, peak RSS MB, result)."""
    path = os.path.join(workdir, "args.json")
    with open(path, "w") as fh:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, fh)
    # The src parse cache lives with the bench's files, not in the host's /var/cache.
    env = dict(os.environ, PYTHONPATH=COLL_ROOT, DPIF_OVS_CACHE_DIR=os.path.join(workdir, "cache"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", MODULE, path], stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    result = json.loads(out)
    if result.get("failed"):
        raise SystemExit("module failed: %s" % result.get("msg"))
    return seconds, usage.ru_maxrss / 1024.0, result


def exit_floor(mode, lines_path, workdir):
    """exit_floor.py in a fresh process: seconds to return the lines alone."""
    path = os.path.join(workdir, "floor-args.json")
    with open(path, "w") as fh:
        json.dump({"ANSIBLE_MODULE_ARGS": {"datapath": DP, "state": "gathered"}}, fh)
    env = dict(os.environ, PYTHONPATH=COLL_ROOT)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(HERE, "exit_floor.py"), path, mode, lines_path], check=True,
                   stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def playbook(args, workdir):
    """One ansible-playbook run with the same task; seconds."""
    play = os.path.join(workdir, "play.yml")
    with open(play, "w") as fh:
        json.dump([{"hosts": "all", "gather_facts": False,
                    "tasks": [{"dpif.ovs.ovs_flow": args, "register": "r"}]}], fh)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLL_ROOT, ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "l"),
               ANSIBLE_REMOTE_TEMP=os.path.join(workdir, "r"), DPIF_OVS_CACHE_DIR=os.path.join(workdir, "cache"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, play]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def floor(path, batch):
    """Pre-encoded messages, batches of ``batch``: the cost of the kernel and the socket alone."""
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowPut
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import load_wanted
    wanted = load_wanted({"src": path, "fix": True}, None)
    ops = [FlowPut(key=w.key, mask=w.mask, actions=w.actions, ufid=w.ufid) for w in wanted.flows]
    dpif = Dpif.open_system()
    try:
        dpif.flow_flush(DP)
        t0 = time.perf_counter()
        failed = 0
        for start in range(0, len(ops), batch):
            failed += len(dpif.operate(DP, ops[start:start + batch]))
        seconds = time.perf_counter() - t0
        dpif.flow_flush(DP)
    finally:
        dpif.close()
    if failed:
        raise SystemExit("floor: %d flows refused" % failed)
    return seconds


def dump_print():
    """Dump and print the whole table in this (warm) process, keeping the
    lines and sorting them (gathered's work); (seconds, lines)."""
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
    from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import printer  # noqa: F401
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import gather
    # gather() imports the printer on first use; compiling it belongs to a
    # task's start-up (the gathered row), not to decode+print.
    dpif = Dpif.open_system()
    try:
        t0 = time.perf_counter()
        lines = gather(dpif, DP, None)
        return time.perf_counter() - t0, len(lines)
    finally:
        dpif.close()


def dump_print_streamed():
    """Dump the whole table and print each datagram's flows to /dev/null as
    it arrives, as ovs-dpctl dump-flows does (it neither keeps nor sorts its
    lines, and its output is buffered); (seconds, lines)."""
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import new_printer
    dpif = Dpif.open_system()
    try:
        with open(os.devnull, "w") as out:
            write = out.write
            t0 = time.perf_counter()
            texts = new_printer(None).reply_texts
            n = 0
            for data, spans in dpif.flow_dump_replies(DP):
                lines = texts(data, spans)
                write("\n".join(lines) + "\n")
                n += len(lines)
            return time.perf_counter() - t0, n
    finally:
        dpif.close()


def decode_print_rows(count):
    """The two dump+print rows, each next to dump-flows measured in the same
    minute: three interleaved rounds, best of each."""
    dpctl, streamed, held = [], [], []
    for _round in range(3):
        dpctl.append(timed("ovs-dpctl dump-flows %s" % DP))
        for fn, times in ((dump_print_streamed, streamed), (dump_print, held)):
            t, n = fn()
            if n != count:
                raise SystemExit("dump+print saw %d flows, not %d" % (n, count))
            times.append(t)
    return [("dump+print, streamed", min(streamed), min(dpctl), "dump-flows", 1.0, 0),
            ("dump+print, held", min(held), min(dpctl), "dump-flows", 1.0, 0)]


def bench(count, workdir, e2e):
    table = os.path.join(workdir, "table-%d.flows" % count)
    changed_table = os.path.join(workdir, "table-%d-1pct.flows" % count)
    write_table(table, count)
    n_changed = write_table(changed_table, count, change_every=100)
    fresh_datapath()
    dp_add = timed("ovs-dpctl add-flows %s %s" % (DP, table))
    dp_mod = timed("ovs-dpctl mod-flows %s %s" % (DP, table))
    sh("ovs-dpctl del-flows %s" % DP)
    rows = []
    install = {"datapath": DP, "src": table, "state": "overridden"}
    t, rss, res = module(install, workdir)
    if res["counts"]["create"] != count:
        raise SystemExit("install created %s flows, not %d" % (res["counts"], count))
    rows.append(("install into empty dp", t, dp_add, "add-flows", 0.5, rss))
    change = {"datapath": DP, "src": changed_table, "state": "replaced"}
    restore = {"datapath": DP, "src": table, "state": "replaced"}
    gathered = {"datapath": DP, "state": "gathered"}
    same, changed, gath, dump, lost, uncached = [], [], [], [], [], []
    floors = {"gathered": [], "before": [], "before_after": []}
    lines_path = os.path.join(workdir, "lines-%d.txt" % count)
    for _round in range(ROUNDS):
        dump.append(timed("ovs-dpctl dump-flows %s" % DP))
        t, rss_same, res = module(install, workdir)
        if res["changed"]:
            raise SystemExit("a no-change run changed something: %s" % res["counts"])
        same.append((t, rss_same))
        # The same run when the table snapshot is gone (the table was changed
        # behind the module's back): the parse cache's path; and when the
        # parse cache is gone too, every line parsed (by template). Each
        # fast path of a src run thus has a row showing what it pays.
        for pattern in ("*.table", "*.table *.cache"):
            for name in pattern.split():
                for path in glob.glob(os.path.join(workdir, "cache", name)):
                    os.unlink(path)
            t, rss, res = module(install, workdir)
            if res["changed"]:
                raise SystemExit("a no-change run without its %s changed something: %s" % (pattern, res["counts"]))
            (lost if pattern == "*.table" else uncached).append((t, rss))
        t, rss, res = module(change, workdir)
        if res["counts"]["modify"] != n_changed or res["counts"]["create"] or res["counts"]["delete"]:
            raise SystemExit("1%% change: %s, expected %d modifications" % (res["counts"], n_changed))
        changed.append((t, rss))
        module(restore, workdir)            # back to the first table, for the next round
        t, rss, res = module(gathered, workdir)
        if len(res["gathered"]) != count:
            raise SystemExit("gathered %d flows, not %d" % (len(res["gathered"]), count))
        gath.append((t, rss))
        with open(lines_path, "w") as fh:
            fh.write("\n".join(res["gathered"]))
        for mode, times in floors.items():
            times.append(exit_floor(mode, lines_path, workdir))
    best_dump = min(dump)
    t_same, rss = min(same)
    rows.append(("no-change run", t_same, dp_mod, "mod-flows", 0.25, rss))
    rows.append(("no-change run", t_same, best_dump, "dump-flows", 3.0, rss))
    t, rss = min(lost)
    rows.append(("no-change, snapshot lost", t, dp_mod, "mod-flows", 0.25, rss))
    t, rss = min(uncached)
    rows.append(("no-change, nothing kept", t, dp_mod, "mod-flows", 0.25, rss))
    t, rss = min(changed)
    rows.append(("change 1%% (%d modified)" % n_changed, t, t_same, "our no-change", 1.2, rss))
    t, rss = min(gath)
    rows.append(("gathered", t, best_dump, "dump-flows", 1.0, rss))
    rows.extend(decode_print_rows(count))
    rounds = [("dump-flows", dump), ("no-change", [t for t, _rss in same]),
              ("no-change, snapshot lost", [t for t, _rss in lost]),
              ("no-change, nothing kept", [t for t, _rss in uncached]),
              ("change 1%", [t for t, _rss in changed]), ("gathered", [t for t, _rss in gath])]
    rounds.extend(("exit floor " + mode, times) for mode, times in floors.items())
    e2e_times = {}
    if e2e:
        sh("ovs-dpctl del-flows %s" % DP)
        e2e_times["install into empty dp"] = playbook(install, workdir)
        e2e_times["no-change run"] = playbook(install, workdir)
        e2e_times["change 1%% (%d modified)" % n_changed] = playbook(change, workdir)
        e2e_times["gathered"] = playbook({"datapath": DP, "state": "gathered"}, workdir)
    floor_s = floor(table, 64)
    exit_floors = dict((mode, min(times)) for mode, times in floors.items())
    exit_floors["dump-flows"] = best_dump
    return rows, e2e_times, floor_s, dp_add, rounds, exit_floors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--no-playbook", action="store_true", help="skip the end-to-end ansible-playbook timings")
    parser.add_argument("--no-role", action="store_true", help="skip the role section (bench_role.py)")
    parser.add_argument("--role-rounds", type=int, default=1, help="rounds of the role section")
    parser.add_argument("--fleet", default="1,8,32", help="fleet sizes of the fleet section (bench_fleet.py); "
                        "empty to skip it")
    opts = parser.parse_args()
    if not os.path.isdir("/sys/module/openvswitch"):
        raise SystemExit("bench: needs the openvswitch kernel module; run it through tests/sandbox/run (make bench)")
    print("ovs_flow vs ovs-dpctl, kernel %s, in %s" % (os.uname().release, os.environ.get("DPIF_SANDBOX_ACTIVE", "?")))
    header = "%-26s %8s %10s %8s %7s %7s  %-6s %9s %8s" % (
        "row", "flows", "ours s", "peer s", "ratio", "target", "", "e2e pb s", "RSS MB")
    with tempfile.TemporaryDirectory() as workdir:
        for count in [int(x) for x in opts.sizes.split(",")]:
            rows, e2e, floor_s, dp_add, rounds, ef = bench(count, workdir, not opts.no_playbook)
            print()
            print(header)
            for name, ours, peer, peer_name, target, rss in rows:
                ratio = ours / peer if peer else float("inf")
                verdict = "ok" if ratio <= target else "MISSED"
                print("%-26s %8d %10.2f %8.2f %7.2f %7.2f  %-6s %9s %8s   (peer: %s)" % (
                    name, count, ours, peer, ratio, target, verdict,
                    "%.1f" % e2e[name] if name in e2e else "-", "%.0f" % rss if rss else "-", peer_name))
            print("%-26s %8d %10.2f %8.2f %7.2f %7s  %-6s   (pre-encoded, batches of 64, vs add-flows)" % (
                "floor", count, floor_s, dp_add, floor_s / dp_add, "", ""))
            print("exit floor (start, AnsibleModule, the lines read and returned, nothing else): "
                  "gathered's %.2f s = %.2fx dump-flows; before %.2f s = %.2fx dump-flows; "
                  "before+after %.2f s = %.2fx before alone" % (
                      ef["gathered"], ef["gathered"] / ef["dump-flows"], ef["before"], ef["before"] / ef["dump-flows"],
                      ef["before_after"], ef["before_after"] / ef["before"]))
            print("rounds (s): " + "; ".join("%s %s" % (name, " ".join("%.2f" % t for t in times))
                                             for name, times in rounds))
    sh("ovs-dpctl del-dp %s" % DP)
    if not opts.no_role:
        import bench_role
        bench_role.run(opts.role_rounds)
    if opts.fleet:
        import bench_fleet
        bench_fleet.run(tuple(int(x) for x in opts.fleet.split(",")))


if __name__ == "__main__":
    main()
