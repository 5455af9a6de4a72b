# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key attribute printers of the ovs-dpctl text form.

A printer takes ``(payload, mask payload | None, verbose, names)``
(None: no mask, exact; ``names``: port numbers to names or None) and
returns the text between the attribute's parentheses as ``dump-flows``
prints it, or None when the payload does not fit (the caller then prints
it raw). They are built from the rows of keys.py once at import, by
attribute number. :func:`format_key_list` prints a whole key and mask,
:func:`format_attr` one attribute; :func:`key_item_text`,
:func:`missing_eth_type_text`, :func:`struct_key_printer` and
:func:`leaf_key_printer` are the pieces the dump printer (printer.py)
uses to print a table's keys faster.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import (
    CT_BY_BIT,
    OVS_UNNAMED_KEYS,
    TCP_BY_BIT,
    all_ones,
    fmt_flags,
    fmt_flags_masked,
    hex,
    u128_hex,
)
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.tunnel import fmt_tunnel

# Assigned, not imported by name: CPython compiles NAME.meth() of a name an import
# binds as an attribute load and a call, without the method-call fast path.
_U32 = odp_keys.U32
_U16 = odp_keys.U16
_BE16 = odp_keys.BE16
_BE32 = odp_keys.BE32


def _exact(t, m):
    """odp_mask_attr_is_exact: ignores padding and bits the field cannot hold."""
    if m is None:
        return True
    if m.__class__ is tuple or t in OVS_UNNAMED_KEYS:
        return False
    if t == odp_keys.KEY_TCP_FLAGS:
        return len(m) == 2 and (_BE16.unpack(m)[0] & 0xFFF) == 0xFFF
    if t == odp_keys.KEY_IPV6 and len(m) == 40:
        return all_ones(m[:32]) and (_BE32.unpack_from(m, 32)[0] & 0xFFFFF) == 0xFFFFF and all_ones(m[36:])
    if t == odp_keys.KEY_ARP:
        return all_ones(m[:22])
    if t == odp_keys.KEY_CT_ORIG_TUPLE_IPV4:
        return all_ones(m[:13])
    if t == odp_keys.KEY_CT_ORIG_TUPLE_IPV6:
        return all_ones(m[:37])
    return all_ones(m)


def _wildcard(t, m):
    """odp_mask_attr_is_wildcard."""
    if m.__class__ is tuple:
        return not m
    if t in OVS_UNNAMED_KEYS or t not in odp_keys.KEY_BY_NUM:
        return False
    return not any(m)


def _struct_fields(row):
    """Per field of struct attribute ``row``: (``name=``, value index, kind,
    whether it is frag, whether its mask is an integer)."""
    return [(f.name + "=", f.index, odp_keys.KINDS[f.kind], f.kind == "frag", isinstance(odp_keys.KINDS[f.kind].full, int))
            for f in row.fields]


def _struct_parts(fields, m, verbose):
    """How the ``fields`` (:func:`_struct_fields`) of a struct attribute
    print under its unpacked mask ``m``: ``(prefix, value index, value
    printer, suffix)`` per printed field, in order. A frag field with a
    partial mask prints an error instead of its value: index None, the
    whole text as prefix."""
    parts = []
    for pre, i, kind, frag, isint in fields:
        mi = m[i]
        if frag:
            if mi == 0:
                continue
            if mi != 0xFF:
                parts.append(("error: partial mask not supported for frag (%s)" % hex(mi), None, None, ""))
            else:
                parts.append((pre, i, kind.fmt, ""))
            continue
        if not verbose and mi == kind.zero:
            continue
        if (mi & kind.full) == kind.full if isint else mi == kind.full:
            parts.append((pre, i, kind.fmt, ""))
        else:
            parts.append((pre, i, kind.fmt, "/" + kind.fmt_mask(mi)))
    return parts


def _struct_text(parts, v):
    """A struct attribute's body: ``parts`` (:func:`_struct_parts`) applied
    to its unpacked values ``v``."""
    return ",".join([pre if i is None else pre + fmt(v[i]) + suffix for pre, i, fmt, suffix in parts])


def _mk_struct_fmt(row):
    unpack = row.layout.unpack
    size = row.size
    fields = _struct_fields(row)
    exact = [(pre, i, kind.fmt, "") for pre, i, kind, _frag, _isint in fields]     # no mask

    def fmt(p, ma, verbose, names):
        if len(p) != size or (ma is not None and len(ma) != size):
            return None
        parts = exact if ma is None else _struct_parts(fields, unpack(ma), verbose)
        return _struct_text(parts, unpack(p))
    return fmt


def _fmt_u32x(t):
    def fmt(p, ma, verbose, names):
        if len(p) != 4:
            return None
        s = hex(_U32.unpack(p)[0])
        if not _exact(t, ma):
            s += "/" + hex(_U32.unpack(ma)[0])
        return s
    return fmt


