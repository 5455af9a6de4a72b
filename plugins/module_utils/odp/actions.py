# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action table: one literal row per ``OVS_ACTION_ATTR_*``.

A row gives the attribute number, the text name, the payload size (fixed,
NESTED or VARIABLE), the nested sub-table when the payload is a list of
attributes, the first kernel that accepts it and a doc line. The wire codec
takes its nesting from here; the text parser and printer key their
per-action functions on the same numbers.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from collections import namedtuple

from ansible_collections.dpif.ovs.plugins.module_utils.odp.keys import NESTED, VARIABLE

ACT_OUTPUT = 1
ACT_USERSPACE = 2
ACT_SET = 3
ACT_PUSH_VLAN = 4
ACT_POP_VLAN = 5
ACT_SAMPLE = 6
ACT_RECIRC = 7
ACT_HASH = 8
ACT_PUSH_MPLS = 9
ACT_POP_MPLS = 10
ACT_SET_MASKED = 11
ACT_CT = 12
ACT_TRUNC = 13
ACT_PUSH_ETH = 14
ACT_POP_ETH = 15
ACT_CT_CLEAR = 16
ACT_PUSH_NSH = 17
ACT_POP_NSH = 18
ACT_METER = 19
ACT_CLONE = 20
ACT_CHECK_PKT_LEN = 21
ACT_ADD_MPLS = 22
ACT_DEC_TTL = 23
ACT_DROP = 24
ACT_PSAMPLE = 25

# Nested attribute numbers.
USERSPACE_PID = 1
USERSPACE_USERDATA = 2
USERSPACE_EGRESS_TUN_PORT = 3
USERSPACE_ACTIONS = 4
SAMPLE_PROBABILITY = 1
SAMPLE_ACTIONS = 2
CT_COMMIT = 1
CT_ZONE = 2
CT_MARK = 3
CT_LABELS = 4
CT_HELPER = 5
CT_NAT = 6
CT_FORCE_COMMIT = 7
CT_EVENTMASK = 8
CT_TIMEOUT = 9
NAT_SRC = 1
NAT_DST = 2
NAT_IP_MIN = 3
NAT_IP_MAX = 4
NAT_PROTO_MIN = 5
NAT_PROTO_MAX = 6
NAT_PERSISTENT = 7
NAT_PROTO_HASH = 8
NAT_PROTO_RANDOM = 9
CPL_PKT_LEN = 1
CPL_ACTIONS_IF_GREATER = 2
CPL_ACTIONS_IF_LESS_EQUAL = 3
DEC_TTL_ACTION = 1
PSAMPLE_GROUP = 1
PSAMPLE_COOKIE = 2
HASH_ALG_L4 = 0
HASH_ALG_SYM_L4 = 1

# Kernel versions as tuples; the default target is the 6.1 uapi.
KERNEL_6_1 = (6, 1)
MAX_ACTION_6_1 = ACT_DEC_TTL
MAX_NESTING = 16          # OVS_COPY_ACTIONS_MAX_DEPTH
MAX_ATTR_PAYLOAD = 65535 - 4

ActionAttr = namedtuple("ActionAttr", "num name size layout nested since userspace_only doc")
ActionAttr.__doc__ = """One action attribute.

num: OVS_ACTION_ATTR_*; name: text keyword; size: payload bytes, NESTED or
VARIABLE; layout: struct.Struct for fixed payloads; nested: name of the
sub-table for nested payloads ("actions", "key", "userspace", ...);
since: first kernel (major, minor) that accepts it; userspace_only: never
valid for the kernel datapath; doc: one line.
"""


def _s(fmt):
    return struct.Struct(fmt)


