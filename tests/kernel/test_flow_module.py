"""ovs_flow against the real kernel: every state, idempotence, check mode, diff, peers, rollback."""

import os
import re
import subprocess

import pytest

F1 = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2"
F2 = "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no) 1"
F3 = "in_port(1),eth(),eth_type(0x86dd),ipv6(dst=fd00::3,frag=no) 2"
# The kernel reports IPv6 extension headers for every IPv6 flow; ovs-dpctl 3.1 prints them raw.
F3_SHOWN = "in_port(1),eth(),eth_type(0x86dd),ipv6(dst=fd00::3,frag=no),key32(00 00/00 00) 2"


def dpctl_flows(dpctl, dp, *extra):
    """dump-flows lines without their counters: KEY ACTIONS, sorted."""
    out = []
    for line in dpctl("dump-flows", *extra, dp).splitlines():
        m = re.match(r"^(.*), packets:\d+, bytes:\d+, used:[^,]+,(?: flags:[^,]+,)? actions:(.*)$", line)
        assert m, line
        out.append("%s %s" % (m.group(1), m.group(2)))
    return sorted(out)


def test_merged_replaced_overridden_deleted(run_module, fdp, dpctl, converge):
    dp = fdp
    res = converge(dp, [F1, F2])
    assert res["changed"] and res["counts"] == {"create": 2, "modify": 0, "delete": 0, "unchanged": 0}
    assert res["before"] == []
    assert res["after"] == sorted([F1, F2]) == dpctl_flows(dpctl, dp)
    assert res["commands"] == ["add-flow " + F1, "add-flow " + F2]
    assert "+" + F1 in res["diff"]["prepared"]
    # merged gives a listed flow exactly its actions (never 2,3: both ports) and leaves F2.
    res = converge(dp, [F1.replace(" 2", " 3")])
    assert res["counts"] == {"create": 0, "modify": 1, "delete": 0, "unchanged": 0}
    assert res["after"] == sorted([F1.replace(" 2", " 3"), F2]) == dpctl_flows(dpctl, dp)
    # replaced sets exactly the listed actions, leaves unlisted flows.
    res = converge(dp, [F1.replace(" 2", " 1"), F3], state="replaced")
    assert res["counts"] == {"create": 1, "modify": 1, "delete": 0, "unchanged": 0}
    assert res["after"] == sorted([F1.replace(" 2", " 1"), F2, F3_SHOWN]) == dpctl_flows(dpctl, dp)
    # overridden: exactly the list.
    res = converge(dp, [F2], state="overridden")
    assert res["counts"] == {"create": 0, "modify": 0, "delete": 2, "unchanged": 1}
    assert res["after"] == [F2] == dpctl_flows(dpctl, dp)
    # deleted: the listed ones, then everything.
    converge(dp, [F1, F3])
    res = converge(dp, [F1], state="deleted")
    assert res["counts"]["delete"] == 1 and res["after"] == sorted([F2, F3_SHOWN]) == dpctl_flows(dpctl, dp)
    res = run_module("ovs_flow", {"datapath": dp, "state": "deleted"})
    assert res["changed"] and res["commands"] == ["del-flows %s" % dp] and res["after"] == []
    assert dpctl_flows(dpctl, dp) == []
    assert not run_module("ovs_flow", {"datapath": dp, "state": "deleted"})["changed"]


def send_frames(ifname, count):
    """Transmit IPv4 frames on a datapath's internal port device: the datapath receives them on that port."""
    import socket
    frame = bytes.fromhex("ffffffffffff020000000001" + "0800" + "45000014000100004000f9cc0a0000010a000002") + bytes(26)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((ifname, 0))
        for _n in range(count):
            sock.send(frame)


def test_unchanged_flows_keep_stats_and_clear_stats(run_module, fdp, dpctl, converge):
    dp = fdp
    flow = "in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 2"
    converge(dp, [flow])
    subprocess.run(["ip", "link", "set", "fa" + dp, "up"], check=True)
    send_frames("fa" + dp, 3)
    assert "packets:3, bytes:180" in dpctl("dump-flows", dp)
    res = run_module("ovs_flow", {"datapath": dp, "config": [flow]})
    assert not res["changed"]
    assert "packets:3, bytes:180" in dpctl("dump-flows", dp), "an unchanged flow keeps its counters"
    # A changed action list is one modify: the counters survive that too.
    res = run_module("ovs_flow", {"datapath": dp, "config": [flow.replace(" 2", " 1")], "state": "replaced"})
    assert res["counts"] == {"create": 0, "modify": 1, "delete": 0, "unchanged": 0}
    assert "packets:3, bytes:180" in dpctl("dump-flows", dp)
    res = run_module("ovs_flow", {"datapath": dp, "config": [flow.replace(" 2", " 1")], "clear_stats": True})
    assert res["changed"] and res["commands"] == ["mod-flow --clear " + flow.replace(" 2", " 1")]
    assert "packets:0, bytes:0" in dpctl("dump-flows", dp)
    assert not run_module("ovs_flow", {"datapath": dp, "config": [flow.replace(" 2", " 1")], "clear_stats": True})["changed"]


