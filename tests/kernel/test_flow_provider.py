"""Flow operations of the system provider and front-end against the real kernel.

Keys and actions are packed by hand here (the codec lives in odp.wire and
has its own tests); ovs-dpctl is the peer that checks what we installed.
"""

import errno
import os
import socket
import struct
import time

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import framing
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import (
    FlowDel,
    FlowGet,
    FlowPut,
    PortRequest,
)
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import iter_nlas
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.system import SystemProvider
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError

# -- hand-packed key and action attributes ---------------------------------

nla = framing.nla


def in_port(port):
    return nla(3, struct.pack("=I", port))


def eth():
    return nla(4, bytes(12))


def eth_type(value=0x0800):
    return nla(6, struct.pack("!H", value))


def ipv4(dst, src="10.0.0.1", proto=0, frag=0):
    return nla(7, socket.inet_aton(src) + socket.inet_aton(dst) + bytes([proto, 0, 0, frag]))


def key(dst, port=1):
    return in_port(port) + eth() + eth_type() + ipv4(dst)


def dst_mask():
    """in_port, eth_type and ipv4 dst exact; everything else wildcarded."""
    return (nla(3, b"\xff" * 4) + nla(4, bytes(12)) + nla(6, b"\xff\xff")
            + nla(7, bytes(4) + b"\xff" * 4 + bytes(4)))


def output(port):
    return nla(1, struct.pack("=I", port))


