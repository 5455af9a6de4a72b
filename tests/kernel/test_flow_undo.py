"""flow.run_on records every batch the kernel took (``applied``), and
flow_apply.undo_applied puts the table back as ovs-dpctl saw it before:
a modify/delete/create mix, a flush, a batch of the snapshot path, a batch that lost a race, and a
refused batch whose undo failed in part."""

import errno
import re

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import ufid_to_text
from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_apply import Flushed, apply_plan, undo_applied
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import read_table
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import load_wanted

A = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2"
B = "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no) 1"
C = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.3,frag=no) 2"
V6 = "in_port(1),eth(),eth_type(0x86dd),ipv6(dst=fd00::3,frag=no) 2"
# Installed by ovs-dpctl, not by us: the run knows it only from the kernel's dump.
DPCTL = ("in_port(2),eth(),eth_type(0x0806),arp(op=1)", "1")
E = "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.0.5,frag=no) 1"


def table(dpctl, dp):
    """dump-flows -m lines (UFID, every key field and mask) without counters, sorted."""
    out = []
    for line in dpctl("dump-flows", "-m", dp).splitlines():
        stripped = re.sub(r", packets:\d+, bytes:\d+, used:[^,]+,(?: flags:[^,]+,)?", ",", line)
        assert stripped != line, line
        out.append(stripped)
    return sorted(out)


def run_on(dpif, dp, params, applied):
    with DatapathLock(dp, "test_flow_undo") as lock:
        return flow.run_on(dpif, lock, dict(params, datapath=dp), False, True, applied=applied)


def test_undo_a_mixed_batch_and_a_flush(dpif, fdp, dpctl):
    dp = fdp
    res = flow.run({"datapath": dp, "config": [A, B, C, V6], "state": "overridden"}, False, False)
    assert res["counts"]["create"] == 4
    dpctl("add-flow", dp, *DPCTL)
    original = table(dpctl, dp)
    assert len(original) == 5

    # A modified, B unchanged, C, V6 and the dpctl flow deleted, E created.
    applied = []
    res = run_on(dpif, dp, {"config": [A.replace(" 2", " 1"), B, E], "state": "overridden"}, applied)
    assert res["counts"] == {"create": 1, "modify": 1, "delete": 3, "unchanged": 1}
    assert table(dpctl, dp) != original
    assert len(applied) == 1 and isinstance(applied[0], planner.Plan)
    assert undo_applied(dpif, dp, applied) == []
    assert table(dpctl, dp) == original

    # Nothing listed: one flush, recorded with the table read before it.
    applied = []
    res = run_on(dpif, dp, {"state": "deleted"}, applied)
    assert res["commands"] == ["del-flows %s" % dp] and table(dpctl, dp) == []
    assert len(applied) == 1 and isinstance(applied[0], Flushed) and len(applied[0].flows) == 5
    assert undo_applied(dpif, dp, applied) == []
    assert table(dpctl, dp) == original

    # A run with nothing to do records nothing; check mode sends nothing.
    applied = []
    run_on(dpif, dp, {"config": [A, B], "state": "merged"}, applied)
    with DatapathLock(dp, "test_flow_undo", check_mode=True) as lock:
        flow.run_on(dpif, lock, {"datapath": dp, "config": [E], "state": "overridden"}, True, False, applied=applied)
    assert applied == []


def test_undo_batches_in_reverse_order(dpif, fdp, dpctl):
    """Two runs, then both undone: the later first."""
    dp = fdp
    flow.run({"datapath": dp, "config": [A, B], "state": "overridden"}, False, False)
    original = table(dpctl, dp)
    applied = []
    run_on(dpif, dp, {"config": [A.replace(" 2", " 1"), C], "state": "overridden"}, applied)
    run_on(dpif, dp, {"config": [A.replace(" 2", " 2,1"), B], "state": "overridden"}, applied)
    assert len(applied) == 2
    assert undo_applied(dpif, dp, applied) == []
    assert table(dpctl, dp) == original