def _fmt_ct_u(t, st):
    def fmt(p, ma, verbose, names):
        if len(p) != st.size:
            return None
        if not verbose and ma is not None and not any(ma):
            return ""
        s = hex(st.unpack(p)[0])
        if not _exact(t, ma):
            s += "/" + hex(st.unpack(ma)[0])
        return s
    return fmt


def _fmt_in_port(p, ma, verbose, names):
    if len(p) != 4:
        return None
    port = _U32.unpack(p)[0]
    if _exact(odp_keys.KEY_IN_PORT, ma):
        if names:
            name = names.get(port)
            if name is not None:
                return name
        return str(port)
    return "%d/%s" % (port, hex(_U32.unpack(ma)[0]))


def _fmt_eth_type(p, ma, verbose, names):
    if len(p) != 2:
        return None
    s = "0x%04x" % _BE16.unpack(p)[0]
    if not _exact(odp_keys.KEY_ETHERTYPE, ma):
        s += "/0x%04x" % _BE16.unpack(ma)[0]
    return s


def _fmt_ct_state(p, ma, verbose, names):
    if len(p) != 4:
        return None
    v = _U32.unpack(p)[0]
    if verbose:
        s = hex(v)
        if not _exact(odp_keys.KEY_CT_STATE, ma):
            s += "/" + hex(_U32.unpack(ma)[0])
        return s
    m = 0xFFFFFFFF if ma is None else _U32.unpack(ma)[0]
    return fmt_flags_masked(v, m, 0xFFFFFFFF, CT_BY_BIT)


def _fmt_tcp_flags(p, ma, verbose, names):
    if len(p) != 2:
        return None
    v = _BE16.unpack(p)[0]
    if not _exact(odp_keys.KEY_TCP_FLAGS, ma):
        return fmt_flags_masked(v, _BE16.unpack(ma)[0] & 0xFFF, 0xFFF, TCP_BY_BIT)
    return fmt_flags(v, TCP_BY_BIT)


def _fmt_ct_label(p, ma, verbose, names):
    if len(p) != 16:
        return None
    if verbose or (ma is not None and any(ma)):
        s = u128_hex(p)
        if ma is not None and not all_ones(ma):
            s += "/" + u128_hex(ma)
        return s
    return ""


def fmt_tci(tci, mask, verbose):
    out = []
    vid, vm = tci & 0xFFF, mask & 0xFFF
    if verbose or vid or vm:
        out.append("vid=%d" % vid if vm == 0xFFF else "vid=%d/0x%x" % (vid, vm))
    pcp, pm = (tci >> 13) & 7, (mask >> 13) & 7
    if verbose or pcp or pm:
        out.append("pcp=%d" % pcp if pm == 7 else "pcp=%d/0x%x" % (pcp, pm))
    if not tci & 0x1000:
        out.append("cfi=0")
    return ",".join(out)


def _fmt_vlan(p, ma, verbose, names):
    if len(p) != 2:
        return None
    return fmt_tci(_BE16.unpack(p)[0], 0xFFFF if ma is None else _BE16.unpack(ma)[0], verbose)


def lse_text(v):
    return "label=%d,tc=%d,ttl=%d,bos=%d" % (v >> 12, (v >> 9) & 7, v & 0xFF, (v >> 8) & 1)


def _fmt_mpls(p, ma, verbose, names):
    n = len(p)
    if not n or n % 4:
        return None
    exact = _exact(odp_keys.KEY_MPLS, ma)
    if not exact and len(ma) != n:
        return None
    out = []
    for i in range(0, n, 4):
        v = _BE32.unpack_from(p, i)[0]
        if exact:
            out.append(lse_text(v))
        else:
            m = _BE32.unpack_from(ma, i)[0]
            out.append("label=%d/0x%x,tc=%d/%x,ttl=%d/0x%x,bos=%d/%x" % (
                v >> 12, m >> 12, (v >> 9) & 7, (m >> 9) & 7, v & 0xFF, m & 0xFF, (v >> 8) & 1, (m >> 8) & 1))
    return ",".join(out)


def _fmt_encap(p, ma, verbose, names):
    if ma is not None and ma and p:
        return format_key_list(p, ma, verbose, names, False)
    if p:
        return format_key_list(p, None, verbose, names, False)
    return ""


def nsh_values(attrs, default):
    d = dict(zip(odp_keys.NSH_FIELDS, [default] * len(odp_keys.NSH_FIELDS)))
    for t, v in attrs:
        if t == odp_keys.NSH_BASE and len(v) == 8:
            fl, ttl, md, np_, ph = odp_keys.NSH_BASE_LAYOUT.unpack(v)
            d.update(flags=fl, ttl=ttl, mdtype=md, np=np_, spi=ph >> 8, si=ph & 0xFF)
        elif t == odp_keys.NSH_MD1 and len(v) == 16:
            d.update(zip(("c1", "c2", "c3", "c4"), odp_keys.NSH_MD1_LAYOUT.unpack(v)))
    return d


