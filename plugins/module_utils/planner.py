# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow planner: (wanted flows, installed flows, state) -> the fewest operations.

Pure: no kernel, no Ansible. Both sides are keyed by the flow's identity,
the deterministic UFID of its canonical key and mask (``odp.flow_ufid``),
then the state's rule is applied and each pair compared.

Equality, per field:

==========  ===============================================================
key, mask   identity: equal UFIDs mean equal canonical key and mask. A key
            or mask change is therefore a different flow: delete + create.
actions     equal when their wire bytes are equal, else when their
            canonical forms are (the kernel echoes some actions in another
            form than they were sent); a difference is one modify.
stats       never compared; an unchanged flow is not touched, so its
            counters survive. ``clear_stats`` asks for a modify that zeroes
            them on listed flows that have counted something.
==========  ===============================================================

States (the network resource-module contract):

* merged: create missing flows; an installed listed flow with other actions
  gets exactly the listed actions; unlisted flows are left alone. An action
  list is a program, one value: appending the listed actions to the
  installed ones (``2`` and ``3`` becoming ``2,3``) would send packets to
  both ports, a list nobody wrote. So for a listed flow merged and replaced
  do the same; they differ for flow lists of other resources, not here.
* replaced: create missing flows; an installed flow with other actions gets
  exactly the wanted actions.
* overridden: replaced, and every installed flow not listed is deleted.
* deleted: delete the listed flows that are installed (all flows when none
  are listed).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow, canonical
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import (
    CTX_ACTIONS,
    actions_without_tunnel_pad,
    decode_attrs,
    decode_flow,
)

STATES = ("merged", "replaced", "overridden", "deleted")


class WantFlow:
    """A listed flow, canonical, encoded. ``ufid`` is its identity.

    ``flow`` (the canonical model) may be None (it is not kept for big
    tables, nor for flows from the parse cache): :meth:`canonical_flow`
    then decodes the bytes, only for the few flows whose actions need a
    closer look. ``text`` is its printed form ("" until computed). ``echo``
    is the form the kernel was seen to report equal actions in, when not
    byte-identical (learned, then cached).

    A plain class with slots, not a dataclass: a table holds one per flow,
    and slots take about 40% less memory (dataclass(slots=True) needs
    Python 3.10; modules run on 3.9)."""

    __slots__ = ("ufid", "flow", "key", "mask", "actions", "text", "echo")

    def __init__(self, ufid: bytes, flow: Optional[Flow], key: bytes, mask: bytes, actions: bytes,
                 text: str = "", echo: Optional[bytes] = None):
        self.ufid = ufid
        self.flow = flow
        self.key = key
        self.mask = mask
        self.actions = actions
        self.text = text
        self.echo = echo

    def __repr__(self):
        return "WantFlow(ufid=%s, actions=%s)" % (self.ufid.hex(), self.actions.hex())

    def canonical_flow(self) -> Flow:
        if self.flow is None:
            self.flow = canonical(decode_flow(self.key, self.mask or None, self.actions))
        return self.flow


class HaveFlow:
    """An installed flow. ``ident`` is its identity in our UFID space (its
    own UFID when we installed it); ``kernel_ufid`` and ``key`` are how the
    kernel names it (None/bytes). Slotted, as WantFlow."""

    __slots__ = ("ident", "kernel_ufid", "key", "mask", "actions", "packets", "bytes")

    def __init__(self, ident: bytes, kernel_ufid: Optional[bytes], key: bytes, mask: Optional[bytes],
                 actions: bytes, packets: int = 0, bytes: int = 0):
        self.ident = ident
        self.kernel_ufid = kernel_ufid
        self.key = key
        self.mask = mask
        self.actions = actions
        self.packets = packets
        self.bytes = bytes

    def __repr__(self):
        return "HaveFlow(ident=%s, actions=%s, packets=%d)" % (self.ident.hex(), self.actions.hex(), self.packets)


@dataclass
class Modify:
    have: HaveFlow
    actions: bytes          # the new action list
    want: Optional[WantFlow] = None
    zero_stats: bool = False


@dataclass
class Plan:
    create: List[WantFlow] = field(default_factory=list)
    modify: List[Modify] = field(default_factory=list)
    delete: List[HaveFlow] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.create or self.modify or self.delete)


def canonical_actions(actions: bytes) -> tuple:
    """Canonical form of an action list given as wire bytes."""
    return Flow((), None, decode_attrs(actions, CTX_ACTIONS, "actions") if actions else ()).canonical_tuple()[2]


def actions_equal(want: WantFlow, have: HaveFlow) -> bool:
    """Equal bytes, else equal canonical forms; the kernel's form of equal
    actions is remembered in ``want.echo`` so the next look is a byte compare."""
    if want.actions == have.actions or want.echo == have.actions:
        return True
    if actions_without_tunnel_pad(have.actions) == want.actions:
        return True         # not remembered: the PAD comes and goes from dump to dump
    if want.canonical_flow().canonical_tuple()[2] == canonical_actions(have.actions):
        want.echo = have.actions
        return True
    return False


def plan(want: List[WantFlow], have: Dict[bytes, HaveFlow], state: str, clear_stats: bool = False) -> Plan:
    """Operations that take ``have`` to what ``state`` asks of ``want``.

    ``want`` must not list a flow twice (same UFID); ``have`` maps identity
    to installed flow."""
    if state not in STATES:
        raise ValueError("unknown state %r" % state)
    result = Plan()
    if state == "deleted":
        if not want:
            result.delete = list(have.values())
            return result
        for w in want:
            h = have.get(w.ufid)
            if h is not None:
                result.delete.append(h)
        return result

    listed = set()
    for w in want:
        listed.add(w.ufid)
        h = have.get(w.ufid)
        if h is None:
            result.create.append(w)
            continue
        zero = clear_stats and (h.packets or h.bytes)
        if actions_equal(w, h):
            if zero:
                result.modify.append(Modify(h, h.actions, w, zero_stats=True))
            else:
                result.unchanged += 1
            continue
        result.modify.append(Modify(h, w.actions, w, zero_stats=bool(zero)))
    if state == "overridden":
        result.delete = [h for ident, h in have.items() if ident not in listed]
    return result
