# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text codec of each specially spelled key attribute: one row each.

A row of :data:`KEY_TEXT_TABLE` is an attribute number (``OVS_KEY_ATTR_*``,
a row of keys.py) with its parser and its printer, the functions of
key_numbers.py, key_headers.py and tunnel.py. key_parse.py derives
:data:`~.key_parse.KEY_PARSERS` (by name) from these rows and key_print.py
its printers (by number); an attribute no row here lists is parsed and
printed from its fields (key_fields.py). Checked at import: every attribute
the kernel accepts is covered one way or the other.

Adding a key attribute: its row in keys.py; when its text is not
``name(field=value,...)``, its parser and printer side by side in a file
of this package and its row here.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_fields import spelled_by_fields
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_headers import (
    parse_eth,
    parse_mpls,
    parse_nsh,
    parse_vlan,
    print_mpls,
    print_nsh,
    print_vlan,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_numbers import (
    conntrack_number_printer,
    hex_number_printer,
    number_parser,
    parse_ct_label,
    parse_ct_state,
    parse_in_port,
    parse_tcp_flags,
    print_ct_label,
    print_ct_state,
    print_eth_type,
    print_in_port,
    print_tcp_flags,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.tunnel import fmt_tunnel, parse_tunnel

KeyText = namedtuple("KeyText", "num parser printer")
KeyText.__doc__ = """The text codec of one key attribute.

num: OVS_KEY_ATTR_* value; parser: ``(body, pos, ctx, depth) -> (key
payload, mask payload)``; printer: ``(payload, mask payload | None, verbose,
names) -> body text | None``, or None to print the attribute from its fields
(or raw, as ``keyN(..)``, when it has none). :data:`KEY_LIST` for both: the
body is itself a key, parsed and printed by key_parse.py and key_print.py.
"""

#: The codec of an attribute whose body is a whole key (encap): the key list
#: functions of key_parse.py and key_print.py, which recurse into it.
KEY_LIST = "key list"

KEY_TEXT_TABLE = (
    KeyText(odp_keys.KEY_ENCAP, KEY_LIST, KEY_LIST),
    KeyText(odp_keys.KEY_PRIORITY, number_parser(odp_keys.KEY_PRIORITY), hex_number_printer(odp_keys.KEY_PRIORITY)),
    KeyText(odp_keys.KEY_IN_PORT, parse_in_port, print_in_port),
    KeyText(odp_keys.KEY_ETHERNET, parse_eth, None),
    KeyText(odp_keys.KEY_VLAN, parse_vlan, print_vlan),
    KeyText(odp_keys.KEY_ETHERTYPE, number_parser(odp_keys.KEY_ETHERTYPE), print_eth_type),
    KeyText(odp_keys.KEY_SKB_MARK, number_parser(odp_keys.KEY_SKB_MARK), hex_number_printer(odp_keys.KEY_SKB_MARK)),
    KeyText(odp_keys.KEY_TUNNEL, parse_tunnel, fmt_tunnel),
    KeyText(odp_keys.KEY_TCP_FLAGS, parse_tcp_flags, print_tcp_flags),
    KeyText(odp_keys.KEY_DP_HASH, number_parser(odp_keys.KEY_DP_HASH), hex_number_printer(odp_keys.KEY_DP_HASH)),
    KeyText(odp_keys.KEY_RECIRC_ID, number_parser(odp_keys.KEY_RECIRC_ID, masked=False),
            hex_number_printer(odp_keys.KEY_RECIRC_ID)),
    KeyText(odp_keys.KEY_MPLS, parse_mpls, print_mpls),
    KeyText(odp_keys.KEY_CT_STATE, parse_ct_state, print_ct_state),
    KeyText(odp_keys.KEY_CT_ZONE, number_parser(odp_keys.KEY_CT_ZONE), conntrack_number_printer(odp_keys.KEY_CT_ZONE)),
    KeyText(odp_keys.KEY_CT_MARK, number_parser(odp_keys.KEY_CT_MARK), conntrack_number_printer(odp_keys.KEY_CT_MARK)),
    KeyText(odp_keys.KEY_CT_LABELS, parse_ct_label, print_ct_label),
    KeyText(odp_keys.KEY_NSH, parse_nsh, print_nsh),
    # OVS 3.1 does not know it by name: printed raw as key32(..) (scanner.OVS_UNNAMED_KEYS).
    KeyText(odp_keys.KEY_IPV6_EXTHDRS, number_parser(odp_keys.KEY_IPV6_EXTHDRS), None),
)
KEY_TEXT_BY_NUM = {row.num: row for row in KEY_TEXT_TABLE}


def _check_table():
    """Every row names a key attribute once, and every attribute the kernel accepts has a parser."""
    if len(KEY_TEXT_BY_NUM) != len(KEY_TEXT_TABLE):
        raise AssertionError("key text table: an attribute listed twice")
    for text_row in KEY_TEXT_TABLE:
        if text_row.num not in odp_keys.KEY_BY_NUM or text_row.parser is None:
            raise AssertionError("key text table: row %r" % (text_row,))
    for row in odp_keys.KEY_TABLE:
        if row.kernel and row.num not in KEY_TEXT_BY_NUM and not spelled_by_fields(row):
            raise AssertionError("key %s: neither spelled by its fields nor in the key text table" % row.name)


_check_table()
