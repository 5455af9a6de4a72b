# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The structured (YAML) form of flows.

A flow is a mapping: each key attribute by its dpctl name, then
``actions`` and optionally ``ufid``::

    in_port: 1                      # or a port name
    eth: {}                         # eth() = any Ethernet frame
    eth_type: 0x0800
    ipv4: {dst: 10.0.0.0/24, proto: 6}   # value, value/mask, or CIDR
    tcp: {dst: 80}
    tcp_flags: 0/0
    ct_state: +trk-new
    tunnel: {tun_id: 0x5, dst: 1.1.1.1, ttl: 64, flags: +key, vxlan: {gbp: {id: 10}}}
    mpls: [{label: 100, tc: 0, ttl: 64, bos: 1}]
    encap: {eth_type: 0x0800, ipv4: {proto: 17}, udp: {}}
    actions:
      - 2                            # dpctl action text, or
      - {ct: {commit: true, nat: {src: 10.0.0.1-10.0.0.9}}}   # one-key mapping
      - {set: {ipv4: {ttl: 5}}}

Scalar fields take an int or a ``"value/mask"`` string. Conversion goes
through the text parser one attribute at a time, so both forms share every
rule. Errors are FlowSyntaxErrors naming the whole flow, with ``field`` the
path in this form (``ipv4.dst``, ``vlan.vid``, ``actions[1].ct``) and the
text parser's full reason ("vid out of range (max 4095)"); a column of the
text the conversion made would mean nothing here, so ``position`` is None.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as odp_text
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow, mask_for
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_parse import VLAN_FIELDS
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_print import format_attr, wildcard
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.scanner import fields

try:
    import jsonschema
except ImportError:     # optional: conversion works without it
    jsonschema = None

_SCALAR = {"type": ["integer", "string"]}


def _struct_schema(row):
    """The schema of struct attribute ``row``: a mapping of its fields."""
    names = [f.name for f in row.fields]
    if row.num == odp_keys.KEY_CT_ORIG_TUPLE_IPV6:
        names += ["tp_src", "tp_dst"]
    return {"type": "object", "properties": {n: _SCALAR for n in names}, "additionalProperties": False}


def _key_schema():
    """The schema of a key: each attribute the kernel accepts, by name."""
    props = {}
    for row in odp_keys.KEY_TABLE:
        if not row.kernel:
            continue
        if row.fields and len(row.fields) > 1:
            props[row.name] = _struct_schema(row)
        else:
            props[row.name] = _SCALAR
    props["vlan"] = {"type": "object", "properties": {n: _SCALAR for n in VLAN_FIELDS},
                     "additionalProperties": False}
    props["mpls"] = {"type": "array", "minItems": 1, "maxItems": 3,
                     "items": {"type": "object", "properties": {n: _SCALAR for n in ("label", "tc", "ttl", "bos")},
                               "additionalProperties": False}}
    props["tunnel"] = {"type": "object", "additionalProperties": False, "properties": dict(
        {r.name: _SCALAR for r in odp_keys.TUNNEL_TABLE if r.kind}, flags={"type": "string"},
        geneve={"type": "string"}, vxlan={"type": "object"})}
    props["nsh"] = {"type": "object", "properties": {n: _SCALAR for n in odp_keys.NSH_FIELDS},
                    "additionalProperties": False}
    props["encap"] = {"$ref": "#/definitions/key"}
    return {"type": "object", "properties": props, "additionalProperties": False}


FLOW_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "datapath flow",
    "definitions": {
        "key": _key_schema(),
        "actions": {"type": "array", "items": {"anyOf": [
            {"type": ["string", "integer"]},
            {"type": "object", "minProperties": 1, "maxProperties": 1}]}},
    },
    "type": "object",
    "required": ["actions"],
    "properties": dict(_key_schema()["properties"], actions={"$ref": "#/definitions/actions"},
                       ufid={"type": "string", "pattern": "^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"}),
    "additionalProperties": False,
}


def validate_struct(doc) -> None:
    """Check ``doc`` against FLOW_SCHEMA (when jsonschema is installed) and by
    converting it; raise FlowSyntaxError naming the path of the first bad field."""
    if jsonschema is not None:
        validator = jsonschema.Draft7Validator(FLOW_SCHEMA)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            path = _path_text(e.absolute_path)
            raise FlowSyntaxError(_short(doc), e.message, path or "flow", op="validate flow")
    flow_from_struct(doc)


