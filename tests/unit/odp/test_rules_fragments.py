"""A later fragment carries no transport header: the kernel refuses a mask
that matches one (EINVAL), so we refuse it first, naming the field."""

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp.rules import validate
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow


@pytest.mark.parametrize("text,field", [
    ("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=later),tcp(dst=80) 2", "tcp"),
    ("in_port(1),eth(),eth_type(0x86dd),ipv6(proto=17,frag=later),udp(src=53) 2", "udp"),
    ("in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=later),icmp(type=8) 2", "icmp"),
])
def test_a_later_fragment_cannot_match_transport_fields(text, field):
    with pytest.raises(FlowSyntaxError) as info:
        validate(parse_flow(text), fix=True, text=text)
    assert info.value.field == field
    assert "a later fragment has no %s header to match" % field in str(info.value)


@pytest.mark.parametrize("text", [
    "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=later) 2",
    "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=first),tcp(dst=80) 2",
    "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80) 2",
])
def test_first_fragments_and_unfragmented_packets_may(text):
    validate(parse_flow(text), fix=True, text=text)
