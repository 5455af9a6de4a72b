# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OVS's own flow-syntax vectors (vectors/, see its README), one test per row.

Each row gets a category computed from its text, never from a row list:

* userspace-only: it names a userspace-datapath-only key or action
  (nd_ext, packet_type, tnl_push, tnl_pop, lb_output); we must reject it
  with a reason that says so;
* print-form: OVS rejects it only because it uses a form dpctl prints but
  does not parse (recirc(0xN), hash(...)); we accept it on purpose;
* expected-error: OVS says ERROR; we must raise FlowSyntaxError;
* supported: must parse and re-print exactly as OVS's parse-wc-keys /
  parse-actions output.
"""

from __future__ import absolute_import, annotations, division, print_function

import collections
import csv
import os
import re

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import rules as R
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow

__metaclass__ = type

BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors", "")
csv.field_size_limit(10 ** 8)
USERSPACE_ONLY = re.compile(r"\b(nd_ext|packet_type|tnl_push|tnl_pop|lb_output)\(")
PRINT_FORM = re.compile(r"\brecirc\(0x|\bhash\((l4|sym_l4)\(")
ERSPAN = re.compile(r"\berspan\(")


def _rows():
    out = []
    with open(BASE + "odp_vectors_ovs_output.tsv") as f:
        table = list(csv.reader(f, delimiter="\t"))[1:]
    for _src, kind, inp, mode, expected in table:
        if mode == "parse-keys":
            continue            # through struct flow; parse-wc-keys is the string reference
        out.append((kind, inp, expected))
    for _src, kind, inp, expected in list(csv.reader(open(BASE + "odp_vectors_limits.tsv"), delimiter="\t"))[1:]:
        out.append((kind, inp, expected))
    return out


def category(inp, expected):
    if USERSPACE_ONLY.search(inp):
        return "userspace-only"
    if expected.startswith("ERROR") and PRINT_FORM.search(inp):
        return "print-form"
    if expected.startswith("ERROR"):
        return "expected-error"
    return "supported"


ROWS = _rows()


def _run(kind, inp, validate=False):
    if kind == "action":
        acts = T.parse_actions(inp)
        if validate:    # the size and kernel rules live in rules.py
            R.validate(Flow((), (), acts), fix=True)
        return T.format_actions(acts)
    key, mask = T.parse_key(inp)
    if validate:
        R.validate(Flow(key, mask, ()), fix=True)
    return T.format_key(key, mask)


@pytest.mark.parametrize("kind,inp,expected", ROWS, ids=["%s-%d" % (r[0], i) for i, r in enumerate(ROWS)])
def test_row(kind, inp, expected):
    cat = category(inp, expected)
    if cat in ("userspace-only", "expected-error"):
        with pytest.raises(FlowSyntaxError) as ei:
            _run(kind, inp, validate=True)
        if cat == "userspace-only" and not ERSPAN.search(inp):
            assert "userspace" in str(ei.value)
        return
    got = _run(kind, inp)
    if cat == "print-form":
        assert T.format_actions(T.parse_actions(got)) == got
        return
    assert got == expected


def test_summary(capsys):
    counts = collections.Counter(category(inp, exp) for _k, inp, exp in ROWS)
    with capsys.disabled():
        print("\nconformance categories:", dict(sorted(counts.items())))
    assert counts["supported"] > 300
