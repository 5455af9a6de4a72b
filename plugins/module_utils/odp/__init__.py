# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ODP flow language: kernel datapath flows in three forms.

1. **text**: the ``ovs-dpctl`` syntax (the text/ package), parsed as ``add-flow``
   accepts it and printed as ``dump-flows`` prints it::

       in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.0/255.255.255.0,proto=6,frag=no),tcp(dst=80) 2

2. **structured**: a mapping for YAML, checked by a JSON Schema
   (structured.py)::

       {in_port: 1, eth: {}, eth_type: 0x0800, ipv4: {dst: 10.0.0.0/24}, actions: [2]}

3. **wire**: the payloads of the OVS_FLOW_ATTR_KEY / _MASK / _ACTIONS nests
   (wire.py), concatenated netlink attributes, 4-byte aligned::

       OVS_FLOW_ATTR_KEY   +----+----+------------+----+----+---------------+ ...
                           |len |type| u32 in_port|len |type| ovs_key_ipv4  |
                           | 8  | 3  | 01 00 00 00| 16 | 7  | src dst p t t f|
                           +----+----+------------+----+----+---------------+
       OVS_FLOW_ATTR_MASK  same attributes, same layout, bits 1 = match
       OVS_FLOW_ATTR_ACTIONS  +----+----+------------+
                              | 8  | 1  | u32 port 2 |   OUTPUT(2); empty = drop
                              +----+----+------------+

The model (model.py) holds key, mask and actions as tuples of
``(attribute number, payload bytes | nested tuple)``: the wire form,
unpacked only as far as nesting. keys.py and actions.py are the tables
that give the bytes their meaning; rules.py checks a flow against the
kernel's rules before it is sent.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow, PrintedStats, canonical
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs


def flow_ufid(flow: Flow) -> bytes:
    """A deterministic 16-byte UFID: BLAKE2b of the canonical key and mask
    wire encodings, with the UUID version (4) and variant bits set."""
    key, mask, _actions = flow.canonical_tuple()
    return ufid_of_wire(encode_attrs(key), encode_attrs(mask))


def ufid_of_wire(key: bytes, mask: bytes) -> bytes:
    """:func:`flow_ufid` from the encoded canonical key and mask."""
    h = bytearray(hashlib.blake2b(key + b"\0mask\0" + mask, digest_size=16).digest())
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    return bytes(h)


__all__ = ["Flow", "PrintedStats", "canonical", "flow_ufid", "ufid_of_wire"]
