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
rule; errors carry the path (``ipv4.dst``, ``actions[1].ct``).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.dpif.ovs.plugins.module_utils.errors import FlowSyntaxError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow

try:
    import jsonschema
except ImportError:     # optional: conversion works without it
    jsonschema = None

_SCALAR = {"type": ["integer", "string"]}
_FIELDS = {"type": "object", "additionalProperties": _SCALAR}


def _struct_schema(row):
    names = [f.name for f in row.fields]
    if row.num == K.KEY_CT_ORIG_TUPLE_IPV6:
        names += ["tp_src", "tp_dst"]
    return {"type": "object", "properties": {n: _SCALAR for n in names}, "additionalProperties": False}


def _key_schema():
    props = {}
    for row in K.KEY_TABLE:
        if not row.kernel:
            continue
        if row.fields and len(row.fields) > 1:
            props[row.name] = _struct_schema(row)
        else:
            props[row.name] = _SCALAR
    props["vlan"] = {"type": "object", "properties": {n: _SCALAR for n in ("vid", "pcp", "cfi")},
                     "additionalProperties": False}
    props["mpls"] = {"type": "array", "minItems": 1, "maxItems": 3,
                     "items": {"type": "object", "properties": {n: _SCALAR for n in ("label", "tc", "ttl", "bos")},
                               "additionalProperties": False}}
    props["tunnel"] = {"type": "object", "additionalProperties": False, "properties": dict(
        {r.name: _SCALAR for r in K.TUNNEL_TABLE if r.kind}, flags={"type": "string"},
        geneve={"type": "string"}, vxlan={"type": "object"})}
    props["nsh"] = {"type": "object", "properties": {n: _SCALAR for n in K.NSH_FIELDS},
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
    out = ""
    for p in parts:
        out += "[%d]" % p if isinstance(p, int) else ("." if out else "") + str(p)
    return out


def _short(doc):
    return repr(doc)[:200]


# --- structured -> model ---------------------------------------------------------

_CIDR = re.compile(r"^(.*)/(\d{1,3})$")
_IP_FIELDS = {"src", "dst", "sip", "tip", "target", "ipv6_src", "ipv6_dst"}


def _scalar(v, field=None):
    if isinstance(v, bool):
        raise ValueError("expected a number or string")
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if field in _IP_FIELDS:
        m = _CIDR.match(s)
        if m and ("." in m.group(1) or ":" in m.group(1)):
            net = ipaddress.ip_network("%s/%s" % (m.group(1), m.group(2)), strict=False)
            return "%s/%s" % (m.group(1), net.netmask)
    return s


def _fields_text(d, path):
    if not isinstance(d, dict):
        raise _err(path, "expected a mapping")
    parts = []
    for k, v in d.items():
        if isinstance(v, dict):
            parts.append("%s(%s)" % (k, _fields_text(v, path + "." + k)))
        else:
            try:
                parts.append("%s=%s" % (k, _scalar(v, k)))
            except ValueError as e:
                raise _err(path + "." + k, str(e))
    return ",".join(parts)


def _err(path, detail, doc=None):
    return FlowSyntaxError(_short(doc) if doc is not None else path, detail, path, op="convert flow")


def _attr_text(name, v, path):
    if name == "encap":
        return "encap(%s)" % ",".join(_attr_text(k, vv, path + "." + k) for k, vv in _items(v, path))
    if name == "mpls":
        if not isinstance(v, list):
            raise _err(path, "expected a list of label stack entries")
        return "mpls(%s)" % ",".join(_fields_text(e, "%s[%d]" % (path, i)) for i, e in enumerate(v))
    if name == "tunnel":
        parts = []
        for k, vv in _items(v, path):
            if k in ("flags", "geneve"):
                parts.append("%s(%s)" % (k, vv))
            elif isinstance(vv, dict):
                parts.append("%s(%s)" % (k, _fields_text(vv, path + "." + k)))
            else:
                parts.append("%s=%s" % (k, _scalar(vv, k)))
        return "tunnel(%s)" % ",".join(parts)
    if isinstance(v, dict):
        return "%s(%s)" % (name, _fields_text(v, path))
    try:
        return "%s(%s)" % (name, _scalar(v))
    except ValueError as e:
        raise _err(path, str(e))


def _items(v, path):
    if not isinstance(v, dict):
        raise _err(path, "expected a mapping")
    return v.items()


def _action_text(a, path):
    if isinstance(a, bool):
        raise _err(path, "expected an action")
    if isinstance(a, (int, str)):
        return str(a)
    if not isinstance(a, dict) or len(a) != 1:
        raise _err(path, "an action is a string or a mapping with one key")
    (name, v), = a.items()
    path = path + "." + str(name)
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
        return "set(%s)" % _attr_text(k, vv, path + "." + k)
    if isinstance(v, dict):
        parts = []
        for k, vv in v.items():
            if vv is True:
                parts.append(k)
            elif isinstance(vv, list):
                parts.append("%s(%s)" % (k, _actions_text(vv, path + "." + k)))
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
    return ",".join(k if vv is True else "%s=%s" % (k, vv) for k, vv in d.items() if vv not in (False, None))


def _actions_text(v, path):
    if not isinstance(v, list):
        raise _err(path, "expected a list of actions")
    if not v:
        return "drop"
    return ",".join(_action_text(a, "%s[%d]" % (path, i)) for i, a in enumerate(v))


def flow_from_struct(doc, *, port_numbers=None) -> Flow:
    """A Flow from the structured form; FlowSyntaxError names the path."""
    if not isinstance(doc, dict):
        raise _err("flow", "a flow is a mapping", doc)
    keys = []
    masks = []
    for name, v in doc.items():
        if name in ("actions", "ufid"):
            continue
        if name in K.USERSPACE_ONLY_KEYS:
            raise _err(name, "%s is userspace-datapath only" % name, doc)
        frag = _attr_text(name, v, name)
        try:
            k, m = T.parse_key(frag, port_numbers=port_numbers)
        except FlowSyntaxError as e:
            field = e.field or name
            if not field.startswith(name):
                field = name + "." + field
            raise FlowSyntaxError(_short(doc), e.detail.split(" (")[0], field, op="convert flow")
        keys.extend(k)
        masks.extend(m)
    if "actions" not in doc:
        raise _err("actions", "actions are required (use [] for drop)", doc)
    acts = []
    for i, a in enumerate(doc["actions"] if isinstance(doc["actions"], list) else [None]):
        path = "actions[%d]" % i
        if a is None and not isinstance(doc["actions"], list):
            raise _err("actions", "expected a list", doc)
        txt = _action_text(a, path)
        if txt.lower() == "drop":
            continue
        try:
            acts.extend(T.parse_actions(txt, port_numbers=port_numbers))
        except FlowSyntaxError as e:
            raise FlowSyntaxError(_short(doc), e.detail.split(" (")[0], path + "." + (e.field or "").replace(
                "actions.", "", 1), op="convert flow")
    ufid = None
    if doc.get("ufid") is not None:
        ufid = T.ufid_from_text(str(doc["ufid"]), _short(doc))
    return Flow(tuple(keys), tuple(masks), tuple(acts), ufid)


# --- model -> structured ------------------------------------------------------------

def _value(s):
    if s.isdigit() and (s == "0" or s[0] != "0"):
        return int(s)
    return s


def _body_to_struct(body):
    items = T._fields(body, 0)
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
    out = {}
    mdict = dict(mask) if mask else None
    for t, p in key:
        ma = None
        if mdict is not None:
            ma = mdict.get(t)
            if ma is None:
                ma = () if p.__class__ is tuple else bytes(len(p))
            if T._wildcard(t, ma) and t not in (K.KEY_ETHERNET, K.KEY_ENCAP, K.KEY_TUNNEL):
                continue
        name = K.KEY_BY_NUM[t].name if t in K.KEY_BY_NUM else "key%d" % t
        if t == K.KEY_ENCAP:
            out[name] = _key_to_struct(p, ma if ma else None, port_names)
            continue
        txt = T._format_attr(t, p, ma, False, port_names)
        body = txt[txt.index("(") + 1:-1]
        if t == K.KEY_MPLS:
            entries = []
            for it, _pos in T._fields(body, 0):
                k, _sep, v = it.partition("=")
                if k == "label":
                    entries.append({})
                entries[-1][k] = _value(v)
            out[name] = entries
        elif t == K.KEY_ETHERNET and not body:
            out[name] = {}
        else:
            out[name] = _body_to_struct(body) if "=" in body or t == K.KEY_TUNNEL else _value(body)
    return out


def flow_to_struct(flow: Flow, *, port_names=None) -> dict:
    """The structured form: terse key (wildcarded attributes left out),
    actions as dpctl action strings, ufid when the flow has one."""
    out = _key_to_struct(flow.key, flow.mask, port_names)
    out["actions"] = [T.format_actions((a,), port_names=port_names) for a in flow.actions]
    if flow.ufid is not None:
        out["ufid"] = T.ufid_to_text(flow.ufid)
    return out
