# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_flow``: a datapath's flow table reconciled with a list of flows.

One run: read and check every wanted flow (nothing is sent if one is bad),
dump the table once, plan (:mod:`..planner`), then send the plan as one
batch: deletes, modifies, creates. If the kernel refuses any operation, the
operations that succeeded are undone, so the table is as it was, and every
refused flow is reported with its reason. Flows carry a UFID derived from
their canonical key and mask, so a re-run after a crash finds what an
earlier run installed and converges.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import bisect
import errno
import hashlib
import os
from contextlib import nullcontext
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, List, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowDel, FlowPut
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.flowcache import FlowCache
from ansible_collections.dpif.ovs.plugins.module_utils.heap import keep_freed_memory
from ansible_collections.dpif.ovs.plugins.module_utils.odp import flow_ufid, ufid_of_wire
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow, canonical
from ansible_collections.dpif.ovs.plugins.module_utils.odp.rules import check_encoded_size, validate
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import decode_flow, encode_attrs
from ansible_collections.dpif.ovs.plugins.module_utils.privatestore import refusals
from ansible_collections.dpif.ovs.plugins.module_utils.resources.planned import PlannedPorts, missing_datapath_warning
from ansible_collections.dpif.ovs.plugins.module_utils.srcfile import MAX_LINE_BYTES, read_src
from ansible_collections.dpif.ovs.plugins.module_utils.tablesnapshot import (
    TableDigest,
    TableSnapshot,
    digest_items,
)

# The text syntax (odp.text, and odp.printer on it) is imported by the
# functions that parse or print: compiling it is 0.8 s of a task in the UML
# sandbox (AnsiballZ runs module_utils from a zip, so never from a .pyc), and
# a run that the table snapshot shows to have nothing to do does neither.
if TYPE_CHECKING:
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.printer import DumpPrinter

#: How many changed flows ``commands`` lists before it only counts.
COMMANDS_SHOWN = 1000
#: How many fix-up notes become warnings before they are only counted.
NOTES_SHOWN = 20
#: Why the kernel refuses to create a flow with EEXIST when no identical
#: flow is installed (no other writer got in the way).
OVERLAP = ("a flow already installed (or created earlier in this batch) matches this flow's key: the kernel "
           "refuses overlapping flows; make their keys or masks disjoint")
#: How many times a run reads the table again after another writer got in
#: its way before it gives up.
RACE_ROUNDS = 5


def _structured():
    """The structured form's module, imported on first use: it loads
    jsonschema, about 0.3 s of a task's start-up in the sandbox, which a
    text-only or src run never needs."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp import structured
    return structured


def _where(exc: DpifError, where: str) -> DpifError:
    exc.obj = "%s: %s" % (where, exc.obj) if exc.obj else where
    return exc


class Wanted:
    """The listed flows, checked, canonical and encoded, in list order."""

    def __init__(self, fix: bool):
        self.fix = fix
        self.flows: List[planner.WantFlow] = []
        self.by_ufid: Dict[bytes, planner.WantFlow] = {}
        # Where each flow was listed: "config[3]", or a src line number (an
        # int: 100k "file line N" strings would cost memory for no reader).
        self.where: Dict[bytes, object] = {}
        self.src: Optional[str] = None
        self.src_data = b""         # the src file's bytes
        self.notes: List[str] = []
        self.flow_notes: Dict[bytes, tuple] = {}     # only flows with notes
        self.cache: Optional[FlowCache] = None
        self.src_lines: List[tuple] = []     # (line, want, cache entry | None) of the src file
        # One bytes object per distinct mask and action list: a table has
        # few masks and recurring actions, and 100k copies cost megabytes.
        self._shared: Dict[bytes, bytes] = {}

    def where_text(self, where) -> str:
        return "%s line %d" % (self.src, where) if where.__class__ is int else where

    def add(self, flow: Flow, where, source: Optional[str]) -> planner.WantFlow:
        try:
            encoded = self.encode(flow, source)
        except DpifError as exc:
            raise _where(exc, self.where_text(where)) from None
        return self.add_encoded(encoded, where)

    def encode(self, flow: Flow, source: Optional[str]) -> tuple:
        """The flow checked (and completed, with ``fix``), canonical and
        encoded: ``(key, mask, actions, notes)``; DpifError if it is bad."""
        flow, notes = validate(flow, fix=self.fix, text=source, check_size=False)
        key, mask, actions = canonical(flow).canonical_tuple()
        key_b, mask_b, actions_b = encode_attrs(key), encode_attrs(mask), encode_attrs(actions)
        check_encoded_size(source or "", key_b, mask_b, actions_b)
        return key_b, mask_b, actions_b, tuple(notes)

    def add_encoded(self, encoded: tuple, where) -> planner.WantFlow:
        """Add a flow given as :meth:`encode` returns it."""
        key_b, mask_b, actions_b, notes = encoded
        shared = self._shared
        mask_b = shared.setdefault(mask_b, mask_b)
        actions_b = shared.setdefault(actions_b, actions_b)
        # The model is not kept: the bytes say it all, and 100k models would
        # cost about 3 KB each. canonical_flow() decodes the few needed again.
        want = planner.WantFlow(ufid=ufid_of_wire(key_b, mask_b), flow=None, key=key_b, mask=mask_b,
                                actions=actions_b)
        return self._register(want, notes, where)

    def add_cached(self, entry: tuple, where, line: str) -> planner.WantFlow:
        ufid, key, mask, actions, text, notes, echo = entry
        # text None: the line is already printed the way dump-flows prints it.
        want = planner.WantFlow(ufid, None, key, mask, actions, line if text is None else text, echo)
        return self._register(want, tuple(notes) if notes else (), where)

    def _register(self, want: planner.WantFlow, notes: tuple, where) -> planner.WantFlow:
        for note in notes:
            self.notes.append("%s: %s" % (self.where_text(where), note))
        prev = self.by_ufid.get(want.ufid)
        if prev is not None:
            # Both are canonical encodings: equal actions are equal bytes.
            if prev.actions != want.actions:
                raise DpifError(errno.EINVAL, "check flows", self.where_text(where),
                                "the same flow (same key and mask) as %s, with other actions; list each flow once"
                                % self.where_text(self.where[want.ufid]))
            return prev
        self.flows.append(want)
        self.by_ufid[want.ufid] = want
        self.where[want.ufid] = where
        if notes:
            self.flow_notes[want.ufid] = notes
        return want

    def save_cache(self, names: Optional[dict]) -> None:
        """Store what this run learned about the src file's lines."""
        cache = self.cache
        if cache is None or not cache.usable:
            return
        keep = set()
        for line, want, cached in self.src_lines:
            keep.add(line)
            if cached is not None and cached[6] == want.echo:
                continue            # a hit that learned nothing new
            text = want_text(want, names)
            entry = (want.ufid, want.key, want.mask, want.actions, None if text == line else text,
                     self.flow_notes.get(want.ufid, ()), want.echo)
            if cached != entry:
                cache.put(line, entry)
        cache.save(keep)