def _path_text(parts):
    """A schema error's path as this form's field path (``actions[1].ct``)."""
    out = ""
    for part in parts:
        out += "[%d]" % part if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _short(doc):
    """The flow ``doc`` as errors name it: its repr, cut to 200 characters."""
    return repr(doc)[:200]


# --- structured -> model ---------------------------------------------------------

_CIDR = re.compile(r"^(.*)/(\d{1,3})$")
_IP_FIELDS = {"src", "dst", "sip", "tip", "target", "ipv6_src", "ipv6_dst"}
#: Tunnel fields that hold fields of their own (vxlan: {gbp: {...}}).
_TUNNEL_NESTED = {r.name for r in odp_keys.TUNNEL_TABLE if r.size == odp_keys.NESTED}


def _scalar(v, path, field=None):
    """``v`` (a field's value) as text for the text parser; FlowSyntaxError
    naming ``path`` when it is no scalar. ``field`` is the field's name:
    an address field takes CIDR notation, made an address/netmask here."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise _err(path, "expected a number or a string, not %s" % _kind(v))
    if isinstance(v, int):
        return str(v)
    if field in _IP_FIELDS:
        m = _CIDR.match(v)
        if m and ("." in m.group(1) or ":" in m.group(1)):
            return "%s/%s" % (m.group(1), _netmask(m.group(1), m.group(2), path))
    return v


def _netmask(address, bits, path):
    """The netmask of an ``address/bits`` field value; FlowSyntaxError when either is wrong."""
    try:
        family = ipaddress.ip_address(address).version
    except ValueError:
        raise _err(path, "'%s' is not an IPv4 or IPv6 address" % address) from None
    longest = 32 if family == 4 else 128
    if int(bits) > longest:
        raise _err(path, "prefix length /%s is too long for an IPv%d address (at most /%d)"
                   % (bits, family, longest))
    return ipaddress.ip_network("%s/%s" % (address, bits), strict=False).netmask


def _kind(v):
    """What a YAML reader calls the type of ``v``."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, float):
        return "a float"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, int):
        return "a number"
    return "a %s" % type(v).__name__


def _fields_text(d, path):
    """Mapping ``d`` of fields as ``name=value,...`` text (nested mappings as ``name(...)``)."""
    if not isinstance(d, dict):
        raise _err(path, "expected a mapping, not %s" % _kind(d))
    parts = []
    for k, v in d.items():
        sub = "%s.%s" % (path, k)
        if isinstance(v, dict):
            parts.append("%s(%s)" % (k, _fields_text(v, sub)))
        else:
            parts.append("%s=%s" % (k, _scalar(v, sub, k)))
    return ",".join(parts)


def _err(path, detail, doc=None):
    """A conversion error at ``path``; ``doc`` names the flow (flow_from_struct
    puts it in when a helper did not have it)."""
    return FlowSyntaxError(_short(doc) if doc is not None else path, detail, path, op="convert flow")


def _attr_text(name, v, path):
    """Key attribute ``name`` with structured value ``v`` as dpctl text."""
    if name == "encap":
        return "encap(%s)" % ",".join(_attr_text(k, vv, "%s.%s" % (path, k)) for k, vv in _items(v, path))
    if name == "mpls":
        if not isinstance(v, list):
            raise _err(path, "expected a list of label stack entries, not %s" % _kind(v))
        return "mpls(%s)" % ",".join(_fields_text(e, "%s[%d]" % (path, i)) for i, e in enumerate(v))
    if name == "tunnel":
        parts = []
        for k, vv in _items(v, path):
            sub = "%s.%s" % (path, k)
            if k in ("flags", "geneve"):
                parts.append("%s(%s)" % (k, _scalar(vv, sub)))
            elif k in _TUNNEL_NESTED:
                parts.append("%s(%s)" % (k, _fields_text(vv, sub)))
            else:
                parts.append("%s=%s" % (k, _scalar(vv, sub, k)))
        return "tunnel(%s)" % ",".join(parts)
    if isinstance(v, dict):
        return "%s(%s)" % (name, _fields_text(v, path))
    if v is None:
        raise _err(path, "expected a value, or a mapping of fields ({} for none), not null")
    return "%s(%s)" % (name, _scalar(v, path))


