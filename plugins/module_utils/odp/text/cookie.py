# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The userspace action's cookie in the ovs-dpctl text form.

:func:`parse_cookie` gives the 48 userdata bytes of ``sFlow(...)``,
``slow_path(...)``, ``flow_sample(...)``, ``ipfix(...)`` or
``controller(...)`` (:data:`COOKIE_TYPES`: name -> cookie type);
:func:`fmt_cookie` prints userdata in that form as ovs-dpctl does, or
returns None when ovs-dpctl prints it as plain ``userdata(HEX)``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import fields, hex, num

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U32 = odp_keys.U32
_U16 = odp_keys.U16


# ovs-vswitchd's user_action_cookie, as ovs-dpctl 3.1 writes and reads it in
# userdata (observed byte for byte in the sandbox): 48 bytes, host order
# except where noted.
#   0 u16 type (1 sFlow, 2 slow_path, 3 flow_sample, 4 ipfix, 5 controller)
#   2 has_meter, pad; 4 u32 ofp_in_port (0xffff as written); 8 16-byte uuid
#  24 the type's fields:
#     sFlow:       24 be16 vlan_tci, 28 u32 output
#     slow_path:   28 u32 reason bits
#     flow_sample: 24 u16 probability, 28 u32 collector_set_id, 32 u32
#                  obs_domain_id, 36 u32 obs_point_id, 40 u32 output_port,
#                  44 u32 direction (1 ingress, 2 egress)
#     ipfix:       24 u32 output_port
#     controller:  24 u8 dont_send, 25 u8 continuation, 26 u16 reason,
#                  28 u32 recirc_id, 32 be64 rule_cookie, 40 u16
#                  controller_id, 42 u16 max_len
# ovs-dpctl prints the cookie form for any 48-byte userdata whose type is 1
# to 5, whatever the other header bytes hold; anything else is userdata(HEX).
COOKIE_SIZE = 48
COOKIE_TYPES = {"sFlow": 1, "slow_path": 2, "flow_sample": 3, "ipfix": 4, "controller": 5}
_COOKIE_HEAD = struct.Struct("=HBxI16x")
# The bodies after the head (offset 24), each read and written by the same
# Struct: sFlow's TCI is big-endian and its output port native, so two.
_SFLOW_TCI = struct.Struct("!H")
_SFLOW_OUTPUT = struct.Struct("=2xI16x")
_SLOW_PATH = struct.Struct("=4xI16x")
_FLOW_SAMPLE = struct.Struct("=H2xIIIII")
_IPFIX = struct.Struct("=I20x")
_CONTROLLER = struct.Struct("=BBHI")
_CONTROLLER_COOKIE = struct.Struct("!Q")
_CONTROLLER_TAIL = struct.Struct("=HH4x")
_SLOW_PATH_REASONS = (("cfm", 0x1), ("bfd", 0x2), ("lacp", 0x4), ("stp", 0x8), ("lldp", 0x10),
                      ("action", 0x20), ("match", 0x40))
_SLOW_BY_NAME = dict(_SLOW_PATH_REASONS)
_COOKIE_FIELDS = {      # text fields in print order: (name, bits)
    1: (("vid", 12), ("pcp", 3), ("output", 32)),
    3: (("probability", 16), ("collector_set_id", 32), ("obs_domain_id", 32), ("obs_point_id", 32),
        ("output_port", 32)),
    4: (("output_port", 32),),
    5: (("reason", 16), ("dont_send", 1), ("continuation", 1), ("recirc_id", 32), ("rule_cookie", 64),
        ("controller_id", 16), ("max_len", 16)),
}


