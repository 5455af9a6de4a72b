"""Faults with real processes on the real kernel: runs at once, runs killed
half-way, another writer between our dump and our batch.

Each module run here is its own process (a module's main(), as Ansible runs
it on the host), so a SIGKILL is a real one and two runs are two processes.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest


from conftest import COLL_ROOT, module_script
from test_flow_module import dpctl_flows

RUN_MODULE = module_script()


def table_line(i: int, port: int) -> str:
    return "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.%d.%d.%d,frag=no) %d" % (
        i >> 16 & 255, i >> 8 & 255, i & 255, port)


def write_table(path, count: int, first: int = 0, port: int = 2, extra=()) -> str:
    with open(path, "w") as f:
        for i in range(first, first + count):
            f.write(table_line(i, port) + "\n")
        for line in extra:
            f.write(line + "\n")
    return str(path)


def start(name: str, args: dict, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUN_MODULE, name, json.dumps(args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=COLL_ROOT, **env))


def result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return json.loads(out)


def warning_texts(res: dict) -> list:
    return [w if isinstance(w, str) else w["event"]["msg"] for w in res.get("warnings", [])]


def is_table(dpctl, dp: str, src: str) -> bool:
    """Whether the datapath's table is exactly the flows of ``src`` (one
    line each, as ovs-dpctl prints them), as ovs-dpctl dumps it."""
    with open(src) as f:
        wanted = sorted(f.read().splitlines())
    return dpctl_flows(dpctl, dp) == wanted


def repair_counts(dpctl, dp: str, src: str) -> dict:
    """What turns the table into the flows of ``src``: flows to create,
    to modify (same key, other actions) and to delete."""
    def by_key(lines):
        return dict(line.rsplit(" ", 1) for line in lines)
    have = by_key(dpctl_flows(dpctl, dp))
    with open(src) as f:
        want = by_key(f.read().splitlines())
    return {"create": len(want.keys() - have.keys()), "delete": len(have.keys() - want.keys()),
            "modify": sum(1 for key in want.keys() & have.keys() if want[key] != have[key])}


def flow_count(dpif, dp: str) -> int:
    return dpif.get(dp).stats.flows


@pytest.fixture
def env(tmp_path):
    """Each child's parse cache in the test's directory (as conftest does in-process)."""
    return {"DPIF_OVS_CACHE_DIR": str(tmp_path / "flow-cache")}


def test_two_overridden_runs_at_once_end_with_one_table(dpctl, fdp, tmp_path, env):
    """Two different 10k tables, two runs started together, several times:
    the table is always exactly one of them, never the union, and the run
    that waited says so."""
    dp = fdp
    table_a = write_table(tmp_path / "a.flows", 10000, first=0, port=2)
    table_b = write_table(tmp_path / "b.flows", 10000, first=5000, port=1)
    winners = []
    for trial in range(4):
        first, second = (table_a, table_b) if trial % 2 == 0 else (table_b, table_a)
        procs = [start("ovs_flow", {"datapath": dp, "src": src, "state": "overridden"}, env)
                 for src in (first, second)]
        results = [result(p) for p in procs]
        assert not any(r.get("failed") for r in results), results
        waits = [w for r in results for w in warning_texts(r) if w.startswith("waited ")]
        on_a, on_b = is_table(dpctl, dp, table_a), is_table(dpctl, dp, table_b)
        assert on_a != on_b, "trial %d: the table is %s" % (trial, "both" if on_a else "neither")
        winners.append("a" if on_a else "b")
        # The one that ran second waited for the other: its warning names it.
        assert len(waits) <= 1 and all("for another run on datapath '%s' to finish (pid " % dp in w
                                       and "ovs_flow state overridden" in w for w in waits), waits
    print("two runs at once, 4 trials, final tables:", winners)


def test_a_run_waits_for_the_holder_then_fails_after_the_timeout(run_module, fdp, tmp_path, env):
    """A run that cannot get the lock in DPIF_OVS_LOCK_TIMEOUT seconds fails
    naming the run that holds it, and changes nothing."""
    from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
    holder = DatapathLock(fdp, "a test holding the lock")
    holder.acquire()
    try:
        res = result(start("ovs_flow", {"datapath": fdp, "config": [table_line(1, 2)]},
                           dict(env, DPIF_OVS_LOCK_TIMEOUT="1")))
    finally:
        holder.release()
    assert res["failed"] and res["errno"] == "EBUSY", res
    assert res["msg"].startswith("datapath '%s': another run holds it (pid %d, a test holding the lock, since "
                                 % (fdp, os.getpid())), res["msg"]
    assert res["msg"].endswith("and did not finish within 1 s; see DPIF_OVS_LOCK_TIMEOUT")
    res = run_module("ovs_flow", {"datapath": fdp, "state": "gathered"})
    assert res["gathered"] == []


def _dumping() -> bool:
    """Whether a generic netlink dump is in progress in this network
    namespace (the Dump column of /proc/net/netlink); this test makes none."""
    with open("/proc/net/netlink") as f:
        next(f)
        return any(fields[1] == "16" and fields[6] != "0" for fields in (line.split() for line in f))


def _dumping_for(seconds: float):
    """A condition: a dump has been in progress for ``seconds`` (a flow dump
    of 50k flows, not the few milliseconds of a port dump)."""
    since = []

    def ready():
        if not _dumping():
            since.clear()
            return False
        if not since:
            since.append(time.monotonic())
        return time.monotonic() - since[0] >= seconds
    return ready


def _kill_when(proc: subprocess.Popen, ready, what: str) -> None:
    deadline = time.monotonic() + 300
    while not ready():
        assert proc.poll() is None, "the run ended before %s: %s" % (what, proc.communicate())
        assert time.monotonic() < deadline, "never saw " + what
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


KILL_POINTS = ["while reading the table", "early in the batch", "half-way through the batch",
               "late in the batch", "while undoing a refused batch"]
TOTAL = 50000


def _kill_at(point: str, proc: subprocess.Popen, dpif, dp: str) -> None:
    """SIGKILL ``proc`` at ``point`` of its run, told by what the kernel
    shows. Its plan: delete the 30000 flows of the other table, modify the
    20000 both have, create 30000, sent in slices of 8192 operations."""
    if point == "while reading the table":
        _kill_when(proc, _dumping_for(0.1), "a flow dump")
    elif point == "while undoing a refused batch":
        # The undo puts back the 30000 deleted flows (the count rises to
        # 80000), then deletes the 30000 it created.
        peak = []

        def undoing():
            n = flow_count(dpif, dp)
            peak.append(n)
            return max(peak) >= TOTAL + 20000 and n <= max(peak) - 5000
        _kill_when(proc, undoing, "the undo")
    elif point == "late in the batch":
        # Once the count has fallen to 20000 and risen to 36000, the slice of
        # operations 65536 to 73727 is in the kernel and the last is not sent.
        deleted = []

        def creating():
            n = flow_count(dpif, dp)
            if n <= 20000:
                deleted.append(n)
            return bool(deleted) and n >= 36000
        _kill_when(proc, creating, point)
    else:
        # Deletes go first: the count falls from 50000 to 20000 (operation 30000 of 80000).
        below = {"early in the batch": 47000, "half-way through the batch": 20000}[point]
        _kill_when(proc, lambda: flow_count(dpif, dp) <= below, point)


def test_killed_half_way_then_a_plain_rerun_repairs(run_module, dpctl, dpif, fdp, tmp_path, env):
    """SIGKILL of a 50k-flow apply at five points of its run, each followed
    by a plain re-run (of the fixed file, after the refused batch): the table
    is then exactly the wanted one, the re-run says it repairs what a killed
    run left, and what it does is exactly what the kill left undone. The
    stages go back and forth between two tables, so each starts from the
    table the last re-run left."""
    dp = fdp
    tables = [write_table(tmp_path / "a.flows", TOTAL, first=30000, port=1),
              write_table(tmp_path / "b.flows", TOTAL, first=0, port=2)]
    res = run_module("ovs_flow", {"datapath": dp, "src": tables[0], "state": "overridden"})
    assert not res.failed and flow_count(dpif, dp) == TOTAL
    for stage, point in enumerate(KILL_POINTS):
        current, wanted = tables[stage % 2], tables[(stage + 1) % 2]
        src = wanted
        if point == "while undoing a refused batch":
            # This kernel has no conntrack zones: the last flow passes our checks and the kernel refuses it.
            src = str(tmp_path / "refused.flows")
            with open(wanted) as f, open(src, "w") as out:
                out.write(f.read() + "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.255.0.9,frag=no) ct(zone=5),1\n")
        proc = start("ovs_flow", {"datapath": dp, "src": src, "state": "overridden"}, env)
        _kill_at(point, proc, dpif, dp)
        left = flow_count(dpif, dp)
        repair = repair_counts(dpctl, dp, wanted)
        rerun = result(start("ovs_flow", {"datapath": dp, "src": wanted, "state": "overridden"}, env))
        assert not rerun.get("failed"), rerun
        assert is_table(dpctl, dp, wanted), point
        notes = [w for w in warning_texts(rerun) if w.startswith("the previous run on datapath")]
        if point == "while reading the table":
            assert notes == [] and left == TOTAL     # nothing was sent
            assert rerun["counts"] == {"create": 30000, "modify": 20000, "delete": 30000, "unchanged": 0}
        else:
            assert len(notes) == 1 and "was killed while sending its changes (create " in notes[0], (point, rerun)
            assert repair != {"create": 30000, "modify": 20000, "delete": 30000}, point   # it had begun
        # What the re-run did is exactly what the kill left to repair.
        counts = dict(rerun["counts"])
        del counts["unchanged"]
        assert counts == repair, point
        print("killed %s (from %s): %d flows left; the re-run: %s"
              % (point, os.path.basename(current), left, rerun["counts"]))


def ufid_of(dpctl, dp: str, flow: str) -> str:
    """The ``ufid:...`` of installed ``flow`` (``ovs-dpctl dump-flows -m``):
    ovs-dpctl deletes by UFID a flow that was installed with one."""
    dst = "dst=%s," % flow.split("dst=", 1)[1].split(",", 1)[0]
    ufids = [line.split(",", 1)[0] for line in dpctl("dump-flows", "-m", dp).splitlines() if dst in line]
    assert len(ufids) == 1, ufids
    return ufids[0]


def test_another_writer_between_dump_and_batch_is_converged(run_module, fdp, dpctl, monkeypatch):
    """ovs-dpctl (a real other process) adds a flow we are about to create,
    and deletes one we are about to modify and one we are about to delete,
    after our dump: the run reads again and converges instead of failing or
    undoing someone else's change."""
    from ansible_collections.dpif.ovs.plugins.module_utils import planner
    dp = fdp
    keep, modify, delete, create = (table_line(i, 2) for i in range(4))
    res = run_module("ovs_flow", {"datapath": dp, "config": [keep, modify, delete], "state": "overridden"})
    assert not res.failed
    real_plan = planner.plan
    meddled = []

    def plan_then_meddle(*args, **kwargs):
        p = real_plan(*args, **kwargs)
        if not meddled:
            meddled.append(True)
            dpctl("add-flow", dp, create.rsplit(" ", 1)[0], "1")
            for flow in (modify, delete):
                dpctl("del-flow", dp, ufid_of(dpctl, dp, flow))
        return p
    monkeypatch.setattr(planner, "plan", plan_then_meddle)
    want = [keep, modify.replace(" 2", " 1"), create]
    res = run_module("ovs_flow", {"datapath": dp, "config": want, "state": "overridden"})
    assert not res.failed, res["msg"]
    assert res["changed"] and res.warning_texts == [
        "3 of the planned operations met a flow another writer had just added or removed; "
        "the table was read again and converged"]
    monkeypatch.setattr(planner, "plan", real_plan)
    res = run_module("ovs_flow", {"datapath": dp, "config": want, "state": "overridden"}, check=True)
    assert not res["changed"] and res["before"] == sorted(want), res


