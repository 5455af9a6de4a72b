"""Conntrack zones against a kernel that has them: ct(zone=N), ct_zone(N), ct helpers.

Our path (frontend + system provider, and the ovs_flow module) installs the
flows; ovs-dpctl is the peer that must print what we print, and whose flows
we must read back as it prints them. Each flow that recirculates matches
recirc_id(0) exactly, so it cannot overlap the recirculated flows (the
kernel refuses a flow a packet of another installed flow would match:
EEXIST). Every flow gets its own in_port so a difference names its flow.
"""

import errno
import re
import struct
import tempfile

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowPut
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as A
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp import wire as W
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import PrintedStats, canonical
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_apply import apply_plan
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import read_table
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import want_text
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import load_wanted

V4 = "eth(),eth_type(0x0800),ipv4(frag=no)"
V6 = "eth(),eth_type(0x86dd),ipv6(frag=no)"
# ovs-dpctl 3.1 prints the IPv6 extension-header key the kernel reports raw.
V6_SHOWN = V6 + ",key32(00 00/00 00)"

# (what we install, what dump-flows prints for it: KEY ACTIONS); None: the same text.
OURS = [
    ("recirc_id(0),in_port(1),%s ct(commit,zone=5),2" % V4, None),
    # zone 0 is the default zone: the kernel reports it, both printers leave it out
    ("recirc_id(0),in_port(2),%s ct(commit,zone=0),2" % V4, "recirc_id(0),in_port(2),%s ct(commit),2" % V4),
    ("recirc_id(0),in_port(3),%s ct(commit),2" % V4, None),
    # ct in a zone, then the recirculated packet matched by its zone
    ("recirc_id(0),in_port(4),%s ct(zone=7,nat),recirc(7)" % V4, "recirc_id(0),in_port(4),%s ct(zone=7,nat),recirc(0x7)" % V4),
    ("recirc_id(7),in_port(4),ct_state(+est+trk),ct_zone(7),%s 1" % V4,
     "recirc_id(0x7),in_port(4),ct_state(+est+trk),ct_zone(0x7),%s 1" % V4),
    ("recirc_id(0),in_port(5),%s ct(commit,zone=65535,mark=0x1/0xff,label=0x1/0x1),recirc(9)" % V6,
     "recirc_id(0),in_port(5),%s ct(commit,zone=65535,mark=0x1/0xff,label=0x1/0x1),recirc(0x9)" % V6_SHOWN),
    ("recirc_id(9),in_port(5),ct_state(+new+trk),ct_zone(0xffff),%s 1" % V6,
     "recirc_id(0x9),in_port(5),ct_state(+new+trk),ct_zone(0xffff),%s 1" % V6_SHOWN),
    ("recirc_id(10),in_port(6),ct_zone(0x100/0xff00),%s 2" % V4, "recirc_id(0xa),in_port(6),ct_zone(0x100/0xff00),%s 2" % V4),
    ("recirc_id(11),in_port(6),ct_zone(0),%s 2" % V4, "recirc_id(0xb),in_port(6),ct_zone(0),%s 2" % V4),
    # nat, force_commit, two zones in one action list
    ("recirc_id(0),in_port(7),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp() ct(commit,zone=9,nat(src=10.1.1.1-10.1.1.9:1000-2000)),recirc(12)",
     "recirc_id(0),in_port(7),eth(),eth_type(0x0800),ipv4(proto=17,frag=no) ct(commit,zone=9,nat(src=10.1.1.1-10.1.1.9:1000-2000)),recirc(0xc)"),
    ("recirc_id(0),in_port(8),eth(),eth_type(0x86dd),ipv6(proto=6,frag=no),tcp() ct(commit,zone=11,nat(src=[2001:db8::1]:1024)),recirc(13)",
     "recirc_id(0),in_port(8),eth(),eth_type(0x86dd),ipv6(proto=6,frag=no),key32(00 00/00 00) ct(commit,zone=11,nat(src=[2001:db8::1]:1024)),recirc(0xd)"),
    ("recirc_id(0),in_port(9),%s ct(force_commit,zone=13),2" % V4, None),
    ("recirc_id(0),in_port(10),%s ct(zone=2),ct(commit,zone=3),2" % V4, None),
    # helpers: the kernel loads nf_conntrack_ftp on demand; the flow matches the helper's protocol
    ("recirc_id(0),in_port(11),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=21) ct(commit,zone=3,helper=ftp),2", None),
    ("recirc_id(0),in_port(12),eth(),eth_type(0x86dd),ipv6(proto=6,frag=no),tcp(dst=21) ct(commit,zone=4,helper=ftp),2",
     "recirc_id(0),in_port(12),eth(),eth_type(0x86dd),ipv6(proto=6,frag=no),key32(00 00/00 00),tcp(dst=21) ct(commit,zone=4,helper=ftp),2"),
    ("recirc_id(0),in_port(13),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=21) ct(commit,helper=ftp),2", None),
    ("recirc_id(0),in_port(14),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=69) ct(commit,zone=8,helper=tftp),2", None),
    # the example of docs/docsite/rst/flow-syntax.rst
    ("recirc_id(0),in_port(15),%s ct(commit,zone=1),recirc(1)" % V4, "recirc_id(0),in_port(15),%s ct(commit,zone=1),recirc(0x1)" % V4),
]

