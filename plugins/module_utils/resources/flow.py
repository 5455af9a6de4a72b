# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_flow``: a datapath's flow table reconciled with a list of flows.

One run: read and check every wanted flow (nothing is sent if one is bad:
``flow_wanted``), dump the table once (``flow_table``), plan
(:mod:`..planner`), then send the plan as one batch: deletes, modifies,
creates (``flow_apply``). If the kernel refuses any operation, the
operations that succeeded are undone, so the table is as it was, and every
refused flow is reported with its reason. Flows carry a UFID derived from
their canonical key and mask, so a re-run after a crash finds what an
earlier run installed and converges. A src run over the table an earlier
src run left reads only what changed (``flow_snapshot``). What a run
reports is computed in ``flow_text``.

Entry points: :func:`run` (a task: opens the kernel, holds the datapath's
lock) and :func:`run_on` (the same run on an open :class:`..dpif.frontend.Dpif`
and a lock the caller holds). Both return the module's result: ``changed``,
``commands``, ``counts``, ``before``, ``after`` (only when changed), ``diff``
(with diff mode), ``warnings``; or ``gathered``, ``parsed``, ``rendered``
for those states. Errors are DpifError (errno and the words of what failed).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import hashlib
import os
from typing import List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.heap import keep_freed_memory
from ansible_collections.dpif.ovs.plugins.module_utils.privatestore import refusals
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_apply import (
    apply_plan,
    converge_after_race,
    flush_table,
    predict_overlaps,
    race_warning,
)
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_snapshot import (
    RaceLost,
    _snapshot_for,
    record_snapshot,
    run_from_snapshot,
    run_unchanged,
)
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import gather, read_table
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import (
    Outcome,
    commands_for,
    error_at,
    table_texts,
    texts_after,
    unified_diff,
    want_text,
)
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import load_wanted, structured_form
from ansible_collections.dpif.ovs.plugins.module_utils.resources.session import run_locked
from ansible_collections.dpif.ovs.plugins.module_utils.resources.planned import PlannedPorts, missing_datapath_warning
from ansible_collections.dpif.ovs.plugins.module_utils.srcfile import read_src

#: How many fix-up notes become warnings before they are only counted.
NOTES_SHOWN = 20


def _port_maps(dpif: Dpif, dp: str, use_names: bool):
    ports = dpif.ports(dp)
    numbers = dict((p.name, p.port_no) for p in ports)
    names = dict((p.port_no, p.name) for p in ports) if use_names else None
    return numbers, names


