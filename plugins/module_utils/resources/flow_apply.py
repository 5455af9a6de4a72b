# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_flow``: sending a plan to the kernel, all or nothing, and undoing it.

:func:`apply_plan` sends a :class:`..planner.Plan` as one batch (deletes,
modifies, creates, in slices of APPLY_SLICE). What the kernel's refusals
mean:

* EEXIST on a create, ENOENT on a modify or delete, when the table read
  again confirms it: another writer changed the flow between our dump and
  our batch (a lost race). Not an error: the caller reads the table again
  and applies what is still to do (:func:`converge_after_race`).
* EEXIST on a create that no identical flow explains: the flow overlaps
  one installed or created earlier in the batch (OVERLAP).
* Anything else: the operations that succeeded are undone, so the table is
  as it was, and DpifError lists every refused flow (``extra["failures"]``;
  ``extra["rollback_failures"]`` when the undo itself failed).

Every batch the kernel accepted can be recorded (``applied``): the Plan
that was sent (only its operations that succeeded, after a lost race), or a
:class:`Flushed` for a flush. :func:`undo_applied` reverts such records.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Set, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowDel, FlowPut
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import read_table
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import have_text, new_printer, want_text

if TYPE_CHECKING:
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import Wanted

#: Operations built and sent at a time. 100k FlowPut objects held at once
#: are 17 MB, and 1.3 s of fresh pages under UML; a slice's are reused.
APPLY_SLICE = 8192
#: Why the kernel refuses to create a flow with EEXIST when no identical
#: flow is installed (no other writer got in the way).
OVERLAP = ("a flow already installed (or created earlier in this batch) matches this flow's key: the kernel "
           "refuses overlapping flows; make their keys or masks disjoint")
#: How many times a run reads the table again after another writer got in
#: its way before it gives up.
RACE_ROUNDS = 5


@dataclass
class Flushed:
    """A record of a flush (``applied``): the table as read before it, each
    flow with the key, mask, actions and UFID to re-create it with."""
    flows: List[planner.HaveFlow]


def _modify_op(h: planner.HaveFlow, actions: bytes, zero_stats: bool = False) -> FlowPut:
    """New ``actions`` for installed flow ``h``, found by its UFID, or by
    its key and mask when it has none."""
    return FlowPut(key=h.key, mask=None if h.kernel_ufid else h.mask, actions=actions, ufid=h.kernel_ufid,
                   create=False, modify=True, zero_stats=zero_stats)


def _plan_ops(p: planner.Plan) -> Iterator:
    """The plan's operations: deletes, modifies, creates (the order of the
    indexes in errors and in :func:`_undo_ops`)."""
    for h in p.delete:
        yield FlowDel(key=None if h.kernel_ufid else h.key, ufid=h.kernel_ufid)
    for mod in p.modify:
        yield _modify_op(mod.have, mod.actions, mod.zero_stats)
    for w in p.create:
        yield FlowPut(key=w.key, mask=w.mask or None, actions=w.actions, ufid=w.ufid)


def _undo_ops(p: planner.Plan, failed: set) -> Iterator:
    """Operations that revert the plan's operations that succeeded (all but
    the indexes in ``failed``)."""
    n_del, n_mod = len(p.delete), len(p.modify)
    for i, h in enumerate(p.delete):
        if i not in failed:
            yield FlowPut(key=h.key, mask=h.mask, actions=h.actions, ufid=h.kernel_ufid)
    for i, mod in enumerate(p.modify, n_del):
        if i not in failed:
            yield _modify_op(mod.have, mod.have.actions)
    for i, w in enumerate(p.create, n_del + n_mod):
        if i not in failed:
            yield FlowDel(ufid=w.ufid)


def _plan_of(p: planner.Plan, indexes: Set[int]) -> planner.Plan:
    """The part of ``p`` made of its operations at ``indexes`` (numbered as
    in :func:`_plan_ops`)."""
    n_del, n_mod = len(p.delete), len(p.modify)
    return planner.Plan(delete=[h for i, h in enumerate(p.delete) if i in indexes],
                        modify=[m for i, m in enumerate(p.modify, n_del) if i in indexes],
                        create=[w for i, w in enumerate(p.create, n_del + n_mod) if i in indexes])


def _operate(dpif: Dpif, dp: str, ops: Iterator) -> Tuple[int, list]:
    """Send ``ops`` in slices of APPLY_SLICE; (how many, the failed ones as
    ``(index, error)`` with indexes into the whole sequence)."""
    count = 0
    failed = []
    while True:
        chunk = list(islice(ops, APPLY_SLICE))
        if not chunk:
            return count, failed
        failed.extend((count + i, err) for i, err in dpif.operate(dp, chunk))
        count += len(chunk)