# Written for ovs-dpctl add-flows: decimal recirc (3.1 parses no other), tcp_flags
# spelled out (without it ovs-dpctl's TCP key lacks the attribute: EINVAL).
DPCTL = [
    ("recirc_id(0),in_port(1),%s ct(commit,zone=5),2" % V4, None),
    ("recirc_id(0),in_port(2),%s ct(zone=7,nat),recirc(7)" % V4, "recirc_id(0),in_port(2),%s ct(zone=7,nat),recirc(0x7)" % V4),
    ("recirc_id(7),in_port(2),ct_state(+est+trk),ct_zone(7),%s 1" % V4,
     "recirc_id(0x7),in_port(2),ct_state(+est+trk),ct_zone(0x7),%s 1" % V4),
    ("recirc_id(8),in_port(3),ct_zone(0x100/0xff00),%s 1" % V4, "recirc_id(0x8),in_port(3),ct_zone(0x100/0xff00),%s 1" % V4),
    ("recirc_id(0),in_port(4),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=21),tcp_flags(0/0) ct(commit,zone=3,helper=ftp),2",
     "recirc_id(0),in_port(4),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=21) ct(commit,zone=3,helper=ftp),2"),
    ("recirc_id(0),in_port(5),%s ct(commit),2" % V4, None),
    ("recirc_id(9),in_port(6),ct_zone(0xffff),%s 2" % V6, "recirc_id(0x9),in_port(6),ct_zone(0xffff),%s 2" % V6_SHOWN),
    ("recirc_id(0),in_port(7),%s ct(commit,zone=300,mark=0x5/0xff),recirc(10)" % V6,
     "recirc_id(0),in_port(7),%s ct(commit,zone=300,mark=0x5/0xff),recirc(0xa)" % V6_SHOWN),
    ("recirc_id(0),in_port(8),%s ct(zone=2),ct(commit,zone=3,nat(dst=10.0.0.1)),2" % V4, None),
]


def shown(pairs):
    return sorted(s or t for t, s in pairs)


def dpctl_lines(dpctl, dp, *extra):
    """ovs-dpctl dump-flows lines as printed, sorted."""
    return sorted(line for line in dpctl("dump-flows", *extra, dp).splitlines() if line)


def dpctl_flows(dpctl, dp):
    """dump-flows lines without their counters: KEY ACTIONS, sorted."""
    out = []
    for line in dpctl_lines(dpctl, dp):
        m = re.match(r"^(.*), packets:\d+, bytes:\d+, used:[^,]+,(?: flags:[^,]+,)? actions:(.*)$", line)
        assert m, line
        out.append("%s %s" % (m.group(1), m.group(2)))
    return sorted(out)


def our_lines(dpif, dp):
    """Our dump-flows lines for the kernel's dump of ``dp``: (terse, -m), sorted."""
    terse, verbose = [], []
    for df in dpif.flow_dump(dp):
        flow = W.decode_flow(df.key, df.mask, df.actions, df.ufid)
        stats = PrintedStats(df.stats.packets, df.stats.bytes, None, df.stats.tcp_flags)
        terse.append(T.format_flow(flow, stats=stats))
        verbose.append(T.format_flow(flow, stats=stats, verbose=True))
    return sorted(terse), sorted(verbose)