def addr(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def text(dst, port=1):
    return "in_port(%d),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=%s,proto=0,tos=0,ttl=0,frag=no)" % (port, dst)


def dumped_lines(dpctl, dp):
    return [line for line in dpctl("dump-flows", dp).splitlines() if line.strip()]


def expect_error(code, words, fn, *args):
    with pytest.raises(DpifError) as err:
        fn(*args)
    assert err.value.errno == code, str(err.value)
    assert words in str(err.value), str(err.value)
    return err.value


def wait_for(cond, timeout=10.0):
    """Poll ``cond`` until it returns a true value or time runs out; returns
    its last value (the caller asserts on it)."""
    end = time.monotonic() + timeout
    value = cond()
    while not value and time.monotonic() < end:
        time.sleep(0.05)
        value = cond()
    return value


# -- single operations ------------------------------------------------------

def test_put_create_then_eexist(dpif, dp, dpctl):
    dpif.flow_put(dp, FlowPut(key=key("10.1.0.1"), actions=output(2), text="f1"))
    lines = dumped_lines(dpctl, dp)
    assert len(lines) == 1
    assert "ipv4(src=10.0.0.1,dst=10.1.0.1" in lines[0] and lines[0].endswith("actions:2")
    err = expect_error(errno.EEXIST, "a flow with this key already exists",
                       dpif.flow_put, dp, FlowPut(key=key("10.1.0.1"), actions=output(3), text="f1"))
    assert "datapath '%s', flow 'f1'" % dp in str(err)
    # Create-or-modify on the identical flow replaces the actions instead.
    dpif.flow_put(dp, FlowPut(key=key("10.1.0.1"), actions=output(3), modify=True))
    assert dumped_lines(dpctl, dp)[0].endswith("actions:3")


def test_modify_missing_flow_is_enoent(dpif, dp):
    put = FlowPut(key=key("10.1.0.9"), actions=output(2), create=False, modify=True, text="nope")
    expect_error(errno.ENOENT, "no such flow to modify", dpif.flow_put, dp, put)


def test_bad_key_is_einval(dpif, dp):
    # eth_type IPv4 without an IPV4 attribute: "missing key" in the kernel.
    put = FlowPut(key=in_port(1) + eth() + eth_type(), actions=output(2), probe=True, text="bad")
    expect_error(errno.EINVAL, "flow 'bad': the kernel rejected the flow's key, mask or actions",
                 dpif.flow_put, dp, put)


def test_get_and_del_by_key(dpif, dp, dpctl):
    dpif.flow_put(dp, FlowPut(key=key("10.1.0.2"), actions=output(2)))
    flow = dpif.flow_get(dp, FlowGet(key=key("10.1.0.2")))
    assert flow is not None and flow.ufid is None
    assert flow.actions == output(2)
    assert ipv4("10.1.0.2") in flow.key            # the kernel's key is a superset
    assert flow.stats.packets == 0 and flow.stats.used == 0
    assert dpif.flow_get(dp, FlowGet(key=key("10.1.0.3"))) is None
    dpif.flow_del(dp, FlowDel(key=key("10.1.0.2")))
    assert dumped_lines(dpctl, dp) == []
    expect_error(errno.ENOENT, "no such flow", dpif.flow_del, dp, FlowDel(key=key("10.1.0.2"), text="gone"))


def test_ufid_flows_get_del_and_terse_dump(dpif, dp, dpctl):
    ufid = bytes(range(16))
    dpif.flow_put(dp, FlowPut(key=key("10.2.0.1"), mask=dst_mask(), actions=output(4), ufid=ufid))
    dpif.flow_put(dp, FlowPut(key=key("10.2.0.2"), actions=output(5)))
    full = {f.ufid: f for f in dpif.flow_dump(dp)}
    assert set(full) == {ufid, None}
    assert full[ufid].key is not None and full[ufid].mask is not None
    assert full[ufid].actions == output(4)
    terse = {f.ufid: f for f in dpif.flow_dump(dp, terse=True)}
    assert set(terse) == {ufid, None}
    assert (terse[ufid].key, terse[ufid].mask, terse[ufid].actions) == (None, None, None)
    assert terse[None].key is not None            # key flows always keep their key
    nokeys = {f.ufid: f for f in dpif.flow_dump(dp, keys=False)}
    assert set(nokeys) == {ufid, None}
    assert (nokeys[ufid].key, nokeys[ufid].mask, nokeys[ufid].actions) == (None, None, output(4))
    # A key flow keeps its key but loses its mask: ovs_flow reads such flows again whole.
    assert nokeys[None].key is not None and nokeys[None].mask is None
    assert nokeys[None].actions == output(5)
    got = dpif.flow_get(dp, FlowGet(ufid=ufid, terse=True))
    assert got.ufid == ufid and got.key is None
    # The same UFID again, even with another key, is EEXIST on create.
    expect_error(errno.EEXIST, "a flow with this UFID",
                 dpif.flow_put, dp, FlowPut(key=key("10.2.0.3"), actions=output(4), ufid=ufid))
    dpif.flow_del(dp, FlowDel(ufid=ufid))
    assert dpif.flow_get(dp, FlowGet(ufid=ufid)) is None
    assert len(dumped_lines(dpctl, dp)) == 1


def test_dumped_flows_hold_what_the_replies_carry(dpif, dp):
    """flow_dump reports, per flow, the payloads the kernel's replies
    carry (read here by framing.iter_nlas, independently of
    flow_reply.attribute_spans): a UFID flow, a key flow, a drop flow;
    with keys and without. A drop flow's actions are b"" either way."""
    dpif.flow_put(dp, FlowPut(key=key("10.6.0.1"), mask=dst_mask(), actions=output(4), ufid=bytes(range(16))))
    dpif.flow_put(dp, FlowPut(key=key("10.6.0.2"), actions=output(5)))
    dpif.flow_put(dp, FlowPut(key=key("10.6.0.3"), mask=dst_mask(), actions=b"", ufid=bytes(range(1, 17))))
    for keys in (True, False):
        flows = sorted((f.ufid or b"", f.key, f.mask, f.actions) for f in dpif.flow_dump(dp, keys=keys))
        carried = []
        for data, spans in dpif.flow_dump_replies(dp, keys=keys):
            for start, end in spans:
                attrs = {attr_type: bytes(payload) for attr_type, payload in iter_nlas(data, start, end)}
                carried.append((attrs.get(9, b""), attrs.get(1), attrs.get(7), attrs.get(2)))   # UFID KEY MASK ACTIONS
        assert len(flows) == 3 and flows == sorted(carried), keys
        drop = [actions for ufid, _key, _mask, actions in flows if ufid == bytes(range(1, 17))]
        assert drop == [b""], keys


def test_ufid_length_and_del_without_id_are_refused_locally(dpif, dp, dpctl):
    dpif.flow_put(dp, FlowPut(key=key("10.3.0.1"), actions=output(2)))
    expect_error(errno.EINVAL, "a UFID is 1 to 16 bytes long, not 17",
                 dpif.flow_put, dp, FlowPut(key=key("10.3.0.2"), ufid=bytes(17)))
    # Sent to the kernel, either would flush the table.
    expect_error(errno.EINVAL, "to delete every flow, flush", dpif.flow_del, dp, FlowDel())
    expect_error(errno.EINVAL, "a UFID is 1 to 16 bytes long, not 0",
                 dpif.flow_del, dp, FlowDel(ufid=b""))
    assert len(dumped_lines(dpctl, dp)) == 1


def test_flush(dpif, dp, dpctl):
    for i in range(5):
        dpif.flow_put(dp, FlowPut(key=key(addr(i + 1)), actions=output(2)))
    assert len(dumped_lines(dpctl, dp)) == 5
    # A dump abandoned midway leaves the socket usable for the next request.
    dump = dpif.flow_dump(dp)
    next(dump)
    dump.close()
    assert len(list(dpif.flow_dump(dp))) == 5
    assert dpif.flow_get(dp, FlowGet(key=key(addr(1)))) is not None
    dpif.flow_flush(dp)
    assert dumped_lines(dpctl, dp) == []
    assert list(dpif.flow_dump(dp)) == []


def test_flows_of_ovs_dpctl_are_ours_too(dpif, dp, dpctl):
    dpctl("add-flow", dp, text("10.4.0.1"), "7")
    flow = dpif.flow_get(dp, FlowGet(key=key("10.4.0.1")))
    assert flow is not None and flow.actions == output(7)
    dpif.flow_del(dp, FlowDel(key=key("10.4.0.1")))
    assert dumped_lines(dpctl, dp) == []


def test_missing_datapath(dpif):
    expect_error(errno.ENODEV, "datapath 'nodp7': no such datapath",
                 dpif.flow_put, "nodp7", FlowPut(key=key("10.1.1.1")))
    with pytest.raises(DpifError) as err:
        list(dpif.flow_dump("nodp7"))
    assert err.value.errno == errno.ENODEV


# -- stats: real packets through a veth -------------------------------------

def frame(dst, count_bytes=64):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, count_bytes - 14, 0, 0, 64, 17, 0,
                     socket.inet_aton("10.9.9.9"), socket.inet_aton(dst))
    return b"\x02" + bytes(5) + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + bytes(count_bytes - 34)