def test_an_overlapping_flow_is_a_refusal_not_a_race(run_module, fdp, dpctl):
    """EEXIST on a create with no identical flow installed is the kernel
    refusing an overlap: undone and reported, not retried as a race."""
    wide = "in_port(1),eth(src=00:00:00:00:00:05/00:00:00:00:00:f0,dst=00:00:00:00:00:15/00:00:00:00:00:f0) 2"
    narrow = "in_port(1),eth(src=00:00:00:00:00:05,dst=00:00:00:00:00:15),eth_type(0x1234) 1"
    res = run_module("ovs_flow", {"datapath": fdp, "config": [wide, narrow], "state": "overridden"})
    assert res.failed and res["errno"] == "EEXIST", res
    assert "the 1 that succeeded were undone, so the table is as it was" in res["msg"]
    assert res["failures"][0]["msg"].startswith("a flow already installed (or created earlier in this batch) "
                                                "matches this flow's key"), res["failures"]
    assert dpctl("dump-flows", fdp) == ""


def test_check_mode_predicts_the_overlap_the_kernel_refuses(run_module, fdp, dpctl):
    """--check says what the real run meets: the kernel refusing an overlapping create."""
    wide = "in_port(1),eth(src=00:00:00:00:00:05/00:00:00:00:00:f0,dst=00:00:00:00:00:15/00:00:00:00:00:f0) 2"
    narrow = "in_port(1),eth(src=00:00:00:00:00:05,dst=00:00:00:00:00:15),eth_type(0x1234) 1"
    res = run_module("ovs_flow", {"datapath": fdp, "config": [wide]})
    assert not res.failed
    res = run_module("ovs_flow", {"datapath": fdp, "config": [narrow]}, check=True)
    assert res.failed and res["errno"] == "EEXIST", res
    assert res["msg"].startswith("datapath '%s': the kernel would refuse 1 of 1 operations" % fdp)
    assert [f["flow"] for f in res["failures"]] == [narrow]
    real = run_module("ovs_flow", {"datapath": fdp, "config": [narrow]})
    assert real.failed and real["failures"][0]["msg"] == res["failures"][0]["msg"]
    # Not when the wide flow goes first (overridden deletes it before creating).
    res = run_module("ovs_flow", {"datapath": fdp, "config": [narrow], "state": "overridden"}, check=True)
    assert not res.failed and res["counts"] == {"create": 1, "modify": 0, "delete": 1, "unchanged": 0}, res
