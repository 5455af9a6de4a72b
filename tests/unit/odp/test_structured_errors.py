# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the structured (YAML) flow form: the path of the bad field in
that form, and the text parser's whole reason, never cut short."""

from __future__ import absolute_import, annotations, division, print_function

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import structured as S

__metaclass__ = type

VLAN = {"eth": {}, "eth_type": 0x8100}
IPV4 = {"eth": {}, "eth_type": 0x0800}


@pytest.mark.parametrize("doc,field,detail", [
    # Out of range: the limit stays in the sentence.
    (dict(VLAN, vlan={"vid": 5000}), "vlan.vid", "vid out of range (max 4095)"),
    (dict(IPV4, eth_type=0x8847, mpls=[{"label": 1 << 21}]), "mpls.label", "label out of range (max 1048575)"),
    (dict(IPV4, actions=[{"ct": {"zone": 70000}}]), "actions[0].ct.zone", "70000 does not fit in 16 bits"),
    # Bad addresses, plain and CIDR.
    (dict(IPV4, ipv4={"src": "10.0.0.300"}), "ipv4.src", "'10.0.0.300' is not an IPv4 address"),
    (dict(IPV4, ipv4={"dst": "10.0.0.300/24"}), "ipv4.dst", "'10.0.0.300' is not an IPv4 or IPv6 address"),
    (dict(IPV4, ipv4={"dst": "10.0.0.0/33"}), "ipv4.dst", "prefix length /33 is too long for an IPv4 address (at most /32)"),
    ({"tunnel": {"dst": "1.1.1.300/24"}}, "tunnel.dst", "'1.1.1.300' is not an IPv4 or IPv6 address"),
    (dict(VLAN, vlan={"vid": 5}, encap={"eth_type": 0x0800, "ipv4": {"src": "1.2.3.400"}}),
     "encap.ipv4.src", "'1.2.3.400' is not an IPv4 address"),
    # Unknown names.
    ({"bogus": 1}, "bogus", "unknown key attribute 'bogus'"),
    (dict(IPV4, ipv4={"bogus": 1}), "ipv4.bogus", "unknown field 'bogus'"),
    ({"actions": [{"nosuch": 1}]}, "actions[0].nosuch", "unknown action 'nosuch'"),
    ({"actions": [{"set": {"nosuch": 2}}]}, "actions[0].set.nosuch", "unknown key attribute 'nosuch'"),
    # Wrong types, named as YAML names them.
    ({"in_port": [1]}, "in_port", "expected a number or a string, not a list"),
    ({"in_port": True}, "in_port", "expected a number or a string, not a boolean"),
    (dict(IPV4, ipv4={"ttl": 1.5}), "ipv4.ttl", "expected a number or a string, not a float"),
    ({"tunnel": {"dst": {"a": 1}}}, "tunnel.dst", "expected a number or a string, not a mapping"),
    ({"tunnel": {"vxlan": 5}}, "tunnel.vxlan", "expected a mapping, not a number"),
    ({"tunnel": [1]}, "tunnel", "expected a mapping, not a list"),
    ({"eth": None}, "eth", "expected a value, or a mapping of fields ({} for none), not null"),
    ({"mpls": {"label": 1}}, "mpls", "expected a list of label stack entries, not a mapping"),
    (dict(IPV4, ipv4={"ttl": "x"}), "ipv4.ttl", "'x' is not a number"),
    # Actions.
    ({"actions": "drop"}, "actions", "expected a list, not a string"),
    ({"actions": [None]}, "actions[0]", "an action is a string or a mapping with one key, not null"),
    ({"actions": [{"a": 1, "b": 2}]}, "actions[0]", "an action is a string or a mapping with one key, not a mapping"),
    ({"actions": ["output(zz)"]}, "actions[0].output", "'zz' is not a number"),
    ({"actions": [{"set": {"ipv4": {"ttl": "x"}}}]}, "actions[0].set.ipv4.ttl", "'x' is not a number"),
    ({"actions": [{"clone": [{"ct": {"zone": "q"}}]}]}, "actions[0].clone.ct.zone", "'q' is not a number"),
    ({"actions": [], "ufid": "zz"}, "ufid", "ufid must be a dashed 36-character UUID"),
])
def test_field_and_full_detail(doc, field, detail):
    doc = dict(doc)
    doc.setdefault("actions", [])
    with pytest.raises(FlowSyntaxError) as ei:
        S.flow_from_struct(doc)
    err = ei.value
    assert (err.field, err.detail) == (field, detail)
    # A column of the text the conversion made means nothing to a YAML writer.
    assert err.position is None and err.op == "convert flow"
    # The whole flow is named, and the sentence ends with the path.
    assert str(err) == "flow '%s': %s (%s)" % (repr(doc)[:200], detail, field)


def test_a_flow_that_is_not_a_mapping():
    with pytest.raises(FlowSyntaxError) as ei:
        S.flow_from_struct([1])
    assert str(ei.value) == "flow '[1]': a flow is a mapping, not a list (flow)"


def test_keys_that_are_not_strings_are_named_not_crashed_on():
    with pytest.raises(FlowSyntaxError) as ei:
        S.flow_from_struct({1: 2, "actions": []})
    assert (ei.value.field, ei.value.detail) == ("1", "unknown key attribute '1'")
    with pytest.raises(FlowSyntaxError) as ei:
        S.flow_from_struct({"actions": [{"set": {1: 2}}]})
    assert ei.value.field == "actions[0].set.1"


def test_the_schema_check_names_the_path_too():
    pytest.importorskip("jsonschema")
    with pytest.raises(FlowSyntaxError) as ei:
        S.validate_struct({"in_port": 1, "vlan": {"vid": 5, "bogus": 1}, "actions": []})
    assert ei.value.field == "vlan" and "'bogus' was unexpected" in ei.value.detail
