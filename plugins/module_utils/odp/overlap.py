# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which flow creations the kernel would refuse as overlapping (EEXIST).

What the kernel does (``ovs_flow_cmd_new``; tests/kernel/test_overlap.py
checks each point against it): it parses the new flow's key into its own
``sw_flow_key`` form and looks that key, *unmasked* (the new flow's own
mask plays no part), up through every installed mask. An installed flow
with key ``k`` and mask ``m`` (``k`` stored already masked) is found when
``new_key & m == k``; found means EEXIST for a create, identical flow or
not. A batch runs in order, so a create is also refused when it overlaps
one created earlier in the batch; a refused create is not installed.

How it is predicted: each key and mask becomes one integer in a layout of
our own that mirrors the kernel's key (MAC protocol, in_port, metadata,
Ethernet, VLAN tags, eth_type, L3, L4), built from the netlink payloads as
the kernel builds its key and mask from them. Installed flows are indexed
by mask, ``{mask: {key & mask: ident}}``: a table has few distinct masks,
so a check costs one AND and one dict lookup per mask, whatever the number
of flows. Keys laid out like one seen before (same length, attribute
headers and deciding values: eth_types, IP protocol and fragment) are
flattened by slicing, without walking their attributes.

What it decides (models exactly, as the kernel does):

* attributes PRIORITY, SKB_MARK, DP_HASH, RECIRC_ID, IN_PORT, ETHERNET,
  ETHERTYPE, one or two VLAN tags (VLAN + ENCAP), IPV4, IPV6,
  IPV6_EXTHDRS, ARP, TCP, UDP, SCTP, ICMP, ICMPV6, TCP_FLAGS, ND;
* what the kernel adds to every mask: the MAC protocol (an Ethernet flow
  never matches an L3 one); both VLAN TCIs, exactly unless the mask's
  ENCAP says otherwise (a flow silent on VLANs takes untagged frames only);
  an ETHERTYPE or IN_PORT mask is exact whenever present;
* the kernel's defaults in a key: an Ethernet key without ETHERTYPE is an
  802.2 frame (eth_type 0x0004); a key without IN_PORT has a port number no
  port has; any other absent attribute is zero;
* shared kernel fields: TCP, UDP and SCTP ports and ICMP(v6) type and code
  land in the same transport fields; the ARP opcode keeps its low byte.

What it leaves to the kernel (no prediction, so never a false refusal):

* a new flow (``first_match`` answers None) whose key has a TUNNEL, CT_*
  (ct_state, ct_zone, ct_mark, ct_label, ct tuples), MPLS, NSH or any
  other attribute not listed above; a truncated VLAN header (a TCI without
  the CFI bit) or a third tag; a key the kernel refuses as invalid (wrong
  sizes, repeated or misplaced attributes, missing required L3/L4
  attributes, out-of-range values);
* an installed flow (``add`` answers False; it never counts as a match)
  whose mask matches any of those attributes (zero masks, which the kernel
  dumps for what a flow does not match, are fine), whose key has a TUNNEL
  or a CT tuple, or whose VLAN mask is not in the kernel's form (a tagged
  key needs an exact TPID mask, a TCI mask with the CFI bit and a non-empty
  ENCAP mask). An unindexed flow can hide a real refusal: a missed
  prediction, never a false one.

An IN_PORT mask is read as the kernel dumps it and :func:`..model.canonical`
writes it: exact when its low 16 bits are set, wildcarded otherwise (the
kernel reports a wildcarded port as 0xffff0000).

