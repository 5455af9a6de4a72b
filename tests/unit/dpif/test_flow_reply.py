"""dpif.netlink.flow_reply, the one walk of a flow reply, and what is read through it:
DumpedFlow.from_reply (single-flow answers and flow_dump). Replies are built here byte by byte, as the
kernel lays them out (ovs_flow_cmd_fill_info: UFID, KEY, MASK, STATS, USED,
TCP_FLAGS, ACTIONS)."""

import struct

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import DumpedFlow
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import flow_reply


def nla(attr_type, payload):
    size = 4 + len(payload)
    return struct.pack("=HH", size, attr_type) + payload + b"\0" * (-size & 3)


UFID = bytes(range(1, 17))
KEY = nla(3, struct.pack("=I", 2)) + nla(6, b"\x08\x00")        # in_port(2),eth_type(0x0800)
MASK = nla(3, b"\xff" * 4) + nla(6, b"\xff\xff")
ACTIONS = nla(1, struct.pack("=I", 3))                            # output 3


def reply(with_keys=True, actions=ACTIONS):
    out = nla(flow_reply.FLOW_ATTR_UFID, UFID)
    if with_keys:
        out += nla(flow_reply.FLOW_ATTR_KEY, KEY) + nla(flow_reply.FLOW_ATTR_MASK, MASK)
    out += nla(flow_reply.FLOW_ATTR_STATS, struct.pack("=QQ", 7, 700))
    out += nla(flow_reply.FLOW_ATTR_USED, struct.pack("=Q", 12345))
    out += nla(flow_reply.FLOW_ATTR_TCP_FLAGS, b"\x12")
    if actions is not None:
        out += nla(flow_reply.FLOW_ATTR_ACTIONS, actions)
    return out


def datagram(*replies, gap=20):
    """Replies one after the other, each behind ``gap`` header bytes, as a
    dump's datagram holds them; with each reply's (start, end)."""
    data, spans = b"", []
    for one in replies:
        data += b"\xee" * gap
        spans.append((len(data), len(data) + len(one)))
        data += one
    return data, spans


def test_spans_name_every_payload_and_the_walk_reads_to_the_end():
    data, [(start, end)] = datagram(reply())
    spans, stopped = flow_reply.attribute_spans(data, start, end)
    assert stopped == end
    assert data[slice(*spans[flow_reply.FLOW_ATTR_UFID])] == UFID
    assert data[slice(*spans[flow_reply.FLOW_ATTR_KEY])] == KEY
    assert data[slice(*spans[flow_reply.FLOW_ATTR_ACTIONS])] == ACTIONS
    assert sorted(spans) == [1, 2, 3, 4, 5, 7, 9]


def test_type_flags_are_masked_off():
    one = struct.pack("=HH", 8, flow_reply.FLOW_ATTR_ACTIONS | 0x8000) + struct.pack("=I", 9)
    spans, stopped = flow_reply.attribute_spans(one, 0, len(one))
    assert list(spans) == [flow_reply.FLOW_ATTR_ACTIONS] and stopped == len(one)


def test_a_malformed_attribute_stops_the_walk_short_of_the_end():
    good = nla(flow_reply.FLOW_ATTR_UFID, UFID)
    for bad_header in (struct.pack("=HH", 2, flow_reply.FLOW_ATTR_KEY),       # shorter than its header
                       struct.pack("=HH", 400, flow_reply.FLOW_ATTR_KEY)):    # runs past the reply
        one = good + bad_header + b"\0" * 8
        spans, stopped = flow_reply.attribute_spans(one, 0, len(one))
        assert list(spans) == [flow_reply.FLOW_ATTR_UFID]
        assert stopped == len(good) < len(one)


def test_dumped_flow_from_reply_reads_payloads_and_counters():
    data, [(start, end)] = datagram(reply())
    flow = DumpedFlow.from_reply(memoryview(data), start, end)
    assert (flow.ufid, flow.key, flow.mask, flow.actions) == (UFID, KEY, MASK, ACTIONS)
    # Copies, not views into the datagram the dump reuses.
    assert not any(isinstance(part, memoryview) for part in (flow.ufid, flow.key, flow.mask, flow.actions))
    assert (flow.stats.packets, flow.stats.bytes, flow.stats.used, flow.stats.tcp_flags) == (7, 700, 12345, 0x12)


def test_dumped_flow_of_a_keyless_drop_reply():
    data, [(start, end)] = datagram(reply(with_keys=False, actions=b""))
    flow = DumpedFlow.from_reply(data, start, end)
    assert (flow.ufid, flow.key, flow.mask, flow.actions) == (UFID, None, None, b"")


def test_replies_of_a_datagram_read_one_by_one():
    replies = (reply(), reply(with_keys=False), reply(actions=None), reply(actions=b""))
    data, spans = datagram(*replies)
    got = [DumpedFlow.from_reply(data, start, end) for start, end in spans]
    assert [(flow.ufid, flow.key, flow.mask, flow.actions) for flow in got] == [
        (UFID, KEY, MASK, ACTIONS), (UFID, None, None, ACTIONS), (UFID, KEY, MASK, None), (UFID, KEY, MASK, b"")]


def test_short_counters_are_taken_as_absent_not_read_past_the_reply():
    short = (nla(flow_reply.FLOW_ATTR_UFID, UFID) + nla(flow_reply.FLOW_ATTR_TCP_FLAGS, b"")
             + nla(flow_reply.FLOW_ATTR_STATS, struct.pack("=Q", 5)))
    data, spans = datagram(short, reply())
    flow = DumpedFlow.from_reply(data, *spans[0])
    assert flow.ufid == UFID
    assert (flow.stats.packets, flow.stats.bytes, flow.stats.tcp_flags) == (0, 0, 0)