def _lost_a_race(verb: str, err: DpifError) -> bool:
    """Whether a refused operation only met another writer's change between
    our dump and our batch: the flow to create is there, the flow to modify
    or delete is gone."""
    if verb == "create":
        return err.errno == errno.EEXIST
    return err.errno == errno.ENOENT


def _races_confirmed(p: planner.Plan, errors: list, table: Dict[bytes, planner.HaveFlow]) -> bool:
    """Whether the table read after the batch shows another writer behind
    every refusal: the flow we failed to create is there (an identical one:
    an overlapping flow is a refusal, not a race), the flow we failed to
    modify or delete is gone or is another writer's now."""
    n_del, n_mod = len(p.delete), len(p.modify)
    for i, _err in errors:
        if i >= n_del + n_mod:
            if p.create[i - n_del - n_mod].ufid not in table:
                return False
        else:
            planned = p.delete[i] if i < n_del else p.modify[i - n_del].have
            now = table.get(planned.ident)
            if now is not None and now.kernel_ufid == planned.kernel_ufid:
                return False
    return True


def apply_plan(dpif: Dpif, dp: str, p: planner.Plan, names: Optional[dict],
               lock: Optional[DatapathLock] = None,
               reread: Optional[Callable[[], Dict[bytes, planner.HaveFlow]]] = None,
               applied: Optional[list] = None) -> int:
    """Send the plan as one batch; all or nothing.

    Returns how many operations lost a race with another writer: refused
    with EEXIST on a create, ENOENT on a modify or delete, and confirmed by
    ``reread()`` (the table read again, as :func:`read_table` returns it;
    without it nothing counts as a race). Those are not errors and nothing is
    undone; the caller converges (:func:`converge_after_race`). Any other
    refusal undoes the operations that succeeded and raises DpifError
    listing every refused flow. ``lock`` marks the batch in flight, for a
    run that finds this one killed half-way.

    ``applied``, when given, gets what the kernel took: ``p`` itself, or
    after a lost race the Plan of the operations that succeeded; after a
    refusal whose undo failed in part, the Plan of the operations still in
    the table. Nothing when all was undone."""
    summary = "create %d, modify %d, delete %d" % (len(p.create), len(p.modify), len(p.delete))
    with lock.applying(summary) if lock is not None else nullcontext():
        count, errors = _operate(dpif, dp, _plan_ops(p))
        if not errors:
            if applied is not None:
                applied.append(p)
            return 0
        verbs = ["delete"] * len(p.delete) + ["modify"] * len(p.modify) + ["create"] * len(p.create)
        if reread is not None and all(_lost_a_race(verbs[i], err) for i, err in errors) \
                and _races_confirmed(p, errors, reread()):
            if applied is not None and len(errors) < count:
                failed = {i for i, _err in errors}
                applied.append(_plan_of(p, {i for i in range(count) if i not in failed}))
            return len(errors)
        _undo_and_raise(dpif, dp, p, names, count, errors, verbs, applied)
    return 0


def flush_table(dpif: Dpif, dp: str, table: Dict[bytes, planner.HaveFlow], lock: Optional[DatapathLock] = None,
                applied: Optional[list] = None) -> None:
    """Delete every flow of ``dp`` at once. ``table`` is the table as read
    (by :func:`read_table` without wanted flows: every flow with its key and
    mask); ``applied``, when given, gets a :class:`Flushed` of it."""
    with lock.applying("flush") if lock is not None else nullcontext():
        dpif.flow_flush(dp)
    if applied is not None:
        applied.append(Flushed(list(table.values())))


def undo_applied(dpif: Dpif, dp: str, applied: list) -> List[DpifError]:
    """Revert the records ``applied`` holds (as :func:`apply_plan` and
    :func:`flush_table` append them), the last one first: for a Plan, its
    creates are deleted, its modifies get their old actions back, its
    deletes are created again; for a :class:`Flushed`, every flow it holds
    is created again with its key, mask, actions and UFID. Counters are not
    restored.

    Every record is tried, whatever failed before. Returns the errors of the
    operations that failed (an error that stopped a whole batch, such as
    ENODEV for a datapath that is gone, counts as one); empty when every
    record was reverted. ``applied`` itself is left as it is."""
    errors: List[DpifError] = []
    for record in reversed(applied):
        if isinstance(record, Flushed):
            ops = (FlowPut(key=h.key, mask=h.mask, actions=h.actions, ufid=h.kernel_ufid) for h in record.flows)
        else:
            ops = _undo_ops(record, set())
        try:
            errors.extend(err for _i, err in _operate(dpif, dp, ops)[1])
        except DpifError as exc:
            errors.append(exc)
    return errors