ACTION_TABLE = (
    ActionAttr(ACT_OUTPUT, "output", 4, _s("=I"), None, (3, 3), False, "send to a port (u32)"),
    ActionAttr(ACT_USERSPACE, "userspace", NESTED, None, "userspace", (3, 3), False, "upcall to a netlink pid"),
    ActionAttr(ACT_SET, "set", NESTED, None, "key", (3, 3), False, "overwrite one key attribute"),
    ActionAttr(ACT_PUSH_VLAN, "push_vlan", 4, _s("!HH"), None, (3, 3), False, "push an 802.1Q header (tpid, tci)"),
    ActionAttr(ACT_POP_VLAN, "pop_vlan", 0, None, None, (3, 3), False, "pop the outer VLAN header"),
    ActionAttr(ACT_SAMPLE, "sample", NESTED, None, "sample", (3, 3), False, "run actions with a probability"),
    ActionAttr(ACT_RECIRC, "recirc", 4, _s("=I"), None, (3, 19), False, "recirculate with a new recirc_id"),
    ActionAttr(ACT_HASH, "hash", 8, _s("=II"), None, (3, 19), False, "compute dp_hash (alg, basis)"),
    ActionAttr(ACT_PUSH_MPLS, "push_mpls", 8, _s("!IH2x"), None, (3, 19), False, "push an MPLS LSE (lse, ethertype)"),
    ActionAttr(ACT_POP_MPLS, "pop_mpls", 2, _s("!H"), None, (3, 19), False, "pop an MPLS LSE (next ethertype)"),
    ActionAttr(ACT_SET_MASKED, "set_masked", NESTED, None, "masked", (4, 0), False,
               "overwrite masked bits of one key attribute (value || mask)"),
    ActionAttr(ACT_CT, "ct", NESTED, None, "ct", (4, 3), False, "send through conntrack"),
    ActionAttr(ACT_TRUNC, "trunc", 4, _s("=I"), None, (4, 10), False, "truncate on output (max_len >= 14)"),
    ActionAttr(ACT_PUSH_ETH, "push_eth", 12, _s("!6s6s"), None, (4, 12), False, "push an Ethernet header (src, dst)"),
    ActionAttr(ACT_POP_ETH, "pop_eth", 0, None, None, (4, 12), False, "pop the Ethernet header"),
    ActionAttr(ACT_CT_CLEAR, "ct_clear", 0, None, None, (4, 18), False, "clear conntrack state"),
    ActionAttr(ACT_PUSH_NSH, "push_nsh", NESTED, None, "nsh", (4, 16), False, "push an NSH header"),
    ActionAttr(ACT_POP_NSH, "pop_nsh", 0, None, None, (4, 16), False, "pop the NSH header"),
    ActionAttr(ACT_METER, "meter", 4, _s("=I"), None, (4, 15), False, "apply a meter (u32 id)"),
    ActionAttr(ACT_CLONE, "clone", NESTED, None, "actions", (4, 15), False, "run actions on a copy"),
    ActionAttr(ACT_CHECK_PKT_LEN, "check_pkt_len", NESTED, None, "check_pkt_len", (5, 2), False,
               "branch on packet length"),
    ActionAttr(ACT_ADD_MPLS, "add_mpls", 8, _s("!IHH"), None, (5, 14), False,
               "add an MPLS LSE (lse, ethertype, tun_flags in host order)"),
    ActionAttr(ACT_DEC_TTL, "dec_ttl", NESTED, None, "dec_ttl", (5, 7), False, "decrement TTL, else run actions"),
    ActionAttr(ACT_DROP, "drop", 4, _s("=I"), None, (6, 6), False, "explicit drop with a reason (u32)"),
    ActionAttr(ACT_PSAMPLE, "psample", NESTED, None, "psample", (6, 11), False, "sample to a psample group"),
)

ACTION_BY_NUM = {row.num: row for row in ACTION_TABLE}
ACTION_BY_NAME = {row.name: row for row in ACTION_TABLE}

# Actions ovs-vswitchd's userspace datapath knows that the kernel never does.
USERSPACE_ONLY_ACTIONS = frozenset(("tnl_push", "tnl_pop", "lb_output", "slow_path"))

# Parsed-but-not-kernel keywords and why, for error messages.
UNSUPPORTED_REASONS = {
    "tnl_push": "tnl_push is a userspace-datapath action; the kernel datapath has no such action",
    "tnl_pop": "tnl_pop is a userspace-datapath action; the kernel datapath has no such action",
    "lb_output": "lb_output is a userspace-datapath action (balance-tcp bonds)",
    "encap_nsh": "encap_nsh is not an action",
}


def _check_tables():
    for row in ACTION_TABLE:
        if row.layout is not None:
            if row.layout.size != row.size:
                raise AssertionError("action %s: layout size %d != %d" % (row.name, row.layout.size, row.size))
        if (row.size == NESTED) != (row.nested is not None):
            raise AssertionError("action %s: nested/size mismatch" % row.name)
    if len(ACTION_BY_NUM) != len(ACTION_TABLE) or len(ACTION_BY_NAME) != len(ACTION_TABLE):
        raise AssertionError("duplicate action number or name")
    if VARIABLE >= 0:
        raise AssertionError("VARIABLE must be negative")


_check_tables()