def load_wanted(params: dict, port_numbers: Optional[dict], datapath: Optional[str] = None) -> Wanted:
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.line_templates import LineTemplates
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
    wanted = Wanted(fix=params.get("fix", True))
    for i, item in enumerate(params.get("config") or []):
        where = "config[%d]" % i
        try:
            if isinstance(item, str):
                if len(item) > MAX_LINE_BYTES:
                    raise DpifError(errno.EINVAL, "check flows", "", "the flow is %d characters long; a flow "
                                    "may be at most %d KiB of text" % (len(item), MAX_LINE_BYTES >> 10))
                flow = parse_flow(item, port_numbers=port_numbers)
                source = item
            elif isinstance(item, dict):
                flow = _structured().flow_from_struct(item, port_numbers=port_numbers)
                source = None
            else:
                raise DpifError(errno.EINVAL, "check flows", "",
                                "a flow is a string in ovs-dpctl syntax or a mapping, not %s" % type(item).__name__)
        except DpifError as exc:
            raise _where(exc, where) from None
        wanted.add(flow, where, source)
    src = params.get("src")
    if src:
        data = read_src(src)
        lines, nums = src_lines(data, src)
        wanted.src = src
        wanted.src_data = data
        cache = None
        if datapath and params.get("cache", True):
            cache = wanted.cache = FlowCache.for_src(datapath, src, _context(params, port_numbers))
        # Lines of one kind that differ in addresses, ports and tunnel ids
        # are encoded by template after the first two (see line_templates).
        templates = LineTemplates(lambda line: wanted.encode(parse_flow(line, port_numbers=port_numbers), line))
        for n, line in zip(nums, lines):
            entry = cache.get(line) if cache is not None else None
            if entry is not None:
                want = wanted.add_cached(entry, n, line)
            else:
                try:
                    encoded = templates.encode(line)
                except DpifError as exc:
                    raise _where(exc, wanted.where_text(n)) from None
                want = wanted.add_encoded(encoded, n)
            wanted.src_lines.append((line, want, entry))
    return wanted


def src_lines(data: bytes, src: str) -> Tuple[List[str], List[int]]:
    """The flow lines of a src file's bytes (:func:`_flow_line`) and their line numbers."""
    lines, nums = [], []
    for n, raw in enumerate(_raw_lines(data), 1):
        line = _flow_line(raw, src, n)
        if line is not None:
            lines.append(line)
            nums.append(n)
    return lines, nums


def _raw_lines(data: bytes) -> List[bytes]:
    """A src file's lines as bytes; line ends as open() in text mode reads them."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data.split(b"\n")


def _flow_line(raw: bytes, src: str, n: int) -> Optional[str]:
    """The flow of src line ``n`` (UTF-8), stripped; None for a blank or ``#`` line."""
    if len(raw) > MAX_LINE_BYTES:
        raise DpifError(errno.EINVAL, "read flows", "src '%s' line %d" % (src, n),
                        "the line is %d bytes long; a flow line may be at most %d KiB"
                        % (len(raw), MAX_LINE_BYTES >> 10))
    try:
        line = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise DpifError(errno.EINVAL, "read flows", "src '%s' line %d" % (src, n),
                        "byte %d of the line is not UTF-8 text (%s)" % (exc.start + 1, exc.reason)) from None
    return line if line and line[0] != "#" else None


