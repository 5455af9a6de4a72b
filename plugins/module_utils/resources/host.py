# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_datapaths``: a whole host's datapaths, vports and flows in one transaction.

The host's document (the role's ``dpif_ovs_datapaths``, one JSON Schema:
:mod:`..state_schema`) is applied in the order the kernel needs:

1. datapaths to delete (``overridden``: those not listed; ``deleted``);
2. listed datapaths created, or their features corrected;
3. vports to delete (a datapath's unlisted ports, when purged), so that a
   netdev or a port number they held is free for what follows;
4. listed vports created (or re-created, with ``recreate``);
5. each listed datapath's flow table.

Each step is the per-object resource's own code (``datapath.run_on``,
``vport.run_on``, ``flow.run_on``), run on one open kernel connection while
this run holds the lock of every datapath it reads or changes (taken in name
order, so two runs never wait for each other's).

All or nothing: every step that changed the kernel leaves a way to undo
itself (:class:`Undo`). When a step fails, the steps done are undone in
reverse (ports removed or re-created with their old numbers and options,
flows restored, a created datapath deleted, a deleted one re-created with its
ports and flows), and the failure is raised with the step's own error; an
undo that fails is listed apart (``rollback_failures``). After a run that
changed something the whole plan is made again, read-only: anything it
would still change is an error saying what differs (and the run is undone).

Which ports and flows are purged, per state:

==========  ================================================================
merged      listed objects are created or corrected; a datapath's unlisted
            ports and flows go only when its entry sets ``purge_ports`` or
            ``purge_flows``
replaced    each listed datapath becomes its entry: ``purge_ports`` and
            ``purge_flows`` default to true (an entry may set them false)
overridden  as replaced, and datapaths not listed are deleted (except one a
            running ovs-vswitchd owns: that is left, with a warning)
deleted     the listed datapaths are deleted; every datapath when none is
            listed (again except ovs-vswitchd's)
==========  ================================================================

A netdev vport marked ``optional`` whose device does not exist yet is
*pending*: it is not an error, the flows that name it are held back, and the
result lists both; ``cli watch`` attaches it when the device appears.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import difflib
import errno
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif, netdev_exists, port_summary
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortRequest
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.resources import datapath as datapath_resource
from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow as flow_resource
from ansible_collections.dpif.ovs.plugins.module_utils.resources import vport as vport_resource
from ansible_collections.dpif.ovs.plugins.module_utils.resources.datapath import datapath_state
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_apply import Flushed, undo_applied
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import read_table
from ansible_collections.dpif.ovs.plugins.module_utils.resources.host_document import (
    check_document,
    flows_held_back,
    gathered_document,
)

STATES = ("merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed")


@dataclass
class Undo:
    """What reverts one step that changed the kernel. ``revert`` returns what
    it could not revert, in words; a DpifError it raises is that too."""

    label: str                          # "vport dp0/vx0", as failures name the step
    revert: Callable[[], List[str]]


@dataclass
class DatapathResult:
    """One datapath's share of the result."""

    name: str
    commands: List[str] = field(default_factory=list)
    ports: Dict[str, int] = field(default_factory=lambda: {"add": 0, "delete": 0, "recreate": 0})
    flows: Dict[str, int] = field(default_factory=dict)
    pending: List[dict] = field(default_factory=list)
    # What the run leaves, for the diff: the datapath's state (datapath_state) when
    # this run sets it, whether it deletes it, and each port it sets (None: deleted).
    datapath_after: Optional[dict] = None
    deleted: bool = False
    ports_after: Dict[str, Optional[dict]] = field(default_factory=dict)
    flow_diff: str = ""

    def as_dict(self) -> dict:
        out = {"changed": bool(self.commands), "commands": self.commands, "ports": self.ports,
               "flows": self.flows}
        if self.pending:
            out["pending"] = self.pending
        return out


class Transaction:
    """One run over the host: the steps, their undos, the per-datapath results.

    Each step method runs one resource step (or, for a whole datapath to
    delete, this module's own), records its commands and counts in
    :attr:`results`, and, when it changed the kernel, appends to
    :attr:`undos` what reverts it. A step that fails raises its DpifError
    with ``extra["step"]`` naming it ("vport dp0/vx0"); the caller undoes
    the steps done (:meth:`undo`). In check mode nothing is sent and
    nothing is recorded to undo."""

    def __init__(self, dpif: Dpif, locks: Dict[str, DatapathLock], check_mode: bool, diff: bool = False):
        self.dpif = dpif
        self.locks = locks
        self.check_mode = check_mode
        self.diff = diff
        self.undos: List[Undo] = []
        self.results: Dict[str, DatapathResult] = {}
        self.warnings: List[str] = []
        self.created: set = set()           # datapaths this run creates (or, in check mode, would)
        self.ports_added: Dict[str, set] = {}
        self.ports_deleted: Dict[str, set] = {}

    def result_of(self, dp: str) -> DatapathResult:
        if dp not in self.results:
            self.results[dp] = DatapathResult(dp)
        return self.results[dp]

    def step(self, label: str, fn: Callable[[], Optional[dict]]) -> Optional[dict]:
        """Run one resource step; a failure names the step."""
        try:
            return fn()
        except DpifError as exc:
            exc.extra.setdefault("step", label)
            raise

    def undo(self) -> List[dict]:
        """Undo the steps done, last first; what could not be undone."""
        failures = []
        while self.undos:
            undo = self.undos.pop()
            try:
                problems = undo.revert()
            except DpifError as exc:
                problems = [str(exc)]
            failures.extend({"step": undo.label, "msg": problem} for problem in problems)
        return failures

    # -- datapaths ----------------------------------------------------------

    def delete_datapath(self, name: str, force: bool, listed: bool) -> None:
        """Delete a datapath. Its features, ports and flows are read first:
        the undo re-creates it with them. A datapath a running ovs-vswitchd
        owns is left with a warning when it is not ``listed`` (overridden,
        deleted-all), refused (EBUSY) when it is, unless ``force``."""
        dpif = self.dpif
        info = dpif.get(name)
        if info is None:
            return
        if name not in self.locks:      # made by another tool while this run started
            self.warnings.append("datapath '%s' appeared while this run started; it is left as it is" % name)
            return
        ports = [p for p in dpif.ports(name) if p.port_no != 0]
        if not force:
            owner = datapath_resource.vswitchd_owner_of(dpif, info)
            if owner:
                if not listed:
                    self.warnings.append("datapath '%s' is left as it is: %s" % (name, owner))
                    return
                datapath_resource.guard_vswitchd(dpif, info, force)
        result = self.result_of(name)       # only now: a datapath left alone has no result
        result.commands.append("del-dp %s" % name)
        result.deleted = True
        if self.check_mode:
            return
        table = list(read_table(dpif, name, None).values())
        with self.locks[name].applying("delete datapath"):
            dpif.destroy(name)

        def revert() -> List[str]:
            dpif.create(name, info.user_features, info.masks_cache_size)
            problems = []
            for port in sorted(ports, key=lambda p: p.port_no):
                try:
                    dpif.port_add(name, PortRequest(port.name, port.type, dict(port.options), port.port_no))
                except DpifError as exc:
                    problems.append(str(exc))
            problems.extend(str(exc) for exc in undo_applied(dpif, name, [Flushed(table)]))
            return problems

        self.undos.append(Undo("datapath %s" % name, revert))

    def ensure_datapath(self, entry: dict) -> None:
        """Create the entry's datapath, or correct its features (datapath.run_on).
        Undo: delete what was created, or set the old features back."""
        name = entry["name"]
        params = {"name": name, "state": "present", "masks_cache_size": entry.get("masks_cache_size"),
                  "user_features": entry.get("user_features"), "force": entry.get("force", False)}
        old = self.dpif.get(name)
        out = self.step("datapath %s" % name, lambda: datapath_resource.run_on(
            self.dpif, self.locks[name], params, self.check_mode, True))
        result = self.result_of(name)
        result.commands.extend(out["commands"])
        self.warnings.extend(out.get("warnings") or [])
        result.datapath_after = out["diff"]["after"]
        if old is None:
            self.created.add(name)
        if not out["changed"] or self.check_mode:
            return
        dpif = self.dpif
        if old is None:
            self.undos.append(Undo("datapath %s" % name, lambda: _done(dpif.destroy(name))))
        else:
            cache = old.masks_cache_size if old.masks_cache_size != result.datapath_after["masks_cache_size"] else None
            self.undos.append(Undo("datapath %s" % name,
                                   lambda: _done(dpif.set_features(name, old.user_features, cache))))

    # -- vports -------------------------------------------------------------

    def delete_unlisted_ports(self, entry: dict) -> None:
        """Delete the datapath's ports the entry does not list (never port 0)."""
        name = entry["name"]
        if name in self.created or self.dpif.get(name) is None:
            return
        listed = set(vp["name"] for vp in entry.get("vports") or [])
        for port in self.dpif.ports(name):
            if port.port_no != 0 and port.name not in listed:
                self.vport({"datapath": name, "name": port.name, "state": "absent",
                            "force": entry.get("force", False)})

    def ensure_port(self, entry: dict, vp: dict) -> None:
        """Create (or re-create) one listed port; an ``optional`` netdev whose
        device does not exist is recorded as pending instead."""
        name = entry["name"]
        if vp.get("optional") and vp["type"] == "netdev" and not netdev_exists(vp["name"]) \
                and (name in self.created or self.dpif.port_by_name(name, vp["name"]) is None):
            self.result_of(name).pending.append({"vport": vp["name"], "port_no": vp.get("port_no"), "flows": 0})
            return
        self.vport({"datapath": name, "name": vp["name"], "type": vp["type"], "state": "present",
                    "port_no": vp.get("port_no"), "options": vp.get("options"),
                    "recreate": vp.get("recreate", False), "force": entry.get("force", False)})

    def vport(self, params: dict) -> None:
        """One vport step (vport.run_on). Undo: delete what was added, add
        back what was deleted, with its number and options."""
        dp, port = params["datapath"], params["name"]
        if self.check_mode:     # numbers of ports deleted earlier in the plan are free by then
            params = dict(params, freed_ports=self.ports_deleted.get(dp, set()), datapath_planned=dp in self.created)
        out = self.step("vport %s/%s" % (dp, port), lambda: vport_resource.run_on(
            self.dpif, self.locks[dp], params, self.check_mode, True))
        result = self.result_of(dp)
        result.commands.extend(out["commands"])
        self.warnings.extend(out.get("warnings") or [])
        before, after = out["diff"]["before"], out["diff"]["after"]
        if not out["changed"]:
            return
        result.ports_after[port] = after or None
        if not before:
            result.ports["add"] += 1
            self.ports_added.setdefault(dp, set()).add(port)
        elif not after:
            result.ports["delete"] += 1
            self.ports_deleted.setdefault(dp, set()).add(port)
        else:
            result.ports["recreate"] += 1
        if self.check_mode:
            return
        dpif = self.dpif

        def revert() -> List[str]:
            if after:
                try:
                    dpif.port_del(dp, port)
                except DpifError as exc:
                    if exc.errno != errno.ENODEV:       # gone with its device: nothing to delete
                        raise
            if before:
                dpif.port_add(dp, PortRequest(before["name"], before["type"], dict(before["options"]),
                                              before["port_no"]))
            return []

        self.undos.append(Undo("vport %s/%s" % (dp, port), revert))

    # -- flows --------------------------------------------------------------

    def flows(self, entry: dict, state: str) -> None:
        """The datapath's flow table (flow.run_on), without the flows that
        name a pending port. Undo: every batch the step sent, reverted
        (registered before the step runs: a step that fails part-way, after
        batches of its own, is undone too)."""
        name = entry["name"]
        purge = entry.get("purge_flows", state in ("replaced", "overridden"))
        params = flow_params(entry, purge)
        result = self.result_of(name)
        if params is None:
            return
        label = "flows %s" % name
        if result.pending:
            params = self.step(label, lambda: self.hold_back(entry, params, result))
            if params is None:
                return
        if self.check_mode:     # what this plan creates first is not worth a warning
            params = dict(params, datapath_planned=name in self.created,
                          ports_planned=self.ports_added.get(name, set()))
        applied: list = []
        if not self.check_mode:
            dpif = self.dpif
            self.undos.append(Undo(label, lambda: [str(e) for e in undo_applied(dpif, name, applied)]))
        out = self.step(label, lambda: flow_resource.run_on(
            self.dpif, self.locks[name], params, self.check_mode, self.diff, applied=applied))
        result.flows = out["counts"]
        result.commands.extend(_with_datapath(command, name) for command in out["commands"])
        result.flow_diff = out.get("diff", {}).get("prepared", "")
        self.warnings.extend(out.get("warnings") or [])

    def hold_back(self, entry: dict, params: dict, result: DatapathResult) -> Optional[dict]:
        """The flow parameters without the flows that name a pending port
        (a flows_file is then read and applied as a list), counting them in
        ``result.pending``; None when no flow is left and the table is not
        purged (nothing to do)."""
        name = entry["name"]
        pending = dict((p["vport"], p) for p in result.pending)
        exists = self.dpif.get(name) is not None      # in check mode a created one is only planned
        numbers = dict((p.name, p.port_no) for p in self.dpif.ports(name)) if exists else {}
        for vp in entry.get("vports") or []:
            numbers.setdefault(vp["name"], vp.get("port_no") or 0)
        kept, held = flows_held_back(params, numbers, set(pending))
        for port, count in held.items():
            pending[port]["flows"] = count
        if kept:
            return dict(params, config=kept, src=None)
        if params["state"] == "overridden":
            return dict(params, config=None, src=None, state="deleted")     # purged: an empty table
        return None

    # -- the whole host -----------------------------------------------------

    def apply(self, config: List[dict], state: str) -> None:
        listed = dict((entry["name"], entry) for entry in config)
        if state == "overridden":
            for info in self.dpif.enumerate():
                if info.name not in listed:
                    self.step("datapath %s" % info.name,
                              lambda name=info.name: self.delete_datapath(name, False, listed=False))
        if state == "deleted":
            names = list(listed) or [info.name for info in self.dpif.enumerate()]
            for name in names:
                force = listed.get(name, {}).get("force", False)
                self.step("datapath %s" % name,
                          lambda name=name, force=force: self.delete_datapath(name, force, listed=bool(listed)))
            return
        for entry in config:
            self.ensure_datapath(entry)
        for entry in config:
            if entry.get("purge_ports", state in ("replaced", "overridden")):
                self.delete_unlisted_ports(entry)
        for entry in config:
            for vp in entry.get("vports") or []:
                self.ensure_port(entry, vp)
        for entry in config:
            self.flows(entry, state)


def flow_params(entry: dict, purge: bool) -> Optional[dict]:
    """The flow step's parameters for a datapath entry; None when its flows are not managed."""
    config = entry.get("flows") or []
    src = entry.get("flows_file")
    base = {"datapath": entry["name"], "clear_stats": False, "names": True, "fix": True, "running_config": None,
            "cache": True}
    if config or src:
        return dict(base, config=config or None, src=src, state="overridden" if purge else "replaced")
    if purge:
        return dict(base, config=None, src=None, state="deleted")     # nothing listed: an empty table
    return None


def describe(state: Optional[dict], ports: Dict[str, dict]) -> List[str]:
    """A datapath (as ``datapath_state`` gives it) and its ports (by name,
    as ``port_summary`` gives them) as lines, for the diff; [] when absent."""
    if not state:
        return []
    lines = ["datapath %s: masks_cache_size=%s user_features=%s" % (
        state["name"], state.get("masks_cache_size"), ",".join(state.get("user_features") or []) or "none")]
    for port in sorted(ports.values(), key=lambda p: (p["port_no"] or 0x10000, p["name"])):
        if port["port_no"] == 0 and port["name"] == state["name"]:
            continue
        options = ",".join("%s=%s" % (k, ",".join(v) if isinstance(v, list) else v)
                           for k, v in sorted(port["options"].items()))
        number = port["port_no"] or "(the kernel's choice)"
        lines.append("port %s: %s (%s%s)" % (number, port["name"], port["type"], ": " + options if options else ""))
    return lines


def _with_datapath(command: str, dp: str) -> str:
    """``add-flow FLOW`` -> ``add-flow DP FLOW`` (ovs-dpctl's words with the datapath named)."""
    verb, _sep, rest = command.partition(" ")
    if verb in ("add-flow", "mod-flow", "del-flow") and not rest.startswith("..."):
        if rest.startswith("--clear "):
            return "%s --clear %s %s" % (verb, dp, rest[len("--clear "):])
        return "%s %s %s" % (verb, dp, rest)
    return command


def _done(_ignored) -> List[str]:
    """An undo that raises on failure: nothing is left to say when it returns."""
    return []


def _kernel_states(dpif: Dpif, names: List[str]) -> Dict[str, tuple]:
    """Each datapath's state and ports, as the diff compares them."""
    out = {}
    for name in names:
        info = dpif.get(name)
        if info is not None:
            out[name] = (datapath_state(info), dict((p.name, port_summary(p)) for p in dpif.ports(name)))
    return out


def run(params: dict, check_mode: bool, diff: bool) -> dict:
    """``ovs_datapaths``' work. Raises DpifError: EINVAL for a bad
    document (``errors`` lists every problem), EBUSY for a lock held too
    long or a vswitchd-owned datapath named, the failed step's own error
    otherwise, with ``step`` naming it and ``rollback_failures`` listing
    what could not be undone."""
    state = params["state"]
    if state in ("rendered", "parsed"):
        from ansible_collections.dpif.ovs.plugins.module_utils.resources.host_offline import run_offline
        return run_offline(params)
    if params.get("config") is None and state in ("merged", "replaced", "overridden", "deleted"):
        raise DpifError(errno.EINVAL, "check arguments", "config",
                        "state %s needs config (an empty list with state overridden or deleted deletes every "
                        "datapath but ovs-vswitchd's)" % state)
    config = params.get("config") or []
    if state != "gathered":
        check_document(config, state)
    dpif = Dpif.open_system()
    locks: Dict[str, DatapathLock] = {}
    try:
        if state == "gathered":
            gathered, warnings = gathered_document(dpif)
            return {"changed": False, "gathered": gathered, "warnings": warnings}
        names = set(entry["name"] for entry in config)
        if state == "overridden" or (state == "deleted" and not config):
            names.update(info.name for info in dpif.enumerate())
        for name in sorted(names):
            locks[name] = DatapathLock(name, "ovs_datapaths state %s" % state, check_mode)
            locks[name].acquire()
        notes = [note for lock in locks.values() for note in lock.notes()]
        return _transact(dpif, locks, config, state, check_mode, diff, notes)
    finally:
        dpif.close()
        for lock in locks.values():
            lock.release()


def _transact(dpif: Dpif, locks: Dict[str, DatapathLock], config: List[dict], state: str,
              check_mode: bool, diff: bool, notes: List[str]) -> dict:
    before = _kernel_states(dpif, sorted(locks)) if diff else {}
    work = Transaction(dpif, locks, check_mode, diff)
    try:
        work.apply(config, state)
        changed = any(r.commands for r in work.results.values())
        if changed and not check_mode:
            work.warnings.extend(verify(dpif, locks, config, state, work))
    except DpifError as exc:
        if check_mode:
            raise
        # The failed step's own undo (a flow batch's) first, then the steps done before it.
        failures = [dict(f, step=f.get("step", exc.extra.get("step", "?"))) for f in
                    exc.extra.get("rollback_failures") or []]
        failures += work.undo()
        if failures:
            exc.detail += ("; undoing the steps done failed for %d operation(s): the host is partly "
                           "changed; run the task again to converge" % len(failures))
            exc.extra["rollback_failures"] = failures
        else:
            exc.detail += "; the steps done before it were undone, so the host is as it was"
        raise
    except Exception:
        if not check_mode:
            work.undo()     # a bug: the host is put back all the same, then the safety net words it
        raise
    results = work.results
    pending = [dict(p, datapath=dp) for dp, r in sorted(results.items()) for p in r.pending]
    warnings = notes + work.warnings
    if pending:
        warnings.append("%s: the device does not exist yet; the port is pending, with the flows that name it "
                        "(the watch service attaches it when the device appears)"
                        % ", ".join("vport %s/%s" % (p["datapath"], p["vport"]) for p in pending))
    commands = [command for _dp, r in sorted(results.items()) for command in r.commands]
    out = {"changed": bool(commands), "commands": commands,
           "datapaths": dict((dp, r.as_dict()) for dp, r in sorted(results.items())),
           "pending": pending, "warnings": warnings}
    if diff:
        out["diff"] = {"prepared": _diff_text(before, results)}
    return out


def _pending_ports(work: Transaction) -> set:
    return set((dp, p["vport"]) for dp, r in work.results.items() for p in r.pending)


def verify(dpif: Dpif, locks: Dict[str, DatapathLock], config: List[dict], state: str,
           done: Transaction) -> List[str]:
    """Plan the document again, read-only: a change it would still make is
    an error (EIO) saying what differs. Except when an optional port's
    device appeared or went away since ``done`` planned (a VM started or
    stopped meanwhile): that is the next run's (or the watch service's)
    to apply; returns a warning saying so."""
    again = Transaction(dpif, locks, True)
    again.apply(config, state)
    left = [command for _dp, r in sorted(again.results.items()) for command in r.commands]
    moved = _pending_ports(again) ^ _pending_ports(done)
    if left and moved:
        return ["%s appeared or went away during this run; the next run (or the watch service) applies what "
                "that changes: %s" % (", ".join("the device of vport %s/%s" % pair for pair in sorted(moved)),
                                      "; ".join(left[:10]))]
    if left:
        raise DpifError(errno.EIO, "verify", "host",
                        "after applying, the kernel differs from the plan; it would still take: %s"
                        % "; ".join(left[:10]) + (" ... and %d more" % (len(left) - 10) if len(left) > 10 else ""))
    return []


def _diff_text(before: Dict[str, tuple], results: Dict[str, DatapathResult]) -> str:
    """Per datapath: its attributes and ports before and after (the run's
    own account of what it set, so check mode shows what a real run does,
    except the number of a port the kernel picks), then its flow table's diff."""
    out = []
    for dp in sorted(set(before) | set(results)):
        state, ports = before.get(dp, (None, {}))
        old = describe(state, ports)
        result = results.get(dp)
        if result is None:
            continue
        if result.deleted:
            new = []
        else:
            ports = dict(ports)
            for name, port in result.ports_after.items():
                if port is None:
                    ports.pop(name, None)
                else:
                    ports[name] = port
            new = describe(result.datapath_after or state, ports)
        text = "".join(difflib.unified_diff([line + "\n" for line in old], [line + "\n" for line in new],
                                            "%s (before)" % dp, "%s (after)" % dp, n=1))
        out.append(text + result.flow_diff)
    return "".join(out)
