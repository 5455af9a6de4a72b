# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text codecs of the actions whose payload is a list of attributes.

set, set_masked, push_nsh (a key attribute inside), sample, clone,
check_pkt_len, dec_ttl (action lists inside), userspace (with its cookie,
cookie.py) and psample. The codecs have the shapes of the other action
codecs (see actions_basic.py); action_table.py registers them.

An inner action list is parsed and printed by action_table.py, which is
listed after this file because it imports it; it hands its list parser
and printer in through :func:`bind_action_lists` when it is imported.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
import ansible_collections.dpif.ovs.plugins.module_utils.odp.text.cookie as text_cookie
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.actions_basic import parse_keywords
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.cookie import fmt_cookie, parse_cookie
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_parse import key_parser
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_print import format_attr, nsh_values
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import all_ones, bytes_hex, fields, items, num

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U32 = odp_keys.U32
_U16 = odp_keys.U16
COOKIE_TYPES = text_cookie.COOKIE_TYPES

# Set by bind_action_lists: parse_action_list(text, start, end, ctx, depth, what)
# and format_actions(actions, names) of action_table.py.
_parse_action_list = None
_format_actions = None


def bind_action_lists(parse_action_list, format_actions):
    """Hand in the action-list parser and printer the nested actions recurse into."""
    global _parse_action_list, _format_actions
    _parse_action_list = parse_action_list
    _format_actions = format_actions


def _inner_actions(text, start, end, ctx, depth, what):
    """The action list ``text[start:end]`` inside an action at ``depth``."""
    # A bound on the parser's recursion, not the kernel's rule: twice the kernel's copy depth
    # (32, as MAX_ODP_NESTED); the kernel refuses what nests deeper than its own limit.
    if depth >= odp_actions.MAX_NESTING * 2:
        raise ctx.err("actions nested too deeply", what, start)
    return _parse_action_list(text, start, end, ctx, depth + 1, what)


def parse_set(text, start, end, ctx, depth):
    """``set(KEY(...))``: set, or set_masked when a mask is given that is not all ones."""
    set_items = items(text, start, end, ctx, "actions.set")
    if len(set_items) != 1 or set_items[0][2] is None:
        raise ctx.err("set needs exactly one key attribute", "actions.set", start)
    name, pos, key_start, key_end = set_items[0]
    key_num, parser = key_parser(name, ctx, pos)
    key, mask = parser(text[key_start:key_end], key_start, ctx, 0)
    if key.__class__ is tuple:      # a nested key (tunnel, nsh) is never masked
        return (odp_actions.ACT_SET, ((key_num, key),))
    if all_ones(mask):
        return (odp_actions.ACT_SET, ((key_num, key),))
    return (odp_actions.ACT_SET_MASKED, ((key_num, key + mask),))


def print_set(payload, names):
    """``set(KEY(...))``."""
    (key_num, value), = payload
    return "set(" + format_attr(key_num, value, None, True, None) + ")"


def print_set_masked(payload, names):
    """``set(KEY(VALUE/MASK))``; None (printed raw) for NSH, which has no masked text form."""
    (key_num, value_mask), = payload
    if key_num == odp_keys.KEY_NSH:
        return None
    half = len(value_mask) // 2
    return "set(" + format_attr(key_num, value_mask[:half], value_mask[half:], False, None) + ")"


_SAMPLE_PCT_MSG = "sample probability must end with %"
_SAMPLE_NEEDS_MSG = "sample needs sample=P% and actions(...)"