def send_frames(ifname, data, count):
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((ifname, 0))
        for _attempt in range(count):
            sock.send(data)


def test_modify_keeps_stats_and_zero_stats_clears(dpif, dp, veth, dpctl):
    veth("fs0")
    os.system("ip link set fs0p up")
    port = dpif.port_add(dp, PortRequest(name="fs0", type="netdev")).port_no
    k = in_port(port) + eth() + eth_type() + ipv4("10.5.0.1")
    dpif.flow_put(dp, FlowPut(key=k, mask=dst_mask(), actions=b""))
    send_frames("fs0p", frame("10.5.0.1"), 3)

    def stats():
        return dpif.flow_get(dp, FlowGet(key=k)).stats
    assert wait_for(lambda: stats().packets == 3), stats()
    before = stats()
    assert before.bytes == 3 * 64 and before.used > 0
    put = FlowPut(key=k, mask=dst_mask(), actions=output(port), create=False, modify=True, want_stats=True)
    dpif.flow_put(dp, put)
    assert put.stats.packets == 3
    after = dpif.flow_get(dp, FlowGet(key=k))
    assert after.actions == output(port) and after.stats.packets == 3
    assert "packets:3" in dumped_lines(dpctl, dp)[0]
    dpif.flow_put(dp, FlowPut(key=k, mask=dst_mask(), create=False, modify=True, zero_stats=True))
    after = dpif.flow_get(dp, FlowGet(key=k))
    assert (after.stats.packets, after.stats.bytes, after.stats.used) == (0, 0, 0)
    assert after.actions == output(port)               # no actions given: kept
    deleted = dpif.flow_del(dp, FlowDel(key=k, want_stats=True))
    assert deleted.stats is not None and deleted.stats.packets == 0


# -- batches ----------------------------------------------------------------

def test_batch_with_one_bad_flow(dpif, dp, dpctl):
    ops = [FlowPut(key=key(addr(i + 1)), actions=output(2), text="flow %d" % i) for i in range(1000)]
    ops[500] = FlowPut(key=in_port(1) + eth() + eth_type(), actions=output(2), probe=True, text="flow 500")
    failed = dpif.operate(dp, ops)
    assert [(i, e.errno) for i, e in failed] == [(500, errno.EINVAL)]
    assert "flow 'flow 500'" in str(failed[0][1])
    assert sum(1 for op in ops if op.error == 0) == 999
    assert len(dumped_lines(dpctl, dp)) == 999
    # Mixed batch: gets, dels and a duplicate, answers in input order.
    mixed = [FlowGet(key=key(addr(1))), FlowDel(key=key(addr(2))), FlowDel(key=key(addr(2))),
             FlowPut(key=key(addr(3)), actions=output(9)), FlowGet(key=key(addr(2)))]
    dpif.operate(dp, mixed)
    assert [op.error for op in mixed] == [0, 0, errno.ENOENT, errno.EEXIST, errno.ENOENT]
    assert mixed[0].flow.actions == output(2)


