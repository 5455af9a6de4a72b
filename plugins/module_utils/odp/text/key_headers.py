# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The specially spelled header key attributes: parse and print.

``eth`` (its usual exact spelling parsed without the field loop), ``vlan``
(the TCI as ``vid``, ``pcp``, ``cfi``), ``mpls`` (label stack entries) and
``nsh`` (nested base and MD1 context attributes). Each parser sits next to
its printer; key_codecs.py lists them in its table. The contracts are those
of key_parse.py (parsers: ``(body, pos, ctx, depth) -> (key payload, mask
payload)``) and key_print.py (printers: ``(payload, mask payload | None,
verbose, names) -> body text``, or None when the payload does not fit).
The action files share the TCI, label stack entry and NSH pieces.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_fields import struct_parser
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_numbers import mask_is_exact
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import fields, num

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_VLAN = odp_keys.KEY_BY_NUM[odp_keys.KEY_VLAN].layout
_MPLS = odp_keys.KEY_BY_NUM[odp_keys.KEY_MPLS].layout


# --- eth(src=..,dst=..) ------------------------------------------------------------------

_parse_eth_fields = struct_parser(odp_keys.KEY_BY_NUM[odp_keys.KEY_ETHERNET])
_ETH_FULL = b"\xff" * 12


def parse_eth(body, pos, ctx, depth):
    """eth(src=M,dst=M) exact, the usual spelling, without the field loop."""
    if len(body) == 42 and body[:4] == "src=" and body[21:26] == ",dst=" and "/" not in body:
        try:
            return odp_keys.parse_mac(body[4:21]) + odp_keys.parse_mac(body[26:]), _ETH_FULL
        except ValueError:
            pass
    return _parse_eth_fields(body, pos, ctx, depth)


# --- vlan(vid=5,pcp=3) ------------------------------------------------------------------

#: A TCI's text fields: (shift, width mask).
VLAN_FIELDS = {"vid": (0, odp_keys.VLAN_VID_MASK), "pcp": (odp_keys.VLAN_PCP_SHIFT, 7),
               "cfi": (odp_keys.VLAN_CFI.bit_length() - 1, 1)}


def _parse_tci(body, pos, ctx, field):
    """TCI value and mask from ``vid=``, ``pcp=``, ``cfi=`` fields; cfi is 1 unless given."""
    tci = tci_mask = odp_keys.VLAN_CFI
    for item, item_pos in fields(body, pos):
        name, eq, rest = item.partition("=")
        spec = VLAN_FIELDS.get(name)
        if spec is None or not eq:
            raise ctx.err("unknown field %r" % name, field + "." + name, item_pos)
        shift, top = spec
        value_text, slash, mask_text = rest.partition("/")
        value_pos = item_pos + len(name) + 1
        value = num(value_text, ctx, field + "." + name, value_pos)
        mask = num(mask_text, ctx, field + "." + name, value_pos + len(value_text) + 1) if slash else top
        if value > top or mask > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), field + "." + name, value_pos)
        tci = (tci & ~(top << shift)) | (value << shift)
        tci_mask = (tci_mask & ~(top << shift)) | (mask << shift)
    return tci, tci_mask


def parse_vlan(body, pos, ctx, depth):
    """vlan: the TCI from its fields."""
    tci, tci_mask = _parse_tci(body, pos, ctx, "vlan")
    return _VLAN.pack(tci), _VLAN.pack(tci_mask)


def fmt_tci(tci, mask, verbose):
    """A TCI as ``vid=..,pcp=..`` (and ``cfi=0`` when the CFI bit is clear)."""
    out = []
    vid, vid_mask = tci & odp_keys.VLAN_VID_MASK, mask & odp_keys.VLAN_VID_MASK
    if verbose or vid or vid_mask:
        out.append("vid=%d" % vid if vid_mask == odp_keys.VLAN_VID_MASK else "vid=%d/0x%x" % (vid, vid_mask))
    pcp, pcp_mask = (tci >> odp_keys.VLAN_PCP_SHIFT) & 7, (mask >> odp_keys.VLAN_PCP_SHIFT) & 7
    if verbose or pcp or pcp_mask:
        out.append("pcp=%d" % pcp if pcp_mask == 7 else "pcp=%d/0x%x" % (pcp, pcp_mask))
    if not tci & odp_keys.VLAN_CFI:
        out.append("cfi=0")
    return ",".join(out)


