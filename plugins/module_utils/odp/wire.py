# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netlink wire codec for flows: the hot path.

The model already holds attributes as ``(type, payload)`` pairs whose
payloads are the kernel's bytes, so encoding is header packing plus
concatenation, and decoding is slicing. Which types nest is read from the
key and action tables once, at import, into plain dicts (``CTX_*``).

An attribute on the wire::

    +--------+--------+---------------------+-----+
    | len u16| type u16| payload (len - 4)  | pad | to a multiple of 4
    +--------+--------+---------------------+-----+

Kernel replies never set NLA_F_NESTED; requests may. Both flag bits are
ignored on input and never set on output.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from operator import itemgetter

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import framing
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import MalformedAttribute, nla_spans
from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as odp_actions
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow

_HDR = framing.NLA_HDR
_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")
_TYPE_MASK = framing.NLA_TYPE_MASK
#: A netlink attribute header (length, type), and the bits of the type that
#: name it (the others are the nested and byte-order flags): netlink's own.
ATTR_HEADER = _HDR
TYPE_MASK = _TYPE_MASK

_READERS: dict = {}
_READERS_MAX = 1024


def headers_reader(offsets):
    """A function reading, from a buffer (and an optional start offset),
    the attribute headers at ``offsets`` (increasing) as (length, type)
    pairs of small integers, in one tuple: the printers' proof that a key,
    action or reply is laid out as one seen before. One ``struct`` per
    layout, compiled once (many masks share a layout, and compiling costs
    more than walking the attributes)."""
    fmt = ["="]
    at = 0
    for off in offsets:
        if off > at:
            fmt.append("%dx" % (off - at))
        fmt.append("HH")
        at = off + 4
    fmt = "".join(fmt)
    reader = _READERS.get(fmt)
    if reader is None:
        if len(_READERS) >= _READERS_MAX:
            _READERS.clear()
        reader = _READERS[fmt] = struct.Struct(fmt).unpack_from
    return reader


def slices_getter(slices: list):
    """A function returning the tuple of ``slices`` of its argument."""
    if not slices:
        return lambda _b: ()
    if len(slices) == 1:
        (one,) = slices
        return lambda b: (b[one],)
    return itemgetter(*slices)


# Nesting contexts: type -> sub-context for nested types (absent = leaf).
CTX_VXLAN = {}
CTX_TUNNEL = {odp_keys.TUN_VXLAN_OPTS: CTX_VXLAN}
CTX_NSH = {}
CTX_KEY = {odp_keys.KEY_TUNNEL: CTX_TUNNEL, odp_keys.KEY_NSH: CTX_NSH}
CTX_KEY[odp_keys.KEY_ENCAP] = CTX_KEY
CTX_ACTIONS = {}
CTX_NAT = {}
_SUB = {
    "actions": CTX_ACTIONS,
    "key": CTX_KEY,
    "masked": {},            # value||mask payload, decoded by the text layer
    "userspace": {},
    "sample": {odp_actions.SAMPLE_ACTIONS: CTX_ACTIONS},
    "ct": {odp_actions.CT_NAT: CTX_NAT},
    "nsh": {odp_keys.KEY_NSH: CTX_NSH},    # push_nsh: one OVS_KEY_ATTR_NSH nest
    "check_pkt_len": {odp_actions.CPL_ACTIONS_IF_GREATER: CTX_ACTIONS, odp_actions.CPL_ACTIONS_IF_LESS_EQUAL: CTX_ACTIONS},
    "dec_ttl": {odp_actions.DEC_TTL_ACTION: CTX_ACTIONS},
    "psample": {},
}
for _row in odp_actions.ACTION_TABLE:
    if _row.nested is not None and _row.nested != "masked":
        CTX_ACTIONS[_row.num] = _SUB[_row.nested]
# A masked set carries one key attribute whose payload is value || mask; the
# tunnel inside it (never valid) would be nested, so leave it a leaf here.
CTX_ACTIONS[odp_actions.ACT_SET_MASKED] = {}


def encode_attrs(attrs) -> bytes:
    """Concatenated, 4-byte aligned attributes; nested payloads are tuples."""
    out = []
    append = out.append
    pack = _HDR.pack
    for t, p in attrs:
        if p.__class__ is tuple:
            p = encode_attrs(p)
        n = len(p)
        if n > 65531:
            raise FlowSyntaxError("attribute %d" % t, "attribute payload of %d bytes does not fit in netlink "
                                  "(64 KiB)" % n, "attribute %d" % t, op="encode flow")
        append(pack(n + 4, t))
        append(p)
        append(_PAD[n & 3])
    return b"".join(out)