def ct_zone_attr(actions):
    """The OVS_CT_ATTR_ZONE payload of the first ct action in wire ``actions``, or None."""
    for t, p in W.decode_flow(b"", None, actions).actions:
        if t == A.ACT_CT:
            return dict(p).get(A.CT_ZONE)
    raise AssertionError("no ct action")


def test_our_zone_flows_in_the_kernel_and_in_dpctl(dpif, dp, dpctl):
    wanted = load_wanted({"config": [t for t, _s in OURS]}, None)
    assert len(wanted.flows) == len(OURS)
    apply_plan(dpif, dp, planner.plan(wanted.flows, {}, "merged"), None)

    # The kernel kept every zone: ovs-dpctl prints exactly the expected flows.
    assert dpctl_flows(dpctl, dp) == shown(OURS)
    # And we print the kernel's dump as ovs-dpctl does, terse and -m (ct_zone(0/0) on every flow).
    terse, verbose = our_lines(dpif, dp)
    assert terse == dpctl_lines(dpctl, dp)
    assert verbose == dpctl_lines(dpctl, dp, "-m")
    assert all("ct_zone(" in line for line in verbose)

    # The kernel's own dump of each flow, under our UFID, is the text we computed offline.
    dumped = {df.ufid: T.format_flow(W.decode_flow(df.key, df.mask, df.actions)) for df in dpif.flow_dump(dp)}
    assert dumped == {w.ufid: want_text(w, None) for w in wanted.flows}
    have = read_table(dpif, dp, wanted)
    assert sorted(have) == sorted(w.ufid for w in wanted.flows)
    assert all(have[w.ufid].kernel_ufid == w.ufid for w in wanted.flows)

    # This kernel reports a zone on every ct action, 0 when none was given: the
    # echo differs from what we sent, yet it is the same flow and nothing is to do.
    plain = [w for w in wanted.flows if want_text(w, None).startswith("recirc_id(0),in_port(3),")][0]
    assert ct_zone_attr(plain.actions) is None
    assert ct_zone_attr(have[plain.ufid].actions) == struct.pack("=H", 0)
    assert have[plain.ufid].actions != plain.actions
    zoned = [w for w in wanted.flows if want_text(w, None).startswith("recirc_id(0),in_port(1),")][0]
    assert ct_zone_attr(have[zoned.ufid].actions) == struct.pack("=H", 5)
    for state in ("merged", "replaced", "overridden"):
        p = planner.plan(wanted.flows, have, state)
        assert (len(p.create), len(p.modify), len(p.delete)) == (0, 0, 0), state


def test_dpctl_zone_flows_read_back_as_dpctl_prints_them(dpif, dp, dpctl):
    with tempfile.NamedTemporaryFile("w", suffix=".flows") as f:
        f.write("".join(t + "\n" for t, _s in DPCTL))
        f.flush()
        dpctl("add-flows", dp, f.name)
    assert dpctl_flows(dpctl, dp) == shown(DPCTL)
    terse, verbose = our_lines(dpif, dp)
    assert terse == dpctl_lines(dpctl, dp)
    assert verbose == dpctl_lines(dpctl, dp, "-m")
    # Listing the same flows (as ovs-dpctl shows them) names exactly what it installed.
    wanted = load_wanted({"config": shown(DPCTL)}, None)
    have = read_table(dpif, dp, wanted)
    assert sorted(have) == sorted(w.ufid for w in wanted.flows)
    # Found by their canonical key and mask: ovs-dpctl installed them without our UFIDs.
    assert all(h.kernel_ufid != h.ident for h in have.values())
    p = planner.plan(wanted.flows, have, "overridden")
    assert (len(p.create), len(p.modify), len(p.delete)) == (0, 0, 0)


