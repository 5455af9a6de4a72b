# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text codecs of the actions with a flat payload.

output, trunc, drop, recirc, meter, hash, push_vlan, push_mpls, pop_mpls,
add_mpls, push_eth, and the argument-less pop_vlan, pop_eth, ct_clear and
pop_nsh. Fixed payloads are packed and unpacked with the ``layout`` of
their row in odp/actions.py, so the byte layout is written down once.

A parser takes ``(text, start, end, ctx, depth)``: the whole text, where
the action's body starts and ends in it, the parse context and the action
nesting depth; it returns the action attribute ``(number, payload)``. A
printer takes ``(payload, names)`` (``names``: port numbers to names or
None) and returns the action as ``dump-flows`` prints it. action_table.py
registers both in its table.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
import ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_parse as text_key_parse
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_parse import parse_lse_fields
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_print import fmt_tci, lse_text
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import fields, hex, num

VLAN_FIELDS = text_key_parse.VLAN_FIELDS


def _layout(action_num):
    """The struct.Struct of an action's fixed payload, from its row in odp/actions.py."""
    return odp_actions.ACTION_BY_NUM[action_num].layout


# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_OUTPUT = _layout(odp_actions.ACT_OUTPUT)
_RECIRC = _layout(odp_actions.ACT_RECIRC)
_TRUNC = _layout(odp_actions.ACT_TRUNC)
_METER = _layout(odp_actions.ACT_METER)
_HASH = _layout(odp_actions.ACT_HASH)
_PUSH_VLAN = _layout(odp_actions.ACT_PUSH_VLAN)
_PUSH_MPLS = _layout(odp_actions.ACT_PUSH_MPLS)
_POP_MPLS = _layout(odp_actions.ACT_POP_MPLS)
_ADD_MPLS = _layout(odp_actions.ACT_ADD_MPLS)
_PUSH_ETH = _layout(odp_actions.ACT_PUSH_ETH)


def parse_keywords(text, start, end, ctx, what):
    """name=value items of an action body, as an ordered dict name -> (value, pos)."""
    out = {}
    for item, item_pos in fields(text[start:end], start):
        name, eq, rest = item.partition("=")
        if name in out:
            raise ctx.err("%s given twice" % name, what + "." + name, item_pos)
        out[name] = (rest if eq else None, item_pos + len(name) + 1)
    return out


def u32_parser(action_num):
    """A parser of ``name(N)``, an action whose payload is one number packed
    by its row's layout (output, trunc, drop, recirc, meter)."""
    row = odp_actions.ACTION_BY_NUM[action_num]
    pack = row.layout.pack
    field = "actions." + row.name

    def parse(text, start, end, ctx, depth):
        return (action_num, pack(num(text[start:end], ctx, field, start)))
    parse.__name__ = parse.__qualname__ = "parse_" + row.name
    return parse


parse_output = u32_parser(odp_actions.ACT_OUTPUT)
parse_trunc = u32_parser(odp_actions.ACT_TRUNC)
parse_drop = u32_parser(odp_actions.ACT_DROP)
parse_recirc = u32_parser(odp_actions.ACT_RECIRC)
parse_meter = u32_parser(odp_actions.ACT_METER)


def print_output(payload, names):
    """The port's name when ``names`` has one, else its number."""
    port = _OUTPUT.unpack(payload)[0]
    if names:
        name = names.get(port)
        if name is not None:
            return name
    return str(port)


def print_trunc(payload, names):
    """``trunc(MAX_LEN)``."""
    return "trunc(%d)" % _TRUNC.unpack(payload)[0]


def print_recirc(payload, names):
    """``recirc(ID)``, the id in hex."""
    return "recirc(%s)" % hex(_RECIRC.unpack(payload)[0])


def print_meter(payload, names):
    """``meter(ID)``."""
    return "meter(%d)" % _METER.unpack(payload)[0]


def word_printer(word):
    """A printer of an action that prints as one fixed word whatever its
    payload holds (drop prints without its reason, as ovs-dpctl does)."""
    def print_word(payload, names):
        return word
    print_word.__name__ = print_word.__qualname__ = "print_" + word.rstrip("()")
    return print_word


print_pop_vlan = word_printer("pop_vlan")
print_pop_eth = word_printer("pop_eth")
print_ct_clear = word_printer("ct_clear")
print_pop_nsh = word_printer("pop_nsh()")
print_drop = word_printer("drop")


def parse_pop_nsh(text, start, end, ctx, depth):
    """``pop_nsh()``: the parentheses are allowed, an argument is not."""
    if end != start:
        raise ctx.err("pop_nsh takes no arguments", "actions.pop_nsh", start)
    return (odp_actions.ACT_POP_NSH, b"")


def parse_hash(text, start, end, ctx, depth):
    """``hash(l4(BASIS))`` or ``hash(sym_l4(BASIS))``."""
    body = text[start:end]
    for prefix, alg in (("l4(", odp_actions.HASH_ALG_L4), ("sym_l4(", odp_actions.HASH_ALG_SYM_L4)):
        if body.startswith(prefix) and body.endswith(")"):
            basis = num(body[len(prefix):-1], ctx, "actions.hash", start + len(prefix))
            return (odp_actions.ACT_HASH, _HASH.pack(alg, basis))
    raise ctx.err("hash needs l4(N) or sym_l4(N)", "actions.hash", start)