Flows are expected to pass the kernel's other checks (rules.validate sees
to it): a create the kernel finds invalid fails with EINVAL, whatever this
module says.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp.kernel_key import (
    Flat,
    KeyFlattener,
    Layout,
    Unsure,
    decode_key,
    exact_mask_of,
    flatten_mask,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs


# --- the index ---------------------------------------------------------------------------------

class OverlapIndex:
    """Installed flows indexed by mask, answering "which installed flow
    would the kernel find for this new flow's key?".

    Feed it the flows that will be in the table when the creates run (the
    installed ones minus the plan's deletes) with :meth:`add`, then call
    :meth:`create` for each create, in batch order. Idents are the caller's:
    any value but None (the flow objects themselves will do)."""

    def __init__(self):
        self._tables: Dict[int, Dict[int, Any]] = {}
        # Few distinct masks: each is flattened once per key shape.
        self._masks: Dict[tuple, Optional[int]] = {}
        self._keys = KeyFlattener()
        self.skipped = 0        # flows add() could not index

    def __len__(self) -> int:
        return sum(len(table) for table in self._tables.values())

    @property
    def mask_count(self) -> int:
        """How many distinct (flattened) masks are indexed."""
        return len(self._tables)

    def add(self, key: bytes, mask: Optional[bytes], ident: Any) -> bool:
        """Index an installed flow.

        ``key``, ``mask``: OVS_FLOW_ATTR_KEY / _MASK payloads, as sent or as
        dumped (``mask`` None or b"": the exact mask the kernel builds).
        Returns whether it was indexed; False: its match is out of scope (see
        the module docstring), it never counts as overlapping a new flow."""
        try:
            flat, facts = self._keys.flatten(key)
        except Unsure:
            self.skipped += 1
            return False
        return self._index(flat, facts, key, mask, ident)

    def _index(self, flat: int, facts: Union[Layout, Flat], key: bytes, mask: Optional[bytes],
               ident: Any) -> bool:
        mask_int = self._mask_int(key, mask, facts.vlans, facts.ethernet)
        if mask_int is None:
            self.skipped += 1
            return False
        self._tables.setdefault(mask_int, {}).setdefault(flat & mask_int, ident)
        return True

    def _mask_int(self, key: bytes, mask: Optional[bytes], vlans: int, ethernet: bool) -> Optional[int]:
        """The flattened mask as an int, None when out of scope (cached)."""
        if not mask:
            try:
                mask = encode_attrs(exact_mask_of(decode_key(key)))
            except (Unsure, FlowSyntaxError):
                return None
        cache_key = (mask, vlans, ethernet)
        if cache_key not in self._masks:
            try:
                self._masks[cache_key] = int.from_bytes(flatten_mask(mask, vlans, ethernet), "big")
            except Unsure:
                self._masks[cache_key] = None
        return self._masks[cache_key]

    def _lookup(self, flat: int) -> Optional[Any]:
        for mask_int, table in self._tables.items():
            found = table.get(flat & mask_int)
            if found is not None:
                return found
        return None

    def first_match(self, key: bytes) -> Optional[Any]:
        """The ident of an indexed flow the kernel would find for a new flow
        with this ``key`` payload (and so refuse its creation with EEXIST),
        or None: no indexed flow matches, or the key is out of scope. The new
        flow's mask takes no part: the kernel looks the key up unmasked."""
        try:
            flat, facts = self._keys.flatten(key)
        except Unsure:
            return None
        return self._lookup(flat) if facts.creatable else None

    def create(self, key: bytes, mask: Optional[bytes], ident: Any) -> Optional[Any]:
        """One create of a batch, in order: the ident of the flow it would be
        refused for (it is then not installed), or None: it goes in, and
        is indexed when in scope."""
        try:
            flat, facts = self._keys.flatten(key)
        except Unsure:
            self.skipped += 1
            return None
        found = self._lookup(flat) if facts.creatable else None
        if found is None:
            self._index(flat, facts, key, mask, ident)
        return found


def refused_creates(installed: Iterable[tuple], creates: Iterable[tuple]) -> List[Tuple[Any, Any]]:
    """The creates the kernel would refuse as overlapping.

    ``installed``: ``(key, mask, ident)`` of the flows in the table when the
    creates run; ``creates``: ``(key, mask, ident)`` in batch order. Returns
    ``(create ident, ident of the flow it overlaps)`` pairs, in batch order."""
    index = OverlapIndex()
    for key, mask, ident in installed:
        index.add(key, mask, ident)
    refused = []
    for key, mask, ident in creates:
        found = index.create(key, mask, ident)
        if found is not None:
            refused.append((ident, found))
    return refused
