# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input campaign: every case of bad_inputs.corpus() through the
real entry points, against the real kernel.

Each case must fail, with a message that names its object and its field
(what that means per category is the case's ``names``, ``flow_field`` and
``field``; see bad_inputs.Case), without a traceback, and leave the kernel
as it was. The kernel is compared twice: around every case by reading it
over netlink (network devices, datapaths, their ports and flows), which
names the case that changed it, and around every group of cases with
``ovs-dpctl show`` and ``dump-flows``, the peer tool's view. A changed
kernel is put back as far as possible so that one bad case does not fail
the rest.

Cases run in groups of :data:`GROUP` in one process: a module's main()
in-process (conftest.run_module), the restore command's main() likewise,
each under an alarm so that a case that blocks (a FIFO opened for reading)
is a failure, not a hung run.
"""

from __future__ import absolute_import, annotations, division, print_function

import collections
import io
import json
import os
import re
import signal
import socket
import stat
from contextlib import contextmanager, redirect_stderr, redirect_stdout

import pytest
from bad_inputs import DP, GOOD_FLOW, PORT_A, PORT_B, SEEDS, Case, accepted_mutants, corpus

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortRequest

__metaclass__ = type

CASES, FRONT_END_TOOK = corpus()
GROUP = 50
GROUPS = [CASES[i:i + GROUP] for i in range(0, len(CASES), GROUP)]
#: Mutants the front end takes; the kernel decides whether they are bad.
KERNEL_JUDGED = 24
#: Seconds a case may take before it counts as hung.
CASE_TIMEOUT = 10
#: The operating system's error texts: a reason that is only one of these
#: names no field ("vport 'x': Invalid argument").
STRERRORS = frozenset(os.strerror(code) for code in range(1, 134))
#: Traffic counters in ovs-dpctl's output (lookups, mask and cache hits, flow stats).
COUNTERS = re.compile(r"\b(hit|missed|lost|hit/pkt|hit-rate|packets|bytes|used):[^ ,\n]+")


class CaseTimeout(Exception):
    """A case ran longer than CASE_TIMEOUT."""


@pytest.fixture(scope="module")
def bad_dp():
    """DP with internal ports PORT_A (1) and PORT_B (2), for the whole file."""
    dpif = Dpif.open_system()
    try:
        if dpif.get(DP) is not None:
            dpif.destroy(DP)
        dpif.create(DP)
        dpif.port_add(DP, PortRequest(name=PORT_A, type="internal", port_no=1))
        dpif.port_add(DP, PortRequest(name=PORT_B, type="internal", port_no=2))
    finally:
        dpif.close()
    yield DP
    dpif = Dpif.open_system()
    try:
        if dpif.get(DP) is not None:
            dpif.destroy(DP)
    finally:
        dpif.close()


# -- what the kernel holds ---------------------------------------------------------------

def kernel_view(dpif: Dpif) -> dict:
    """Network devices, and every datapath with its features, ports and
    flows (raw netlink payloads), as comparable values."""
    view = {"netdevs": tuple(sorted(os.listdir("/sys/class/net")))}
    for info in dpif.enumerate():
        ports = tuple(sorted((p.port_no, p.name, p.type, json.dumps(p.options, sort_keys=True))
                             for p in dpif.ports(info.name)))
        flows = tuple(sorted(tuple(part or b"" for part in (flow.ufid, flow.key, flow.mask, flow.actions))
                             for flow in dpif.flow_dump(info.name)))
        view["datapath " + info.name] = (info.user_features, info.masks_cache_size, ports, flows)
    return view


def view_diff(before: dict, after: dict) -> str:
    """What changed between two kernel views, in words."""
    out = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            out.append("%s: %r -> %r" % (key, before.get(key, "(none)"), after.get(key, "(none)")))
    return "; ".join(out)


def restore(dpif: Dpif, before: dict, after: dict) -> None:
    """Undo what a case did, as far as can be: datapaths it made are
    destroyed, ports it added deleted, flows it installed flushed."""
    for key in set(after) - set(before):
        if key.startswith("datapath "):
            dpif.destroy(key[len("datapath "):])
    for key in set(after) & set(before):
        if not key.startswith("datapath ") or before[key] == after[key]:
            continue
        name = key[len("datapath "):]
        had = set(p[1] for p in before[key][2])
        for port in after[key][2]:
            if port[1] not in had:
                dpif.port_del(name, port[1])
        if after[key][3] != before[key][3]:
            dpif.flow_flush(name)
        if after[key][1] != before[key][1]:
            dpif.set_features(name, before[key][0], before[key][1])


def dpctl_view(dpctl) -> str:
    """``ovs-dpctl show`` and ``dump-flows`` of every datapath it shows,
    without the traffic counters (a port another test left up may see a
    packet; that is not a change of state)."""
    show = dpctl("show")
    names = [line[len("system@"):-1] for line in show.splitlines() if line.startswith("system@")]
    text = show + "".join("\n== dump-flows %s\n%s" % (n, dpctl("dump-flows", n)) for n in sorted(names))
    return COUNTERS.sub(r"\1:*", text)


# -- running a case ------------------------------------------------------------------------

def fill(value, tmp: str):
    """``value`` with ``{dp}`` and ``{tmp}`` in its strings replaced."""
    if isinstance(value, str):
        return value.replace("{tmp}", tmp).replace("{dp}", DP)
    if isinstance(value, list):
        return [fill(v, tmp) for v in value]
    if isinstance(value, dict):
        return dict((k, fill(v, tmp)) for k, v in value.items())
    return value


def make_file(tmp: str, name: str, kind: str, data) -> None:
    """A case's file ``name`` in ``tmp``, of ``kind`` (see bad_inputs.Case)."""
    path = os.path.join(tmp, name)
    if kind == "bytes":
        with open(path, "wb") as fh:
            fh.write(data)
    elif kind == "dir":
        os.mkdir(path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(path)
        sock.close()
    elif kind == "sparse":
        with open(path, "wb") as fh:
            fh.truncate(data)
    elif kind == "symlink":
        os.symlink(data, path)
    else:
        raise ValueError("unknown file kind %r" % kind)


def run_cli(argv: list) -> dict:
    """The restore command's main() in this process, as a result dict."""
    from ansible_collections.dpif.ovs.plugins.module_utils import cli
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        try:
            rc = cli.main(argv)
        except SystemExit as exc:
            rc = exc.code
    return {"failed": rc != 0, "rc": rc, "msg": err.getvalue()}


def _alarm(_signum, _frame):
    raise CaseTimeout()


def run_case(case, run_module, tmp: str) -> dict:
    """Run ``case`` and return its result; an exception that escapes the
    entry point becomes a result that says so."""
    for name, kind, data in case.files:
        make_file(tmp, name, kind, fill(data, tmp) if kind == "symlink" else data)
    args = fill(case.args, tmp)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_TIMEOUT)
    try:
        with no_syslog(holds_nul(args)):
            if case.module == "cli":
                return run_cli(args)
            return dict(run_module(case.module, args, check=case.check))
    except CaseTimeout:
        return {"hung": "no answer after %d s" % CASE_TIMEOUT}
    except Exception as exc:     # what escapes is the finding: keep it, go on with the group
        return {"escaped": "%s: %s" % (type(exc).__name__, exc)}
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def holds_nul(args) -> bool:
    """Whether a string in ``args`` holds a NUL character."""
    return "\\u0000" in json.dumps(args)


