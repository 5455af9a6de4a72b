# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests: text -> model -> text and model -> wire -> model are identities;
malformed text raises FlowSyntaxError and nothing else."""

from __future__ import absolute_import, annotations, division, print_function

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import rules as R
from ansible_collections.dpif.ovs.plugins.module_utils.odp import structured as S
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp import wire as W
from bench_odp import gen_flow, terse

__metaclass__ = type


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=2 ** 32))
def test_text_model_wire_identities(seed):
    line = gen_flow(random.Random(seed))
    flow = T.parse_flow(line)
    assert T.format_flow(flow) == terse(line)
    back = W.decode_flow(W.encode_key(flow), W.encode_mask(flow), W.encode_actions(flow))
    assert back.key == flow.key and back.mask == flow.mask and back.actions == flow.actions
    assert back == flow and hash(back) == hash(flow)
    assert T.format_flow(back, verbose=True) == T.format_flow(flow, verbose=True)
    R.validate(flow)
    assert S.flow_from_struct(S.flow_to_struct(flow)) == flow


@settings(max_examples=600, deadline=None)
@given(st.integers(min_value=0, max_value=2 ** 32), st.data())
def test_mutated_text_raises_only_flow_syntax_error(seed, data):
    line = gen_flow(random.Random(seed))
    pos = data.draw(st.integers(min_value=0, max_value=len(line) - 1))
    op = data.draw(st.sampled_from(("delete", "insert", "replace", "truncate")))
    ch = data.draw(st.sampled_from(list("(),=/:+-|x0 9{}[]%.zZ")))
    if op == "delete":
        mutated = line[:pos] + line[pos + 1:]
    elif op == "insert":
        mutated = line[:pos] + ch + line[pos:]
    elif op == "replace":
        mutated = line[:pos] + ch + line[pos + 1:]
    else:
        mutated = line[:pos]
    try:
        flow = T.parse_flow(mutated)
        T.format_flow(flow)
        R.validate(flow)
    except FlowSyntaxError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_wire_decodes_or_raises(buf):
    try:
        flow = W.decode_flow(buf, buf, buf)
    except FlowSyntaxError:
        return
    T.format_flow(flow, verbose=True)