def _fmt_nsh_exact(k):
    s = "flags=%d,ttl=%d,mdtype=%d,np=%d,spi=0x%x,si=%d" % (
        k["flags"], k["ttl"], k["mdtype"], k["np"], k["spi"], k["si"])
    if k["mdtype"] == 1:
        s += ",c1=0x%x,c2=0x%x,c3=0x%x,c4=0x%x" % (k["c1"], k["c2"], k["c3"], k["c4"])
    return s


def _fmt_nsh(p, ma, verbose, names):
    k = nsh_values(p, 0)
    if ma is None:
        return _fmt_nsh_exact(k)
    mdict = dict(ma)
    m = nsh_values(tuple((t, mdict[t]) for t, _v in p if t in mdict), -1)
    full = dict.fromkeys(odp_keys.NSH_FIELDS, 0xFF)
    full.update(spi=0xFFFFFF, c1=0xFFFFFFFF, c2=0xFFFFFFFF, c3=0xFFFFFFFF, c4=0xFFFFFFFF)
    out = []
    for name in odp_keys.NSH_FIELDS:
        mv = m[name]
        if mv < 0:          # not in the mask: OVS treats it as exact
            mv = full[name]
        if not mv:
            continue
        v = k[name]
        wide = name == "spi" or name[0] == "c"
        if name == "spi" and mv == 0xFFFFFF:
            mv = 0xFFFFFFFF
        if wide:
            out.append("%s=0x%x" % (name, v) if mv == 0xFFFFFFFF else "%s=0x%x/0x%08x" % (name, v, mv))
        else:
            out.append("%s=%d" % (name, v) if mv == 0xFF else "%s=0x%02x/0x%02x" % (name, v, mv))
    return ",".join(out)


def _fmt_generic(p, ma, verbose, names):
    if p.__class__ is tuple:
        return ""
    s = " ".join("%02x" % c for c in p)
    if ma is not None and ma.__class__ is bytes and not all_ones(ma):
        s += "/" + " ".join("%02x" % c for c in ma)
    return s


_KEY_FORMATTERS = {}
# Struct attributes printed field by field (by _mk_struct_fmt, not by a formatter of their own).
_STRUCT_KEY_ROWS = {}
for _row in odp_keys.KEY_TABLE:
    if _row.fields and _row.layout is not None and len(_row.fields) > 1:
        _KEY_FORMATTERS[_row.num] = _mk_struct_fmt(_row)
        if _row.num not in OVS_UNNAMED_KEYS:
            _STRUCT_KEY_ROWS[_row.num] = _row
for _num_ in (odp_keys.KEY_PRIORITY, odp_keys.KEY_SKB_MARK, odp_keys.KEY_DP_HASH, odp_keys.KEY_RECIRC_ID):
    _KEY_FORMATTERS[_num_] = _fmt_u32x(_num_)
_OWN_FORMATTERS = {
    odp_keys.KEY_CT_MARK: _fmt_ct_u(odp_keys.KEY_CT_MARK, _U32),
    odp_keys.KEY_CT_ZONE: _fmt_ct_u(odp_keys.KEY_CT_ZONE, _U16),
    odp_keys.KEY_IN_PORT: _fmt_in_port,
    odp_keys.KEY_ETHERTYPE: _fmt_eth_type,
    odp_keys.KEY_CT_STATE: _fmt_ct_state,
    odp_keys.KEY_TCP_FLAGS: _fmt_tcp_flags,
    odp_keys.KEY_CT_LABELS: _fmt_ct_label,
    odp_keys.KEY_VLAN: _fmt_vlan,
    odp_keys.KEY_MPLS: _fmt_mpls,
    odp_keys.KEY_ENCAP: _fmt_encap,
    odp_keys.KEY_TUNNEL: fmt_tunnel,
    odp_keys.KEY_NSH: _fmt_nsh,
}
_KEY_FORMATTERS.update(_OWN_FORMATTERS)
for _num_ in _OWN_FORMATTERS:
    _STRUCT_KEY_ROWS.pop(_num_, None)
_NESTED_KEYS = frozenset((odp_keys.KEY_ENCAP, odp_keys.KEY_TUNNEL, odp_keys.KEY_NSH))