def _context(params: dict, port_numbers: Optional[dict]) -> tuple:
    """What a src line's parse depends on besides its text (caches are kept per context)."""
    return (params.get("fix", True), tuple(sorted((port_numbers or {}).items())), bool(params.get("names")))


def read_table(dpif: Dpif, dp: str, wanted: Optional[Wanted]) -> Dict[bytes, planner.HaveFlow]:
    """The installed flows keyed by identity. Flows we installed (their UFID
    is a wanted one) are not decoded: the UFID already says what they match."""
    known = wanted.by_ufid if wanted is not None else {}
    have = {}
    HaveFlow = planner.HaveFlow
    if not known:
        for df in dpif.flow_dump(dp):
            _have_foreign(have, df, dp)
        return have
    # With wanted flows, dump without keys and masks: a flow carrying a
    # wanted UFID is that flow (the UFID hashes its canonical key and mask),
    # so the key and mask we sent stand in for the kernel's. Any other flow
    # is read again, whole, by a second dump (the kernel leaves out the mask
    # of key-identified flows too, when asked to omit keys).
    foreign = False
    for df in dpif.flow_dump(dp, keys=False):
        w = known.get(df.ufid) if df.ufid is not None else None
        if w is not None:
            have[w.ufid] = HaveFlow(w.ufid, w.ufid, w.key, w.mask, df.actions or b"", df.stats.packets,
                                    df.stats.bytes)
        else:
            foreign = True
    if foreign:
        for df in dpif.flow_dump(dp):
            if df.ufid is None or df.ufid not in known:
                _have_foreign(have, df, dp)
    return have


def digest_dump(dpif: Dpif, dp: str, digest: TableDigest,
                keep: FrozenSet[bytes] = frozenset()) -> Tuple[Dict[bytes, bytes], bool]:
    """Add the table to ``digest`` as a key-less dump reports it: each UFID
    flow as its UFID followed by its action bytes, KEYLESS_SLICE flows at a
    time. None of it is kept but the actions of the flows whose UFID is in
    ``keep``: 100k flows held at once cost seconds of page faults in the
    sandbox, streamed they cost a tenth of that. Returns those actions by
    UFID, and whether flows without a UFID (only a full dump names those;
    a snapshot never holds one) were left out."""
    items = []
    append = items.append
    kept = {}
    anonymous = False
    for ufid, _key, _mask, actions in dpif.flow_dump_payloads(dp, keys=False):
        if ufid is None:
            anonymous = True
            continue
        actions = actions or b""
        append(ufid + actions)
        if ufid in keep:
            kept[ufid] = actions
        if len(items) == KEYLESS_SLICE:
            digest.add(items)
            items.clear()
    digest.add(items)
    return kept, anonymous


#: Flows added to a digest at a time by :func:`digest_dump`.
KEYLESS_SLICE = 1024


def _have_foreign(have: Dict[bytes, planner.HaveFlow], df, dp: str) -> None:
    """A flow not installed by this list: identified by its canonical key and mask."""
    actions = df.actions or b""
    try:
        ident = flow_ufid(canonical(decode_flow(df.key or b"", df.mask, actions)))
    except DpifError as exc:
        raise _where(exc, "datapath '%s' dump" % dp) from None
    have[ident] = planner.HaveFlow(ident, df.ufid, df.key or b"", df.mask, actions, df.stats.packets, df.stats.bytes)


def have_text(h: planner.HaveFlow, names: Optional[dict], printer: Optional[DumpPrinter] = None) -> str:
    if printer is None:
        printer = new_printer(names)
    try:
        return printer.flow_text(h.key, h.mask, h.actions)
    except DpifError as exc:
        raise _where(exc, "installed flow") from None


def gather(dpif: Dpif, dp: str, names: Optional[dict]) -> List[str]:
    """Every installed flow's text, sorted: printed straight from the dump's
    bytes (no identity, no canonical form is needed to print)."""
    texts = new_printer(names).reply_texts
    out = []
    try:
        for data, spans in dpif.flow_dump_replies(dp):
            out += texts(data, spans)
    except DpifError as exc:
        raise _where(exc, "datapath '%s' dump" % dp) from None
    out.sort()
    return out


def want_text(w: planner.WantFlow, names: Optional[dict], actions: Optional[bytes] = None) -> str:
    """The wanted flow's text, or with other ``actions`` (wire bytes)."""
    printer = _printer(names)
    if actions is None:
        if not w.text:
            w.text = printer.flow_text(w.key, w.mask or None, w.actions)
        return w.text
    return printer.flow_text(w.key, w.mask or None, actions)


_last_printer = [None, None]     # (names, DumpPrinter): texts of one run share the memos


def _printer(names: Optional[dict]) -> DumpPrinter:
    if _last_printer[1] is None or _last_printer[0] is not names:
        _last_printer[:] = [names, new_printer(names)]
    return _last_printer[1]