@contextmanager
def no_syslog(active: bool):
    """Ansible logs a module's arguments to syslog before the module runs,
    and where syslog is its log it refuses an argument that holds a NUL
    itself ("Failed to log to syslog (embedded null character)"), naming no
    option. Hosts that log to journald pass it on; such a run is what this
    makes, so that the module's own refusal is what is checked."""
    if not active:
        yield
        return
    from ansible.module_utils import basic
    saved = basic.HAS_SYSLOG, basic.has_journal
    basic.HAS_SYSLOG = basic.has_journal = False
    try:
        yield
    finally:
        basic.HAS_SYSLOG, basic.has_journal = saved


# -- what a failure must say ---------------------------------------------------------------

def problems(case, res: dict, tmp: str) -> list:
    """Every way ``res`` falls short of a good failure for ``case``."""
    if "hung" in res or "escaped" in res:
        return [res.get("hung") or "an exception escaped the entry point: " + res["escaped"]]
    out = []
    msg = res.get("msg") or ""
    if not res.get("failed"):
        out.append("it did not fail: %s" % json.dumps(res)[:300])
        return out
    if "Traceback" in json.dumps(res) or "MODULE FAILURE" in msg or res.get("exception"):
        out.append("the result carries a traceback")
    if not msg.strip():
        out.append("the message is empty")
    for name in case.names:
        either = [fill(n, tmp) for n in (name if isinstance(name, tuple) else (name,))]
        if not any(n in msg for n in either):
            out.append("the message does not name %s" % " or ".join(repr(n) for n in either))
    reason = msg.splitlines()[0].rsplit(": ", 1)[-1].strip() if msg.strip() else ""
    if reason in STRERRORS and not case.os_error:
        out.append("the reason is only the errno's text %r" % reason)
    if case.flow_field:
        out.extend(_flow_field_problems(res, msg))
    if case.field is not None:
        got = res.get("field") or ""
        if not got.startswith(case.field):
            out.append("field is %r, not %r" % (got, case.field))
        elif "(%s" % got not in msg:
            out.append("the message does not show field %r" % got)
    return out


def _flow_field_problems(res: dict, msg: str) -> list:
    """A flow error must say which attribute (``field``) or which column (``position``)."""
    field, position = res.get("field"), res.get("position")
    if not field and position is None:
        return ["the flow error names neither a field nor a column"]
    if field and "(%s" % field not in msg:
        return ["the message does not show field %r" % field]
    if position is not None and "at column %d" % (position + 1) not in msg:
        return ["the message does not show column %d" % (position + 1)]
    return []


