# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the ODP flow language, and a seeded flow generator.

    python tests/bench/bench_odp.py [--flows N] [--seed S]
    python tests/bench/bench_odp.py --flows N --write FILE [--dpctl]

The generator (``gen_flow``) emits kernel-valid flows in the terse text
form ``ovs-dpctl dump-flows`` prints, one per line as ``KEY ACTIONS`` (the
``ovs-dpctl add-flows`` file format). With ``dpctl=True`` it only uses
syntax ovs-dpctl can parse (no hash/push_mpls/pop_mpls/dec_ttl/push_eth/nsh).
The unit, property and kernel tests import it from here.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import argparse
import os
import random
import sys
import time


def _hex(v):
    return "0x%x" % v if v else "0"


def terse(line: str) -> str:
    """What dump-flows prints for a generated line (wildcarded tcp_flags vanish)."""
    return line.replace(",tcp_flags(0/0)", "")


def _mac(r):
    return "%02x:%02x:%02x:%02x:%02x:%02x" % tuple(r.randrange(256) for _i in range(6))


def _ip4(r):
    return "%d.%d.%d.%d" % (r.randrange(1, 224), r.randrange(256), r.randrange(256), r.randrange(1, 255))


def _ip6(r):
    return "2001:db8::%x:%x" % (r.randrange(1, 0xFFFF), r.randrange(1, 0xFFFF))


def _mask4(r):
    return "%s/255.255.%d.0" % (_ip4(r).rsplit(".", 1)[0] + ".0", r.choice((0, 128, 255)))


def _l4(r, l3, proto):
    if proto == 6:
        return ["tcp(dst=%d)" % r.randrange(1, 65536),
                r.choice(("tcp_flags(0/0)", "tcp_flags(0/0)", "tcp_flags(+syn-ack)", "tcp_flags(syn)"))]
    if proto == 17:
        return ["udp(src=%d,dst=%d)" % (r.randrange(1, 65536), r.randrange(1, 65536))]
    if proto == 132:
        return ["sctp(dst=%d)" % r.randrange(1, 65536)]
    if proto == 1:
        return ["icmp(type=%d,code=0)" % r.choice((0, 8))]
    if proto == 58:
        t = r.choice((128, 135))
        out = ["icmpv6(type=%d)" % t]
        if t == 135:
            out.append("nd(target=%s)" % _ip6(r))
        return out
    return []


def _l3(r):
    kind = r.choice(("ipv4", "ipv4", "ipv4", "ipv6", "ipv6", "arp", "mpls"))
    if kind == "ipv4":
        proto = r.choice((6, 6, 17, 17, 1, 132))
        head = "ipv4(src=%s,dst=%s,proto=%d,frag=no)" % (_ip4(r), _mask4(r), proto)
        if r.random() < 0.3:
            head = "ipv4(dst=%s,proto=%d,tos=0x%x/0xfc,ttl=%d,frag=no)" % (
                _ip4(r), proto, r.randrange(1, 64) << 2, r.randrange(1, 256))
        return "0x0800", [head] + _l4(r, "ipv4", proto), kind
    if kind == "ipv6":
        proto = r.choice((6, 17, 58))
        head = "ipv6(src=%s,dst=%s/ffff:ffff::,proto=%d,frag=no)" % (_ip6(r), _ip6(r), proto)
        return "0x86dd", [head] + _l4(r, "ipv6", proto), kind
    if kind == "arp":
        return "0x0806", ["arp(sip=%s,tip=%s,op=%d/0xff)" % (_ip4(r), _ip4(r), r.choice((1, 2)))], kind
    lse = "mpls(label=%d,tc=%d,ttl=%d,bos=1)" % (r.randrange(16, 1 << 20), r.randrange(8), r.randrange(1, 256))
    return "0x8847", [lse], kind