def new_printer(names: Optional[dict]) -> DumpPrinter:
    """A dump-flows printer (port names from ``names`` when given)."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.printer import DumpPrinter
    return DumpPrinter(port_names=names)


def table_texts(have: Dict[bytes, planner.HaveFlow], wanted: Optional[Wanted], names: Optional[dict]) -> Dict[bytes, str]:
    """Text of every installed flow, keyed by identity. A flow we installed
    with the wanted actions prints as the wanted flow does."""
    out = {}
    printer = new_printer(names)
    for ident, h in have.items():
        w = wanted.by_ufid.get(ident) if wanted is not None else None
        if w is not None and (h.actions == w.actions or h.actions == w.echo):
            out[ident] = want_text(w, names)
        else:
            out[ident] = have_text(h, names, printer)
    return out


#: Operations built and sent at a time. 100k FlowPut objects held at once
#: are 17 MB, and 1.3 s of fresh pages under UML; a slice's are reused.
APPLY_SLICE = 8192


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
               lock: Optional[DatapathLock] = None, reread=None) -> int:
    """Send the plan as one batch; all or nothing.

    Returns how many operations lost a race with another writer: refused
    with EEXIST on a create, ENOENT on a modify or delete, and confirmed by
    ``reread()`` (the table read again, as :func:`read_table` returns it;
    without it nothing counts as a race). Those are not errors and nothing is
    undone; the caller converges (:func:`converge_after_race`). Any other
    refusal undoes the operations that succeeded and raises DpifError
    listing every refused flow. ``lock`` marks the batch in flight, for a
    run that finds this one killed half-way."""
    summary = "create %d, modify %d, delete %d" % (len(p.create), len(p.modify), len(p.delete))
    with lock.applying(summary) if lock is not None else nullcontext():
        count, errors = _operate(dpif, dp, _plan_ops(p))
        if not errors:
            return 0
        verbs = ["delete"] * len(p.delete) + ["modify"] * len(p.modify) + ["create"] * len(p.create)
        if reread is not None and all(_lost_a_race(verbs[i], err) for i, err in errors) \
                and _races_confirmed(p, errors, reread()):
            return len(errors)
        _undo_and_raise(dpif, dp, p, names, count, errors, verbs)
    return 0


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
                        names: Optional[dict], lock: Optional[DatapathLock]) -> Dict[bytes, planner.HaveFlow]:
    """Read the table again and apply what is still to do, until no
    operation loses a race (at most RACE_ROUNDS times); the table then."""
    for _round in range(RACE_ROUNDS):
        have = read_table(dpif, dp, wanted)
        p = planner.plan(wanted.flows if wanted else [], have, state, clear_stats)
        if not p.changed or not apply_plan(dpif, dp, p, names, lock, lambda: read_table(dpif, dp, wanted)):
            return read_table(dpif, dp, wanted) if p.changed else have
    raise DpifError(errno.EAGAIN, "apply flows", "datapath '%s'" % dp,
                    "another writer kept changing the flows this run was setting, %d times in a row; "
                    "find it (ovs-vswitchd, ovs-dpctl, another tool) and stop it" % RACE_ROUNDS)


def race_warning(lost: int) -> str:
    return ("%d of the planned operations met a flow another writer had just added or removed; "
            "the table was read again and converged" % lost)


def _undo_and_raise(dpif: Dpif, dp: str, p: planner.Plan, names: Optional[dict], count: int,
                    errors: list, verbs: List[str]) -> None:
    # Texts only for the report: the caller already has those of a success.
    printer = new_printer(names)
    texts = [have_text(h, names, printer) for h in p.delete] + \
        [want_text(m.want, names, m.actions) if m.want else have_text(m.have, names, printer) for m in p.modify] + \
        [want_text(w, names) for w in p.create]
    failed = {i for i, _err in errors}
    undone, undo_errors = _operate(dpif, dp, _undo_ops(p, failed))
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


def commands_for(p: planner.Plan, texts: Dict[bytes, str], names: Optional[dict]) -> List[str]:
    """The plan as ovs-dpctl commands: deletes, modifies, creates, each
    group sorted by flow text (the plan's own order is the dump's, which
    means nothing to a reader), the first COMMANDS_SHOWN of them."""
    total = len(p.delete) + len(p.modify) + len(p.create)
    out = ["del-flow " + t for t in sorted(texts[h.ident] for h in p.delete)[:COMMANDS_SHOWN]]
    if len(out) < COMMANDS_SHOWN:
        mods = sorted((want_text(m.want, names, m.actions), m.zero_stats) for m in p.modify)
        out.extend(("mod-flow --clear " if zero else "mod-flow ") + t for t, zero in mods[:COMMANDS_SHOWN - len(out)])
    if len(out) < COMMANDS_SHOWN:
        adds = sorted(want_text(w, names) for w in p.create)
        out.extend("add-flow " + t for t in adds[:COMMANDS_SHOWN - len(out)])
    if total > len(out):
        out.append("... and %d more" % (total - len(out)))
    return out


def unified_diff(before: List[str], after: List[str], dp: str) -> str:
    """A unified diff of two sorted line lists, by merging them (difflib is
    quadratic on huge tables). One line of context around each change."""
    i = j = 0
    rows = []   # (tag, line) with tag in " ", "-", "+"
    while i < len(before) or j < len(after):
        if j >= len(after) or (i < len(before) and before[i] < after[j]):
            rows.append(("-", before[i]))
            i += 1
        elif i >= len(before) or after[j] < before[i]:
            rows.append(("+", after[j]))
            j += 1
        else:
            rows.append((" ", before[i]))
            i += 1
            j += 1
    out = ["--- %s (before)\n" % dp, "+++ %s (after)\n" % dp]
    changed = [k for k, (tag, _line) in enumerate(rows) if tag != " "]
    k = 0
    while k < len(changed):
        start = max(changed[k] - 1, 0)
        end = changed[k]
        while k + 1 < len(changed) and changed[k + 1] <= end + 3:
            k += 1
            end = changed[k]
        end = min(end + 1, len(rows) - 1)
        old_start = sum(1 for tag, _line in rows[:start] if tag != "+")
        new_start = sum(1 for tag, _line in rows[:start] if tag != "-")
        hunk = rows[start:end + 1]
        old_len = sum(1 for tag, _line in hunk if tag != "+")
        new_len = sum(1 for tag, _line in hunk if tag != "-")
        out.append("@@ -%d,%d +%d,%d @@\n" % (old_start + 1, old_len, new_start + 1, new_len))
        out.extend("%s%s\n" % (tag, line) for tag, line in hunk)
        k += 1
    return "".join(out) if len(out) > 2 else ""


# The snapshot path. A src-only run over a table that a src run left behind
# (tablesnapshot.py) parses and plans only the lines that differ from that
# run's; every other line is known to be installed as printed. Any doubt
# (the dump's digest differs, a line repeats, two lines are one flow) and
# the run takes the full path instead, before anything is sent.

def _snapshot_for(params: dict, dp: str, port_numbers: dict) -> Optional[TableSnapshot]:
    """The snapshot this run may use and should record, or None."""
    if params.get("config") or not params.get("src") or not params.get("cache", True):
        return None
    if params.get("clear_stats"):
        return None         # needs every flow's counters, which the snapshot path never reads
    if params["state"] not in ("merged", "replaced", "overridden"):
        return None
    return TableSnapshot.for_datapath(dp, _context(params, port_numbers))


def run_unchanged(dpif: Dpif, dp: str, src: str, snap: TableSnapshot, diff: bool) -> Optional[dict]:
    """The result of a run whose src file is the one ``snap`` kept, over
    the table it left: nothing to parse, nothing to do. None when the table
    is another (the full path decides)."""
    digest = TableDigest()
    anonymous = digest_dump(dpif, dp, digest)[1]
    if anonymous or digest.digest() != snap.kernel:
        return None
    before = snap.texts()
    if before is None:
        return None
    result = {"changed": False, "commands": [],
              "counts": {"create": 0, "modify": 0, "delete": 0, "unchanged": len(before)},
              "before": before}
    if diff:
        result["diff"] = {"prepared": ""}
    return _with_notes(result, ["%s line %d: %s" % (src, n, note) for n, note in snap.note_lines])


class RaceLost(Exception):
    """The snapshot path's batch met another writer's changes: the full path
    must read the whole table again (the snapshot no longer describes it)."""

    def __init__(self, lost: int):
        super().__init__(lost)
        self.lost = lost


def run_from_snapshot(dpif: Dpif, dp: str, params: dict, snap: TableSnapshot, data: bytes,
                      numbers: dict, names: Optional[dict], check_mode: bool, diff: bool,
                      lock: Optional[DatapathLock] = None) -> Optional[dict]:
    """The run's result by way of ``snap`` when the src file (bytes
    ``data``) changed, or None when the full path must decide. Parses only
    the src lines the kept file did not have, and the kept file's lines that
    are gone (to name the flows they installed); of the dump, it keeps only
    those lines' flows, and it digests the rest as it comes."""
    state = params["state"]
    src = params["src"]
    old_data = snap.src_bytes()
    if old_data is None:
        return None
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
    # Lines are compared as they are in the files, so a kept line is never
    # decoded: only added and gone lines are.
    changes = _changed_lines(old_data, data)
    if changes is not None:
        added, gone, moved, differ = changes
    else:
        new_raw, old_raw = _raw_lines(data), _raw_lines(old_data)
        new_set, old_set = set(new_raw), set(old_raw)
        if len(new_set) != len(new_raw) and _repeats_a_flow(new_raw, src):
            return None
        added = [(n, raw) for n, raw in enumerate(new_raw, 1) if raw not in old_set]
        gone = [(n, raw) for n, raw in enumerate(old_raw, 1) if raw not in new_set]
    fix = params.get("fix", True)
    # New lines: checked as the full path would (a bad one is the user's error).
    wanted = Wanted(fix)
    wanted.src = src
    new_notes = {}
    for n, raw in added:
        line = _flow_line(raw, src, n)
        if line is None:
            continue
        try:
            flow = parse_flow(line, port_numbers=numbers)
        except DpifError as exc:
            raise _where(exc, wanted.where_text(n)) from None
        count = len(wanted.flows)
        w = wanted.add(flow, n, line)
        if len(wanted.flows) == count:
            return None                 # two new lines are one flow
        if w.ufid in wanted.flow_notes:
            new_notes[raw] = wanted.flow_notes[w.ufid]
    if getattr(numbers, "planned", None):
        return None                     # check mode naming ports to come: the full path words it
    # Gone lines: the flows they installed.
    was = Wanted(fix)
    for n, raw in gone:
        line = _flow_line(raw, src, n)
        if line is None:
            continue
        try:
            was.add(parse_flow(line, port_numbers=numbers), n, line)
        except DpifError:
            return None
    digest = TableDigest()
    installed, anonymous = digest_dump(dpif, dp, digest, frozenset(
        [o.ufid for o in was.flows] + [w.ufid for w in wanted.flows]))
    if anonymous or digest.digest() != snap.kernel:
        return None
    have = {}
    for o in was.flows:
        actions = installed.get(o.ufid)
        if actions is None:
            return None
        have[o.ufid] = planner.HaveFlow(o.ufid, o.ufid, o.key, o.mask, actions)
    for w in wanted.flows:
        if w.ufid not in have and w.ufid in installed:
            return None                 # a second listing of a kept line's flow
    before = snap.texts()
    if before is None:
        return None
    old_text = {}
    for o in was.flows:
        text = _text_in(before, o, have[o.ufid], names)
        if text is None:
            return None
        old_text[o.ufid] = text
    p = planner.plan(wanted.flows, have, state)
    kept = len(before) - len(was.flows)
    p.unchanged += kept
    commands = commands_for(p, old_text, names) if p.changed else []
    if p.changed and not check_mode:
        lost = apply_plan(dpif, dp, p, names, lock, lambda: read_table(dpif, dp, wanted))
        if lost:
            snap.discard()
            raise RaceLost(lost)
    after = before
    if p.changed:
        drop = set(old_text[h.ident] for h in p.delete)
        drop.update(old_text[m.have.ident] for m in p.modify)
        after = [t for t in before if t not in drop] if drop else list(before)
        after.extend(want_text(m.want, names, m.actions) for m in p.modify)
        after.extend(want_text(w, names) for w in p.create)
        after.sort()
    result = {"changed": p.changed, "commands": commands,
              "counts": {"create": len(p.create), "modify": len(p.modify), "delete": len(p.delete),
                         "unchanged": p.unchanged},
              "before": before}
    if p.changed:
        result["after"] = after
    if diff:
        result["diff"] = {"prepared": unified_diff(before, after, dp)}
    if changes is not None:
        # Line k of one file faced line k of the other: a line that did not
        # differ has its number, and its notes, in both.
        gone_raw = set(raw for _n, raw in gone)
        notes = dict((raw, n) for raw, n in snap.notes.items() if raw not in gone_raw)
        notes.update(new_notes)
        note_lines = [(n, note) for n, note in snap.note_lines if n not in differ]
        note_lines.extend((n, note) for n, raw in moved + added if raw in notes for note in notes[raw])
        note_lines.sort(key=itemgetter(0))
    else:
        notes = dict((raw, n) for raw, n in snap.notes.items() if raw in new_set)
        notes.update(new_notes)
        note_lines = [(n, note) for n, raw in enumerate(new_raw, 1) if raw in notes for note in notes[raw]] \
            if notes else []
    if p.changed and check_mode:
        pass                            # nothing was done: the snapshot still holds
    elif len(before) - len(p.delete) + len(p.create) == kept + len(wanted.flows):
        # The table is the new file's flows, one per line, nothing else.
        snap.save(_digest_after(digest, p), data, after, notes, note_lines)
    elif p.changed:
        snap.discard()                  # a table no file describes
    # else: the table is as the snapshot says, which stays true for the kept file
    return _with_notes(result, ["%s line %d: %s" % (src, n, note) for n, note in note_lines])