def print_vlan(payload, mask, verbose, names):
    """vlan: the TCI's fields."""
    if len(payload) != 2:
        return None
    return fmt_tci(_VLAN.unpack(payload)[0], 0xFFFF if mask is None else _VLAN.unpack(mask)[0], verbose)


# --- mpls(label=100,tc=0,ttl=64,bos=1) ----------------------------------------------------

_MPLS_FIELDS = {"label": (12, 0xFFFFF), "tc": (9, 7), "bos": (8, 1), "ttl": (0, 0xFF)}


def parse_lse_fields(items, ctx, field, allow_mask=True, extra=None):
    """Label stack entries from label=,tc=,ttl=,bos= items; a repeated field starts a new entry."""
    lses = []
    entry = None
    seen = set()
    extras = {}
    for item, item_pos in items:
        name, eq, rest = item.partition("=")
        if extra and name in extra:
            extras[name] = (rest, item_pos + len(name) + 1)
            continue
        spec = _MPLS_FIELDS.get(name)
        if spec is None or not eq:
            raise ctx.err("unknown field %r" % name, field + "." + name, item_pos)
        if entry is None or name in seen:
            entry = [0, 0]
            lses.append(entry)
            seen = set()
        seen.add(name)
        shift, top = spec
        value_text, slash, mask_text = rest.partition("/")
        value_pos = item_pos + len(name) + 1
        if slash and not allow_mask:
            raise ctx.err("%s takes no mask" % name, field + "." + name, value_pos)
        value = num(value_text, ctx, field + "." + name, value_pos)
        mask = num(mask_text, ctx, field + "." + name, value_pos + len(value_text) + 1) if slash else top
        if value > top or mask > top:
            raise ctx.err("%s out of range (max %d)" % (name, top), field + "." + name, value_pos)
        entry[0] |= value << shift
        entry[1] |= mask << shift
    return lses, extras


def parse_mpls(body, pos, ctx, depth):
    """mpls: 1 to 3 label stack entries."""
    lses, _extra = parse_lse_fields(fields(body, pos), ctx, "mpls")
    if not 1 <= len(lses) <= 3:
        raise ctx.err("mpls needs 1 to 3 label stack entries", "mpls", pos)
    return (b"".join(_MPLS.pack(value) for value, _mask in lses), b"".join(_MPLS.pack(mask) for _value, mask in lses))


def lse_text(lse):
    """One label stack entry, exact: ``label=..,tc=..,ttl=..,bos=..``."""
    return "label=%d,tc=%d,ttl=%d,bos=%d" % (lse >> 12, (lse >> 9) & 7, lse & 0xFF, (lse >> 8) & 1)


def print_mpls(payload, mask, verbose, names):
    """mpls: each label stack entry, every field with its mask unless the whole mask is exact."""
    size = len(payload)
    if not size or size % 4:
        return None
    exact = mask_is_exact(odp_keys.KEY_MPLS, mask)
    if not exact and len(mask) != size:
        return None
    out = []
    for offset in range(0, size, 4):
        lse = _MPLS.unpack_from(payload, offset)[0]
        if exact:
            out.append(lse_text(lse))
        else:
            lse_mask = _MPLS.unpack_from(mask, offset)[0]
            out.append("label=%d/0x%x,tc=%d/%x,ttl=%d/0x%x,bos=%d/%x" % (
                lse >> 12, lse_mask >> 12, (lse >> 9) & 7, (lse_mask >> 9) & 7, lse & 0xFF, lse_mask & 0xFF,
                (lse >> 8) & 1, (lse_mask >> 8) & 1))
    return ",".join(out)


# --- nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x1,si=255,c1=..) --------------------------------