def _actions(r, kind, ip_proto, dpctl, depth=0):
    out = []
    n = r.randrange(1, 4)
    for _i in range(n):
        c = r.random()
        if c < 0.35 or depth > 1:
            out.append(str(r.randrange(1, 200)))
        elif c < 0.45 and kind == "ipv4":
            out.append(r.choice(("set(ipv4(ttl=%d))" % r.randrange(1, 255),
                                 "set(ipv4(src=%s,dst=%s))" % (_ip4(r), _ip4(r)))))
        elif c < 0.50:
            out.append("set(eth(src=%s))" % _mac(r))
        elif c < 0.58 and kind in ("ipv4", "ipv6"):
            nat = ""
            if kind == "ipv4" and r.random() < 0.5:
                nat = ",nat(src=%s-%s:%d-%d)" % ("10.0.0.1", "10.0.0.9", 1024, 2048)
            out.append(r.choice(("ct(commit%s)" % nat, "ct(commit,mark=0x%x/0xffffffff)" % r.randrange(1, 99),
                                 "ct(commit,label=0x%x)" % r.randrange(1, 1 << 40), "ct", "ct(nat)")))
            # ovs-dpctl 3.1 prints recirc(0x..) but parses only decimal recirc(N).
            out.append(("recirc(%d)" if dpctl else "recirc(0x%x)") % r.randrange(1, 1000))
            break
        elif c < 0.62:
            out.append("push_vlan(vid=%d,pcp=%d)" % (r.randrange(1, 4095), r.randrange(8)))
            kind = "vlan"     # the kernel refuses an MPLS push onto a VLAN-tagged packet
        elif c < 0.66:
            inner = ",".join(_actions(r, kind, ip_proto, dpctl, 2))
            out.append("sample(sample=%d.0%%,actions(%s))" % (r.choice((10, 50, 100)), inner))
        elif c < 0.70:
            out.append("clone(%s)" % ",".join(_actions(r, kind, ip_proto, dpctl, depth + 1)))
        elif c < 0.73:
            out.append("check_pkt_len(size=%d,gt(%d),le(%d))" % (r.randrange(64, 1500), r.randrange(1, 9), r.randrange(1, 9)))
        elif c < 0.76:
            out.append("trunc(%d)" % r.randrange(14, 1500))
        elif c < 0.79:
            out.append("meter(%d)" % r.randrange(0, 64))
        elif c < 0.82:
            out.append("userspace(pid=%d,userdata(%016x))" % (r.randrange(1, 1 << 31), r.getrandbits(64)))
        elif c < 0.85:
            out.append("ct_clear")
        elif c < 0.88:
            out.append("set(tunnel(tun_id=0x%x,dst=%s,ttl=64,tp_dst=4789,flags(df|key)))" % (
                r.randrange(1, 1 << 24), _ip4(r)))
        elif c < 0.90 and kind == "ipv4" and ip_proto == 6:
            out.append("set(tcp(dst=%d))" % r.randrange(1, 65536))
        elif not dpctl and c < 0.93:
            pick = r.randrange(3) if kind in ("ipv4", "ipv6") else 0
            if pick == 0:
                out.append("hash(l4(%d))" % r.randrange(100))
            elif pick == 1:
                out.append("dec_ttl(le_1(%d))" % r.randrange(1, 9))
            else:
                # The kernel refuses actions that depend on the L3 header after
                # an MPLS push: end the list with an output.
                out.append("push_mpls(label=%d,tc=0,ttl=64,bos=1,eth_type=0x8847)" % r.randrange(16, 999))
                out.append(str(r.randrange(1, 200)))
                break
        elif kind in ("ipv4", "ipv6") and c < 0.96:
            out.append("add_mpls(label=%d,tc=0,ttl=64,bos=1,eth_type=0x8847)" % r.randrange(16, 999))
            out.append(str(r.randrange(1, 200)))
            break
        else:
            out.append(str(r.randrange(1, 200)))
    return out


def gen_flow(r: random.Random, dpctl: bool = False, port: int | None = None) -> str:
    """One kernel-valid flow as ``KEY ACTIONS`` in terse dump-flows form."""
    key = []
    if r.random() < 0.2:
        key.append("recirc_id(0x%x)" % r.randrange(1, 1000))
    if r.random() < 0.1:
        key.append("dp_hash(%s/0xf)" % _hex(r.randrange(16)))
    if r.random() < 0.1:
        key.append("skb_priority(0x%x)" % r.randrange(1, 10))
    if r.random() < 0.15:
        flavour = r.random()
        opts = ""
        if flavour < 0.3:
            opts = ",vxlan(gbp(id=%d,flags=0x%x))" % (r.randrange(1, 65536), r.randrange(1, 256))
        elif flavour < 0.5:
            opts = ",geneve({class=0x%x,type=0x%x,len=4,0x%x})" % (r.randrange(1, 65536), r.randrange(1, 128), r.randrange(1, 1 << 32))
        key.append("tunnel(tun_id=0x%x,dst=%s,ttl=64%s,flags(+key))" % (r.randrange(1, 1 << 24), _ip4(r), opts))
    key.append("in_port(%d)" % (port if port is not None else r.randrange(1, 1000)))
    if r.random() < 0.1:
        key.append("skb_mark(0x%x/0xff)" % r.randrange(1, 256))
    ct = r.random() < 0.2
    if ct:
        key.append(r.choice(("ct_state(-new+est+trk)", "ct_state(+new+trk)", "ct_state(-trk)")))
        if r.random() < 0.3:
            key.append("ct_mark(0x%x)" % r.randrange(1, 1 << 16))
        if r.random() < 0.2:
            key.append("ct_label(0x%x/0xffff)" % r.randrange(1, 1 << 16))
    key.append("eth(src=%s,dst=%s)" % (_mac(r), _mac(r)) if r.random() < 0.5 else "eth()")
    et, l3, kind = _l3(r)
    proto = None
    for a in l3:
        if "proto=" in a:
            proto = int(a.split("proto=")[1].split(",")[0].split(")")[0])
    if r.random() < 0.12 and kind in ("ipv4", "ipv6"):
        key.append("eth_type(0x8100),vlan(vid=%d),encap(eth_type(%s),%s)" % (r.randrange(1, 4095), et, ",".join(l3)))
        kind = "vlan"
    else:
        key.append("eth_type(%s)" % et)
        key.extend(l3)
    acts = _actions(r, kind, proto, dpctl)
    return ",".join(key) + " " + ",".join(acts)