def run_offline(params: dict) -> dict:
    """States parsed and rendered: no kernel, no lock."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_dump_line, ufid_to_text
    state = params["state"]
    if state == "parsed":
        text = params.get("running_config")
        if text is None:
            raise DpifError(errno.EINVAL, "check arguments", "", "state parsed needs running_config")
        parsed = []
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                flow, stats = parse_dump_line(line)
            except DpifError as exc:
                raise error_at(exc, "running_config line %d" % n) from None
            item = structured_form().flow_to_struct(flow)
            if flow.ufid is not None:
                item["ufid"] = ufid_to_text(flow.ufid)
            if stats is not None:
                item["stats"] = {"packets": stats.packets, "bytes": stats.bytes, "used_ms_ago": stats.used_ms_ago}
            parsed.append(item)
        return {"changed": False, "parsed": parsed}
    wanted = load_wanted(params, None)
    rendered = [{"flow": want_text(w, None), "ufid": ufid_to_text(w.ufid), "key": w.key.hex(),
                 "mask": w.mask.hex(), "actions": w.actions.hex()} for w in wanted.flows]
    return _with_notes({"changed": False, "rendered": rendered}, wanted.notes)


def _with_notes(result: dict, all_notes: List[str]) -> dict:
    if all_notes:
        notes = all_notes[:NOTES_SHOWN]
        if len(all_notes) > NOTES_SHOWN:
            notes.append("... and %d more flows were completed the same way" % (len(all_notes) - NOTES_SHOWN))
        result["warnings"] = result.get("warnings", []) + ["filled in what the kernel requires: " + n for n in notes]
    return result


def _result(dp: str, outcome: Outcome, diff: bool, warnings: List[str], lost: int = 0) -> dict:
    """The module's result for ``outcome`` on datapath ``dp``: changed when
    the plan changed something or another writer's changes were converged
    (``lost`` operations met them); ``warnings`` first, then the notes."""
    p, before, after = outcome.plan, outcome.before, outcome.after
    changed = p.changed or bool(lost)
    result = {
        "changed": changed,
        "commands": outcome.commands,
        "counts": {"create": len(p.create), "modify": len(p.modify), "delete": len(p.delete),
                   "unchanged": p.unchanged},
        "before": before,
    }
    if changed:
        result["after"] = after     # only then, as network resource modules do: a no-change
        # run would print the same 100k lines twice
    if diff:
        # Unchanged, after is before: no need to merge 100k lines to find no difference.
        result["diff"] = {"prepared": unified_diff(before, after, dp) if changed else ""}
    if warnings:
        result["warnings"] = warnings
    return _with_notes(result, outcome.notes)


def _checked(params: dict) -> dict:
    """``params`` as a run on the kernel needs them (a datapath; src as an
    absolute path), checked before the kernel is opened."""
    state = params["state"]
    if not params["datapath"]:
        raise DpifError(errno.EINVAL, "check arguments", "", "state %s needs datapath" % state)
    if params.get("src") and not os.path.isabs(params["src"]):
        params = dict(params, src=os.path.abspath(params["src"]))
    return params


def run(params: dict, check_mode: bool, diff: bool) -> dict:
    """One ``ovs_flow`` task: opens the kernel, holds the datapath's lock
    (not for gathered), runs :func:`run_on`; the lock's notes come first
    among the warnings, refused cache directories last."""
    result = _run(params, check_mode, diff)
    refused = refusals()        # a cache directory anyone else could write: said, not used
    if refused:
        result["warnings"] = result.get("warnings", []) + refused
    return result


def _run(params: dict, check_mode: bool, diff: bool) -> dict:
    state = params["state"]
    if state in ("parsed", "rendered"):
        return run_on(None, None, params, check_mode, diff)
    params = _checked(params)       # before the kernel is opened: its datapath names the lock
    task = "ovs_flow state %s" % state if state != "gathered" else None
    return run_locked(params["datapath"], task, check_mode,
                      lambda dpif, lock: run_on(dpif, lock, params, check_mode, diff))


def run_on(dpif: Dpif, lock: Optional[DatapathLock], params: dict, check_mode: bool, diff: bool,
           applied: Optional[list] = None) -> dict:
    """The run of :func:`run` on ``dpif``, already open, with ``lock``
    already held (None: batches are sent without the lock's applying
    marks). Neither opens nor closes ``dpif``, neither takes nor releases
    ``lock``, and leaves the lock's notes to the caller.

    ``applied``, when given, gets a record of every batch the kernel
    accepted, in the order sent, for :func:`..flow_apply.undo_applied`: the
    Plan that was sent (see :func:`..flow_apply.apply_plan`), or a
    :class:`..flow_apply.Flushed` holding the table read before a flush."""
    keep_freed_memory()     # tables of 100k flows: see heap.py
    state = params["state"]
    if state in ("parsed", "rendered"):
        return run_offline(params)
    params = _checked(params)
    dp = params["datapath"]
    exists = dpif.get(dp) is not None
    warnings = []
    if not exists:
        if not check_mode:
            dpif.require(dp)        # its error says what to do
        if not params.get("datapath_planned"):      # ovs_datapaths' own plan creates it first: nothing to say
            warnings.append(missing_datapath_warning(dp))
        numbers, names = {}, ({} if params.get("names") else None)
    else:
        numbers, names = _port_maps(dpif, dp, params.get("names", False))
    if state == "gathered":
        return {"changed": False, "gathered": gather(dpif, dp, names) if exists else [], "warnings": warnings}
    if check_mode:
        numbers = PlannedPorts(numbers)
    snap = _snapshot_for(params, dp, numbers) if exists else None
    lost = 0        # operations that met another writer's changes (the snapshot path's and this batch's)
    if snap is not None:
        try:
            if snap.load():
                data = read_src(params["src"])
                if hashlib.sha256(data).digest() == snap.src_digest:
                    outcome = run_unchanged(dpif, dp, params["src"], snap)
                else:
                    outcome = run_from_snapshot(dpif, dp, params, snap, data, numbers, names, check_mode,
                                                lock, applied)
                if outcome is not None:
                    return _result(dp, outcome, diff, warnings)
                del data        # the full path reads the file again, as it parses it
        except RaceLost as exc:
            lost = exc.lost
        finally:
            snap.close()
    wanted = load_wanted(params, numbers, dp) if (params.get("config") or params.get("src")) else None
    if wanted is None and state != "deleted":
        raise DpifError(errno.EINVAL, "check arguments", "datapath '%s'" % dp,
                        "state %s needs config or src (an empty list would be a flush: use state deleted)" % state)
    have = read_table(dpif, dp, wanted) if exists else {}
    p = planner.plan(wanted.flows if wanted else [], have, state, params.get("clear_stats", False))
    planned = numbers.planned if check_mode else None
    if planned:
        warnings.extend(numbers.warnings(dp, expected=params.get("ports_planned") or ()))
        names = dict(names or {})
        names.update(numbers.names())
    texts = table_texts(have, wanted, names)
    before = sorted(texts.values())
    raced = 0
    if p.changed and state == "deleted" and wanted is None:
        # Everything goes: one flush instead of a delete per flow.
        commands = ["del-flows %s" % dp]
        if not check_mode:
            flush_table(dpif, dp, have, lock, applied)
    elif p.changed:
        commands = commands_for(p, texts, names)
        if not check_mode:
            raced = apply_plan(dpif, dp, p, names, lock, lambda: read_table(dpif, dp, wanted), applied)
        elif p.create:
            predict_overlaps(dp, p, have, names)
    else:
        commands = []
    if raced:
        # This batch's plan no longer says what the table is: read what it became.
        final = converge_after_race(dpif, dp, wanted, state, params.get("clear_stats", False), names, lock, applied)
        after = sorted(table_texts(final, wanted, names).values())
        lost += raced
    else:
        after = texts_after(before, texts, p, names)
    if lost:
        warnings.append(race_warning(lost))
    if wanted is not None and not planned:
        wanted.save_cache(names)
    if snap is not None and not lost and (not check_mode or not p.changed):
        record_snapshot(snap, wanted, have, p, after)
    return _result(dp, Outcome(p, commands, before, after, wanted.notes if wanted is not None else []),
                   diff, warnings, lost)