def _items(v, path):
    """The items of mapping ``v``; FlowSyntaxError at ``path`` when it is none."""
    if not isinstance(v, dict):
        raise _err(path, "expected a mapping, not %s" % _kind(v))
    return v.items()


def _action_text(a, path):
    """Structured action ``a`` (text or a one-key mapping) as dpctl text."""
    if isinstance(a, bool):
        raise _err(path, "expected an action")
    if isinstance(a, (int, str)):
        return str(a)
    if not isinstance(a, dict) or len(a) != 1:
        raise _err(path, "an action is a string or a mapping with one key, not %s" % _kind(a))
    (name, v), = a.items()
    path = "%s.%s" % (path, name)
    if name == "dec_ttl":
        return "dec_ttl(le_1(%s))" % _actions_text(v, path)
    if name == "clone":
        return "clone(%s)" % _actions_text(v, path)
    if name == "hash" and isinstance(v, dict) and len(v) == 1:
        (alg, basis), = v.items()
        return "hash(%s(%s))" % (alg, basis)
    if name == "set":
        if not isinstance(v, dict) or len(v) != 1:
            raise _err(path, "set takes one key attribute")
        (k, vv), = v.items()
        return "set(%s)" % _attr_text(k, vv, "%s.%s" % (path, k))
    if isinstance(v, dict):
        parts = []
        for k, vv in v.items():
            if vv is True:
                parts.append(k)
            elif isinstance(vv, list):
                parts.append("%s(%s)" % (k, _actions_text(vv, "%s.%s" % (path, k))))
            elif isinstance(vv, dict):
                parts.append("%s(%s)" % (k, _action_args(vv)))
            elif k == "userdata":
                parts.append("userdata(%s)" % vv)
            elif vv is False or vv is None:
                continue
            else:
                parts.append("%s=%s" % (k, vv))
        return "%s(%s)" % (name, ",".join(parts))
    if isinstance(v, list):
        return "%s(%s)" % (name, _actions_text(v, path))
    if v is None or v is True:
        return str(name)
    return "%s(%s)" % (name, v)


def _action_args(d):
    """An action's argument mapping as ``word,name=value,...`` (true: the bare word; false or null: left out)."""
    return ",".join(k if vv is True else "%s=%s" % (k, vv) for k, vv in d.items() if vv not in (False, None))


def _actions_text(v, path):
    """A list of structured actions as dpctl text (``drop`` when empty)."""
    if not isinstance(v, list):
        raise _err(path, "expected a list of actions, not %s" % _kind(v))
    if not v:
        return "drop"
    return ",".join(_action_text(a, "%s[%d]" % (path, i)) for i, a in enumerate(v))


def flow_from_struct(doc, *, port_numbers=None) -> Flow:
    """A Flow from the structured form. FlowSyntaxError (op "convert
    flow") names the flow, the path of the bad field in this form and the
    full reason."""
    if not isinstance(doc, dict):
        raise _err("flow", "a flow is a mapping, not %s" % _kind(doc), doc)
    keys = []
    masks = []
    for name, v in doc.items():
        if name in ("actions", "ufid"):
            continue
        name = str(name)
        if name in odp_keys.USERSPACE_ONLY_KEYS:
            raise _err(name, "%s is userspace-datapath only" % name, doc)
        try:
            k, m = odp_text.parse_key(_attr_text(name, v, name), port_numbers=port_numbers)
        except FlowSyntaxError as e:
            raise _restate(e, doc, _key_field(name, e)) from None
        keys.extend(k)
        masks.extend(m)
    if "actions" not in doc:
        raise _err("actions", "actions are required (use [] for drop)", doc)
    if not isinstance(doc["actions"], list):
        raise _err("actions", "expected a list, not %s" % _kind(doc["actions"]), doc)
    acts = []
    for i, a in enumerate(doc["actions"]):
        path = "actions[%d]" % i
        try:
            txt = _action_text(a, path)
            if txt.lower() != "drop":
                acts.extend(odp_text.parse_actions(txt, port_numbers=port_numbers))
        except FlowSyntaxError as e:
            name = next(iter(a)) if isinstance(a, dict) and len(a) == 1 else None
            raise _restate(e, doc, _action_field(path, name, e)) from None
    ufid = None
    if doc.get("ufid") is not None:
        try:
            ufid = odp_text.ufid_from_text(str(doc["ufid"]), _short(doc))
        except FlowSyntaxError as e:
            raise _restate(e, doc, "ufid") from None
    return Flow(tuple(keys), tuple(masks), tuple(acts), ufid)