def struct_key_printer(t: int, ma, verbose: bool):
    """What :func:`key_item_text` prints for struct attribute ``t`` under the
    mask payload ``ma``, as a function of the attribute's raw bytes (header
    included), specialised for that mask: which fields print, and exact or
    with ``/mask``, is decided here once instead of for every key. The
    function returns None for a payload not of the struct's size (the caller
    then takes the general path). None when ``t`` is not such an attribute,
    ``ma`` is not a mask of its size, or the attribute does not print."""
    row = _STRUCT_KEY_ROWS.get(t)
    if row is None or ma.__class__ is not bytes or len(ma) != row.size:
        return None
    if not verbose and _wildcard(t, ma):
        return None
    parts = _struct_parts(_struct_fields(row), row.layout.unpack(ma), verbose)
    # The text as a %-format with a value per printed field: one C call
    # where a join of per-field texts was several Python steps.
    texts = [pre.replace("%", "%%") if i is None else pre.replace("%", "%%") + "%s" + suffix.replace("%", "%%")
             for pre, i, _f, suffix in parts]
    fmt = _key_name(t) + "(" + ",".join(texts) + ")"
    fields = [(i, f) for _pre, i, f, _suffix in parts if i is not None]
    size = row.size + 4
    unpack_from = row.layout.unpack_from
    if len(fields) == 1:
        ((i0, f0),) = fields

        def printer(raw):
            return fmt % f0(unpack_from(raw, 4)[i0]) if len(raw) == size else None
    elif len(fields) == 2:
        (i0, f0), (i1, f1) = fields

        def printer(raw):
            if len(raw) != size:
                return None
            v = unpack_from(raw, 4)
            return fmt % (f0(v[i0]), f1(v[i1]))
    else:
        def printer(raw):
            if len(raw) != size:
                return None
            v = unpack_from(raw, 4)
            return fmt % tuple([f(v[i]) for i, f in fields])
    return printer


def leaf_key_printer(t: int, ma, verbose: bool, names):
    """As :func:`struct_key_printer`, for an attribute that is not a struct
    but has a formatter of its own (vlan's TCI, mpls, ct_state...): the
    mask's decisions (whether it prints, and its bytes) taken once. Its
    function returns None where the formatter does (the caller then takes
    the general path)."""
    fmt = _KEY_FORMATTERS.get(t)
    if fmt is None or t in _NESTED_KEYS or t in OVS_UNNAMED_KEYS or ma.__class__ is not bytes:
        return None
    if not verbose and _wildcard(t, ma):
        return None
    head = _key_name(t) + "("

    def printer(raw):
        body = fmt(raw[4:], ma, verbose, names)
        return None if body is None else head + body + ")"
    return printer


def _key_name(t):
    row = odp_keys.KEY_BY_NUM.get(t)
    if row is None or t in OVS_UNNAMED_KEYS:
        return "key%d" % t
    return row.name


def format_attr(t, p, ma, verbose, names):
    fmt = _KEY_FORMATTERS.get(t)
    if fmt is None or t in OVS_UNNAMED_KEYS or (p.__class__ is tuple) != (t in _NESTED_KEYS):
        body = _fmt_generic(p, ma, verbose, names)
    else:
        if ma is not None and (ma.__class__ is tuple) != (t in _NESTED_KEYS):
            ma = None
        body = fmt(p, ma, verbose, names)
        if body is None:
            body = _fmt_generic(p, ma, verbose, names)
    return _key_name(t) + "(" + body + ")"


def format_key_list(key, mask, verbose, names, top=True):
    if not key:
        return "<empty>" if top else ""
    mdict = dict(mask) if mask else None
    out = []
    first = True
    has_ethtype = False
    for t, p in key:
        if t == odp_keys.KEY_ETHERTYPE:
            has_ethtype = True
        item = key_item_text(t, p, mdict, verbose, names)
        if item is not None:
            if not first:
                out.append(",")
            out.append(item)
            first = False
    if not has_ethtype and mdict is not None:
        out.append(missing_eth_type_text(mdict))
    return "".join(out)


def key_item_text(t: int, p, mdict: dict | None, verbose: bool, names) -> str | None:
    """One key attribute as dump-flows prints it, given the mask attributes
    by type (None: no mask), or None when the terse form leaves it out."""
    ma = None
    wild = False
    if mdict is not None:
        ma = mdict.get(t)
        wild = True if ma is None else _wildcard(t, ma)
    if verbose or not wild or t in _NESTED_KEYS:
        if wild and ma is None:
            ma = () if p.__class__ is tuple else bytes(len(p))
        return format_attr(t, p, ma, verbose, names)
    if t == odp_keys.KEY_ETHERNET:
        return "eth()"
    return None


def missing_eth_type_text(mdict: dict) -> str:
    """What dump-flows appends when the key has no eth_type but the mask
    has one (a flow without L2 type match), else ''."""
    ma = mdict.get(odp_keys.KEY_ETHERTYPE)
    if ma is not None and ma.__class__ is bytes and len(ma) == 2:
        return ",eth_type(0/0x%04x)" % _BE16.unpack(ma)[0]
    return ""