def _ipv4_frame(dst_last):
    """An Ethernet frame carrying an IPv4 header from 10.0.0.1 to 10.0.0.``dst_last``."""
    import struct
    hdr = bytearray(bytes.fromhex("450000140001000040000000") + bytes([10, 0, 0, 1, 10, 0, 0, dst_last]))
    csum = sum(struct.unpack("!10H", bytes(hdr)))
    csum = (csum & 0xFFFF) + (csum >> 16)
    struct.pack_into("!H", hdr, 10, ~(csum + (csum >> 16)) & 0xFFFF)
    return bytes.fromhex("ffffffffffff020000000001" + "0800") + bytes(hdr) + bytes(26)


def test_gathered_reads_used_and_unused_flows_alike(run_module, fdp, dpctl, converge):
    """Flows that packets hit come back with counters (USED, STATS, and
    the kernel's alignment padding), in replies laid out otherwise than
    those of unused flows: gathered, which prints replies by their
    learnt layout, still prints every flow as ovs-dpctl does."""
    import socket
    dp = fdp
    flows = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) 2" % d for d in range(2, 82)]
    converge(dp, flows)
    subprocess.run(["ip", "link", "set", "fa" + dp, "up"], check=True)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind(("fa" + dp, 0))
        for d in range(2, 82, 3):
            for _n in range(1 + d % 3):
                sock.send(_ipv4_frame(d))
    dumped = dpctl("dump-flows", dp)
    assert dumped.count("packets:0,") == 80 - 27, dumped       # 27 flows were hit
    res = run_module("ovs_flow", {"datapath": dp, "state": "gathered"})
    assert res["gathered"] == dpctl_flows(dpctl, dp) == sorted(flows)


def test_structured_names_and_fix(run_module, fdp, dpctl):
    dp = fdp
    a, b = "fa" + dp, "fb" + dp
    config = [
        {"in_port": a, "eth": {}, "eth_type": "0x0800", "ipv4": {"proto": 6, "frag": "no"}, "tcp": {"dst": 80}, "actions": [b]},
        "in_port(%s),eth(),eth_type(0x0800),ipv4(dst=10.1.0.0/255.255.0.0,frag=no) %s" % (b, a),
    ]
    res = run_module("ovs_flow", {"datapath": dp, "config": config, "names": True})
    assert res["changed"], res
    warnings = [w if isinstance(w, str) else w["event"]["msg"] for w in res.get("warnings", [])]
    assert any("config[0]" in w and "tcp_flags" in w for w in warnings), warnings
    assert sorted(res["after"]) == res["after"]
    assert "in_port(%s),eth(),eth_type(0x0800),ipv4(dst=10.1.0.0/255.255.0.0,frag=no) %s" % (b, a) in res["after"]
    numeric = dpctl_flows(dpctl, dp)
    assert "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.1.0.0/255.255.0.0,frag=no) 1" in numeric
    assert not run_module("ovs_flow", {"datapath": dp, "config": config})["changed"]
    res = run_module("ovs_flow", {"datapath": dp, "config": config[:1], "fix": False})
    assert res.failed and "tcp_flags" in res["msg"] and res["msg"].startswith("config[0]: flow ")


def test_gathered_reads_dpctl_flows(run_module, fdp, dpctl):
    dp = fdp
    dpctl("add-flow", dp, "in_port(1),eth(),eth_type(0x0806),arp(op=1)", "2")
    dpctl("add-flow", dp, "in_port(2),eth(),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,frag=no)", "1")
    res = run_module("ovs_flow", {"datapath": dp, "state": "gathered"})
    assert res["gathered"] == dpctl_flows(dpctl, dp)
    # Listing what ovs-dpctl installed (key-identified or with its own UFIDs) changes nothing.
    assert not run_module("ovs_flow", {"datapath": dp, "config": res["gathered"], "state": "overridden"})["changed"]
    # And overriding with one of them deletes the other through its own identity.
    res = run_module("ovs_flow", {"datapath": dp, "config": res["gathered"][:1], "state": "overridden"})
    assert res["counts"]["delete"] == 1 and dpctl_flows(dpctl, dp) == res["after"]