def gen_flows(n: int, seed: int = 1, dpctl: bool = False, unique_ports: bool = False):
    r = random.Random(seed)
    return [gen_flow(r, dpctl, port=(i + 1) % 65536 if unique_ports else None) for i in range(n)]


def _import_path():
    """Make the checkout importable as ansible_collections.dpif.ovs (as tests/conftest.py does)."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    root = os.path.join(top, ".build", "collections")
    link = os.path.join(root, "ansible_collections", "dpif", "ovs")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(top, link)
    if root not in sys.path:
        sys.path.insert(0, root)


def _bench(lines):
    _import_path()
    from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
    from ansible_collections.dpif.ovs.plugins.module_utils.odp import wire as W
    n = len(lines)
    # ovs.flow.odp first, while none of our results are alive to slow its GC.
    ovs_t = ovs_kept = None
    try:
        from ovs.flow.odp import ODPFlow
    except ImportError:
        ODPFlow = None
    if ODPFlow is not None:
        dump_lines = ["%s, packets:0, bytes:0, used:never, actions:%s" % tuple(s.split(" ", 1)) for s in lines]
        t6 = time.perf_counter()
        for s in dump_lines:
            ODPFlow(s)
        ovs_t = time.perf_counter() - t6
        t6 = time.perf_counter()
        kept = [ODPFlow(s) for s in dump_lines]
        ovs_kept = time.perf_counter() - t6
        del kept
    t = time.perf_counter()
    for s in lines:
        T.parse_flow(s)
    ours_discarded = time.perf_counter() - t
    t0 = time.perf_counter()
    flows = [T.parse_flow(s) for s in lines]
    t1 = time.perf_counter()
    enc = [(W.encode_key(f), W.encode_mask(f), W.encode_actions(f)) for f in flows]
    t2 = time.perf_counter()
    dec = [W.decode_flow(k, m, a) for k, m, a in enc]
    t3 = time.perf_counter()
    out = [T.format_flow(f) for f in dec]
    t4 = time.perf_counter()
    hashes = set(dec)
    t5 = time.perf_counter()
    assert out == [T.format_flow(f) for f in flows]
    # The gathered path: text straight from the kernel-canonical bytes.
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
    from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.printer import DumpPrinter
    wire = []
    for f in flows:
        k, m, a = canonical(f).canonical_tuple()
        wire.append((W.encode_attrs(k), W.encode_attrs(m), W.encode_attrs(a)))
    printer = DumpPrinter()
    t6 = time.perf_counter()
    printed = [printer.flow_text(k, m, a) for k, m, a in wire]
    t7 = time.perf_counter()
    assert len(printed) == n
    rows = [("parse (text -> model)", t1 - t0), ("encode (model -> wire)", t2 - t1),
            ("decode (wire -> model)", t3 - t2), ("format (model -> text)", t4 - t3),
            ("canonical hash (set of flows)", t5 - t4),
            ("parse+encode", t2 - t0), ("decode+format", t4 - t2),
            ("decode+format (DumpPrinter)", t7 - t6)]
    print("%d flows (%d distinct canonical)" % (n, len(hashes)))
    print("%-32s %10s" % ("step", "us/flow"))
    for name, t in rows:
        print("%-32s %10.2f" % (name, t / n * 1e6))
    print("%-32s %10.2f" % ("parse, results discarded", ours_discarded / n * 1e6))
    if ovs_t is not None:
        # Like for like: both parsers once keeping every result in a list (as
        # the parse row above does, and as a caller does), once discarding it.
        print("%-32s %10.2f" % ("ovs.flow.odp.ODPFlow parse", ovs_kept / n * 1e6))
        print("%-32s %10.2f" % ("ODPFlow, results discarded", ovs_t / n * 1e6))
        print("ratio ovs.flow.odp / ours (parse): %.1fx (results kept), %.1fx (discarded)" % (
            ovs_kept / (t1 - t0), ovs_t / ours_discarded))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--flows", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--write", metavar="FILE", help="write an ovs-dpctl add-flows file instead of benchmarking")
    ap.add_argument("--dpctl", action="store_true", help="only syntax ovs-dpctl can parse")
    args = ap.parse_args(argv)
    if args.write:
        lines = gen_flows(args.flows, args.seed, dpctl=True if args.dpctl or args.write else False,
                          unique_ports=True)
        with open(args.write, "w") as f:
            f.write("\n".join(lines) + "\n")
        return 0
    _bench(gen_flows(args.flows, args.seed, dpctl=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
