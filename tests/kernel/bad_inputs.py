# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input corpus of tests/kernel/test_bad_inputs.py, built without a kernel.

Each :class:`Case` is one input that must fail: the entry point it goes to
(a module's ``main()``, or the boot-time restore command), its arguments,
and what the failure message must name. :func:`corpus` builds them all,
deterministically: the fuzzed flows are seeded mutations, so every run
checks the same inputs.

The cases run against a datapath called :data:`DP` with ports
:data:`PORT_A` (1) and :data:`PORT_B` (2); ``{tmp}`` in an argument is the
test's scratch directory, where a case's ``files`` are made first.

Fuzzed flow text starts from :data:`SEEDS`, flows from Open vSwitch's own
syntax vectors. A mutant that the collection's front end accepts (the parse
and checks ``ovs_flow`` runs before it sends anything) is not a bad input
here: it is left out, and so is every mutant after the corpus is full, so
the corpus is the same on every run. Only the kernel can judge the mutants
the front end accepts: :func:`accepted_mutants` gives the first of them
to the test, which counts one as a bad input only if the kernel refuses it.
"""

from __future__ import absolute_import, annotations, division, print_function

import random
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

__metaclass__ = type

DP = "dpbad"
PORT_A = "dpbad-a"
PORT_B = "dpbad-b"
#: A flow the kernel takes on DP: the valid half of cases about something else.
GOOD_FLOW = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.9.9.9,frag=no) 2"
#: How many fuzzed flow texts the corpus holds.
FUZZED = 250


@dataclass
class Case:
    """One bad input and what its failure must say.

    ``module`` is a module name, or ``"cli"`` (``args`` is then the restore
    command's argv). ``names``: strings the message must contain (the object
    and the field); a tuple among them is alternatives, of which one must be
    there. ``flow_field``: the result must carry a flow error's
    ``field`` or ``position`` and the message must show it. ``field``: the
    exact ``field`` the result must carry. ``files``: ``(name, kind, data)``
    to make in ``{tmp}`` first (kind ``bytes``, ``dir``, ``fifo``,
    ``socket``, ``sparse`` (data: size) or ``symlink`` (data: target)).
    ``os_error``: the reason may be the operating system's own words
    ("No such file or directory"), which are a sentence about a path.
    ``check``: run in check mode."""

    category: str
    ident: str
    module: str
    args: object
    names: tuple = ()
    flow_field: bool = False
    field: Optional[str] = None
    files: Tuple[tuple, ...] = ()
    os_error: bool = False
    check: bool = False


def src_line(path: str, n: int) -> tuple:
    """Line ``n`` of src file ``path`` as a message may name it: either
    ``src 'PATH' line N`` (a line that is not text) or ``PATH line N``
    (a flow that is wrong)."""
    return ("src '%s' line %d" % (path, n), "%s line %d" % (path, n))


# Flows from OVS's tests/odp.at vectors ("wildcarded key" keys, "actions"
# lists), with ports 1 and 2 and distinct keys, so that the kernel takes
# them all at once (test_the_seeds_are_good_flows). No seed's key is matched
# by another's: the kernel refuses a flow whose key an installed flow
# already matches.
SEEDS = (
    "in_port(1),eth(src=00:01:02:03:04:15/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:25/ff:ff:ff:ff:ff:f0) 2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x1234) 1,2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),"
    "ipv4(src=35.8.2.41/255.255.255.0,dst=172.16.0.20/255.255.255.0,proto=5/0xf0,tos=0x80/0xf0,ttl=128/0xf0,"
    "frag=no) set(ipv4(tos=0x80/0xfc)),2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),"
    "ipv4(src=35.8.2.41,dst=172.16.0.20,proto=6,tos=0,ttl=128,frag=no),tcp(src=80/0xff00,dst=8080/0xff) "
    "set(tcp(src=80,dst=8080)),2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),"
    "ipv4(src=35.8.2.41,dst=172.16.0.20,proto=17,tos=0,ttl=128,frag=no),udp(src=81/0xff00,dst=6632/0xff) "
    "set(udp(dst=6633)),push_vlan(vid=12,pcp=0),2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),"
    "ipv4(src=35.8.2.41,dst=172.16.0.20,proto=1,tos=0,ttl=128,frag=no),icmp(type=1/0xf0,code=2) 2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),"
    "ipv6(src=::1/::255,dst=::2/::255,label=0/0xf0,proto=10/0xf0,tclass=0x70/0xf0,hlimit=128/0xf0,frag=no) "
    "set(ipv6(src=::1,dst=::2)),2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),"
    "ipv6(src=::1,dst=::2,label=0,proto=6,tclass=0,hlimit=128,frag=no),tcp(src=80/0xff00,dst=8080/0xff) "
    "push_vlan(vid=13,pcp=5),2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),"
    "ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),"
    "nd(target=::3/::250,sll=00:05:06:07:08:09/ff:ff:ff:ff:ff:00,tll=00:0a:0b:0c:0d:0e/ff:ff:ff:ff:ff:00) 2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0806),"
    "arp(sip=1.2.3.4/255.255.255.250,tip=5.6.7.8/255.255.255.250,op=1,"
    "sha=00:0f:10:11:12:13/ff:ff:ff:ff:ff:00,tha=00:14:15:16:17:18/ff:ff:ff:ff:ff:00) "
    "set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15)),2",
    "skb_mark(0x1234/0xfff0),in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),"
    "ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=135,code=0),"
    "nd(target=::3,sll=00:05:06:07:08:09,tll=00:0a:0b:0c:0d:0e) 2",
    "tunnel(tun_id=0x7f10354/0xff,src=10.10.10.10/255.255.255.0,dst=20.20.20.20/255.255.255.0,ttl=64,"
    "flags(-df+csum+key)),in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),"
    "ipv4(src=35.8.2.41,dst=172.16.0.20,proto=17,tos=0,ttl=128,frag=no),udp(src=81/0xff,dst=6632/0xff00) 2",
    "tunnel(tun_id=0x7f10354/0xff,src=10.10.10.10/255.255.255.0,dst=20.20.20.20/255.255.255.0,ttl=64,"
    "vxlan(gbp(id=10/0xff,flags=0xb)),flags(csum|key)),in_port(1),eth(src=00:01:02:03:04:05,"
    "dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.51,dst=172.16.0.20,proto=6,tos=0,ttl=128,"
    "frag=no),tcp(src=80/0xff00,dst=8080/0xff) 2",
    "tunnel(tun_id=0x7f10354/0xff,src=10.10.10.10/255.255.255.0,dst=20.20.20.20/255.255.255.0,ttl=64,"
    "geneve({class=0,type=0,len=4,0xa/0xff}{class=0xffff,type=0x1,len=4,0xffffffff}),flags(csum|key)),"
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),"
    "ipv4(src=35.8.2.51,dst=172.16.0.20,proto=1,tos=0,ttl=128,frag=no),icmp(type=1/0xf0,code=2) 2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x8100),vlan(vid=99,pcp=7),"
    "encap(eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=6,tos=0,ttl=128,frag=no),"
    "tcp(src=80/0xff00,dst=8080/0xff)) pop_vlan,2",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x8100),vlan(vid=99,pcp=7),"
    "encap(eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=17,tclass=0,hlimit=128,frag=no),"
    "udp(src=6630/0xff00,dst=22/0xff)) pop_vlan,push_vlan(vid=5,pcp=3),2",
    "in_port(1),eth(),eth_type(0x8847),mpls(label=100,tc=3,ttl=64,bos=1) pop_mpls(eth_type=0x800),2",
    "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.1.0.1,frag=no) "
    "userspace(pid=1234567,userdata(0102030405060708090a0b0c0d0e0f),actions)",
    "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.1.0.2,frag=no) "
    "sample(sample=9.7%,actions(1,2,push_vlan(vid=1,pcp=2)))",
    "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.1.0.3,frag=no) "
    "set(tunnel(tun_id=0xabcdef1234567890,src=1.1.1.1,dst=2.2.2.2,ttl=64,flags(df|csum|key))),2",
    "recirc_id(0x5),dp_hash(0x3/0xf),in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4789) "
    "clone(set(udp(dst=6633)),2),trunc(100),1",
    "in_port(1),ct_state(-new+est+trk),ct_mark(0x5),eth(),eth_type(0x0800),ipv4(frag=no) "
    "ct(commit,mark=0x7/0xffffffff),recirc(0x9)",
    "in_port(2),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=22),tcp_flags(+syn-ack) "
    "check_pkt_len(size=200,gt(1),le(2))",
    "ufid:8f3c9a7e-1d2b-4c5a-9e8f-0a1b2c3d4e5f,in_port(1),eth(),eth_type(0x0806),arp(op=2) "
    "set(eth(src=00:01:02:03:04:05/ff:ff:ff:00:00:00)),2",
)

_FLIPS = "()=,/:.{}|+- xX0123456789abcdefgz\t\x00\x7f\u00e9\u2028\ufffd"
_BIG = ("4294967296", "0x1ffffffff", "18446744073709551616", "99999", "-1", "65536", "256",
        "0x" + "f" * 40, "1e3", "0x", "08", "1.5")
_BOGUS = ("ipv5", "ethx", "srcc", "in-port", "Eth", "tcp_flagz", "vlan2", "x" * 40, "é", "_")
_MASKS = ("", "/", "0xfffffffff", "zz", "255.255.255.256", "ff:ff", "-1", "0x1/0x1", "ff::ff::ff")
_ACTIONS = ("99999999999", "set(ipv4(ttl=300))", "push_vlan(vid=5000)", "ct(zone=70000)", "output",
            "recirc(-1)", "clone(", "sample(sample=200%,actions(1))", "userspace(pid=)", "meter(x)",
            "trunc(-1)", "drop,drop", "1,,2", "set(in_port(2)),set(nosuch(1))", "push_mpls(label=1048576)",
            "ct(nat(src=10.0.0.9-10.0.0.1))", "set(eth(src=00:01:02:03:04))", "2 3", "hash(l4(x))",
            "check_pkt_len(size=-1,gt(1),le(2))", "userspace(pid=1,userdata(0g))", "dec_ttl(le_1(", "set()")

_NUMBER = re.compile(r"(?<![\w.:])(0x[0-9a-fA-F]+|\d+)(?![\w.:])")
_IDENT = re.compile(r"[a-z_][a-z0-9_]*(?=[(=])")
_ATTR = re.compile(r"\b[a-z_0-9]+\([^()]*\)")
_VALUE = re.compile(r"(?<=[=(])[^=(),{}/ ]+(?=[,)])")


def _flip(text: str, r: random.Random) -> str:
    i = r.randrange(len(text))
    return text[:i] + r.choice(_FLIPS) + text[i + 1:]


def _truncate(text: str, r: random.Random) -> str:
    return text[:r.randrange(1, len(text))]


def _paren_positions(text: str) -> List[int]:
    return [i for i, c in enumerate(text) if c in "()"]


def _drop_paren(text: str, r: random.Random) -> str:
    i = r.choice(_paren_positions(text))
    return text[:i] + text[i + 1:]


def _dup_paren(text: str, r: random.Random) -> str:
    i = r.choice(_paren_positions(text))
    return text[:i] + text[i] + text[i:]


def _swap_match(pattern, choices):
    def mutate(text: str, r: random.Random) -> str:
        hits = list(pattern.finditer(text))
        if not hits:
            return text
        m = r.choice(hits)
        return text[:m.start()] + r.choice(choices) + text[m.end():]
    return mutate


def _bad_mask(text: str, r: random.Random) -> str:
    m = r.choice(list(_VALUE.finditer(text)))
    value = m.group(0).split("/")[0]
    return text[:m.start()] + value + "/" + r.choice(_MASKS) + text[m.end():]


def _dup_attr(text: str, r: random.Random) -> str:
    key, _sep, actions = text.partition(" ")
    attr = r.choice(_ATTR.findall(key))
    return "%s,%s %s" % (key, attr, actions)


def _bad_actions(text: str, r: random.Random) -> str:
    key, _sep, _actions = text.rpartition(" ")
    return "%s %s" % (key, r.choice(_ACTIONS))


def _no_separator(text: str, r: random.Random) -> str:
    key, _sep, actions = text.rpartition(" ")
    return key + r.choice(("", ",", "\t\t", "  ")) + (actions if r.random() < 0.5 else "")


MUTATORS = (
    ("flip", _flip),
    ("truncate", _truncate),
    ("drop-paren", _drop_paren),
    ("dup-paren", _dup_paren),
    ("big-number", _swap_match(_NUMBER, _BIG)),
    ("unknown-field", _swap_match(_IDENT, _BOGUS)),
    ("bad-mask", _bad_mask),
    ("dup-attr", _dup_attr),
    ("bad-actions", _bad_actions),
    ("no-separator", _no_separator),
)


def mutants(seed: int = 17):
    """Endless deterministic ``(operator, seed index, text)`` mutants of
    SEEDS, round robin over seeds and operators; each text once."""
    r = random.Random(seed)
    seen = set(SEEDS)
    k = 0
    while True:
        s = k % len(SEEDS)
        name, fn = MUTATORS[(k // len(SEEDS)) % len(MUTATORS)]
        k += 1
        text = fn(SEEDS[s], r)
        if text not in seen:
            seen.add(text)
            yield name, s, text


# -- (a) fuzzed flow text ----------------------------------------------------------

#: How a mutant reaches ovs_flow: (state, through src), in turn. Not in
#: check mode: there a port name the datapath lacks is planned as one an
#: earlier task adds, so a mangled action can be a port to come.
ROUTES = (
    ("merged", False), ("replaced", False), ("overridden", False), ("deleted", False),
    ("rendered", False), ("merged", True), ("overridden", True),
)
#: The port names ovs_flow resolves on DP.
PORT_NUMBERS = {DP: 0, PORT_A: 1, PORT_B: 2}
SRC_HEAD = "# fuzzed flow on the next line\n"


def front_end_accepts(text: str, through_src: bool, rendered: bool) -> bool:
    """Whether ovs_flow's checks before the kernel (parse, kernel rules,
    encoding) take ``text``: the same functions the module calls."""
    from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import load_wanted, src_lines
    ports = None if rendered else PORT_NUMBERS
    try:
        if through_src:
            lines, _nums = src_lines((SRC_HEAD + text + "\n").encode("utf-8"), "src")
            if not lines:
                return True             # nothing but a comment or blanks: nothing to refuse
            load_wanted({"config": lines}, ports)
        else:
            load_wanted({"config": [text]}, ports)
    except DpifError:
        return False
    return True


def _flow_case(k: int, op: str, seed: int, text: str, route: tuple) -> Case:
    state, through_src = route
    ident = "fuzz-%03d-%s-seed%d" % (k, op, seed)
    if through_src:
        args = {"datapath": DP, "src": "{tmp}/fuzzed.flows", "state": state}
        files = (("fuzzed.flows", "bytes", (SRC_HEAD + text + "\n").encode("utf-8")),)
        where = tuple(w + ": flow '" for w in src_line("{tmp}/fuzzed.flows", 2))
        return Case("a-flow-text", ident, "ovs_flow", args, (where,), flow_field=True, files=files)
    args = {"config": [text], "state": state}
    if state != "rendered":
        args["datapath"] = DP
    return Case("a-flow-text", ident, "ovs_flow", args, ("config[0]: flow '",), flow_field=True)


def flow_text_cases(n: int = FUZZED) -> Tuple[List[Case], int]:
    """The first ``n`` mutants the front end refuses, each on the next
    route, and how many mutants before the last of them it took (left out)."""
    out = []
    took = 0
    for op, seed, text in mutants():
        state, through_src = ROUTES[len(out) % len(ROUTES)]
        if through_src and ("\n" in text or "\r" in text or "\x00" in text):
            through_src = False     # one line of a file cannot hold them; config can
        if front_end_accepts(text, through_src, state == "rendered"):
            took += 1
            continue
        out.append(_flow_case(len(out), op, seed, text, (state, through_src)))
        if len(out) == n:
            return out, took
    raise AssertionError("unreachable: mutants() never ends")


def accepted_mutants(n: int) -> List[str]:
    """The first ``n`` mutants the front end takes (config, state merged):
    only the kernel can say whether they are bad."""
    out = []
    for _op, _seed, text in mutants():
        if front_end_accepts(text, False, False):
            out.append(text)
            if len(out) == n:
                return out
    raise AssertionError("unreachable: mutants() never ends")


# -- (b) structured flows ------------------------------------------------------------

_BASE = {"in_port": 1, "eth": {}, "eth_type": 0x0800, "ipv4": {"dst": "10.0.0.1", "frag": "no"}, "actions": [2]}
_VLAN = {"in_port": 1, "eth": {}, "eth_type": 0x8100, "vlan": {"vid": 5}, "encap": {"eth_type": 0x0800},
         "actions": [2]}
_TCP = dict(_BASE, ipv4={"proto": 6, "frag": "no"}, tcp={"dst": 80})

#: In a change: remove the key.
GONE = "<gone>"

# (a valid flow, changes to it, the field the error must name).
STRUCTURED = (
    (_BASE, {"in_port": [1]}, "in_port"),
    (_BASE, {"in_port": {"x": 1}}, "in_port"),
    (_BASE, {"in_port": True}, "in_port"),
    (_BASE, {"in_port": 1.5}, "in_port"),
    (_BASE, {"in_port": -1}, "in_port"),
    (_BASE, {"in_port": 2 ** 32}, "in_port"),
    (_BASE, {"in_port": "nosuchport"}, "in_port"),
    (_BASE, {"eth": "x"}, "eth"),
    (_BASE, {"eth": {"src": "zz:zz"}}, "eth.src"),
    (_BASE, {"eth": {"dst": 5}}, "eth.dst"),
    (_BASE, {"eth": {"bogus": 1}}, "eth"),
    (_BASE, {"eth_type": True}, "eth_type"),
    (_BASE, {"eth_type": "0x1ffff"}, "eth_type"),
    (_BASE, {"eth_type": [0x800]}, "eth_type"),
    (_BASE, {"ipv4": []}, "ipv4"),
    (_BASE, {"ipv4": {"dst": "10.0.0.300"}}, "ipv4.dst"),
    (_BASE, {"ipv4": {"dst": 1.5}}, "ipv4.dst"),
    (_BASE, {"ipv4": {"proto": 300}}, "ipv4.proto"),
    (_BASE, {"ipv4": {"frag": "maybe"}}, "ipv4.frag"),
    (_BASE, {"ipv4": {"ttl": -1}}, "ipv4.ttl"),
    (_BASE, {"ipv4": {"tos": "0x1ff"}}, "ipv4.tos"),
    (_BASE, {"ipv4": {"dst": "10.0.0.0/33"}}, "ipv4.dst"),
    (_BASE, {"ipv4": {"src": True}}, "ipv4.src"),
    (_BASE, {"ipv4": {"ttl": None}}, "ipv4.ttl"),
    (_BASE, {"ipv6": {"src": "fd00::1"}}, "ipv6"),
    (_VLAN, {"vlan": {"vid": 5000}}, "vlan.vid"),
    (_VLAN, {"vlan": {"pcp": 9}}, "vlan.pcp"),
    (_VLAN, {"vlan": {"vid": -1}}, "vlan.vid"),
    (_VLAN, {"vlan": {"cfi": 2}}, "vlan.cfi"),
    (_VLAN, {"vlan": {"bogus": 1}}, "vlan"),
    (_VLAN, {"vlan": 5}, "vlan"),
    (_VLAN, {"encap": "x"}, "encap"),
    (_VLAN, {"encap": {"eth_type": 0x0800, "ipv4": {"proto": "x"}}}, "encap.ipv4.proto"),
    (_VLAN, {"encap": {"eth_type": 0x0800, "ipv4": {"frag": "no"}, "ipv9": {}}}, "encap.ipv9"),
    (_TCP, {"tcp": {"dst": 70000}}, "tcp.dst"),
    (_TCP, {"tcp": {"src": -1}}, "tcp.src"),
    (_TCP, {"tcp": {"flags": 1}}, "tcp"),
    (_TCP, {"tcp_flags": "+bogus"}, "tcp_flags"),
    (_TCP, {"ipv4": {"proto": 17, "frag": "no"}}, "tcp"),
    (_BASE, {"udp": {"src": 70000}}, "udp"),
    (_BASE, {"ct_state": "+nope"}, "ct_state"),
    (_BASE, {"ct_state": 5.5}, "ct_state"),
    (_BASE, {"ct_mark": "0x1ffffffff"}, "ct_mark"),
    (_BASE, {"recirc_id": -1}, "recirc_id"),
    (_BASE, {"skb_mark": [1]}, "skb_mark"),
    (_BASE, {"eth_type": 0x8847, "ipv4": GONE, "mpls": {}}, "mpls"),
    (_BASE, {"eth_type": 0x8847, "ipv4": GONE, "mpls": [{"label": 2 ** 20}]}, "mpls"),
    (_BASE, {"eth_type": 0x8847, "ipv4": GONE, "mpls": [{"label": 1, "color": 2}]}, "mpls"),
    (_BASE, {"tunnel": {"dst": "1.2.3", "ttl": 64}}, "tunnel.dst"),
    (_BASE, {"tunnel": {"dst": "1.2.3.4", "ttl": 64, "flags": "+bogus"}}, "tunnel.flags"),
    (_BASE, {"tunnel": {"tun_id": "0xZZ", "dst": "1.2.3.4", "ttl": 64}}, "tunnel.tun_id"),
    (_BASE, {"tunnel": {"dst": "1.2.3.4", "ttl": 256}}, "tunnel.ttl"),
    (_BASE, {"tunnel": {"dst": "1.2.3.4", "ttl": 64, "vxlan": {"gbp": {"id": 70000}}}}, "tunnel.vxlan"),
    (_BASE, {"tunnel": "x"}, "tunnel"),
    (_BASE, {"ipv5": {}}, "ipv5"),
    (_BASE, {"packet_type": {"ns": 0, "id": 0}}, "packet_type"),
    (_BASE, {"actions": "2"}, "actions"),
    (_BASE, {"actions": None}, "actions"),
    (_BASE, {"actions": [True]}, "actions[0]"),
    (_BASE, {"actions": [{}]}, "actions[0]"),
    (_BASE, {"actions": [{"a": 1, "b": 2}]}, "actions[0]"),
    (_BASE, {"actions": [[2]]}, "actions[0]"),
    (_BASE, {"actions": [None]}, "actions[0]"),
    (_BASE, {"actions": [2, 99999999999]}, "actions[1]"),
    (_BASE, {"actions": ["nosuchport"]}, "actions[0]"),
    (_BASE, {"actions": [{"set": {"ipv4": {"ttl": 300}}}]}, "actions[0].set"),
    (_BASE, {"actions": [{"set": {"ipv4": {}, "tcp": {}}}]}, "actions[0].set"),
    (_BASE, {"actions": [{"set": "x"}]}, "actions[0].set"),
    (_BASE, {"actions": [{"ct": {"zone": 70000}}]}, "actions[0].ct"),
    (_BASE, {"actions": [{"push_vlan": {"vid": 5000}}]}, "actions[0].push_vlan"),
    (_BASE, {"actions": [{"clone": "x"}]}, "actions[0].clone"),
    (_BASE, {"actions": [{"dec_ttl": 5}]}, "actions[0].dec_ttl"),
    (_BASE, {"actions": [{"nosuch": 1}]}, "actions[0]"),
    (_BASE, {"actions": GONE}, "actions"),
    (_BASE, {"ufid": "nope"}, "ufid"),
    (_BASE, {"ufid": 5}, "ufid"),
)


def _changed(base: dict, change: dict) -> dict:
    out = dict(base)
    for k, v in change.items():
        if v == GONE:
            del out[k]
        else:
            out[k] = v
    return out


def structured_cases() -> List[Case]:
    out = []
    for i, (base, change, fld) in enumerate(STRUCTURED):
        flow = _changed(base, change)
        state = ("merged", "replaced", "rendered")[i % 3]
        args = {"config": [flow], "state": state}
        if state != "rendered":
            args["datapath"] = DP
        out.append(Case("b-structured", "struct-%02d-%s" % (i, fld), "ovs_flow", args,
                        ("config[0]: flow '",), field=fld))
    return out


# -- (c) module options ----------------------------------------------------------------

_FLOW_OTHER_ACTIONS = GOOD_FLOW[:-1] + "1"
#: Two flows the kernel will not hold together: the second's key is matched
#: by the first (EEXIST), though their masks differ.
OVERLAPPING = ("in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15/ff:ff:ff:ff:ff:f0) 2",
               "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x1234) 1")


def _flow_options():
    dp = {"datapath": DP}
    good = dict(dp, config=[GOOD_FLOW])
    return (
        ("no-args", {}, ("state", "datapath")),
        ("replaced-no-dp", {"state": "replaced", "config": [GOOD_FLOW]}, ("state", "datapath")),
        ("overridden-no-dp", {"state": "overridden", "config": [GOOD_FLOW]}, ("state", "datapath")),
        ("deleted-no-dp", {"state": "deleted"}, ("state", "datapath")),
        ("gathered-no-dp", {"state": "gathered"}, ("state", "datapath")),
        ("parsed-no-running-config", {"state": "parsed"}, ("state", "running_config")),
        ("state-bogus", dict(good, state="bogus"), ("state", "bogus")),
        ("state-upper", dict(good, state="MERGED"), ("state", "MERGED")),
        ("state-int", dict(good, state=5), ("state", "5")),
        ("clear-stats-maybe", dict(good, clear_stats="maybe"), ("clear_stats", "maybe")),
        ("names-list", dict(good, names=[1]), ("names",)),
        ("fix-word", dict(good, fix="sometimes"), ("fix", "sometimes")),
        ("cache-dict", dict(good, cache={"a": 1}), ("cache",)),
        ("config-dict", dict(dp, config={"a": 1}), ("config",)),
        ("config-null-item", dict(dp, config=[None]), ("config[0]", "NoneType")),
        ("config-list-item", dict(dp, config=[[1, 2]]), ("config[0]", "list")),
        ("config-bool-item", dict(dp, config=[GOOD_FLOW, True]), ("config[1]", "bool")),
        ("config-float-item", dict(dp, config=[1.5]), ("config[0]", "float")),
        ("config-empty", dict(dp, config=[]), ("datapath '%s'" % DP, "config", "src")),
        ("config-empty-overridden", dict(dp, config=[], state="overridden"), ("datapath '%s'" % DP, "config")),
        ("config-comma-string", dict(dp, config=GOOD_FLOW), ("config[0]",)),
        ("same-flow-other-actions", dict(dp, config=[GOOD_FLOW, _FLOW_OTHER_ACTIONS]), ("config[1]", "config[0]")),
        ("same-flow-other-actions-src", dict(dp, config=[GOOD_FLOW], src="{tmp}/other.flows"),
         (src_line("{tmp}/other.flows", 1), "config[0]")),
        ("overlapping-flows", dict(dp, config=list(OVERLAPPING)), ("datapath '%s'" % DP, "eth_type(0x1234) 1")),
        ("overlapping-flows-src", dict(dp, src="{tmp}/overlap.flows", state="overridden"),
         ("datapath '%s'" % DP, "eth_type(0x1234) 1")),
        ("datapath-missing", dict(good, datapath="nosuchdp0"), ("datapath 'nosuchdp0'",)),
        ("datapath-missing-gathered", {"datapath": "nosuchdp0", "state": "gathered"}, ("datapath 'nosuchdp0'",)),
        ("datapath-missing-deleted", {"datapath": "nosuchdp0", "state": "deleted"}, ("datapath 'nosuchdp0'",)),
        ("datapath-list", dict(good, datapath=[DP]), ("datapath '['%s']'" % DP,)),
        ("unknown-option", dict(good, color="red"), ("color",)),
        ("two-unknown-options", dict(good, color="red", size=3), ("color", "size")),
        ("running-config-bad-line", {"state": "parsed", "running_config": GOOD_FLOW + "\n\nin_port(1),eth(,2 2\n"},
         ("running_config line 3",)),
        ("running-config-garbage", {"state": "parsed", "running_config": "\x00\x01\x02"}, ("running_config line 1",)),
        ("src-empty-string", dict(dp, src=""), ("datapath '%s'" % DP, "src")),
        ("src-int", dict(dp, src=5), ("src '", "/5'")),
    )


def _vport_options():
    base = {"datapath": DP, "name": "vb1"}
    vx = dict(base, type="vxlan")
    return (
        ("no-args", {}, ("datapath", "name")),
        ("no-name", {"datapath": DP, "type": "internal"}, ("name",)),
        ("no-datapath", {"name": "vb1", "type": "internal"}, ("datapath",)),
        ("no-type", dict(base), ("state", "type")),
        ("type-bogus", dict(base, type="bogus"), ("type", "bogus")),
        ("type-upper", dict(base, type="INTERNAL"), ("type", "INTERNAL")),
        ("state-bogus", dict(base, type="internal", state="gone"), ("state", "gone")),
        ("port-no-word", dict(base, type="internal", port_no="x"), ("port_no",)),
        ("port-no-float", dict(base, type="internal", port_no=1.5), ("port_no",)),
        ("port-no-zero", dict(base, type="internal", port_no=0), ("vport 'vb1'", "port number 0")),
        ("port-no-negative", dict(base, type="internal", port_no=-1), ("vport 'vb1'", "port number -1")),
        ("port-no-65536", dict(base, type="internal", port_no=65536), ("vport 'vb1'", "port number 65536")),
        ("port-no-huge", dict(base, type="internal", port_no=2 ** 40), ("vport 'vb1'", "port number")),
        ("port-no-taken", dict(base, type="internal", port_no=1), ("vport 'vb1'", "port number 1", PORT_A)),
        ("options-word", dict(vx, options="x"), ("options",)),
        ("options-int", dict(vx, options=5), ("options",)),
        ("options-unknown", dict(vx, options={"bogus": 1}), ("options", "bogus")),
        ("dst-port-word", dict(vx, options={"dst_port": "x"}), ("dst_port",)),
        ("dst-port-zero", dict(vx, options={"dst_port": 0}), ("vport 'vb1'", "dst_port")),
        ("dst-port-70000", dict(base, type="geneve", options={"dst_port": 70000}), ("vport 'vb1'", "dst_port")),
        ("dst-port-negative", dict(vx, options={"dst_port": -5}), ("vport 'vb1'", "dst_port")),
        ("extensions-bogus", dict(vx, options={"extensions": ["foo"]}), ("extensions", "foo")),
        ("extensions-on-geneve", dict(base, type="geneve", options={"extensions": ["gbp"]}),
         ("vport 'vb1'", "extensions")),
        ("options-on-internal", dict(base, type="internal", options={"dst_port": 4789}), ("vport 'vb1'", "dst_port")),
        ("options-on-gre", dict(base, type="gre", options={"dst_port": 4789}), ("vport 'vb1'", "dst_port")),
        ("recreate-word", dict(base, type="internal", recreate="maybe"), ("recreate", "maybe")),
        ("force-list", dict(base, type="internal", force=[]), ("force",)),
        ("unknown-option", dict(base, type="internal", mtu=9000), ("mtu",)),
        ("type-change", {"datapath": DP, "name": PORT_A, "type": "vxlan"}, ("vport '%s'" % PORT_A, "type")),
        ("number-change", {"datapath": DP, "name": PORT_A, "type": "internal", "port_no": 7},
         ("vport '%s'" % PORT_A, "port number")),
        ("port-zero-absent", {"datapath": DP, "name": DP, "state": "absent"}, ("vport '%s'" % DP, "own port")),
        ("port-zero-present", {"datapath": DP, "name": DP, "type": "internal"}, ("vport '%s'" % DP, "port 0")),
        ("datapath-missing", {"datapath": "nosuchdp0", "name": "vb1", "type": "internal"},
         ("datapath 'nosuchdp0'",)),
        ("datapath-missing-absent", {"datapath": "nosuchdp0", "name": "vb1", "state": "absent"},
         ("datapath 'nosuchdp0'",)),
        ("netdev-missing", {"datapath": DP, "name": "nosuchdev0", "type": "netdev"}, ("vport 'nosuchdev0'",)),
        ("netdev-loopback", {"datapath": DP, "name": "lo", "type": "netdev"}, ("vport 'lo'",)),
    )


#: How a message may name the masks cache size: the option, or in words.
_CACHE = ("masks_cache_size", "masks cache size")


def _datapath_options():
    return (
        ("no-args", {}, ("name",)),
        ("state-bogus", {"name": DP, "state": "bogus"}, ("state", "bogus")),
        ("cache-word", {"name": DP, "masks_cache_size": "x"}, ("masks_cache_size",)),
        ("cache-3", {"name": DP, "masks_cache_size": 3}, ("datapath '%s'" % DP, _CACHE, "3")),
        ("cache-8192", {"name": DP, "masks_cache_size": 8192}, ("datapath '%s'" % DP, _CACHE, "8192")),
        ("cache-negative", {"name": DP, "masks_cache_size": -1}, ("datapath '%s'" % DP, _CACHE, "-1")),
        ("cache-2-32", {"name": DP, "masks_cache_size": 2 ** 32}, ("datapath '%s'" % DP, _CACHE, "4294967296")),
        ("new-cache-3", {"name": "dpbadnew", "masks_cache_size": 3}, ("datapath 'dpbadnew'", _CACHE, "3")),
        ("new-cache-negative", {"name": "dpbadnew", "masks_cache_size": -7},
         ("datapath 'dpbadnew'", _CACHE, "-7")),
        ("features-bogus", {"name": DP, "user_features": ["bogus"]}, ("user_features", "bogus")),
        ("features-string", {"name": DP, "user_features": "unaligned,bogus"}, ("user_features", "bogus")),
        ("features-int", {"name": DP, "user_features": [1]}, ("user_features", "1")),
        ("force-word", {"name": DP, "force": "x"}, ("force",)),
        ("unknown-option", {"name": DP, "ports": []}, ("ports",)),
        ("name-is-a-netdev", {"name": "lo"}, ("datapath 'lo'",)),
        ("name-is-a-vport", {"name": PORT_A}, ("datapath '%s'" % PORT_A,)),
    )


def _info_options():
    return (
        ("unknown-option", {"all": True}, ("all",)),
    )


#: Option cases run again in check mode, which must refuse what a real run
#: refuses: (module, ident).
IN_CHECK_MODE = (
    ("ovs_flow", "same-flow-other-actions"), ("ovs_flow", "overlapping-flows"),
    ("ovs_vport", "port-no-zero"), ("ovs_vport", "port-no-taken"), ("ovs_vport", "dst-port-70000"),
    ("ovs_vport", "type-change"), ("ovs_vport", "netdev-missing"), ("ovs_vport", "netdev-loopback"),
    ("ovs_datapath", "cache-3"), ("ovs_datapath", "cache-negative"), ("ovs_datapath", "new-cache-3"),
    ("ovs_datapath", "name-is-a-netdev"),
)


def option_cases() -> List[Case]:
    out = []
    for module, table in (("ovs_flow", _flow_options()), ("ovs_vport", _vport_options()),
                          ("ovs_datapath", _datapath_options()), ("ovs_datapath_info", _info_options())):
        for ident, args, names in table:
            files = ()
            if "{tmp}/other.flows" in str(args.get("src")):
                files = (("other.flows", "bytes", (_FLOW_OTHER_ACTIONS + "\n").encode()),)
            if "{tmp}/overlap.flows" in str(args.get("src")):
                files = (("overlap.flows", "bytes", "\n".join(OVERLAPPING).encode() + b"\n"),)
            out.append(Case("c-options", "%s-%s" % (module, ident), module, args, names, files=files,
                            os_error=ident == "src-int"))
            if (module, ident) in IN_CHECK_MODE:
                out.append(Case("c-options", "%s-%s-check" % (module, ident), module, args, names, files=files,
                                check=True))
    return out


# -- (d) host documents ------------------------------------------------------------------

ROOT = "dpif_ovs_datapaths"


def _dp(**kw) -> dict:
    return dict({"name": "dp0"}, **kw)


def _vp(**kw) -> dict:
    return dict({"name": "p1", "type": "internal"}, **kw)


# (the value of dpif_ovs_datapaths, the path of the field the message must name)
DOCUMENTS = (
    (None, ROOT), ("x", ROOT), (5, ROOT), ({"name": "dp0"}, ROOT),
    ([None], ROOT + "[0]"), ([[]], ROOT + "[0]"), (["dp0"], ROOT + "[0]"), ([{}], ROOT + "[0]"),
    ([{"name": 5}], ROOT + "[0].name"),
    ([_dp(bogus=1)], ROOT + "[0]"),
    ([_dp(masks_cache_size=-1)], ROOT + "[0].masks_cache_size"),
    ([_dp(masks_cache_size="512")], ROOT + "[0].masks_cache_size"),
    ([_dp(masks_cache_size=1.5)], ROOT + "[0].masks_cache_size"),
    ([_dp(masks_cache_size=True)], ROOT + "[0].masks_cache_size"),
    ([_dp(masks_cache_size=3)], ROOT + "[0].masks_cache_size"),
    ([_dp(masks_cache_size=8192)], ROOT + "[0].masks_cache_size"),
    ([_dp(masks_cache_size=2 ** 40)], ROOT + "[0].masks_cache_size"),
    ([_dp(user_features=["bogus"])], ROOT + "[0].user_features[0]"),
    ([_dp(user_features=["unaligned", "unaligned"])], ROOT + "[0].user_features"),
    ([_dp(user_features="unaligned")], ROOT + "[0].user_features"),
    ([_dp(force="yes")], ROOT + "[0].force"),
    ([_dp(purge_ports=1)], ROOT + "[0].purge_ports"),
    ([_dp(purge_flows="true")], ROOT + "[0].purge_flows"),
    ([_dp(vports={})], ROOT + "[0].vports"),
    ([_dp(vports=[None])], ROOT + "[0].vports[0]"),
    ([_dp(vports=[{"name": "p1"}])], ROOT + "[0].vports[0]"),
    ([_dp(vports=[{"type": "internal"}])], ROOT + "[0].vports[0]"),
    ([_dp(vports=[_vp(type="bogus")])], ROOT + "[0].vports[0].type"),
    ([_dp(vports=[_vp(port_no=0)])], ROOT + "[0].vports[0].port_no"),
    ([_dp(vports=[_vp(port_no=65280)])], ROOT + "[0].vports[0].port_no"),
    ([_dp(vports=[_vp(port_no="1")])], ROOT + "[0].vports[0].port_no"),
    ([_dp(vports=[_vp(port_no=True)])], ROOT + "[0].vports[0].port_no"),
    ([_dp(vports=[_vp(options={"dst_port": 4789})])], ROOT + "[0].vports[0].options"),
    ([_dp(vports=[_vp(type="gre", options={})])], ROOT + "[0].vports[0].options"),
    ([_dp(vports=[_vp(type="geneve", options={"extensions": ["gbp"]})])], ROOT + "[0].vports[0].options.extensions"),
    ([_dp(vports=[_vp(type="vxlan", options={"dst_port": 0})])], ROOT + "[0].vports[0].options.dst_port"),
    ([_dp(vports=[_vp(type="vxlan", options={"dst_port": 70000})])], ROOT + "[0].vports[0].options.dst_port"),
    ([_dp(vports=[_vp(type="vxlan", options={"dst_port": "4789"})])], ROOT + "[0].vports[0].options.dst_port"),
    ([_dp(vports=[_vp(type="vxlan", options={"extensions": ["foo"]})])],
     ROOT + "[0].vports[0].options.extensions[0]"),
    ([_dp(vports=[_vp(type="vxlan", options={"extensions": "gbp"})])], ROOT + "[0].vports[0].options.extensions"),
    ([_dp(vports=[_vp(type="vxlan", options={"extensions": ["gbp", "gbp"]})])],
     ROOT + "[0].vports[0].options.extensions"),
    ([_dp(vports=[_vp(type="vxlan", options={"bogus": 1})])], ROOT + "[0].vports[0].options"),
    ([_dp(vports=[_vp(recreate="no")])], ROOT + "[0].vports[0].recreate"),
    ([_dp(vports=[_vp(color="red")])], ROOT + "[0].vports[0]"),
    ([_dp(), _dp()], ROOT + "[1].name"),
    ([_dp(vports=[_vp(), _vp()])], ROOT + "[0].vports[1].name"),
    ([_dp(vports=[_vp(port_no=3), _vp(name="p2", port_no=3)])], ROOT + "[0].vports[1].port_no"),
    ([_dp(vports=[_vp(name="dp0")])], ROOT + "[0].vports[0].name"),
    ([_dp(flows="x")], ROOT + "[0].flows"),
    ([_dp(flows=[5])], ROOT + "[0].flows[0]"),
    ([_dp(flows=[None])], ROOT + "[0].flows[0]"),
    ([_dp(flows=["garbage"])], ROOT + "[0].flows[0]"),
    ([_dp(flows=["in_port(nosuch),eth() 2"])], ROOT + "[0].flows[0]"),
    ([_dp(vports=[_vp()], flows=["in_port(p1),eth() p1", "in_port(p1),eth() 7", "in_port(p1),eth() p1"])],
     ROOT + "[0].flows[1]"),
    ([_dp(flows=[{"in_port": 1, "vlan": {"vid": 5000}, "actions": []}])], ROOT + "[0].flows[0]"),
    ([_dp(flows=[{"in_port": 1}])], ROOT + "[0].flows[0]"),
    ([_dp(flows=[{"ipv5": {}, "actions": []}])], ROOT + "[0].flows[0]"),
    ([_dp(flows=[{"in_port": 1, "actions": "2"}])], ROOT + "[0].flows[0].actions"),
    ([_dp(flows=["in_port(1),eth() ct(zone=70000)"])], ROOT + "[0].flows[0]"),
    ([_dp(flows_file="")], ROOT + "[0].flows_file"),
    ([_dp(flows_file=5)], ROOT + "[0].flows_file"),
    ([_dp(), _dp(name="dp1", vports=[_vp(port_no=0)])], ROOT + "[1].vports[0].port_no"),
)


def document_cases() -> List[Case]:
    out = []
    for i, (value, path) in enumerate(DOCUMENTS):
        out.append(Case("d-host-document", "doc-%02d" % i, "ovs_state_validate", {"datapaths": value},
                        ("%s: " % path,)))
    return out


#: State files for the boot-time restore command: (name, command, bytes, what the message must name).
STATE_FILES = (
    ("not-json", "restore", b"{not json", ("{tmp}/not-json",)),
    ("binary", "restore", bytes(range(256)) * 4, ("{tmp}/binary",)),
    ("nul-bytes", "check", b"\x00" * 64, ("{tmp}/nul-bytes",)),
    ("a-list", "restore", b"[]", ("{tmp}/a-list", "document: ")),
    ("no-root", "check", b'{"datapaths": []}', ("{tmp}/no-root", "document: ")),
    ("bad-port", "restore", b'{"dpif_ovs_datapaths": [{"name": "dp0", "vports": '
                            b'[{"name": "p", "type": "internal", "port_no": 0}]}]}',
     ("{tmp}/bad-port", ROOT + "[0].vports[0].port_no: ")),
    ("bad-flow", "restore", b'{"dpif_ovs_datapaths": [{"name": "' + DP.encode()
     + b'", "flows": ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.300) 2"]}]}',
     ("{tmp}/bad-flow", ROOT + "[0].flows[0]: ")),
)


def cli_cases() -> List[Case]:
    out = []
    for name, command, data, names in STATE_FILES:
        out.append(Case("d-host-document", "restore-" + name, "cli", [command, "{tmp}/" + name], names,
                        files=((name, "bytes", data),)))
    out.append(Case("d-host-document", "restore-missing", "cli", ["restore", "{tmp}/missing"],
                    ("{tmp}/missing",), os_error=True))
    out.append(Case("d-host-document", "restore-directory", "cli", ["restore", "{tmp}/state"],
                    ("{tmp}/state",), files=(("state", "dir", None),), os_error=True))
    out.append(Case("d-host-document", "restore-fifo", "cli", ["restore", "{tmp}/fifo"],
                    ("{tmp}/fifo",), files=(("fifo", "fifo", None),)))
    return out


# -- (e) src files ---------------------------------------------------------------------------

def _garbage(seed: int, size: int, first: bytes) -> bytes:
    r = random.Random(seed)
    return first + bytes(r.randrange(256) for _i in range(size))


def _printable(seed: int, size: int) -> bytes:
    r = random.Random(seed)
    return "".join(r.choice("abcdefgxyz0123456789(),=/:. ") for _i in range(size)).encode() + b"\n"


_G = GOOD_FLOW.encode()
_G2 = GOOD_FLOW.replace("10.9.9.9", "10.9.9.8").encode()
_G3 = GOOD_FLOW.replace("10.9.9.9", "10.9.9.7").encode()
_BAD = b"in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.300,frag=no) 2"
_MB = 1 << 20

# (name, kind, data, what the message must name besides the path, os words allowed)
SRC_FILES = (
    ("garbage-1", "bytes", _garbage(1, 4096, b"\xff"), ("line 1", "not UTF-8"), False),
    ("garbage-2", "bytes", _garbage(2, 65536, b"\xfe\xff"), ("line 1", "not UTF-8"), False),
    ("garbage-3", "bytes", _G + b"\n" + _garbage(3, 2048, b"\x80"), ("line 2", "not UTF-8"), False),
    ("garbage-printable", "bytes", _printable(4, 300), ("line 1",), False),
    ("nul-only", "bytes", b"\x00" * 100, ("line 1",), False),
    ("nul-inside", "bytes", _G + b"\n" + _G2[:20] + b"\x00" + _G2[20:] + b"\n", ("line 2",), False),
    ("nul-at-end", "bytes", _G + b"\x00\n", ("line 1",), False),
    ("crlf-bad-line-3", "bytes", _G + b"\r\n" + _G2 + b"\r\n" + _BAD + b"\r\n", ("line 3",), False),
    ("cr-bad-line-2", "bytes", _G + b"\r" + _BAD + b"\r", ("line 2",), False),
    ("crlf-bad-line-5", "bytes", b"# head\r\n\r\n" + _G + b"\r\n\r\n" + _BAD + b"\r\n", ("line 5",), False),
    ("line-1mb", "bytes", _G + b"\n" + b"x" * _MB + b"\n", ("line 2", "1048576 bytes"), False),
    ("line-1mb-flow", "bytes", b"in_port(1)," + b"eth()," * (_MB // 6) + b" 2\n", ("line 1", "bytes long"), False),
    ("line-64k-plus-1", "bytes", b"# " + b"c" * (64 * 1024 - 1) + b"\n", ("line 1", "65537 bytes"), False),
    ("invalid-utf8", "bytes", _G + b"\nin_port(1),eth() \xc3\x28\n", ("line 2", "byte 18"), False),
    ("overlong-utf8", "bytes", b"in_port(1),eth() \xc0\xaf\n", ("line 1", "not UTF-8"), False),
    ("utf16", "bytes", "\ufeff" .join(["", GOOD_FLOW + "\n"]).encode("utf-16"), ("line 1",), False),
    ("utf8-bom", "bytes", b"\xef\xbb\xbf" + _G + b"\n", ("line 1",), False),
    ("only-bad-after-good", "bytes", _G + b"\n" + _G2 + b"\n" + _G3 + b"\n" + _BAD + b"\n", ("line 4",), False),
    ("thousand-lines", "bytes", b"".join(
        b"in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.8.%d.%d,frag=no) 2\n" % (i >> 8, i & 255)
        for i in range(999)) + _BAD + b"\n", ("line 1000",), False),
    ("same-flow-twice", "bytes", _G + b"\n\n" + _G[:-1] + b"1\n", ("line 3", "line 1"), False),
    ("directory", "dir", None, ("directory",), False),
    ("fifo", "fifo", None, ("FIFO",), False),
    ("socket", "socket", None, ("socket",), False),
    ("link-to-zero", "symlink", "/dev/zero", ("character device",), False),
    ("sparse-256mb", "sparse", (256 << 20) + 1, ("256 MiB",), False),
    ("missing", None, None, (), True),
)
#: Paths outside {tmp}: (path, what the message must name besides the path).
SRC_PATHS = (
    ("/dev/zero", ("character device",)),
    ("/dev/null", ("character device",)),
    ("/proc/self/mem", ()),
    ("/etc/passwd", ("line 1",)),
    ("{tmp}/no/such/dir/flows", ()),
)


def _src_names(path: str, names: tuple) -> tuple:
    """What a src case's message must name: the file, with its line when
    the case is about one (``names`` then starts with ``line N``)."""
    if names and names[0].startswith("line "):
        return (src_line(path, int(names[0][5:])),) + names[1:]
    return ("src '%s'" % path,) + names


def src_cases() -> List[Case]:
    out = []
    for i, (name, kind, data, names, os_error) in enumerate(SRC_FILES):
        path = "{tmp}/" + name
        args = {"datapath": DP, "src": path, "state": ("merged", "overridden", "replaced")[i % 3]}
        if i % 5 == 4:
            args = {"src": path, "state": "rendered"}
        files = ((name, kind, data),) if kind else ()
        out.append(Case("e-src", "src-" + name, "ovs_flow", args, _src_names(path, names), files=files,
                        os_error=os_error))
    for path, names in SRC_PATHS:
        out.append(Case("e-src", "src-path-" + path.replace("/", "-").strip("-"), "ovs_flow",
                        {"datapath": DP, "src": path}, _src_names(path, names),
                        os_error=not names or path.startswith("{tmp}")))
    out.append(Case("e-src", "src-with-config", "ovs_flow", {"datapath": DP, "config": [GOOD_FLOW],
                                                             "src": "{tmp}/bad.flows"},
                    (src_line("{tmp}/bad.flows", 1),), files=(("bad.flows", "bytes", _BAD + b"\n"),)))
    return out


# -- (f) port and datapath names ---------------------------------------------------------

#: Names no device may have: too long (in bytes), '/', ':', white space
#: (the kernel's isspace() includes byte 0xa0, found in UTF-8 'à'), NUL,
#: empty, '.' and '..'.
BAD_NAMES = (
    "a" * 16, "x" * 64, "a/b", "/", "a\nb", "a b", "a\tb", " lead", "trail ", "", ".", "..",
    "\u00e9" * 8, "\U0001F600" * 4, "nb\u00a0sp", "em\u2003sp", "a:b", "dp\u00e0", "nul\x00x",
)


def _named(kind: str, n: str):
    """``kind 'n'`` as a message names it: a NUL may be written ``\\0``."""
    return ("%s '%s'" % (kind, n), "%s '%s'" % (kind, n.replace("\0", "\\0")))


def _name_entry_points(n: str):
    """(entry point, args, what the message must name) for bad name ``n``."""
    yield "datapath", "ovs_datapath", {"name": n}, (_named("datapath", n),) if n else ("datapath", "name")
    yield "vport", "ovs_vport", {"datapath": DP, "name": n, "type": "internal"}, \
        (_named("vport", n),) if n else ("vport", "name")
    yield "vport-dp", "ovs_vport", {"datapath": n, "name": "vb1", "type": "internal"}, \
        (_named("datapath", n),) if n else ("datapath", "name")
    yield "flow-dp", "ovs_flow", {"datapath": n, "config": [GOOD_FLOW]}, \
        (_named("datapath", n),) if n else ("datapath",)
    if n:       # an empty name asks ovs_datapath_info for every datapath
        yield "info", "ovs_datapath_info", {"name": n}, (_named("datapath", n),)
    yield "doc-dp", "ovs_state_validate", {"datapaths": [{"name": n}]}, (ROOT + "[0].name: ",)
    yield "doc-vport", "ovs_state_validate", {"datapaths": [_dp(vports=[_vp(name=n)])]}, \
        (ROOT + "[0].vports[0].name: ",)


def name_cases() -> List[Case]:
    out = []
    for i, n in enumerate(BAD_NAMES):
        for where, module, args, names in _name_entry_points(n):
            out.append(Case("f-names", "name-%02d-%s" % (i, where), module, args, names))
        out.append(Case("f-names", "name-%02d-in-port" % i, "ovs_flow",
                        {"datapath": DP, "config": ["in_port(%s),eth() 2" % n]}, ("config[0]: flow '",),
                        flow_field=True))
    return out


def corpus() -> Tuple[List[Case], int]:
    """Every case, in a fixed order, and how many fuzzed mutants were left
    out because the front end took them."""
    fuzzed, took = flow_text_cases()
    return (fuzzed + structured_cases() + option_cases() + document_cases() + cli_cases() + src_cases()
            + name_cases()), took