def test_undo_a_batch_of_the_snapshot_path(dpif, fdp, dpctl, tmp_path, monkeypatch):
    dp = fdp
    lines = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.3.0.%d,frag=no) 2" % i for i in range(1, 41)]
    src = tmp_path / "t.flows"
    src.write_text("\n".join(lines) + "\n")
    params = {"src": str(src), "state": "overridden"}
    assert flow.run(dict(params, datapath=dp), False, False)["counts"]["create"] == 40     # records the snapshot
    original = table(dpctl, dp)

    edited = list(lines)
    edited[3] = edited[3][:-1] + "1"                        # a modify
    edited[17] = edited[17].replace("10.3.0.", "10.4.0.")   # a delete and a create
    src.write_text("\n".join(edited) + "\n")
    full = []
    real_load = flow.load_wanted
    monkeypatch.setattr(flow, "load_wanted", lambda *a, **kw: full.append(1) or real_load(*a, **kw))
    applied = []
    res = run_on(dpif, dp, params, applied)
    assert full == [], "the run took the full path, not the snapshot path"
    assert res["counts"] == {"create": 1, "modify": 1, "delete": 1, "unchanged": 38}
    assert len(applied) == 1 and isinstance(applied[0], planner.Plan)
    assert undo_applied(dpif, dp, applied) == []
    assert table(dpctl, dp) == original

    # The snapshot describes the edited file's table, which is gone: the
    # next run sees that and finds the original file's table in place.
    monkeypatch.undo()
    src.write_text("\n".join(lines) + "\n")
    res = flow.run(dict(params, datapath=dp), False, False)
    assert not res["changed"] and res["counts"]["unchanged"] == 40


def test_a_lost_race_records_only_what_the_kernel_took(dpif, fdp, dpctl):
    """Another writer installs a flow this batch creates, between our dump
    and our batch: that create is refused (a lost race, no error), and the
    record holds the batch's other operations only, so the undo leaves the
    other writer's flow where it is."""
    dp = fdp
    flow.run({"datapath": dp, "config": [A, B], "state": "overridden"}, False, False)
    wanted = load_wanted({"config": [A.replace(" 2", " 1"), C, E]}, None)
    p = planner.plan(wanted.flows, read_table(dpif, dp, wanted), "overridden")
    assert (len(p.create), len(p.modify), len(p.delete)) == (2, 1, 1)
    other = wanted.flows[2]
    dpctl("add-flow", dp, "ufid:%s,%s" % (ufid_to_text(other.ufid), E.rsplit(" ", 1)[0]), "1")
    before = table(dpctl, dp)
    applied = []
    assert apply_plan(dpif, dp, p, None, None, lambda: read_table(dpif, dp, wanted), applied) == 1
    assert len(applied) == 1 and [w.ufid for w in applied[0].create] == [wanted.flows[1].ufid]
    assert len(applied[0].modify) == len(applied[0].delete) == 1
    assert undo_applied(dpif, dp, applied) == []
    assert table(dpctl, dp) == before


class _RefusingDpif:
    """Refuses the batch's operation ``refuse`` (EINVAL), then the first
    operation of the undo (ENOENT); takes everything after."""

    def __init__(self, refuse):
        self.refuse = refuse
        self.batches = []

    def operate(self, dp, ops):
        self.batches.append(list(ops))
        if len(self.batches) == 1:
            return [(self.refuse, DpifError(errno.EINVAL, "apply flows", dp, "refused"))]
        if len(self.batches) == 2:
            return [(0, DpifError(errno.ENOENT, "apply flows", dp, "gone"))]
        return []


def test_a_refusal_whose_undo_fails_records_what_stayed():
    """The batch is refused and undoing it fails for one operation: that
    operation is still in the table, so it is what ``applied`` holds."""
    wanted = load_wanted({"config": [A, B, C]}, None)
    p = planner.plan(wanted.flows, {}, "merged")
    fake = _RefusingDpif(refuse=1)
    applied = []
    with pytest.raises(DpifError) as ei:
        apply_plan(fake, "dp0", p, None, None, None, applied)
    assert "undoing the others failed for 1 of them" in str(ei.value)
    # Creates 0 and 2 succeeded; the undo of create 0 failed: it stayed.
    assert len(applied) == 1 and [w.ufid for w in applied[0].create] == [wanted.flows[0].ufid]
    assert not applied[0].modify and not applied[0].delete
    assert undo_applied(fake, "dp0", applied) == []
    assert [op.ufid for op in fake.batches[-1]] == [wanted.flows[0].ufid]