def parse_nsh(body, pos, ctx, depth):
    """nsh: base fields and, when a ``cN`` field is given, the MD1 context."""
    values = dict.fromkeys(odp_keys.NSH_FIELDS, 0)
    masks = dict.fromkeys(odp_keys.NSH_FIELDS, 0)
    tops = {"spi": 0xFFFFFF, "c1": 0xFFFFFFFF, "c2": 0xFFFFFFFF, "c3": 0xFFFFFFFF, "c4": 0xFFFFFFFF}
    md1 = False
    for item, item_pos in fields(body, pos):
        name, eq, rest = item.partition("=")
        if name not in values or not eq:
            raise ctx.err("unknown field %r" % name, "nsh." + name, item_pos)
        top = tops.get(name, 0xFF)
        value_text, slash, mask_text = rest.partition("/")
        value_pos = item_pos + len(name) + 1
        values[name] = num(value_text, ctx, "nsh." + name, value_pos)
        masks[name] = num(mask_text, ctx, "nsh." + name, value_pos + len(value_text) + 1) if slash else top
        if values[name] > top or masks[name] > top:
            raise ctx.err("%s out of range" % name, "nsh." + name, value_pos)
        md1 = md1 or name[0] == "c"
    return _nsh_attrs(values, md1), _nsh_attrs(masks, md1)


def _nsh_attrs(values, md1):
    """The NSH attributes of field values ``values``: base, and MD1 when ``md1``."""
    base = odp_keys.NSH_BASE_LAYOUT.pack(values["flags"], values["ttl"], values["mdtype"], values["np"],
                                         (values["spi"] << 8) | values["si"])
    out = [(odp_keys.NSH_BASE, base)]
    if md1:
        out.append((odp_keys.NSH_MD1, odp_keys.NSH_MD1_LAYOUT.pack(values["c1"], values["c2"], values["c3"],
                                                                   values["c4"])))
    return tuple(out)


def nsh_values(attrs, default):
    """Field name -> value of NSH attributes ``attrs``; ``default`` for fields they do not hold."""
    values = dict(zip(odp_keys.NSH_FIELDS, [default] * len(odp_keys.NSH_FIELDS)))
    for attr_type, payload in attrs:
        if attr_type == odp_keys.NSH_BASE and len(payload) == 8:
            flags, ttl, mdtype, next_proto, path = odp_keys.NSH_BASE_LAYOUT.unpack(payload)
            values.update(flags=flags, ttl=ttl, mdtype=mdtype, np=next_proto, spi=path >> 8, si=path & 0xFF)
        elif attr_type == odp_keys.NSH_MD1 and len(payload) == 16:
            values.update(zip(("c1", "c2", "c3", "c4"), odp_keys.NSH_MD1_LAYOUT.unpack(payload)))
    return values


def _nsh_exact_text(values):
    """nsh's body without a mask: every base field, and the context when mdtype is 1."""
    text = "flags=%d,ttl=%d,mdtype=%d,np=%d,spi=0x%x,si=%d" % (
        values["flags"], values["ttl"], values["mdtype"], values["np"], values["spi"], values["si"])
    if values["mdtype"] == 1:
        text += ",c1=0x%x,c2=0x%x,c3=0x%x,c4=0x%x" % (values["c1"], values["c2"], values["c3"], values["c4"])
    return text


def print_nsh(payload, mask, verbose, names):
    """nsh: the fields the mask matches, with ``/mask`` where partial."""
    values = nsh_values(payload, 0)
    if mask is None:
        return _nsh_exact_text(values)
    mask_attrs = dict(mask)
    masks = nsh_values(tuple((attr_type, mask_attrs[attr_type]) for attr_type, _payload in payload
                             if attr_type in mask_attrs), -1)
    full = dict.fromkeys(odp_keys.NSH_FIELDS, 0xFF)
    full.update(spi=0xFFFFFF, c1=0xFFFFFFFF, c2=0xFFFFFFFF, c3=0xFFFFFFFF, c4=0xFFFFFFFF)
    out = []
    for name in odp_keys.NSH_FIELDS:
        field_mask = masks[name]
        if field_mask < 0:          # not in the mask: OVS treats it as exact
            field_mask = full[name]
        if not field_mask:
            continue
        value = values[name]
        wide = name == "spi" or name[0] == "c"
        if name == "spi" and field_mask == 0xFFFFFF:
            field_mask = 0xFFFFFFFF
        if wide:
            out.append("%s=0x%x" % (name, value) if field_mask == 0xFFFFFFFF
                       else "%s=0x%x/0x%08x" % (name, value, field_mask))
        else:
            out.append("%s=%d" % (name, value) if field_mask == 0xFF
                       else "%s=0x%02x/0x%02x" % (name, value, field_mask))
    return ",".join(out)