def parse_sample(text, start, end, ctx, depth):
    """``sample(sample=P%,actions(...))``."""
    probability = None
    acts = None
    for item, item_pos in fields(text[start:end], start):
        if item.startswith("sample="):
            pct_text = item[7:]
            if not pct_text.endswith("%"):
                raise ctx.err(_SAMPLE_PCT_MSG, "actions.sample", item_pos)
            try:
                pct = float(pct_text[:-1])
            except ValueError:
                raise ctx.err("bad sample percentage %r" % pct_text, "actions.sample", item_pos) from None
            if not 0.0 <= pct <= 100.0:
                raise ctx.err("sample percentage must be 0 to 100", "actions.sample", item_pos)
            probability = int(pct / 100.0 * 0xFFFFFFFF)
        elif item.startswith("actions(") and item.endswith(")"):
            acts = _inner_actions(text, item_pos + 8, item_pos + len(item) - 1, ctx, depth, "actions.sample.actions")
        else:
            raise ctx.err("unknown sample argument %r" % item, "actions.sample", item_pos)
    if probability is None or acts is None:
        raise ctx.err(_SAMPLE_NEEDS_MSG, "actions.sample", start)
    return (odp_actions.ACT_SAMPLE, ((odp_actions.SAMPLE_PROBABILITY, _U32.pack(probability)),
                                     (odp_actions.SAMPLE_ACTIONS, acts)))


def print_sample(payload, names):
    """``sample(sample=P%,actions(...))``, the percentage to one decimal."""
    attrs = dict(payload)
    probability = _U32.unpack(attrs[odp_actions.SAMPLE_PROBABILITY])[0]
    return "sample(sample=%.1f%%,actions(%s))" % (100.0 * probability / 0xFFFFFFFF,
                                                  _format_actions(attrs.get(odp_actions.SAMPLE_ACTIONS, ()), names))


def parse_clone(text, start, end, ctx, depth):
    """``clone(ACTIONS)``."""
    return (odp_actions.ACT_CLONE, _inner_actions(text, start, end, ctx, depth, "actions.clone"))


def print_clone(payload, names):
    """``clone(ACTIONS)``."""
    return "clone(%s)" % _format_actions(payload, names)


def parse_check_pkt_len(text, start, end, ctx, depth):
    """``check_pkt_len(size=N,gt(ACTIONS),le(ACTIONS))``."""
    size = greater = less_equal = None
    for item, item_pos in fields(text[start:end], start):
        if item.startswith("size="):
            size = num(item[5:], ctx, "actions.check_pkt_len.size", item_pos + 5, 16)
        elif item.startswith("gt(") and item.endswith(")"):
            greater = _inner_actions(text, item_pos + 3, item_pos + len(item) - 1, ctx, depth,
                                     "actions.check_pkt_len.gt")
        elif item.startswith("le(") and item.endswith(")"):
            less_equal = _inner_actions(text, item_pos + 3, item_pos + len(item) - 1, ctx, depth,
                                        "actions.check_pkt_len.le")
        else:
            raise ctx.err("unknown check_pkt_len argument %r" % item, "actions.check_pkt_len", item_pos)
    if size is None or greater is None or less_equal is None:
        raise ctx.err("check_pkt_len needs size=, gt(...) and le(...)", "actions.check_pkt_len", start)
    return (odp_actions.ACT_CHECK_PKT_LEN, ((odp_actions.CPL_PKT_LEN, _U16.pack(size)),
                                            (odp_actions.CPL_ACTIONS_IF_GREATER, greater),
                                            (odp_actions.CPL_ACTIONS_IF_LESS_EQUAL, less_equal)))


def print_check_pkt_len(payload, names):
    """``check_pkt_len(size=N,gt(ACTIONS),le(ACTIONS))``."""
    attrs = dict(payload)
    return "check_pkt_len(size=%d,gt(%s),le(%s))" % (
        _U16.unpack(attrs[odp_actions.CPL_PKT_LEN])[0],
        _format_actions(attrs.get(odp_actions.CPL_ACTIONS_IF_GREATER, ()), names),
        _format_actions(attrs.get(odp_actions.CPL_ACTIONS_IF_LESS_EQUAL, ()), names))


def parse_dec_ttl(text, start, end, ctx, depth):
    """``dec_ttl(le_1(ACTIONS))``: the actions run when the TTL would reach 0."""
    body = text[start:end]
    if not (body.startswith("le_1(") and body.endswith(")")):
        raise ctx.err("dec_ttl needs le_1(...)", "actions.dec_ttl", start)
    acts = _inner_actions(text, start + 5, end - 1, ctx, depth, "actions.dec_ttl.le_1")
    return (odp_actions.ACT_DEC_TTL, ((odp_actions.DEC_TTL_ACTION, acts),))


