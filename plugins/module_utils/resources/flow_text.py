# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_flow``: what a run reports, in ovs-dpctl's words.

Every flow is reported as ``ovs-dpctl dump-flows`` prints it (without
counters), port numbers or, with ``names``, port names. From those texts:

* ``before``: the table's texts before the run, sorted;
* ``after``: the texts after the plan, sorted, computed from ``before`` and
  the plan (:func:`texts_after`), never by reading the table again (only a
  run that met another writer reads it again, see ``flow_apply``);
* ``commands``: the plan as ovs-dpctl commands (:func:`commands_for`);
* ``diff``: a unified diff of ``before`` and ``after`` (:func:`unified_diff`).

A wanted flow prints as it was listed (its text is computed once and kept
on the flow); an installed flow that is not a wanted one prints from the
kernel's key, mask and actions. Printing errors are DpifError naming the
flow's place (:func:`error_at`).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import bisect
from typing import TYPE_CHECKING, Dict, List, NamedTuple, Optional

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError

# The text syntax (odp.text, and fastpath.printer on it) is imported by the
# functions that parse or print: compiling it is 0.8 s of a task in the UML
# sandbox (AnsiballZ runs module_utils from a zip, so never from a .pyc), and
# a run that the table snapshot shows to have nothing to do does neither.
if TYPE_CHECKING:
    from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.printer import DumpPrinter
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import Wanted

#: How many changed flows ``commands`` lists before it only counts.
COMMANDS_SHOWN = 1000


class Outcome(NamedTuple):
    """What a run did (or, in check mode, would do), for its result: the
    plan (its counts), its ``commands``, the table's sorted texts ``before``
    and ``after`` it (the same list when nothing changes), and the notes of
    flows that were completed (``fix``), each naming where it was listed."""
    plan: planner.Plan
    commands: List[str]
    before: List[str]
    after: List[str]
    notes: List[str]


def error_at(exc: DpifError, where: str) -> DpifError:
    """``exc`` with ``where`` (where the flow was listed or read:
    "config[3]", "src line 7", "datapath 'dp0' dump") in front of its object."""
    exc.obj = "%s: %s" % (where, exc.obj) if exc.obj else where
    return exc


def have_text(h: planner.HaveFlow, names: Optional[dict], printer: Optional[DumpPrinter] = None) -> str:
    """An installed flow's text, from the kernel's key, mask and actions."""
    if printer is None:
        printer = new_printer(names)
    try:
        return printer.flow_text(h.key, h.mask, h.actions)
    except DpifError as exc:
        raise error_at(exc, "installed flow") from None


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
    from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.printer import DumpPrinter
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


def texts_after(before: List[str], texts: Dict[bytes, str], p: planner.Plan, names: Optional[dict]) -> List[str]:
    """The table's texts after plan ``p``, sorted; ``before`` itself when
    the plan changes nothing.

    ``before`` is every installed flow's text, sorted; the flows ``p``
    deletes or modifies are installed ones, and ``texts`` maps the identity
    of each to its text in ``before`` (it may map others too). A deleted
    flow's text leaves; a modified flow's leaves and the text with its new
    actions comes; a created flow's text comes. Two flows that print alike
    are two lines."""
    if not p.changed:
        return before
    after: List[str] = []
    if len(p.delete) + len(p.modify) < len(before):      # else every flow leaves (a flush, say)
        taken = set()        # indexes into before of the texts that leave
        for ident in [h.ident for h in p.delete] + [m.have.ident for m in p.modify]:
            text = texts[ident]
            k = bisect.bisect_left(before, text)
            while k in taken:
                k += 1
            if k < len(before) and before[k] == text:
                taken.add(k)
        start = 0
        for k in sorted(taken):
            after += before[start:k]
            start = k + 1
        after += before[start:]
    after.extend(want_text(m.want, names, m.actions) if m.want is not None else texts[m.have.ident]
                 for m in p.modify)
    after.extend(want_text(w, names) for w in p.create)
    after.sort()
    return after


def commands_for(p: planner.Plan, texts: Dict[bytes, str], names: Optional[dict]) -> List[str]:
    """The plan as ovs-dpctl commands: deletes, modifies, creates, each
    group sorted by flow text (the plan's own order is the dump's, which
    means nothing to a reader), the first COMMANDS_SHOWN of them. ``texts``
    maps the identity of each flow the plan deletes to its text."""
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
    quadratic on huge tables). One line of context around each change;
    "" when the lists are equal."""
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