@pytest.mark.parametrize("apply_slice", [None, 1, 3])
def test_rollback_when_the_kernel_refuses_one_flow(run_module, fdp, dpctl, converge, monkeypatch, apply_slice):
    """Also with the plan's 4 operations (delete, modify, create, create)
    sent in slices: errors keep their place, every slice is undone."""
    from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow_apply as F
    if apply_slice:
        monkeypatch.setattr(F, "APPLY_SLICE", apply_slice)
    dp = fdp
    converge(dp, [F1, F2])
    before = dpctl_flows(dpctl, dp)
    # This kernel has no conntrack zones: ct(zone=5) passes our checks, the kernel says EINVAL.
    bad = "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.0.9,frag=no) ct(zone=5),1"
    config = [F1.replace(" 2", " 3"), F3, bad]
    res = run_module("ovs_flow", {"datapath": dp, "config": config, "state": "overridden"})
    assert res.failed and res["errno"] == "EINVAL", res
    assert "refused 1 of 4 operations; the 3 that succeeded were undone, so the table is as it was" in res["msg"]
    assert [f["op"] for f in res["failures"]] == ["create"]
    assert res["failures"][0]["flow"].startswith("in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.0.9")
    assert dpctl_flows(dpctl, dp) == before


def test_bad_flows_change_nothing(run_module, fdp, dpctl, converge):
    dp = fdp
    converge(dp, [F1])
    for config, text in [
        (["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.300) 2"], "config[0]: flow 'in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.300) 2'"),
        (["in_port(nosuchport),eth() 2"], "nosuchport"),
        ([F2, "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no) 7"], "same flow (same key and mask) as config[0]"),
        (["in_port(1),packet_type(ns=0,id=0),eth() 2"], "userspace"),
        ([42], "a flow is a string in ovs-dpctl syntax or a mapping"),
    ]:
        res = run_module("ovs_flow", {"datapath": dp, "config": config, "state": "overridden"})
        assert res.failed and text in res["msg"], (config, res)
    assert dpctl_flows(dpctl, dp) == [F1]
    res = run_module("ovs_flow", {"datapath": "nodp7", "config": [F1]})
    assert res.failed and res["msg"] == "datapath 'nodp7': no such datapath; create it first (dpif.ovs.ovs_datapath)"


def test_src_file_rendered_and_parsed(run_module, fdp, dpctl, tmp_path):
    dp = fdp
    src = tmp_path / "dp.flows"
    src.write_text("# generated\n%s\n\n%s\n" % (F1, F3))
    res = run_module("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"})
    assert res["counts"]["create"] == 2 and dpctl_flows(dpctl, dp) == sorted([F1, F3_SHOWN])
    src.write_text("%s\nin_port(1),eth(),eth_type(0x0800),ipv4(dst=1.2.3) 2\n" % F1)
    res = run_module("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"})
    assert res.failed and res["msg"].startswith("%s line 2: flow " % src)
    rendered = run_module("ovs_flow", {"state": "rendered", "config": [F1]})["rendered"]
    assert rendered[0]["flow"] == F1 and rendered[0]["actions"] == "0800010002000000"
    dump = dpctl("dump-flows", dp)
    parsed = run_module("ovs_flow", {"state": "parsed", "running_config": dump})["parsed"]
    assert len(parsed) == 2 and all("stats" in p for p in parsed)


def test_canonical_form_is_what_the_kernel_reports(dpif, dp):
    """For generated flows of every family: the text and identity we compute offline
    equal those of the kernel's own dump of the installed flow."""
    import random
    import sys as _sys
    import os as _os
    _sys.path.insert(0, _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "bench"))
    from bench_odp import gen_flow
    from ansible_collections.dpif.ovs.plugins.module_utils import planner
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_apply import apply_plan
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import read_table
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import have_text, want_text
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import load_wanted

    r = random.Random(11)
    checked = 0
    mismatches = []
    while checked < 300:
        text = gen_flow(r)
        if "zone" in text:          # no conntrack zones in this kernel
            continue
        wanted = load_wanted({"config": [text]}, None)
        dpif.flow_flush(dp)
        apply_plan(dpif, dp, planner.plan(wanted.flows, {}, "merged"), None)
        table = list(read_table(dpif, dp, None).values())
        assert len(table) == 1
        have = table[0]
        want = wanted.flows[0]
        if (want_text(want, None), want.ufid) != (have_text(have, None), have.ident):
            mismatches.append((want_text(want, None), have_text(have, None)))
        checked += 1
    assert mismatches == []