def print_hash(payload, names):
    """``hash(l4(BASIS))``, ``hash(sym_l4(BASIS))``, or the unknown algorithm's number."""
    alg, basis = _HASH.unpack(payload)
    if alg == odp_actions.HASH_ALG_L4:
        return "hash(l4(%d))" % basis
    if alg == odp_actions.HASH_ALG_SYM_L4:
        return "hash(sym_l4(%d))" % basis
    return "hash(Unknown hash algorithm(%d))" % alg


def parse_push_vlan(text, start, end, ctx, depth):
    """``push_vlan([tpid=T,]vid=V,pcp=P[,cfi=C])``; the tci's CFI bit is set unless given."""
    kv = parse_keywords(text, start, end, ctx, "actions.push_vlan")
    tpid = odp_keys.ETH_P_8021Q
    if "tpid" in kv:
        value, pos = kv.pop("tpid")
        tpid = num(value or "", ctx, "actions.push_vlan.tpid", pos, 16)
    tci = odp_keys.VLAN_CFI
    for name, (value, pos) in kv.items():
        spec = VLAN_FIELDS.get(name)
        if spec is None or value is None:
            raise ctx.err("unknown field %r" % name, "actions.push_vlan." + name, pos)
        shift, top = spec
        field_value = num(value, ctx, "actions.push_vlan." + name, pos)
        if field_value > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), "actions.push_vlan." + name, pos)
        tci = (tci & ~(top << shift)) | (field_value << shift)
    return (odp_actions.ACT_PUSH_VLAN, _PUSH_VLAN.pack(tpid, tci))


def print_push_vlan(payload, names):
    """``push_vlan(...)``, with ``tpid=`` only when it is not 0x8100."""
    tpid, tci = _PUSH_VLAN.unpack(payload)
    tpid_text = "" if tpid == odp_keys.ETH_P_8021Q else "tpid=0x%04x," % tpid
    return "push_vlan(" + tpid_text + fmt_tci(tci, 0xFFFF, False) + ")"


def mpls_parser(action_num, *trailing):
    """A parser of ``push_mpls(...)`` or ``add_mpls(...)``: one label stack
    entry (label=,tc=,ttl=,bos=) and eth_type=, packed by the row's layout
    with ``trailing`` as the values of its fields after the ethertype."""
    row = odp_actions.ACTION_BY_NUM[action_num]
    name = row.name
    pack = row.layout.pack

    def parse(text, start, end, ctx, depth):
        lses, extras = parse_lse_fields(fields(text[start:end], start), ctx, "actions." + name, False, ("eth_type",))
        if len(lses) != 1 or "eth_type" not in extras:
            raise ctx.err("%s needs label=,tc=,ttl=,bos=,eth_type=" % name, "actions." + name, start)
        eth_type = num(extras["eth_type"][0], ctx, "actions.%s.eth_type" % name, extras["eth_type"][1], 16)
        return (action_num, pack(lses[0][0], eth_type, *trailing))
    parse.__name__ = parse.__qualname__ = "parse_" + name
    return parse


parse_push_mpls = mpls_parser(odp_actions.ACT_PUSH_MPLS)
# add_mpls's tun_flags has no word in the text form: it is always 0.
parse_add_mpls = mpls_parser(odp_actions.ACT_ADD_MPLS, 0)


def print_push_mpls(payload, names):
    """``push_mpls(label=,tc=,ttl=,bos=,eth_type=)``."""
    lse, eth_type = _PUSH_MPLS.unpack(payload)
    return "push_mpls(%s,eth_type=0x%x)" % (lse_text(lse), eth_type)


def print_add_mpls(payload, names):
    """``add_mpls(label=,tc=,ttl=,bos=,eth_type=)``; tun_flags does not print."""
    lse, eth_type, _tun_flags = _ADD_MPLS.unpack(payload)
    return "add_mpls(%s,eth_type=0x%x)" % (lse_text(lse), eth_type)


def parse_pop_mpls(text, start, end, ctx, depth):
    """``pop_mpls(eth_type=T)``."""
    body = text[start:end]
    if not body.startswith("eth_type="):
        raise ctx.err("pop_mpls needs eth_type=", "actions.pop_mpls", start)
    return (odp_actions.ACT_POP_MPLS, _POP_MPLS.pack(num(body[9:], ctx, "actions.pop_mpls.eth_type", start + 9, 16)))


def print_pop_mpls(payload, names):
    """``pop_mpls(eth_type=T)``."""
    return "pop_mpls(eth_type=0x%x)" % _POP_MPLS.unpack(payload)[0]


def parse_push_eth(text, start, end, ctx, depth):
    """``push_eth(src=MAC,dst=MAC)``; an address not given is all zeros."""
    kv = parse_keywords(text, start, end, ctx, "actions.push_eth")
    src = dst = bytes(6)
    for name, (value, pos) in kv.items():
        try:
            if name == "src" and value is not None:
                src = odp_keys.parse_mac(value)
            elif name == "dst" and value is not None:
                dst = odp_keys.parse_mac(value)
            else:
                raise ValueError("unknown field %r" % name)
        except ValueError as e:
            raise ctx.err(str(e), "actions.push_eth." + name, pos)
    return (odp_actions.ACT_PUSH_ETH, _PUSH_ETH.pack(src, dst))


def print_push_eth(payload, names):
    """``push_eth(src=MAC,dst=MAC)``."""
    src, dst = _PUSH_ETH.unpack(payload)
    return "push_eth(src=%s,dst=%s)" % (odp_keys.format_mac(src), odp_keys.format_mac(dst))