def _restate(e, doc, field):
    """``e`` about the whole flow ``doc``, at ``field``, with its full reason."""
    return FlowSyntaxError(_short(doc), e.detail, field, op="convert flow")


def _key_field(name, e):
    """The structured path of key attribute ``name``'s error ``e``: the
    conversion's own path, or the text parser's field under ``name``."""
    if e.op == "convert flow":
        return e.field
    field = e.field or name
    return field if field == name or field.startswith(name + ".") else "%s.%s" % (name, field)


def _action_field(path, name, e):
    """The structured path of the error ``e`` of the action at ``path``, a
    mapping ``{name: ...}`` or (``name`` None) a text action. The text
    parser's field starts at the action ("ct.zone"), or for set at the key
    attribute ("ipv4.ttl"), which go under ``name``."""
    if e.op == "convert flow":
        return e.field
    field = e.field or ""
    if field.startswith("actions."):
        field = field[len("actions."):]
    if name is not None:
        name = str(name)
        if field != name and not field.startswith(name + "."):
            field = "%s.%s" % (name, field) if field else name
    return "%s.%s" % (path, field) if field else path


# --- model -> structured ------------------------------------------------------------

def _value(s):
    """A printed value as the structured form holds it: an int when plain decimal, else the text."""
    if s.isdigit() and (s == "0" or s[0] != "0"):
        return int(s)
    return s


def _body_to_struct(body):
    """A printed attribute body as a mapping of its fields, or its one value."""
    items = fields(body, 0)
    if not items:
        return {}
    if not any("=" in it.split("(")[0] or it.endswith(")") for it, _pos in items):
        return _value(body)
    out = {}
    for it, _pos in items:
        if "=" in it.split("(")[0]:
            k, _sep, v = it.partition("=")
            out[k] = _value(v)
        else:
            k, _sep, v = it.partition("(")
            v = v[:-1]
            if k in ("flags", "geneve"):
                out[k] = v
            else:
                out[k] = _body_to_struct(v)
    return out


def _key_to_struct(key, mask, port_names):
    """The structured form of a key under ``mask``: its terse text, attribute by attribute."""
    out = {}
    mask_attrs = dict(mask) if mask else None
    for attr_type, payload in key:
        attr_mask = mask_for(mask_attrs, attr_type, payload)
        if attr_mask is not None and wildcard(attr_type, attr_mask) and attr_type not in (
                odp_keys.KEY_ETHERNET, odp_keys.KEY_ENCAP, odp_keys.KEY_TUNNEL):
            continue
        name = odp_keys.KEY_BY_NUM[attr_type].name if attr_type in odp_keys.KEY_BY_NUM else "key%d" % attr_type
        if attr_type == odp_keys.KEY_ENCAP:
            out[name] = _key_to_struct(payload, attr_mask if attr_mask else None, port_names)
            continue
        txt = format_attr(attr_type, payload, attr_mask, False, port_names)
        body = txt[txt.index("(") + 1:-1]
        if attr_type == odp_keys.KEY_MPLS:
            entries = []
            for it, _pos in fields(body, 0):
                k, _sep, v = it.partition("=")
                if k == "label":
                    entries.append({})
                entries[-1][k] = _value(v)
            out[name] = entries
        elif attr_type == odp_keys.KEY_ETHERNET and not body:
            out[name] = {}
        else:
            out[name] = _body_to_struct(body) if "=" in body or attr_type == odp_keys.KEY_TUNNEL else _value(body)
    return out


def flow_to_struct(flow: Flow, *, port_names=None) -> dict:
    """The structured form: terse key (wildcarded attributes left out),
    actions as dpctl action strings, ufid when the flow has one."""
    out = _key_to_struct(flow.key, flow.mask, port_names)
    out["actions"] = [odp_text.format_actions((a,), port_names=port_names) for a in flow.actions]
    if flow.ufid is not None:
        out["ufid"] = odp_text.ufid_to_text(flow.ufid)
    return out