def test_src_reruns_use_the_parse_cache(run_module, fdp, dpctl, tmp_path, flow_cache_dir):
    dp = fdp
    src = tmp_path / "big.flows"
    lines = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.1.%d.%d,frag=no) "
             "set(tunnel(tun_id=0x%x,dst=192.0.2.1,ttl=64,tp_dst=4789,flags(df|key))),2" % (i >> 8, i & 255, i)
             for i in range(300)]
    src.write_text("\n".join(lines) + "\n")
    args = {"datapath": dp, "src": str(src), "state": "overridden"}
    assert run_module("ovs_flow", args)["counts"]["create"] == 300
    # The parse cache, the snapshot, and the key their frames are checked with.
    assert sorted(os.path.splitext(f)[1] or f for f in os.listdir(str(flow_cache_dir))) == [".cache", ".table", "key"]
    res = run_module("ovs_flow", args)
    assert not res["changed"] and res["counts"]["unchanged"] == 300
    lines[7] = lines[7].replace(",2", ",1")
    src.write_text("\n".join(lines) + "\n")
    res = run_module("ovs_flow", dict(args, state="replaced"))
    assert res["counts"] == {"create": 0, "modify": 1, "delete": 0, "unchanged": 299}
    assert res["after"] == dpctl_flows(dpctl, dp)
    # Without the cache the same table is seen the same way.
    assert not run_module("ovs_flow", dict(args, cache=False))["changed"]


def test_a_run_killed_half_way_converges_when_run_again(run_module, fdp, dpif, dpctl):
    """Simulate a run that died after sending half its creates: the flows it left carry
    the same deterministic UFIDs, so the next run finds them and adds only the rest."""
    from ansible_collections.dpif.ovs.plugins.module_utils import planner
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_apply import apply_plan
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import load_wanted

    dp = fdp
    config = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.7.0.%d,frag=no) 2" % i for i in range(1, 41)]
    wanted = load_wanted({"config": config}, None)
    apply_plan(dpif, dp, planner.plan(wanted.flows[:17], {}, "merged"), None)
    assert len(dpctl_flows(dpctl, dp)) == 17
    res = run_module("ovs_flow", {"datapath": dp, "config": config, "state": "overridden"})
    assert res["counts"] == {"create": 23, "modify": 0, "delete": 0, "unchanged": 17}
    assert dpctl_flows(dpctl, dp) == sorted(config)
    assert not run_module("ovs_flow", {"datapath": dp, "config": config, "state": "overridden"})["changed"]


def _table_lines(n, first=0):
    # Every 10th flow is TCP without tcp_flags: fix fills it in and says so (a note per line).
    out = []
    for i in range(first, first + n):
        if i % 10 == 3:
            out.append("in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.9.%d.%d,proto=6,frag=no),tcp(dst=80) 1"
                       % (i >> 8, i & 255))
        else:
            out.append("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.8.%d.%d,frag=no) 2" % (i >> 8, i & 255))
    return out


