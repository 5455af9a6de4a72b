# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table of action text codecs, and the action-list parser and printer.

:data:`TEXT_TABLE` has one row per ``OVS_ACTION_ATTR_*`` of odp/actions.py:
the action number, the parser of its ``name(...)`` form, the payload of its
bare-word form (``pop_vlan``, ``ct``) and its printer; the codecs live in
actions_basic.py, actions_ct.py and actions_nested.py. The dicts the
per-flow loops look actions up in (name -> parser, word -> action, number
-> printer) are derived from it once at import, and the import checks it
against odp/actions.py's ACTION_TABLE: adding an action is one row here
and its two functions.

:func:`parse_action_list` parses an action list (``drop`` is the empty
tuple), keeping the texts of flat actions in a cache of their own;
:func:`format_actions` prints one (``drop`` when empty), :func:`action_text`
one action. An action a printer cannot print (unknown number, payload not
of the row's size or shape) prints raw, ``actionN(HEX)``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from collections import namedtuple

from ansible_collections.dpif.ovs.plugins.module_utils.odp.actions import (
    ACT_ADD_MPLS,
    ACT_CHECK_PKT_LEN,
    ACT_CLONE,
    ACT_CT,
    ACT_CT_CLEAR,
    ACT_DEC_TTL,
    ACT_DROP,
    ACT_HASH,
    ACT_METER,
    ACT_OUTPUT,
    ACT_POP_ETH,
    ACT_POP_MPLS,
    ACT_POP_NSH,
    ACT_POP_VLAN,
    ACT_PSAMPLE,
    ACT_PUSH_ETH,
    ACT_PUSH_MPLS,
    ACT_PUSH_NSH,
    ACT_PUSH_VLAN,
    ACT_RECIRC,
    ACT_SAMPLE,
    ACT_SET,
    ACT_SET_MASKED,
    ACT_TRUNC,
    ACT_USERSPACE,
    ACTION_BY_NUM,
    ACTION_TABLE,
    UNSUPPORTED_REASONS,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.keys import NESTED
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.actions_basic import (
    parse_add_mpls,
    parse_drop,
    parse_hash,
    parse_meter,
    parse_output,
    parse_pop_mpls,
    parse_pop_nsh,
    parse_push_eth,
    parse_push_mpls,
    parse_push_vlan,
    parse_recirc,
    parse_trunc,
    print_add_mpls,
    print_ct_clear,
    print_drop,
    print_hash,
    print_meter,
    print_output,
    print_pop_eth,
    print_pop_mpls,
    print_pop_nsh,
    print_pop_vlan,
    print_push_eth,
    print_push_mpls,
    print_push_vlan,
    print_recirc,
    print_trunc,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.actions_ct import parse_ct, print_ct
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.actions_nested import (
    bind_action_lists,
    parse_check_pkt_len,
    parse_clone,
    parse_dec_ttl,
    parse_psample,
    parse_push_nsh,
    parse_sample,
    parse_set,
    parse_userspace,
    print_check_pkt_len,
    print_clone,
    print_dec_ttl,
    print_psample,
    print_push_nsh,
    print_sample,
    print_set,
    print_set_masked,
    print_userspace,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import close, next_item, num, remember_parse

ActionText = namedtuple("ActionText", "num parser bare printer")
ActionText.__doc__ = """The text codec of one action.

num: OVS_ACTION_ATTR_*; its name is the row's in odp/actions.py.
parser: ``(text, start, end, ctx, depth) -> (num, payload)`` for the
``name(...)`` form, None when the action is not written with parentheses.
bare: the payload of the ``name`` form without parentheses, None when
that form is not accepted.
printer: ``(payload, names) -> text``; it returns None (or raises
KeyError, ValueError, struct.error or TypeError) for a payload it cannot
print, which then prints raw.
"""

TEXT_TABLE = (
    ActionText(ACT_OUTPUT, parse_output, None, print_output),
    ActionText(ACT_USERSPACE, parse_userspace, None, print_userspace),
    ActionText(ACT_SET, parse_set, None, print_set),
    ActionText(ACT_PUSH_VLAN, parse_push_vlan, None, print_push_vlan),
    # pop_vlan, pop_eth and ct_clear are bare words only: with parentheses
    # they are unknown actions. pop_nsh is taken both ways.
    ActionText(ACT_POP_VLAN, None, b"", print_pop_vlan),
    ActionText(ACT_SAMPLE, parse_sample, None, print_sample),
    ActionText(ACT_RECIRC, parse_recirc, None, print_recirc),
    ActionText(ACT_HASH, parse_hash, None, print_hash),
    ActionText(ACT_PUSH_MPLS, parse_push_mpls, None, print_push_mpls),
    ActionText(ACT_POP_MPLS, parse_pop_mpls, None, print_pop_mpls),
    ActionText(ACT_SET_MASKED, None, None, print_set_masked),       # see NO_KEYWORD
    ActionText(ACT_CT, parse_ct, (), print_ct),
    ActionText(ACT_TRUNC, parse_trunc, None, print_trunc),
    ActionText(ACT_PUSH_ETH, parse_push_eth, None, print_push_eth),
    ActionText(ACT_POP_ETH, None, b"", print_pop_eth),
    ActionText(ACT_CT_CLEAR, None, b"", print_ct_clear),
    ActionText(ACT_PUSH_NSH, parse_push_nsh, None, print_push_nsh),
    ActionText(ACT_POP_NSH, parse_pop_nsh, b"", print_pop_nsh),
    ActionText(ACT_METER, parse_meter, None, print_meter),
    ActionText(ACT_CLONE, parse_clone, None, print_clone),
    ActionText(ACT_CHECK_PKT_LEN, parse_check_pkt_len, None, print_check_pkt_len),
    ActionText(ACT_ADD_MPLS, parse_add_mpls, None, print_add_mpls),
    ActionText(ACT_DEC_TTL, parse_dec_ttl, None, print_dec_ttl),
    ActionText(ACT_DROP, parse_drop, None, print_drop),
    ActionText(ACT_PSAMPLE, parse_psample, None, print_psample),
)

#: Actions with no keyword of their own in the text form, and why: the
#: import check wants a parser or a bare word for every other row.
NO_KEYWORD = {
    ACT_SET_MASKED: "written set(KEY(VALUE/MASK)); parse_set makes set_masked when the mask is not all ones",
}


def _check_text_table():
    """Raise AssertionError unless TEXT_TABLE covers ACTION_TABLE row for row."""
    nums = [row.num for row in TEXT_TABLE]
    if len(set(nums)) != len(nums) or sorted(nums) != sorted(row.num for row in ACTION_TABLE):
        raise AssertionError("TEXT_TABLE must have one row per ACTION_TABLE row: missing %s, extra or repeated %s"
                             % (sorted(set(ACTION_BY_NUM) - set(nums)),
                                sorted(n for n in set(nums) if nums.count(n) > 1 or n not in ACTION_BY_NUM)))
    for row in TEXT_TABLE:
        attr = ACTION_BY_NUM[row.num]
        if (row.parser is None and row.bare is None) != (row.num in NO_KEYWORD):
            raise AssertionError("action %s: no parser nor bare word, and not in NO_KEYWORD" % attr.name)
        if row.printer is None:
            raise AssertionError("action %s: no printer" % attr.name)
        # The printer dispatch knows two payload shapes: a nested tuple or fixed-size bytes.
        if attr.size < 0 and attr.size != NESTED:
            raise AssertionError("action %s: variable-size payloads have no printer dispatch" % attr.name)
        if row.bare is not None and (row.bare.__class__ is not tuple if attr.size == NESTED
                                     else row.bare.__class__ is not bytes or len(row.bare) != attr.size):
            raise AssertionError("action %s: bare payload not of the row's shape" % attr.name)


_check_text_table()

# Derived from TEXT_TABLE for the per-flow loops.
#: name -> parser of ``name(...)``.
_ACTION_PARSERS = {ACTION_BY_NUM[row.num].name: row.parser for row in TEXT_TABLE if row.parser is not None}
#: word -> the action it stands for, written without parentheses.
_BARE_ACTIONS = {ACTION_BY_NUM[row.num].name: (row.num, row.bare) for row in TEXT_TABLE if row.bare is not None}
#: number -> (payload size, None for a nested tuple; printer).
_ACTION_PRINTERS = {row.num: (None if ACTION_BY_NUM[row.num].size == NESTED else ACTION_BY_NUM[row.num].size,
                              row.printer)
                    for row in TEXT_TABLE}

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_OUTPUT = ACTION_BY_NUM[ACT_OUTPUT].layout

# Parsed actions without inner parentheses by their text ("2", "ct(commit)",
# "recirc(0x1)"), as KEY_CACHE for keys; not used with a port-name map.
_ACT_CACHE = {}
_ACT_CACHE_MAX = 4096


def parse_action_list(s, i, end, ctx, depth, what="actions"):
    """The action attributes of ``s[i:end]`` (``drop``: the empty tuple);
    ``depth`` is the action nesting depth, ``what`` the field errors name."""
    k = i
    while k < end and s[k] in " \t\r\n":
        k += 1
    if k < end and s[k] in "dD" and s[i:end].strip(" \t\r\n").lower() == "drop":
        return ()
    out = []
    append = out.append
    parsers = _ACTION_PARSERS
    cache = None if ctx.ports else _ACT_CACHE
    while True:
        item = next_item(s, i, end, ctx, what)
        if item is None:
            break
        found, i = item
        j = found.end()
        name, body = found.groups()
        if body is None and j < end and s[j] == "(":     # nested parentheses
            k = close(s, j, end, ctx, what)
            parser = parsers.get(name)
            if parser is None:
                raise _unknown_action(name, i, ctx)
            append(parser(s, j + 1, k, ctx, depth))
            i = k + 1
            continue
        if cache is not None:
            text = s[i:j]
            act = cache.get(text)
            if act is not None:
                append(act)
                i = j
                continue
        if body is not None:            # flat item: name(body)
            body_end = j - 1
            parser = parsers.get(name)
            if parser is None:
                raise _unknown_action(name, i, ctx)
            act = parser(s, body_end - len(body), body_end, ctx, depth)
        else:
            act = _parse_bare_action(name, i, ctx)
        append(act)
        if cache is not None:
            remember_parse(cache, _ACT_CACHE_MAX, text, act)
        i = j
    return tuple(out)


def _unknown_action(name, pos, ctx):
    """The error for ``name(...)`` when no action of that name has a parser."""
    reason = UNSUPPORTED_REASONS.get(name)
    if reason is not None:
        return ctx.err(reason, "actions." + name, pos)
    return ctx.err("unknown action %r" % name, "actions." + name, pos)


def _parse_bare_action(name, pos, ctx):
    """The action a word without parentheses stands for: a port number, an
    action that takes no arguments, or a port name of the port map."""
    if name[:1].isdigit():
        return (ACT_OUTPUT, _OUTPUT.pack(num(name, ctx, "actions.output", pos)))
    action = _BARE_ACTIONS.get(name)
    if action is not None:
        return action
    if name.lower() == "drop":
        raise ctx.err("drop must be the whole action list", "actions.drop", pos)
    if name in UNSUPPORTED_REASONS:
        raise ctx.err(UNSUPPORTED_REASONS[name], "actions." + name, pos)
    if ctx.ports and name in ctx.ports:
        return (ACT_OUTPUT, _OUTPUT.pack(ctx.ports[name]))
    raise ctx.err("unknown action or port name %r" % name, "actions", pos)


def format_actions(actions, names):
    """An action list as dump-flows prints it, ``drop`` when empty; ``names``
    maps port numbers to names, or is None."""
    if not actions:
        return "drop"
    return ",".join([_format_action(action_num, payload, names) for action_num, payload in actions])


def _raw_action_text(action_num, payload):
    """``actionN(HEX)``, the form of an action no printer takes."""
    if payload.__class__ is tuple:
        # Imported on use: only this rare path needs the wire codec.
        from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs
        payload = encode_attrs(payload)
    if not payload:
        return "action%d" % action_num
    return "action%d(%s)" % (action_num, " ".join("%02x" % c for c in payload))


def _format_action(action_num, payload, names):
    """One action as dump-flows prints it, raw when its printer cannot."""
    entry = _ACTION_PRINTERS.get(action_num)
    if entry is None:
        return _raw_action_text(action_num, payload)
    size, printer = entry
    if size is None:
        if payload.__class__ is not tuple:
            return _raw_action_text(action_num, payload)
    elif payload.__class__ is not bytes or len(payload) != size:
        return _raw_action_text(action_num, payload)
    try:
        text = printer(payload, names)
    except (KeyError, ValueError, struct.error, TypeError):
        return _raw_action_text(action_num, payload)
    return _raw_action_text(action_num, payload) if text is None else text


def action_text(t: int, p, names) -> str:
    """One decoded action attribute as dump-flows prints it (an action
    list prints as its actions' texts joined by commas)."""
    return _format_action(t, p, names)


bind_action_lists(parse_action_list, format_actions)