def _same_bytes(a: bytes, i: int, b: bytes, j: int) -> int:
    """How many bytes from ``a[i]`` and ``b[j]`` on are equal: compared in
    blocks of 64 KiB, then 4 KiB, 256, 16 and 1 bytes."""
    n = 0
    room = min(len(a) - i, len(b) - j)
    size = 1 << 16
    while size:
        while n + size <= room and a[i + n:i + n + size] == b[j + n:j + n + size]:
            n += size
        size >>= 4
    return n


def _is_flow_raw(raw: bytes) -> bool:
    """Whether a src line may be a flow (not blank, not a ``#`` comment);
    errs toward yes (:func:`_flow_line` also strips non-ASCII blanks)."""
    raw = raw.strip()
    return bool(raw) and raw[:1] != b"#"


#: An edited src is diffed in place (:func:`_changed_lines`) while at most
#: this share of its lines differ, and at least this many.
CHANGED_SHARE = 20
CHANGED_MIN = 64


def _changed_lines(old: bytes, new: bytes) -> Optional[tuple]:
    """How src ``new`` differs from the kept file ``old``, without
    splitting either: line k of one is set against line k of the other,
    and what they share is skipped at memcmp speed. Splitting two 100k-line
    files into lines and sets costs 1.3-2 s of fresh pages under UML.

    Returns ``(added, gone, moved, differ)``: the ``(line number, raw)`` of
    the lines only ``new`` has and of those only ``old`` has, as the sets
    of their lines would say, except that a differing line of ``new`` that
    repeats a line both files share counts as added (its flow is then
    listed twice, which the caller finds by UFID); those of ``new`` that
    ``old`` has at another differing line; the numbers (in ``old``) of the
    lines that differ. A line that does not differ has the same number in
    both files. None when the files do not line up (a line inserted or
    removed early makes every later one differ: more than a
    CHANGED_SHARE-th, and CHANGED_MIN, of the lines differ), when a flow
    line repeats among the differing ones, or with ``\r`` line ends: the
    caller then compares the sets of lines."""
    if b"\r" in old or b"\r" in new:
        return None
    limit = max(CHANGED_MIN, new.count(b"\n") // CHANGED_SHARE)
    pairs_old, pairs_new = [], []
    differ = set()
    i = j = 0               # where line n starts in old and in new
    n = 1
    end_old, end_new = len(old), len(new)
    while i <= end_old and j <= end_new:
        same = _same_bytes(old, i, new, j)
        if i + same == end_old and j + same == end_new:
            i, j = end_old + 1, end_new + 1     # the rest is the same
            break
        cut = old.rfind(b"\n", i, i + same)        # the lines before the first difference are equal
        if cut >= 0:
            n += old.count(b"\n", i, cut + 1)
            j += cut + 1 - i
            i = cut + 1
        stop_old, stop_new = old.find(b"\n", i), new.find(b"\n", j)
        stop_old = end_old if stop_old < 0 else stop_old
        stop_new = end_new if stop_new < 0 else stop_new
        line_old, line_new = old[i:stop_old], new[j:stop_new]
        if line_old != line_new:            # else only one file goes on after it
            if len(differ) >= limit:
                return None
            differ.add(n)
            pairs_old.append((n, line_old))
            pairs_new.append((n, line_new))
        n += 1
        i, j = stop_old + 1, stop_new + 1
    for rest, at, end, out in ((old, i, end_old, pairs_old), (new, j, end_new, pairs_new)):
        k = n
        while at <= end:                    # the lines one file has after the other ended
            stop = rest.find(b"\n", at)
            stop = end if stop < 0 else stop
            if len(out) >= limit:
                return None
            out.append((k, rest[at:stop]))
            if out is pairs_old:
                differ.add(k)
            k += 1
            at = stop + 1
    flows_old = [raw for _n, raw in pairs_old if _is_flow_raw(raw)]
    flows_new = [raw for _n, raw in pairs_new if _is_flow_raw(raw)]
    if len(set(flows_old)) != len(flows_old) or len(set(flows_new)) != len(flows_new):
        return None
    both = set(raw for _n, raw in pairs_old) & set(raw for _n, raw in pairs_new)
    added = [(k, raw) for k, raw in pairs_new if raw not in both]
    gone = [(k, raw) for k, raw in pairs_old if raw not in both]
    moved = [(k, raw) for k, raw in pairs_new if raw in both]
    return added, gone, moved, differ


def _repeats_a_flow(raw_lines: List[bytes], src: str) -> bool:
    """Whether a flow line occurs twice (blank and comment lines may)."""
    seen = set()
    for n, raw in enumerate(raw_lines, 1):
        if raw in seen and _flow_line(raw, src, n) is not None:
            return True
        seen.add(raw)
    return False


def _digest_after(digest: TableDigest, p: planner.Plan) -> bytes:
    """The digest of the table ``digest`` holds, as it will be after ``p``
    (whose installed flows are all in it, as dumped)."""
    digest.remove([h.ident + h.actions for h in p.delete])
    digest.remove([m.have.ident + m.have.actions for m in p.modify])
    digest.add([m.have.ident + m.actions for m in p.modify])
    digest.add([w.ufid + w.actions for w in p.create])
    return digest.digest()


def _after_plan(items: List[bytes], p: planner.Plan) -> List[bytes]:
    """Sorted key-less dump ``items`` as the table will be after ``p``."""
    changes = dict((h.ident, None) for h in p.delete)
    changes.update((m.have.ident, m.actions) for m in p.modify)
    at = dict((ufid, bisect.bisect_left(items, ufid)) for ufid in changes)
    out = list(items)
    for ufid, actions in changes.items():
        out[at[ufid]] = None if actions is None else ufid + actions
    if p.delete:
        out = [item for item in out if item is not None]
    out.extend(w.ufid + w.actions for w in p.create)
    return out


def _text_in(texts: List[str], o: planner.WantFlow, h: planner.HaveFlow, names: Optional[dict]) -> Optional[str]:
    """The text of installed flow ``h`` (listed as ``o``) among the sorted
    ``texts``: printed as listed, or else as the kernel reports it."""
    text = want_text(o, names)
    if not _sorted_has(texts, text):
        text = have_text(h, names)
        if not _sorted_has(texts, text):
            return None
    return text


def _sorted_has(texts: List[str], text: str) -> bool:
    k = bisect.bisect_left(texts, text)
    return k < len(texts) and texts[k] == text


def record_snapshot(snap: TableSnapshot, wanted: Wanted, have: Dict[bytes, planner.HaveFlow], p: planner.Plan,
                    after: List[str]) -> None:
    """After a full-path run: record the table when it is exactly the src's
    flows, one per line; else forget any older snapshot."""
    # Every wanted flow is installed after a merged/replaced/overridden plan,
    # so a table of as many flows as there are lines is the lines' flows.
    installed = _after_plan(sorted(ident + h.actions for ident, h in have.items()), p)
    lines = [line for line, _want, _entry in wanted.src_lines]
    if not len(installed) == len(wanted.flows) == len(lines) == len(set(lines)):
        snap.discard()
        return
    note_lines, notes = [], {}
    raw = _raw_lines(wanted.src_data) if wanted.flow_notes else []
    for n, ufid in sorted((wanted.where[ufid], ufid) for ufid in wanted.flow_notes):
        notes[raw[n - 1]] = wanted.flow_notes[ufid]
        note_lines.extend((n, note) for note in wanted.flow_notes[ufid])
    snap.save(digest_items(installed), wanted.src_data, after, notes, note_lines)


def _port_maps(dpif: Dpif, dp: str, use_names: bool):
    ports = dpif.ports(dp)
    numbers = dict((p.name, p.port_no) for p in ports)
    names = dict((p.port_no, p.name) for p in ports) if use_names else None
    return numbers, names


def run_offline(params: dict) -> dict:
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
                raise _where(exc, "running_config line %d" % n) from None
            item = _structured().flow_to_struct(flow)
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


def run(params: dict, check_mode: bool, diff: bool) -> dict:
    result = _run(params, check_mode, diff)
    refused = refusals()        # a cache directory anyone else could write: said, not used
    if refused:
        result["warnings"] = result.get("warnings", []) + refused
    return result


def _run(params: dict, check_mode: bool, diff: bool) -> dict:
    state = params["state"]
    keep_freed_memory()     # tables of 100k flows: see heap.py
    if state in ("parsed", "rendered"):
        return run_offline(params)
    dp = params["datapath"]
    if not dp:
        raise DpifError(errno.EINVAL, "check arguments", "", "state %s needs datapath" % state)
    if params.get("src") and not os.path.isabs(params["src"]):
        params = dict(params, src=os.path.abspath(params["src"]))
    lock = DatapathLock(dp, "ovs_flow state %s" % state, check_mode) if state != "gathered" else None
    dpif = Dpif.open_system()
    try:
        if lock is not None:
            lock.acquire()
        exists = dpif.get(dp) is not None
        warnings = lock.notes() if lock is not None else []
        if not exists:
            if not check_mode:
                dpif.require(dp)        # its error says what to do
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
                    if hashlib.sha256(data).digest() == snap.src:
                        result = run_unchanged(dpif, dp, params["src"], snap, diff)
                    else:
                        result = run_from_snapshot(dpif, dp, params, snap, data, numbers, names, check_mode, diff,
                                                   lock)
                    if result is not None:
                        if warnings:
                            result["warnings"] = warnings + result.get("warnings", [])
                        return result
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
            warnings.extend(numbers.warnings(dp))
            names = dict(names or {})
            names.update(numbers.names())
        texts = table_texts(have, wanted, names)
        before = sorted(texts.values())
        raced = 0
        if p.changed and state == "deleted" and wanted is None:
            # Everything goes: one flush instead of a delete per flow.
            commands = ["del-flows %s" % dp]
            if not check_mode:
                with lock.applying("flush"):
                    dpif.flow_flush(dp)
            after = []
        elif p.changed:
            commands = commands_for(p, texts, names)
            if not check_mode:
                raced = apply_plan(dpif, dp, p, names, lock, lambda: read_table(dpif, dp, wanted))
            elif p.create:
                predict_overlaps(dp, p, have, names)
            after_map = dict(texts)
            for h in p.delete:
                after_map.pop(h.ident, None)
            for m in p.modify:
                after_map[m.have.ident] = want_text(m.want, names, m.actions) if m.want else texts[m.have.ident]
            for w in p.create:
                after_map[w.ufid] = want_text(w, names)
            after = sorted(after_map.values())
        else:
            commands = []
            after = before
        if raced:
            # This batch's plan no longer says what the table is: read what it became.
            final = converge_after_race(dpif, dp, wanted, state, params.get("clear_stats", False), names, lock)
            after = sorted(table_texts(final, wanted, names).values())
            lost += raced
        if lost:
            warnings.append(race_warning(lost))
        result = {
            "changed": p.changed or bool(lost),
            "commands": commands,
            "counts": {"create": len(p.create), "modify": len(p.modify), "delete": len(p.delete),
                       "unchanged": p.unchanged},
            "before": before,
        }
        if result["changed"]:
            result["after"] = after     # only then, as network resource modules do: a no-change
            # run would print the same 100k lines twice
        if diff:
            result["diff"] = {"prepared": unified_diff(before, after, dp)}
        if wanted is not None and not planned:
            wanted.save_cache(names)
        if snap is not None and not lost and (not check_mode or not p.changed):
            record_snapshot(snap, wanted, have, p, after)
        if warnings:
            result["warnings"] = warnings
        return _with_notes(result, wanted.notes if wanted is not None else [])
    finally:
        dpif.close()
        if lock is not None:
            lock.release()
