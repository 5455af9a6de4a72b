# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A flow reply: what the kernel sends for one flow (a GET's answer, an
echoed NEW or DEL, one flow of a dump), and the one walk of its attributes.

A reply is a sequence of ``OVS_FLOW_ATTR_*`` attributes: the key, mask and
actions (each itself a sequence of attributes, left as bytes here), the
UFID, and the counters. Everything that reads replies goes through
:func:`attribute_spans`: the provider's single-flow answers and dumps
(``dpif.provider.DumpedFlow.from_reply``), the no-change check's digest
(``resources.flow_table.digest_dump``) and the printer of ``state:
gathered`` (``fastpath.printer.DumpPrinter``). It needs netlink's framing
alone: the modules that never read a flow do not load the flow language.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from typing import Dict, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import MalformedAttribute, nla_spans

# enum ovs_flow_attr (linux/openvswitch.h).
FLOW_ATTR_KEY = 1
FLOW_ATTR_ACTIONS = 2
FLOW_ATTR_STATS = 3
FLOW_ATTR_TCP_FLAGS = 4
FLOW_ATTR_USED = 5
FLOW_ATTR_CLEAR = 6
FLOW_ATTR_MASK = 7
FLOW_ATTR_PROBE = 8
FLOW_ATTR_UFID = 9
FLOW_ATTR_UFID_FLAGS = 10

#: Where each attribute's payload is, by attribute type: ``(start, end)``
#: offsets in the buffer the reply was read from.
Spans = Dict[int, Tuple[int, int]]


def attribute_spans(data, start: int, end: int) -> Tuple[Spans, int]:
    """The payload spans of the attributes of the reply at
    ``data[start:end]`` (bytes or a view), by type (NLA_F_* bits masked
    off; a repeated type keeps its last), and the offset where the walk
    stopped: ``end`` for a well-formed reply, else the offset of the first
    attribute that is not well formed (what follows is not read)."""
    spans = {}
    try:
        for attr_type, off, stop in nla_spans(data, start, end):
            spans[attr_type] = (off + 4, stop)
    except MalformedAttribute as exc:
        return spans, exc.offset
    return spans, end
