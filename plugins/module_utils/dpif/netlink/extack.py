# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel's reasons for refusing a netlink request (extended acks).

Extended acks: the socket asks for them (NETLINK_EXT_ACK), so when the
kernel refuses a request it may say why ("integer out of range") and point
at the attribute it refused (an offset into the request) and the policy it
failed (type, range, length). Only netlink's own attribute validation fills
them for the OVS families; the openvswitch module's checks give a bare
errno. They are read only from error answers (:func:`kernel_words`), so
successes cost nothing more, and turned into one phrase naming the
attribute: ``integer out of range (attribute
OVS_DP_ATTR_MASKS_CACHE_SIZE: u32 from 0 to 4096)``.

Read only on errors: nothing here is on a success's path. ``start`` is where
a request's attributes begin, after its family's fixed header (``genl.HDR_LEN``
for the OVS families).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import struct
from typing import Dict, List, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import (
    NLA_HDR,
    NLA_TYPE_MASK,
    NLHDR,
    NLM_F_ACK_TLVS,
    NLM_F_CAPPED,
    NLMSG_ERROR,
    AttrNames,
    iter_nlas,
    nla_align,
)

# Extended-ack attributes after an error (enum nlmsgerr_attrs).
NLMSGERR_ATTR_MSG = 1           # string
NLMSGERR_ATTR_OFFS = 2          # u32, offset of the refused attribute in the request
NLMSGERR_ATTR_POLICY = 4        # nested NL_POLICY_TYPE_ATTR_*, the policy it failed
NLMSGERR_ATTR_MISS_TYPE = 5     # u32, type of a missing attribute
NLMSGERR_ATTR_MISS_NEST = 6     # u32, offset of the nest it is missing from
# enum netlink_policy_type_attr.
NL_POLICY_TYPE_ATTR_TYPE = 1
NL_POLICY_TYPE_ATTR_MIN_VALUE_S = 2
NL_POLICY_TYPE_ATTR_MAX_VALUE_S = 3
NL_POLICY_TYPE_ATTR_MIN_VALUE_U = 4
NL_POLICY_TYPE_ATTR_MAX_VALUE_U = 5
NL_POLICY_TYPE_ATTR_MIN_LENGTH = 6
NL_POLICY_TYPE_ATTR_MAX_LENGTH = 7
NL_POLICY_TYPE_ATTR_MASK = 12
#: enum netlink_attribute_type, in words; integers as (name, bits, signed).
POLICY_TYPES = {
    1: "flag", 10: "binary", 11: "string", 12: "NUL-terminated string", 13: "nested attributes",
    14: "nested array", 15: "bitfield32", 16: "signed integer", 17: "unsigned integer",
}
POLICY_INTS = {2: ("u8", 8, False), 3: ("u16", 16, False), 4: ("u32", 32, False), 5: ("u64", 64, False),
               6: ("s8", 8, True), 7: ("s16", 16, True), 8: ("s32", 32, True), 9: ("s64", 64, True)}

_U32 = struct.Struct("=I")
_U64 = struct.Struct("=Q")
_S64 = struct.Struct("=q")


def attr_path(request: bytes, offset: int, names: Optional[AttrNames] = None, *,
              start: int) -> Optional[str]:
    """The attribute at byte ``offset`` of ``request`` (counted from its
    nlmsghdr, as extended acks count), as a dotted path of names from
    ``names`` through the nests that hold it: ``OVS_VPORT_ATTR_OPTIONS.1``
    (a type number where no name is known). ``start`` is where the
    attributes begin (after the family's fixed header). None when no
    attribute of ``request`` is there."""
    parts, _inner = _locate(request, offset, names, start)
    return ".".join(parts) or None


def _locate(request: bytes, offset: int, names: Optional[AttrNames], start: int) -> Tuple[List[str], Optional[AttrNames]]:
    """(path parts, names of the attributes inside it) of the attribute at ``offset``."""
    parts = []
    pos, end = start, len(request)
    while pos + 4 <= end:
        size, raw_type = NLA_HDR.unpack_from(request, pos)
        if size < 4 or pos + size > end:
            break
        if not pos <= offset < pos + size:
            pos += nla_align(size)
            continue
        entry = names.get(raw_type & NLA_TYPE_MASK) if names else None
        parts.append(entry[0] if entry else str(raw_type & NLA_TYPE_MASK))
        names = entry[1] if entry else None
        if offset == pos:
            break
        pos, end = pos + 4, pos + size      # inside it: a nest, one of whose members is meant
    return parts, names