def print_dec_ttl(payload, names):
    """``dec_ttl(le_1(ACTIONS))``."""
    attrs = dict(payload)
    return "dec_ttl(le_1(%s))" % _format_actions(attrs.get(odp_actions.DEC_TTL_ACTION, ()), names)


def parse_push_nsh(text, start, end, ctx, depth):
    """``push_nsh(flags=,ttl=,mdtype=,np=,spi=,si=,c1=..c4=|md2=HEX)``; unset fields take defaults."""
    kv = parse_keywords(text, start, end, ctx, "actions.push_nsh")
    values = {"flags": 0, "ttl": 63, "mdtype": 1, "np": 3, "spi": 0, "si": 255, "c1": 0, "c2": 0, "c3": 0, "c4": 0}
    md2 = None
    for name, (value, pos) in kv.items():
        if name == "md2" and value is not None:
            try:
                md2 = bytes.fromhex(value[2:] if value[:2] in ("0x", "0X") else value)
            except ValueError:
                raise ctx.err("md2 must be hex", "actions.push_nsh.md2", pos)
            continue
        if name not in values or value is None:
            raise ctx.err("unknown field %r" % name, "actions.push_nsh." + name, pos)
        values[name] = num(value, ctx, "actions.push_nsh." + name, pos, 24 if name == "spi" else
                           (32 if name[0] == "c" else 8))
    base = odp_keys.NSH_BASE_LAYOUT.pack(values["flags"], values["ttl"], values["mdtype"], values["np"],
                                         (values["spi"] << 8) | values["si"])
    attrs = [(odp_keys.NSH_BASE, base)]
    if md2 is not None:
        attrs.append((odp_keys.NSH_MD2, md2))
    elif values["mdtype"] == 1:
        attrs.append((odp_keys.NSH_MD1, odp_keys.NSH_MD1_LAYOUT.pack(values["c1"], values["c2"], values["c3"],
                                                                     values["c4"])))
    # The kernel reads the payload as one OVS_KEY_ATTR_NSH holding BASE and MD1/MD2.
    return (odp_actions.ACT_PUSH_NSH, ((odp_keys.KEY_NSH, tuple(attrs)),))


def print_push_nsh(payload, names):
    """``push_nsh(...)`` with the context headers of its md type."""
    for key_num, value in payload:      # OVS_KEY_ATTR_NSH around BASE and MD1/MD2
        if key_num == odp_keys.KEY_NSH and value.__class__ is tuple:
            payload = value
            break
    values = nsh_values(payload, 0)
    out = "push_nsh(flags=%d,ttl=%d,mdtype=%d,np=%d,spi=0x%x,si=%d" % (
        values["flags"], values["ttl"], values["mdtype"], values["np"], values["spi"], values["si"])
    if values["mdtype"] == 1:
        out += ",c1=0x%x,c2=0x%x,c3=0x%x,c4=0x%x" % (values["c1"], values["c2"], values["c3"], values["c4"])
    elif values["mdtype"] == 2:
        md2 = dict(payload).get(odp_keys.NSH_MD2, b"")
        # ovs-dpctl prints md2 as one hex number: no leading zeros, "0" when empty or all zero
        out += ",md2=" + ("0x%x" % int(md2.hex(), 16) if any(md2) else "0")
    return out + ")"