MOD = [
    # the structured example of docs/docsite/rst/flow-syntax.rst, in port 1
    ({"recirc_id": 0, "in_port": 1, "eth": {}, "eth_type": "0x0800", "ipv4": {"frag": "no"},
      "actions": [{"ct": {"commit": True, "zone": 1}}, "recirc(1)"]},
     "recirc_id(0),in_port(1),%s ct(commit,zone=1),recirc(0x1)" % V4),
    ("recirc_id(1),in_port(1),ct_state(+new+trk),ct_zone(1),%s 2" % V4,
     "recirc_id(0x1),in_port(1),ct_state(+new+trk),ct_zone(0x1),%s 2" % V4),
    ("recirc_id(0),in_port(2),%s ct(zone=7,nat),recirc(2)" % V4, "recirc_id(0),in_port(2),%s ct(zone=7,nat),recirc(0x2)" % V4),
    ("recirc_id(2),in_port(2),ct_state(+est+trk),ct_zone(0x7),%s 1" % V4,
     "recirc_id(0x2),in_port(2),ct_state(+est+trk),ct_zone(0x7),%s 1" % V4),
    # fix adds tcp_flags(0/0) (a warning); dump-flows leaves the wildcard out
    ("recirc_id(0),in_port(3),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=21) ct(commit,zone=3,helper=ftp),2", None),
    # no zone: the kernel echoes zone 0, which must not read as a change
    ("recirc_id(0),in_port(2),%s ct(commit),1" % V6, "recirc_id(0),in_port(2),%s ct(commit),1" % V6_SHOWN),
]


def test_ovs_flow_module_with_zone_flows(run_module, fdp, dpif, dpctl, tmp_path, converge):
    dp = fdp
    config = [c for c, _s in MOD]
    expect = sorted(s or c for c, s in MOD)
    res = converge(dp, config)
    assert res["counts"] == {"create": len(MOD), "modify": 0, "delete": 0, "unchanged": 0}
    assert res["before"] == [] and res["after"] == expect == dpctl_flows(dpctl, dp)

    # Another zone in an action is one modify; the flow keeps its identity.
    zone5 = "recirc_id(0),in_port(2),%s ct(zone=5,nat),recirc(2)" % V4
    res = converge(dp, [zone5], state="replaced")
    assert res["counts"] == {"create": 0, "modify": 1, "delete": 0, "unchanged": 0}
    expect = sorted(e.replace("ct(zone=7,nat)", "ct(zone=5,nat)") for e in expect)
    assert res["after"] == expect == dpctl_flows(dpctl, dp)

    # Another ct_zone in the key is another flow: overridden creates it and deletes the old one.
    config = [zone5 if isinstance(c, str) and "zone=7" in c else c for c in config]
    config = [c.replace("ct_zone(0x7)", "ct_zone(0x5)") if isinstance(c, str) else c for c in config]
    res = converge(dp, config, state="overridden")
    assert res["counts"] == {"create": 1, "modify": 0, "delete": 1, "unchanged": len(MOD) - 1}
    expect = sorted(e.replace("ct_zone(0x7)", "ct_zone(0x5)") for e in expect)
    assert res["after"] == expect == dpctl_flows(dpctl, dp)

    # gathered reads the table as ovs-dpctl prints it; listing that changes nothing.
    gathered = run_module("ovs_flow", {"datapath": dp, "state": "gathered"})["gathered"]
    assert gathered == expect
    assert not run_module("ovs_flow", {"datapath": dp, "config": gathered, "state": "overridden"})["changed"]

    # The same flows from a src file: no change, on the first run and from the parse cache.
    src = tmp_path / "zones.flows"
    src.write_text("".join(line + "\n" for line in gathered))
    for _n in range(2):
        res = run_module("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"})
        assert not res.failed and not res["changed"] and res["counts"]["unchanged"] == len(MOD), res

    # A helper the flow's protocol cannot have: the kernel answers a bare EINVAL
    # (sent raw through the provider, past our checks) ...
    bad = "recirc_id(0),in_port(4),%s ct(commit,zone=3,helper=ftp),1" % V4
    flow = canonical(T.parse_flow(bad))
    key, mask, actions = (W.encode_attrs(x) for x in flow.canonical_tuple())
    with pytest.raises(DpifError) as raw:
        dpif.flow_put(dp, FlowPut(key=key, mask=mask, actions=actions))
    assert raw.value.errno == errno.EINVAL
    # ... which ovs_flow's own check words before anything is sent: nothing changes.
    res = run_module("ovs_flow", {"datapath": dp, "config": gathered + [bad], "state": "overridden"})
    assert res.failed and res["errno"] == "EINVAL", res
    assert "helper=ftp needs the flow to match proto=6 (tcp)" in res["msg"], res
    assert dpctl_flows(dpctl, dp) == expect

    res = run_module("ovs_flow", {"datapath": dp, "state": "deleted"})
    assert res["changed"] and res["after"] == [] and dpctl_flows(dpctl, dp) == []
