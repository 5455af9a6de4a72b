# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_flow``: the snapshot path, a src run that reads only what changed.

A src-only run over a table that a src run left behind (:mod:`..tablesnapshot`)
parses and plans only the lines that differ from that run's; every other
line is known to be installed as printed. Any doubt (the dump's digest
differs, a line repeats, two lines are one flow) and the run takes the full
path instead, before anything is sent.

Contract of the entry points (:func:`run_unchanged`, :func:`run_from_snapshot`):
they return an :class:`..flow_text.Outcome`, or None when the full path
must decide (nothing was sent then). A bad new line is the user's error
(DpifError EINVAL naming the line), as on the full path. A batch that met
another writer raises :class:`RaceLost` after discarding the snapshot: the
full path then reads the whole table again. After a run whose table is
exactly the src's flows, :func:`record_snapshot` (full path) or
:func:`run_from_snapshot` records the snapshot for the next run.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import bisect
from operator import itemgetter
from typing import Dict, List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_apply import apply_plan
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import digest_dump, read_table
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import (
    Outcome,
    commands_for,
    error_at,
    have_text,
    texts_after,
    want_text,
)
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import Wanted, _context, _flow_line, _raw_lines
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.tablesnapshot import TableDigest, TableSnapshot, digest_items

#: An edited src is diffed in place (:func:`_changed_lines`) while at most
#: this share of its lines differ, and at least this many.
CHANGED_SHARE = 20
CHANGED_MIN = 64


def _snapshot_for(params: dict, dp: str, port_numbers: dict) -> Optional[TableSnapshot]:
    """The snapshot this run may use and should record, or None."""
    if params.get("config") or not params.get("src") or not params.get("cache", True):
        return None
    if params.get("clear_stats"):
        return None         # needs every flow's counters, which the snapshot path never reads
    if params["state"] not in ("merged", "replaced", "overridden"):
        return None
    return TableSnapshot.for_datapath(dp, _context(params, port_numbers))


def run_unchanged(dpif: Dpif, dp: str, src: str, snap: TableSnapshot) -> Optional[Outcome]:
    """The outcome of a run whose src file is the one ``snap`` kept, over
    the table it left: nothing to parse, nothing to do. None when the table
    is another (the full path decides)."""
    digest = TableDigest()
    anonymous = digest_dump(dpif, dp, digest)[1]
    if anonymous or digest.digest() != snap.table_digest:
        return None
    before = snap.texts()
    if before is None:
        return None
    return Outcome(planner.Plan(unchanged=len(before)), [], before, before,
                   ["%s line %d: %s" % (src, n, note) for n, note in snap.note_lines])


class RaceLost(Exception):
    """The snapshot path's batch met another writer's changes: the full path
    must read the whole table again (the snapshot no longer describes it).
    ``lost``: how many operations met them."""

    def __init__(self, lost: int):
        super().__init__(lost)
        self.lost = lost


def run_from_snapshot(dpif: Dpif, dp: str, params: dict, snap: TableSnapshot, data: bytes,
                      numbers: dict, names: Optional[dict], check_mode: bool,
                      lock: Optional[DatapathLock] = None, applied: Optional[list] = None) -> Optional[Outcome]:
    """The run's outcome by way of ``snap`` when the src file (bytes
    ``data``) changed, or None when the full path must decide. Parses only
    the src lines the kept file did not have, and the kept file's lines that
    are gone (to name the flows they installed); of the dump, it keeps only
    those lines' flows, and it digests the rest as it comes. The batch it
    sends goes to ``applied`` as :func:`..flow_apply.apply_plan` says."""
    state = params["state"]
    src = params["src"]
    old_data = snap.src_bytes()
    if old_data is None:
        return None
    # Imported on use (the text syntax's start-up cost: see flow_text), and looked up on
    # odp.text at each call, never kept here: tests replace it there to count parses.
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
            raise error_at(exc, wanted.where_text(n)) from None
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
    if anonymous or digest.digest() != snap.table_digest:
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
        lost = apply_plan(dpif, dp, p, names, lock, lambda: read_table(dpif, dp, wanted), applied)
        if lost:
            snap.discard()
            raise RaceLost(lost)
    after = texts_after(before, old_text, p, names)
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
    return Outcome(p, commands, before, after, ["%s line %d: %s" % (src, n, note) for n, note in note_lines])


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
    errs toward yes (:func:`..flow_wanted._flow_line` also strips non-ASCII blanks)."""
    raw = raw.strip()
    return bool(raw) and raw[:1] != b"#"


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