def policy_text(payload) -> str:
    """An NLMSGERR_ATTR_POLICY nest in words: "u32 from 0 to 4096",
    "NUL-terminated string of at most 15 bytes"."""
    got = {}
    for attr_type, value in iter_nlas(payload):
        if attr_type in (NL_POLICY_TYPE_ATTR_MIN_VALUE_S, NL_POLICY_TYPE_ATTR_MAX_VALUE_S) and len(value) >= 8:
            got[attr_type] = _S64.unpack_from(value)[0]
        elif len(value) >= 8:
            got[attr_type] = _U64.unpack_from(value)[0]
        elif len(value) >= 4:
            got[attr_type] = _U32.unpack_from(value)[0]
    kind = got.get(NL_POLICY_TYPE_ATTR_TYPE)
    words = POLICY_TYPES.get(kind, "")
    if kind in POLICY_INTS:
        words, bits, signed = POLICY_INTS[kind]
        full = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        low = got.get(NL_POLICY_TYPE_ATTR_MIN_VALUE_S, got.get(NL_POLICY_TYPE_ATTR_MIN_VALUE_U, full[0]))
        high = got.get(NL_POLICY_TYPE_ATTR_MAX_VALUE_S, got.get(NL_POLICY_TYPE_ATTR_MAX_VALUE_U, full[1]))
        if (low, high) != full:             # the type's own range goes without saying
            words += " from %d to %d" % (low, high)
    if NL_POLICY_TYPE_ATTR_MASK in got:
        words += " with no bits outside 0x%x" % got[NL_POLICY_TYPE_ATTR_MASK]
    shortest, longest = got.get(NL_POLICY_TYPE_ATTR_MIN_LENGTH), got.get(NL_POLICY_TYPE_ATTR_MAX_LENGTH)
    if shortest is not None and longest is not None:
        words += " of %d to %d bytes" % (shortest, longest)
    elif longest is not None:
        words += " of at most %d bytes" % longest
    elif shortest is not None:
        words += " of at least %d bytes" % shortest
    return words.strip()


def kernel_words(data, off: int, request: Optional[bytes] = None, names: Optional[AttrNames] = None, *,
                 start: int) -> Optional[str]:
    """What the kernel said about the request it refused, from the
    extended-ack attributes of the NLMSG_ERROR (or NLMSG_DONE) message at
    ``data[off:]``, or None when it said nothing. ``request`` (the bytes
    sent) and ``names`` turn the offset it points at into an attribute
    path (see :func:`attr_path`)::

        integer out of range (attribute OVS_DP_ATTR_MASKS_CACHE_SIZE: u32 from 0 to 4096)
        missing attribute OVS_DP_ATTR_NAME
    """
    tlvs = _extack_attrs(data, off)
    if not tlvs:
        return None
    text = tlvs.get(NLMSGERR_ATTR_MSG)
    text = bytes(text).split(b"\0", 1)[0].decode("utf-8", "replace") if text is not None else None
    offset = _u32_of(tlvs.get(NLMSGERR_ATTR_OFFS))
    where = attr_path(request, offset, names, start=start) if offset is not None and request is not None else None
    policy = policy_text(tlvs[NLMSGERR_ATTR_POLICY]) if NLMSGERR_ATTR_POLICY in tlvs else None
    missing = _u32_of(tlvs.get(NLMSGERR_ATTR_MISS_TYPE))
    if missing is not None:
        text = (text + ": " if text else "") + "missing attribute " + _missing_name(
            missing, _u32_of(tlvs.get(NLMSGERR_ATTR_MISS_NEST)), request, names, start)
    if where:
        where = "attribute " + where + (": " + policy if policy else "")
        return "%s (%s)" % (text, where) if text else "the kernel refused " + where
    if policy and text:
        return "%s (%s)" % (text, policy)
    return text


def _extack_attrs(data, off: int) -> Dict[int, bytes]:
    """The extended-ack attributes (type -> payload) of the NLMSG_ERROR or
    NLMSG_DONE message at ``data[off:]``; empty when it has none."""
    length, mtype, flags = NLHDR.unpack_from(data, off)[:3]
    if not flags & NLM_F_ACK_TLVS or length < 20:
        return {}
    # NLMSG_ERROR: the error code, then the request's header (and its body
    # unless capped). NLMSG_DONE: the error code alone.
    start = off + 20
    if mtype == NLMSG_ERROR:
        start += 16 if flags & NLM_F_CAPPED else nla_align(_U32.unpack_from(data, off + 20)[0])
    return dict((attr_type, bytes(value)) for attr_type, value in iter_nlas(data, start, off + length))


def _u32_of(payload: Optional[bytes]) -> Optional[int]:
    return _U32.unpack_from(payload)[0] if payload is not None and len(payload) >= 4 else None


def _missing_name(attr_type: int, nest_offset: Optional[int], request: Optional[bytes],
                  names: Optional[AttrNames], start: int) -> str:
    """The name of a missing attribute, at top level or in the nest at
    ``nest_offset`` of ``request``: "OVS_TUNNEL_ATTR_DST_PORT in OVS_VPORT_ATTR_OPTIONS"."""
    nest = []
    if nest_offset is not None:
        nest, names = _locate(request, nest_offset, names, start) if request is not None else ([], None)
    entry = names.get(attr_type) if names else None
    name = entry[0] if entry else str(attr_type)
    return "%s in %s" % (name, ".".join(nest)) if nest else name