def test_large_batch_all_acknowledged(dpif, dp, dpctl):
    count = 20000
    sock = dpif.provider._flow()
    overruns = sock.overruns
    ops = [FlowPut(key=key(addr(i + 1)), actions=output(2)) for i in range(count)]
    assert dpif.operate(dp, ops) == []
    assert sock.overruns == overruns                    # sized so nothing was lost
    assert len(dumped_lines(dpctl, dp)) == count
    assert sum(1 for flow in dpif.flow_dump(dp, terse=True)) == count
    dels = [FlowDel(key=key(addr(i + 1))) for i in range(count)]
    assert dpif.operate(dp, dels) == []
    assert dumped_lines(dpctl, dp) == []


def test_overrun_recovers_every_result(dp, dpctl):
    """Shrink the receive buffer behind the batcher's back so answers are
    lost: every op must still get its true result. Each batch starts with
    the window of a fresh socket (an overrun shrinks it for later ones)."""
    dpif = Dpif(SystemProvider())
    try:
        sock = dpif.provider._flow()
        sock._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 10)
        window = sock.window
        count = 3000
        ops = [FlowPut(key=key(addr(i + 1)), actions=output(2)) for i in range(count)]
        ops[2000] = FlowPut(key=in_port(1) + eth() + eth_type(), actions=output(2), probe=True)
        failed = dpif.operate(dp, ops)
        assert [(i, e.errno) for i, e in failed] == [(2000, errno.EINVAL)]
        assert len(dumped_lines(dpctl, dp)) == count - 1
        # Successes are silent, errors are not: 3000 modifies of which 1000
        # find no flow answer with far more than the buffer holds.
        overruns, sock.window = sock.overruns, window
        flows = list(range(count - 1000)) + list(range(count, count + 1000))
        mods = [FlowPut(key=key(addr(i + 1)), actions=output(3), create=False, modify=True) for i in flows]
        failed = dpif.operate(dp, mods)
        assert sock.overruns > overruns
        assert [(n, e.errno) for n, e in failed] == [(n, errno.ENOENT) for n in range(count - 1000, count)]
        assert sum(1 for line in dumped_lines(dpctl, dp) if line.endswith("actions:3")) == count - 1000
        overruns, sock.window = sock.overruns, window
        gets = [FlowGet(key=key(addr(i + 1))) for i in range(count)]
        dpif.operate(dp, gets)
        assert sock.overruns > overruns
        assert [i for i, g in enumerate(gets) if g.error] == [2000]
        dels = [FlowDel(key=key(addr(i + 1))) for i in range(count)]
        failed = dpif.operate(dp, dels)
        assert [(i, e.errno) for i, e in failed] == [(2000, errno.ENOENT)]
        assert dumped_lines(dpctl, dp) == []
        # Creates are not resendable: one whose answer was lost is looked up
        # (a flow that exists counts as created) or, when absent, resent.
        dpif.operate(dp, [FlowPut(key=key(addr(i + 1)), actions=output(2)) for i in range(0, count, 2)])
        overruns, sock.window = sock.overruns, window
        creates = [FlowPut(key=key(addr(i + 1)), actions=output(2)) for i in range(count)]
        creates.append(FlowPut(key=in_port(1) + eth() + eth_type(), actions=output(2), probe=True))
        failed = dict((i, e.errno) for i, e in dpif.operate(dp, creates))
        assert sock.overruns > overruns
        assert failed.pop(count) == errno.EINVAL
        assert failed and all(i % 2 == 0 and code == errno.EEXIST for i, code in failed.items())
        assert len(dumped_lines(dpctl, dp)) == count
    finally:
        dpif.close()


# -- execute ----------------------------------------------------------------

def rx_packets(ifname):
    with open("/sys/class/net/%s/statistics/rx_packets" % ifname) as f:
        return int(f.read())


def test_execute_outputs_the_packet(dpif, dp):
    port = dpif.port_add(dp, PortRequest(name="fx%s" % dp[2:], type="internal")).port_no
    name = "fx%s" % dp[2:]
    os.system("ip link set %s up" % name)
    before = rx_packets(name)
    for _attempt in range(3):
        dpif.execute(dp, frame("10.6.0.1"), in_port(0), output(port))
    assert wait_for(lambda: rx_packets(name) - before == 3), rx_packets(name) - before
    expect_error(errno.EINVAL, "the kernel rejected the packet's key or the actions 'junk'",
                 dpif.execute, dp, frame("10.6.0.1"), in_port(0), nla(99, b""), "junk")
    expect_error(errno.EINVAL, "at least an Ethernet header",
                 dpif.execute, dp, b"\0" * 10, in_port(0), output(port))
