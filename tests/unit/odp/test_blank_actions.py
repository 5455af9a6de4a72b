# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A flow line whose actions are blank is refused, not read as drop: a
template whose action variable came out empty must not install a flow
that drops everything it matches."""

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_dump_line, parse_flow

KEY = "in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"


@pytest.mark.parametrize("text", [KEY, KEY + " ", KEY + "\t\t", KEY + " \r\n",
                                  "ufid:8f3c9a7e-1d2b-4c5a-9e8f-0a1b2c3d4e5f," + KEY + "  ",
                                  KEY + ", packets:0, bytes:0, used:never, actions:",
                                  KEY + ", packets:0, bytes:0, used:never, actions: "])
@pytest.mark.parametrize("ports", [None, {"p1": 1}])
def test_blank_actions_are_missing_actions(text, ports):
    with pytest.raises(FlowSyntaxError) as err:
        parse_dump_line(text, port_numbers=ports)
    assert err.value.field == "actions" and "missing actions; write drop" in str(err.value)


@pytest.mark.parametrize("text", [KEY + " drop", KEY + " drop ", KEY + ", packets:0, bytes:0, used:never, actions:drop"])
def test_drop_is_still_drop(text):
    assert parse_flow(text).actions == ()