def decode_attrs(buf, ctx, what: str = "attributes", start: int = 0, end: int | None = None) -> tuple:
    """Split ``buf[start:end]`` into ``(type, payload)`` pairs, recursing by
    ``ctx``. FlowSyntaxError names an attribute that is not well formed.

    The one attribute walk inlined rather than read through
    framing.nla_spans: through it, the decode row of make bench's
    bench_odp was 12% slower (13.4 to 15.0 us a flow, best of two)."""
    if end is None:
        end = len(buf)
    out = []
    append = out.append
    unpack = _HDR.unpack_from
    off = start
    while off < end:
        if end - off < 4:
            raise FlowSyntaxError(bytes(buf[start:end]).hex(), "truncated netlink attribute header", what, off)
        ln, t = unpack(buf, off)
        nxt = off + ln
        if ln < 4 or nxt > end:
            raise FlowSyntaxError(bytes(buf[start:end]).hex(), "bad netlink attribute length %d" % ln, what, off)
        t &= _TYPE_MASK
        sub = ctx.get(t)
        if sub is None:
            append((t, buf[off + 4:nxt]))
        else:
            append((t, decode_attrs(buf, sub, what, off + 4, nxt)))
        off = (nxt + 3) & ~3
    return tuple(out)


def encode_key(flow: Flow) -> bytes:
    """Payload of OVS_FLOW_ATTR_KEY."""
    return encode_attrs(flow.key)


def encode_mask(flow: Flow) -> bytes:
    """Payload of OVS_FLOW_ATTR_MASK (empty when the flow has no mask)."""
    return encode_attrs(flow.mask) if flow.mask is not None else b""


def encode_actions(flow: Flow) -> bytes:
    """Payload of OVS_FLOW_ATTR_ACTIONS (empty = drop)."""
    return encode_attrs(flow.actions)


def decode_flow(key: bytes, mask: bytes | None = None, actions: bytes | None = None,
                ufid: bytes | None = None) -> Flow:
    """A Flow from the payloads of a kernel reply (KEY, MASK, ACTIONS, UFID)."""
    return Flow(decode_attrs(key, CTX_KEY, "key"),
                None if mask is None else decode_attrs(mask, CTX_KEY, "mask"),
                decode_attrs(actions, CTX_ACTIONS, "actions") if actions else (),
                ufid)


# An empty OVS_TUNNEL_KEY_ATTR_PAD as the kernel writes it: the kernel pads a
# tunnel set it echoes so that tun_id sits 8-byte aligned in *its* reply, so
# whether the PAD is there depends on where the flow landed in the dump.
TUNNEL_PAD = _HDR.pack(4, odp_keys.TUN_PAD)


def actions_without_tunnel_pad(actions: bytes) -> bytes:
    """``actions`` with the kernel's alignment PAD left out of top-level
    tunnel sets (``set(tunnel(...))``, also inside ``clone``); ``actions``
    itself when it has none. Comparing that with what was sent tells an
    unchanged tunnel flow without decoding it (a PAD-free list, the common
    case, costs one substring search)."""
    if TUNNEL_PAD not in actions:
        return actions
    stripped = _strip_top_level_tunnel_pad(actions)
    if stripped is not None:
        return stripped
    try:
        acts = decode_attrs(actions, CTX_ACTIONS, "actions")
    except FlowSyntaxError:
        return actions
    stripped = _strip_pad(acts)
    return actions if stripped == acts else encode_attrs(stripped)


def _strip_top_level_tunnel_pad(actions: bytes) -> bytes | None:
    """actions_without_tunnel_pad for the common case, in bytes: the PADs
    are in top-level ``set(tunnel(...))`` actions, whose two headers shrink
    by 4 bytes a PAD (the other attributes stay aligned: a PAD is 4 bytes).
    None when a PAD pattern is anywhere else, or the list is not well formed:
    the caller then decodes it. A 100k-flow table has one tunnel flow in
    four, and decoding and encoding each padded one cost 0.2-0.25 s a digest
    in the sandbox."""
    unpack = _HDR.unpack_from
    out = []
    kept = 0            # actions[:kept] is in out
    try:
        for t, off, nxt in nla_spans(actions):
            ln = nxt - off
            inner_ln, inner_t = unpack(actions, off + 4) if ln >= 8 else (0, 0)
            if t == odp_actions.ACT_SET and (inner_t & _TYPE_MASK) == odp_keys.KEY_TUNNEL and inner_ln == ln - 4:
                pads = [at for tun_t, at, _stop in nla_spans(actions, off + 8, nxt) if tun_t == odp_keys.TUN_PAD]
                if any(unpack(actions, at)[0] != 4 for at in pads):
                    return None
                if pads:
                    out.append(actions[kept:off])
                    out.append(_HDR.pack(ln - 4 * len(pads), unpack(actions, off)[1])
                               + _HDR.pack(inner_ln - 4 * len(pads), inner_t))
                    at = off + 8
                    for pad in pads:
                        out.append(actions[at:pad])
                        at = pad + 4
                    kept = at
            elif TUNNEL_PAD in actions[off:nxt]:
                return None         # a PAD inside clone(...), or bytes that look like one
    except MalformedAttribute:
        return None
    if not out:
        return None
    out.append(actions[kept:])
    return b"".join(out)


def _strip_pad(acts: tuple) -> tuple:
    out = []
    for t, p in acts:
        if p.__class__ is tuple:
            if t == odp_actions.ACT_SET:
                p = tuple((kt, tuple(a for a in kp if a[0] != odp_keys.TUN_PAD))
                          if kt == odp_keys.KEY_TUNNEL and kp.__class__ is tuple else (kt, kp) for kt, kp in p)
            elif t == odp_actions.ACT_CLONE:
                p = _strip_pad(p)
        out.append((t, p))
    return tuple(out)