def predict_overlaps(dp: str, p: planner.Plan, have: Dict[bytes, planner.HaveFlow], names: Optional[dict]) -> None:
    """Check mode: raise what the real batch would, when a create overlaps
    a flow that stays or one created before it (:mod:`..odp.overlap`
    decides only what it models exactly, so it never predicts a refusal the
    kernel would not make)."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.overlap import OverlapIndex
    index = OverlapIndex()
    gone = set(h.ident for h in p.delete)
    for h in have.values():
        if h.ident not in gone:
            index.add(h.key, h.mask, h)
    refused = [w for w in p.create if index.create(w.key, w.mask, w) is not None]
    if not refused:
        return
    failures = [{"op": "create", "flow": want_text(w, names), "errno": "EEXIST", "msg": OVERLAP} for w in refused]
    total = len(p.delete) + len(p.modify) + len(p.create)
    exc = DpifError(errno.EEXIST, "apply flows", "datapath '%s'" % dp,
                    "the kernel would refuse %d of %d operations, so a real run would undo the others and change "
                    "nothing. First: create %s: %s" % (len(refused), total, failures[0]["flow"], OVERLAP))
    exc.extra["failures"] = failures
    raise exc


def converge_after_race(dpif: Dpif, dp: str, wanted: Optional[Wanted], state: str, clear_stats: bool,
                        names: Optional[dict], lock: Optional[DatapathLock],
                        applied: Optional[list] = None) -> Dict[bytes, planner.HaveFlow]:
    """Read the table again and apply what is still to do, until no
    operation loses a race (at most RACE_ROUNDS times); the table then.
    Each batch sent goes to ``applied`` as :func:`apply_plan` says. EAGAIN
    when another writer is still in the way after RACE_ROUNDS rounds."""
    for _round in range(RACE_ROUNDS):
        have = read_table(dpif, dp, wanted)
        p = planner.plan(wanted.flows if wanted else [], have, state, clear_stats)
        if not p.changed or not apply_plan(dpif, dp, p, names, lock, lambda: read_table(dpif, dp, wanted), applied):
            return read_table(dpif, dp, wanted) if p.changed else have
    raise DpifError(errno.EAGAIN, "apply flows", "datapath '%s'" % dp,
                    "another writer kept changing the flows this run was setting, %d times in a row; "
                    "find it (ovs-vswitchd, ovs-dpctl, another tool) and stop it" % RACE_ROUNDS)


def race_warning(lost: int) -> str:
    return ("%d of the planned operations met a flow another writer had just added or removed; "
            "the table was read again and converged" % lost)


def _undo_and_raise(dpif: Dpif, dp: str, p: planner.Plan, names: Optional[dict], count: int,
                    errors: list, verbs: List[str], applied: Optional[list] = None) -> None:
    # Texts only for the report: the caller already has those of a success.
    printer = new_printer(names)
    texts = [have_text(h, names, printer) for h in p.delete] + \
        [want_text(m.want, names, m.actions) if m.want else have_text(m.have, names, printer) for m in p.modify] + \
        [want_text(w, names) for w in p.create]
    failed = {i for i, _err in errors}
    undone, undo_errors = _operate(dpif, dp, _undo_ops(p, failed))
    if undo_errors and applied is not None:
        # Undo operation j reverts the j-th operation that succeeded: those
        # whose undo failed are still in the table.
        succeeded = [i for i in range(count) if i not in failed]
        applied.append(_plan_of(p, {succeeded[j] for j, _err in undo_errors}))
    failures = [{"op": verbs[i], "flow": texts[i], "errno": err.errno_name,
                 "msg": OVERLAP if verbs[i] == "create" and err.errno == errno.EEXIST else err.detail}
                for i, err in errors]
    detail = "the kernel refused %d of %d operations; the %d that succeeded were undone, so the table is as it was" % (
        len(errors), count, undone)
    if undo_errors:
        detail = ("the kernel refused %d of %d operations, and undoing the others failed for %d of them: "
                  "the table is partly changed; run the task again to converge" % (len(errors), count, len(undo_errors)))
    first = failures[0]
    detail += ". First: %s %s: %s" % (first["op"], first["flow"], first["msg"])
    exc = DpifError(errors[0][1].errno, "apply flows", "datapath '%s'" % dp, detail)
    exc.extra["failures"] = failures
    if undo_errors:
        exc.extra["rollback_failures"] = [{"errno": e.errno_name, "msg": e.detail} for _i, e in undo_errors]
    raise exc