def check_group(cases, run_module, dpctl, tmp_path, tally) -> list:
    """Run ``cases``; returns their problems as ``ident: problem`` lines."""
    report = []
    dpif = Dpif.open_system()
    try:
        peer_before = dpctl_view(dpctl)
        before = kernel_view(dpif)
        for i, case in enumerate(cases):
            tmp = str(tmp_path / ("case%d" % i))
            os.mkdir(tmp)
            res = run_case(case, run_module, tmp)
            found = problems(case, res, tmp)
            after = kernel_view(dpif)
            if after != before:
                found.append("the kernel changed: " + view_diff(before, after))
                restore(dpif, before, after)
            tally_case(tally, case, not found)
            report.extend("%s: %s [args %r; msg %r]" % (case.ident, p, case.args, (res.get("msg") or "")[:300])
                          for p in found)
        left = view_diff(before, kernel_view(dpif))
        assert not left, "the kernel could not be put back: " + left
    finally:
        dpif.close()
    peer_after = dpctl_view(dpctl)
    if peer_after != peer_before:
        report.append("ovs-dpctl shows another kernel after this group (no single case changed what "
                      "netlink reads):\n--- before\n%s\n--- after\n%s" % (peer_before, peer_after))
    return report


def tally_case(tally: dict, case, good: bool) -> None:
    tally["cases"] += 1
    tally["good"] += good
    tally["categories"][case.category] += 1


@pytest.fixture
def tally(bad_input_tally):
    """conftest's counts, with the cases per category and the mutants the
    front end took (left out when the corpus was built)."""
    bad_input_tally.setdefault("categories", collections.Counter())
    bad_input_tally["front_end_took"] = FRONT_END_TOOK
    return bad_input_tally


# -- the tests -------------------------------------------------------------------------------

def test_corpus_is_large_and_distinct():
    idents = [c.ident for c in CASES]
    assert len(CASES) >= 500 and len(set(idents)) == len(idents)
    assert all(c.names or c.flow_field or c.field for c in CASES)


@pytest.mark.parametrize("group", range(len(GROUPS)),
                         ids=["g%02d-%s" % (i, g[0].category) for i, g in enumerate(GROUPS)])
def test_bad_inputs_fail_cleanly(group, bad_dp, run_module, dpctl, tmp_path, tally):
    report = check_group(GROUPS[group], run_module, dpctl, tmp_path, tally)
    assert not report, "%d problems:\n%s" % (len(report), "\n".join(report))


def test_mutants_only_the_kernel_can_judge(bad_dp, run_module, tmp_path, tally):
    """Mutants the front end takes go to the kernel. One it refuses is a
    bad input like the others (the datapath and the flow named, the table
    as it was); one it takes is not a bad input: it is deleted again and
    left out of the count."""
    report = []
    dpif = Dpif.open_system()
    try:
        before = kernel_view(dpif)
        for i, text in enumerate(accepted_mutants(KERNEL_JUDGED)):
            res = dict(run_module("ovs_flow", {"datapath": DP, "config": [text]}))
            if not res.get("failed"):
                run_module("ovs_flow", {"datapath": DP, "config": [text], "state": "deleted"})
                tally["kernel_took"] += 1
                found = []
            else:
                case = _judged_case(i, text)
                found = problems(case, res, str(tmp_path))
                tally_case(tally, case, not found)
            after = kernel_view(dpif)
            if after != before:
                found.append("the kernel changed: " + view_diff(before, after))
                restore(dpif, before, after)
            report.extend("kernel-judged %d %r: %s" % (i, text, p) for p in found)
    finally:
        dpif.close()
    assert not report, "%d problems:\n%s" % (len(report), "\n".join(report))


def _judged_case(i: int, text: str) -> Case:
    """A mutant the kernel refused, as a case: the datapath and the flow's field named."""
    return Case("a-flow-text", "kernel-judged-%02d" % i, "ovs_flow", {"datapath": DP, "config": [text]},
                ("datapath '%s'" % DP,), flow_field=True)


def test_the_seeds_are_good_flows(bad_dp, run_module):
    """The mutants start from flows the module and the kernel take; a bad
    seed would make every mutant of it trivially bad."""
    res = run_module("ovs_flow", {"datapath": DP, "config": list(SEEDS) + [GOOD_FLOW], "state": "overridden"})
    try:
        assert not res.failed, res.get("msg")
        assert res["counts"]["create"] == len(SEEDS) + 1
    finally:
        run_module("ovs_flow", {"datapath": DP, "state": "deleted"})


def test_file_kinds_are_what_they_say(tmp_path):
    """make_file makes the special files the src cases rely on."""
    for name, kind, data, test in (("d", "dir", None, stat.S_ISDIR), ("f", "fifo", None, stat.S_ISFIFO),
                                   ("s", "socket", None, stat.S_ISSOCK), ("z", "symlink", "/dev/zero", stat.S_ISCHR)):
        make_file(str(tmp_path), name, kind, data)
        assert test(os.stat(str(tmp_path / name)).st_mode), name