def parse_userspace(text, start, end, ctx, depth):
    """``userspace(pid=N[,userdata(HEX)|,COOKIE(...)][,actions][,tunnel_out_port=N])``."""
    pid = None
    attrs = []
    for item, item_pos in fields(text[start:end], start):
        if item.startswith("pid="):
            pid = num(item[4:], ctx, "actions.userspace.pid", item_pos + 4)
        elif item.startswith("userdata(") and item.endswith(")"):
            try:
                data = bytes.fromhex(item[9:-1])
            except ValueError:
                raise ctx.err("userdata must be hex bytes", "actions.userspace.userdata", item_pos + 9)
            # Userdata shorter than 8 bytes is zero-padded to 8, as ovs-dpctl sends it.
            if len(data) < 8:
                data += bytes(8 - len(data))
            attrs.append((odp_actions.USERSPACE_USERDATA, data))
        elif item == "actions":
            attrs.append((odp_actions.USERSPACE_ACTIONS, b""))
        elif item.startswith("tunnel_out_port="):
            attrs.append((odp_actions.USERSPACE_EGRESS_TUN_PORT,
                          _U32.pack(num(item[16:], ctx, "actions.userspace.tunnel_out_port", item_pos + 16))))
        else:
            name, paren, inner = item.partition("(")
            cookie_type = COOKIE_TYPES.get(name)
            if cookie_type is None or not paren or not inner.endswith(")"):
                raise ctx.err("unknown userspace argument %r" % name, "actions.userspace." + name, item_pos)
            attrs.append((odp_actions.USERSPACE_USERDATA,
                          parse_cookie(name, cookie_type, inner[:-1], item_pos + len(name) + 1, ctx)))
    if pid is None:
        raise ctx.err("userspace needs pid=", "actions.userspace", start)
    return (odp_actions.ACT_USERSPACE, ((odp_actions.USERSPACE_PID, _U32.pack(pid)),) + tuple(sorted(attrs)))


def print_userspace(payload, names):
    """``userspace(pid=N,...)``, userdata in its cookie form when it has one."""
    attrs = dict(payload)
    out = ["userspace(pid=%d" % _U32.unpack(attrs[odp_actions.USERSPACE_PID])[0]]
    userdata = attrs.get(odp_actions.USERSPACE_USERDATA)
    if userdata is not None:
        cookie = fmt_cookie(userdata)
        out.append("," + cookie if cookie is not None else ",userdata(%s)" % userdata.hex())
    if odp_actions.USERSPACE_ACTIONS in attrs:
        out.append(",actions")
    tunnel_port = attrs.get(odp_actions.USERSPACE_EGRESS_TUN_PORT)
    if tunnel_port is not None:
        out.append(",tunnel_out_port=%d" % _U32.unpack(tunnel_port)[0])
    out.append(")")
    return "".join(out)


def parse_psample(text, start, end, ctx, depth):
    """``psample(group=N[,cookie=HEX])``."""
    kv = parse_keywords(text, start, end, ctx, "actions.psample")
    attrs = []
    if "group" not in kv or kv["group"][0] is None:
        raise ctx.err("psample needs group=", "actions.psample", start)
    for name, (value, pos) in kv.items():
        if name == "group":
            attrs.append((odp_actions.PSAMPLE_GROUP, _U32.pack(num(value, ctx, "actions.psample.group", pos))))
        elif name == "cookie" and value is not None:
            hex_digits = value[2:] if value[:2] in ("0x", "0X") else value
            try:
                cookie = bytes.fromhex(hex_digits if len(hex_digits) % 2 == 0 else "0" + hex_digits)
            except ValueError:
                raise ctx.err("cookie must be hex", "actions.psample.cookie", pos)
            if len(cookie) > 16:
                raise ctx.err("cookie is longer than 16 bytes", "actions.psample.cookie", pos)
            attrs.append((odp_actions.PSAMPLE_COOKIE, cookie))
        else:
            raise ctx.err("unknown field %r" % name, "actions.psample." + name, pos)
    return (odp_actions.ACT_PSAMPLE, tuple(attrs))


def print_psample(payload, names):
    """``psample(group=N[,cookie=HEX])``."""
    attrs = dict(payload)
    out = "psample(group=%d" % _U32.unpack(attrs[odp_actions.PSAMPLE_GROUP])[0]
    cookie = attrs.get(odp_actions.PSAMPLE_COOKIE)
    if cookie is not None:
        out += ",cookie=" + bytes_hex(cookie)
    return out + ")"