def test_src_reruns_from_the_table_snapshot_equal_the_full_path(
        run_module, fdp, dpctl, tmp_path, flow_cache_dir, monkeypatch):
    """Each step runs three times: in check mode without any cache (the full
    path's prediction), in check mode with the snapshot, then for real with
    it. All must agree on every returned field, and the kernel must hold
    what `after` says. A step meant
    for the snapshot must neither load the whole table nor parse more than the
    lines that differ; a step that cannot use it must take the full path."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
    from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow as F, flow_snapshot as FS

    dp = fdp
    src = tmp_path / "t.flows"
    calls = {"parse": 0, "full": 0, "split": 0, "kept": 0}
    real_parse, real_load, real_split, real_digest = T.parse_flow, F.load_wanted, FS._raw_lines, FS.digest_dump

    def counting_parse(text, **kw):
        calls["parse"] += 1
        return real_parse(text, **kw)

    def counting_load(*args, **kw):
        calls["full"] += 1
        return real_load(*args, **kw)

    def counting_split(data):
        calls["split"] += 1
        return real_split(data)

    def counting_digest(*args, **kw):
        kept, anonymous = real_digest(*args, **kw)
        calls["kept"] += len(kept)            # flows of the dump kept, not only digested
        return kept, anonymous

    monkeypatch.setattr(T, "parse_flow", counting_parse)     # looked up on odp.text where it parses
    monkeypatch.setattr(F, "load_wanted", counting_load)
    monkeypatch.setattr(FS, "_raw_lines", counting_split)
    monkeypatch.setattr(FS, "digest_dump", counting_digest)
    last = {}

    def step(lines, state="overridden"):
        src.write_text("# a table\n\n" + "\n".join(lines) + "\n")
        args = {"datapath": dp, "src": str(src), "state": state}
        predicted = run_module("ovs_flow", dict(args, cache=False), check=True, diff=True)
        # Check mode through the snapshot predicts the same, and leaves the snapshot as it was.
        calls.update(parse=0, full=0, split=0, kept=0)
        checked = run_module("ovs_flow", args, check=True, diff=True)
        seen = dict(calls)
        last.update(seen)
        calls.update(parse=0, full=0, split=0, kept=0)
        real = run_module("ovs_flow", args, diff=True)
        assert bool(calls["full"]) == bool(seen["full"]), (state, len(lines), checked["counts"], real["counts"])
        assert not predicted.failed and not checked.failed and not real.failed, (predicted, checked, real)
        for k in ("changed", "commands", "counts", "before", "after", "diff", "warnings"):
            assert predicted.get(k) == checked.get(k) == real.get(k), k
        assert ("after" in real) == real["changed"]
        assert dpctl_flows(dpctl, dp) == real.get("after", real["before"])
        return real, seen["parse"], bool(seen["full"])

    lines = _table_lines(200)
    res, parsed, full = step(lines)                 # the full path records the snapshot
    assert res["counts"]["create"] == 200 and full and len(res["warnings"]) == 20
    # Two kinds of line: each parsed in full for its first two lines and a
    # probe per value (an address; an address and a port), the others
    # encoded by template.
    assert parsed == 2 + 1 + 2 + 2
    res, parsed, full = step(lines)
    assert not res["changed"] and res["counts"]["unchanged"] == 200 and (full, parsed) == (False, 0)
    assert last["kept"] == 0            # the same file: the dump was digested as it came, not kept

    # 3 actions changed: the 3 new lines are parsed, and the 3 old ones they replace.
    for i in (0, 50, 199):
        lines[i] = lines[i][:-1] + "1"
    res, parsed, full = step(lines, "replaced")
    assert res["counts"] == {"create": 0, "modify": 3, "delete": 0, "unchanged": 197}
    assert (full, parsed) == (False, 6)
    assert last["split"] == 0           # edited in place: the files were compared line against line
    assert last["kept"] == 3            # another file: of the dump, only the 3 changed lines' flows are kept

    # In place too: two lines swapped (one with a note, which follows it) and
    # a line with a note turned into another flow with a note.
    lines[3], lines[4] = lines[4], lines[3]
    lines[13] = lines[13].replace("dst=10.9.", "dst=10.10.")
    res, parsed, full = step(lines)
    assert res["counts"] == {"create": 1, "modify": 0, "delete": 1, "unchanged": 199}
    assert (full, parsed, last["split"]) == (False, 2, 0) and len(res["warnings"]) == 20

    # 5 lines gone, 4 new, and one line written another way (the same flow).
    lines = lines[5:] + _table_lines(4, first=1000)
    lines[10] = lines[10].replace("eth_type(0x0800)", "eth_type(0x800)")
    res, parsed, full = step(lines)
    assert res["counts"] == {"create": 4, "modify": 0, "delete": 5, "unchanged": 195}
    assert (full, parsed) == (False, 11)
    assert last["split"] == 2           # every line moved up: the files were split and compared as sets
    res, parsed, full = step(lines)
    assert not res["changed"] and (full, parsed) == (False, 0)

    # Comments and blank lines in between, a line with trailing blanks: only that line is read again.
    spaced = lines[:30] + ["", "# the second half", "", ""] + lines[30:]
    spaced[3] += "  "
    res, parsed, full = step(spaced)
    assert not res["changed"] and res["counts"]["unchanged"] == 199 and (full, parsed) == (False, 2)
    res, parsed, full = step(lines)
    assert not res["changed"] and (full, parsed) == (False, 2)

    # Someone else changed a flow: the digest differs, the full path puts it back.
    key = lines[20].rsplit(" ", 1)[0]
    ufid = T.ufid_to_text(F.load_wanted({"config": [lines[20]]}, None).flows[0].ufid)
    dpctl("mod-flow", dp, "ufid:%s,%s" % (ufid, key), "1")
    res, parsed, full = step(lines)
    assert res["counts"]["modify"] == 1 and full
    res, parsed, full = step(lines)
    assert not res["changed"] and (full, parsed) == (False, 0)

    # merged keeps the flows of lines gone from src: the table is still the kept file's.
    res, parsed, full = step(lines[2:], "merged")
    assert not res["changed"] and res["counts"]["unchanged"] == 197 and (full, parsed) == (False, 2)
    res, parsed, full = step(lines[2:], "merged")
    assert not res["changed"] and (full, parsed) == (False, 2)
    # ... until merged changes it: then no file describes the table.
    more = lines[2:20] + [lines[20].rsplit(" ", 1)[0] + " 1,2"] + lines[21:]
    res, parsed, full = step(more, "merged")
    assert res["counts"]["modify"] == 1 and (full, parsed) == (False, 4)
    res, parsed, full = step(more, "merged")
    assert not res["changed"] and full

    # A flow installed by someone else (no UFID): overridden deletes it (and puts lines[20] back).
    dpctl("add-flow", dp, *F2.rsplit(" ", 1))
    res, parsed, full = step(lines)
    assert res["counts"] == {"create": 0, "modify": 1, "delete": 1, "unchanged": 198} and full
    res, parsed, full = step(lines)
    assert not res["changed"] and (full, parsed) == (False, 0)

    # A repeated line is one flow listed twice: the full path.
    res, parsed, full = step(lines + [lines[0]])
    assert not res["changed"] and full


def test_check_mode_plans_on_a_host_that_has_nothing_yet(run_module, new_name, dpif, fdp, dpctl):
    """--check before the datapath and vport tasks ever ran: ovs_flow plans
    against an empty datapath and ports under the names the flows give, says
    so, and shows the names (never a placeholder number). A real run still
    refuses a name that is not a port."""
    dp = new_name("ck")
    config = ["in_port(vm1-eth0),eth(),eth_type(0x0800),ipv4(frag=no) vx0,2",
              "in_port(2),eth(),eth_type(0x0806),arp() vm1-eth0"]
    for state in ("merged", "replaced", "overridden"):
        res = run_module("ovs_flow", {"datapath": dp, "config": config, "state": state}, check=True, diff=True)
        assert not res.failed, res
        assert res["changed"] and res["counts"] == {"create": 2, "modify": 0, "delete": 0, "unchanged": 0}
        assert res["before"] == [] and res["commands"] == [
            "add-flow in_port(2),eth(),eth_type(0x0806) vm1-eth0",
            "add-flow in_port(vm1-eth0),eth(),eth_type(0x0800),ipv4(frag=no) vx0,2"]
        assert "+in_port(vm1-eth0),eth(),eth_type(0x0800),ipv4(frag=no) vx0,2\n" in res["diff"]["prepared"]
        assert res.warning_texts == [
            "datapath '%s' does not exist yet; planning as if an earlier task created it" % dp,
            "'vm1-eth0', 'vx0' are not ports of datapath '%s' yet; planning as if an earlier task added them "
            "(a real run refuses a name that is still not a port)" % dp]
    assert dpif.get(dp) is None
    for state in ("deleted", "gathered"):
        res = run_module("ovs_flow", {"datapath": dp, "state": state}, check=True)
        assert not res.failed and not res["changed"], res
    # A datapath that exists, with ports 1 and 2 but not the guest's yet.
    res = run_module("ovs_flow", {"datapath": fdp, "config": config + [F1], "state": "overridden"}, check=True)
    assert res["counts"]["create"] == 3 and "add-flow " + F1 in res["commands"]
    assert res.warning_texts == ["'vm1-eth0', 'vx0' are not ports of datapath '%s' yet; planning as if an "
                                 "earlier task added them (a real run refuses a name that is still not a port)" % fdp]
    assert dpctl_flows(dpctl, fdp) == []
    res = run_module("ovs_flow", {"datapath": fdp, "config": config, "state": "overridden"})
    assert res.failed and "unknown port name 'vm1-eth0'" in res["msg"] and "config[0]" in res["msg"], res
    res = run_module("ovs_flow", {"datapath": dp, "config": config})
    assert res.failed and res["msg"] == "datapath '%s': no such datapath; create it first (dpif.ovs.ovs_datapath)" % dp