def parse_cookie(name, ctype, body, pos, ctx):
    """The 48 userdata bytes for sFlow(...), slow_path(...), flow_sample(...),
    ipfix(...) or controller(...)."""
    field = "actions.userspace." + name
    head = _COOKIE_HEAD.pack(ctype, 0, 0xFFFF)
    if ctype == 2:
        reason = 0
        for item, ipos in fields(body, pos):
            if item[:1].isdigit():
                reason |= num(item, ctx, field, ipos)
            elif item in _SLOW_BY_NAME:
                reason |= _SLOW_BY_NAME[item]
            else:
                raise ctx.err("unknown slow_path reason %r" % item, field, ipos)
        return head + _SLOW_PATH.pack(reason)
    vals = {}
    direction = 0
    for item, ipos in fields(body, pos):
        k, eq, v = item.partition("=")
        if ctype == 3 and not eq and item in ("ingress", "egress"):
            direction = 1 if item == "ingress" else 2
            continue
        bits = dict(_COOKIE_FIELDS[ctype]).get(k)
        if bits is None or not eq or k in vals:
            raise ctx.err("unknown or repeated %s field %r" % (name, k), field + "." + k, ipos)
        vals[k] = num(v, ctx, field + "." + k, ipos + len(k) + 1, bits)
    missing = [k for k, _b in _COOKIE_FIELDS[ctype] if k not in vals]
    if missing:
        raise ctx.err("%s needs %s" % (name, ",".join(k + "=" for k in missing)), field, pos)
    field_value = vals.get
    if ctype == 1:
        tci = (field_value("pcp") << odp_keys.VLAN_PCP_SHIFT) | field_value("vid")
        if tci:
            tci |= odp_keys.VLAN_CFI
        tail = _SFLOW_TCI.pack(tci) + _SFLOW_OUTPUT.pack(field_value("output"))
    elif ctype == 3:
        tail = _FLOW_SAMPLE.pack(field_value("probability"), field_value("collector_set_id"),
                                 field_value("obs_domain_id"), field_value("obs_point_id"), field_value("output_port"),
                                 direction)
    elif ctype == 4:
        tail = _IPFIX.pack(field_value("output_port"))
    else:
        tail = (_CONTROLLER.pack(field_value("dont_send"), field_value("continuation"), field_value("reason"),
                                 field_value("recirc_id"))
                + _CONTROLLER_COOKIE.pack(field_value("rule_cookie"))
                + _CONTROLLER_TAIL.pack(field_value("controller_id"), field_value("max_len")))
    return head + tail


def fmt_cookie(userdata):
    """The cookie form of 48-byte userdata as ovs-dpctl prints it, or None."""
    if len(userdata) != COOKIE_SIZE:
        return None
    ctype = _U16.unpack(userdata[:2])[0]
    if ctype == 1:
        tci = _SFLOW_TCI.unpack_from(userdata, 24)[0]
        return "sFlow(vid=%d,pcp=%d,output=%d)" % (tci & odp_keys.VLAN_VID_MASK, tci >> odp_keys.VLAN_PCP_SHIFT,
                                                   _SFLOW_OUTPUT.unpack_from(userdata, 26)[0])
    if ctype == 2:
        reason = _SLOW_PATH.unpack_from(userdata, 24)[0]
        if not reason:
            return "slow_path(0)"
        names = [n for n, b in _SLOW_PATH_REASONS if reason & b]
        rest = reason & ~0x7F
        if rest:
            names.append("0x%x" % rest)
        return "slow_path(%s)" % ",".join(names)
    if ctype == 3:
        prob, collector_set, obs_domain, obs_point, port, direction = _FLOW_SAMPLE.unpack_from(userdata, 24)
        s = "flow_sample(probability=%d,collector_set_id=%d,obs_domain_id=%d,obs_point_id=%d,output_port=%d" % (
            prob, collector_set, obs_domain, obs_point, port)
        return s + {1: ",ingress)", 2: ",egress)"}.get(direction, ")")
    if ctype == 4:
        return "ipfix(output_port=%d)" % _IPFIX.unpack_from(userdata, 24)[0]
    if ctype == 5:
        dont_send, cont, reason, recirc = _CONTROLLER.unpack_from(userdata, 24)
        cookie = _CONTROLLER_COOKIE.unpack_from(userdata, 32)[0]
        cid, max_len = _CONTROLLER_TAIL.unpack_from(userdata, 40)
        return ("controller(reason=%d,dont_send=%d,continuation=%d,recirc_id=%d,rule_cookie=%s,controller_id=%d,"
                "max_len=%d)" % (reason, 1 if dont_send else 0, 1 if cont else 0, recirc, hex(cookie), cid, max_len))
    return None
