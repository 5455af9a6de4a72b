# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's desired-state document, its JSON Schema and its validation.

One document per host says which datapaths it has, with their features,
vports and flows::

    dpif_ovs_datapaths:
      - name: dp0
        masks_cache_size: 512
        purge_ports: true        # delete vports not listed (never port 0)
        purge_flows: true        # flow table exactly as listed (ovs_flow overridden)
        vports:
          - {name: dp0-host, type: internal, port_no: 1}
          - {name: vxlan_sys_4789, type: vxlan, port_no: 10, options: {dst_port: 4789}}
        flows:
          - "in_port(dp0-host),eth(),eth_type(0x0800),ipv4(frag=no) vxlan_sys_4789"
        flows_file: files/dp0.flows   # ovs-dpctl add-flows format, on the controller

:data:`STATE_SCHEMA` is the schema (JSON Schema 2020-12; structured flows are
checked against :data:`..odp.structured.FLOW_SCHEMA`). :func:`validate_document`
returns every problem at once, each naming its path, for example
``dpif_ovs_datapaths[0].vports[2].options.dst_port: 70000 is greater than 65535``.
Beyond the schema it checks what a schema cannot say: unique names and port
numbers, and that every text or structured flow parses, with the document's
port names, and obeys the kernel's rules.

The role validates on the controller with this module before it touches a
host; ``cli.py restore`` validates the saved state file the same way.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import copy
import errno
import traceback
from typing import List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
from ansible_collections.dpif.ovs.plugins.module_utils.odp.rules import validate as validate_flow
from ansible_collections.dpif.ovs.plugins.module_utils.odp.structured import FLOW_SCHEMA, flow_from_struct
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
from ansible_collections.dpif.ovs.plugins.module_utils.resources.planned import with_stand_ins

try:
    import jsonschema
    JSONSCHEMA_IMPORT_ERROR = None
except ImportError:     # the caller reports missing_required_lib
    jsonschema = None
    JSONSCHEMA_IMPORT_ERROR = traceback.format_exc()

#: The top-level variable that holds the datapaths.
ROOT = "dpif_ovs_datapaths"
#: The kernel's limit on a device name (IFNAMSIZ - 1).
NAME_MAX = 15
#: The kernel's largest masks cache (its entries must fit one 32 KiB per-CPU unit).
MASKS_CACHE_MAX = 4096
#: Bytes the kernel refuses in a device name: its dev_valid_name() rejects
#: '/', ':' and what its isspace() calls space, which in the kernel's
#: Latin-1 table includes 0xa0 (found in the UTF-8 of 'à', 'Š', 'Р'...).
#: NUL would end the name early.
NAME_BAD_BYTES = frozenset(b"/:\0\t\n\v\f\r \xa0")
USER_FEATURES = ["unaligned", "vport_pids", "tc_recirc_sharing", "dispatch_upcall_per_cpu"]
VPORT_TYPES = ["netdev", "internal", "vxlan", "geneve", "gre"]


def _embedded_flow_schema() -> dict:
    """FLOW_SCHEMA with its ``definitions`` moved to our ``$defs`` and its refs rewritten."""
    flow = copy.deepcopy(FLOW_SCHEMA)
    flow.pop("$schema", None)
    flow.pop("title", None)
    defs = flow.pop("definitions", {})

    def rewrite(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                node["$ref"] = "#/$defs/flow_" + ref[len("#/definitions/"):]
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    rewrite(flow)
    rewrite(defs)
    out = {"flow_" + name: value for name, value in defs.items()}
    out["flow"] = flow
    return out


_NAME = {"type": "string", "minLength": 1, "maxLength": NAME_MAX, "pattern": r"^[^/\s]+$",
         "description": "A network device name: 1 to 15 bytes, no '/' and no white space."}

STATE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://dpif-ovs.invalid/schemas/host-state.json",
    "title": "dpif.ovs host desired state",
    "description": "The kernel datapaths one host should have, with their vports and flows.",
    "type": "object",
    "required": [ROOT],
    "properties": {
        ROOT: {
            "description": "The datapaths of this host. Datapaths not listed are left alone unless "
                           "dpif_ovs_purge_datapaths is true.",
            "type": "array",
            "items": {"$ref": "#/$defs/datapath"},
        },
    },
    "$defs": dict(_embedded_flow_schema(), **{
        "datapath": {
            "description": "One kernel datapath.",
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": dict(_NAME, description="The datapath's name (also the name of its port 0)."),
                "masks_cache_size": {"type": "integer", "minimum": 0,
                                     "description": "Size of the kernel's mask cache (a power of 2, or 0 to "
                                                    "disable it). Left as the kernel has it when omitted."},
                "user_features": {"type": "array", "uniqueItems": True,
                                  "items": {"enum": USER_FEATURES},
                                  "description": "Datapath user features. Left as the kernel has them when omitted."},
                "force": {"type": "boolean", "default": False,
                          "description": "Change the datapath even if a running ovs-vswitchd owns it, and attach "
                                         "netdev ports the safety checks protect (management interface, default "
                                         "route)."},
                "purge_ports": {"type": "boolean", "default": False,
                                "description": "Delete the datapath's vports that are not listed (never port 0)."},
                "purge_flows": {"type": "boolean", "default": False,
                                "description": "Make the flow table exactly the listed flows: ovs_flow state "
                                               "overridden. Otherwise state replaced: listed flows are created or "
                                               "corrected, others are kept."},
                "vports": {"type": "array", "items": {"$ref": "#/$defs/vport"},
                           "description": "The datapath's ports, apart from port 0."},
                "flows": {"type": "array", "items": {"$ref": "#/$defs/flow_item"},
                          "description": "Flows, each a string in ovs-dpctl syntax (KEY ACTIONS) or a mapping in "
                                         "the structured form. Ports may be named."},
                "flows_file": {"type": "string", "minLength": 1,
                               "description": "A file on the controller in ovs-dpctl add-flows format (one KEY "
                                              "ACTIONS line a flow; # comments). Copied to the host and applied "
                                              "together with flows."},
            },
        },
        "vport": {
            "description": "One vport.",
            "type": "object",
            "required": ["name", "type"],
            "additionalProperties": False,
            "properties": {
                "name": _NAME,
                "type": {"enum": VPORT_TYPES,
                         "description": "netdev attaches an existing device; the others are created."},
                "port_no": {"type": "integer", "minimum": 1, "maximum": 65279,
                            "description": "The port number. The kernel picks one when omitted."},
                "options": {
                    "type": "object",
                    "additionalProperties": False,
                    "description": "Tunnel options (vxlan and geneve only).",
                    "properties": {
                        "dst_port": {"type": "integer", "minimum": 1, "maximum": 65535,
                                     "description": "UDP destination port. Default 4789 for vxlan, 6081 for geneve."},
                        "extensions": {"type": "array", "uniqueItems": True, "items": {"enum": ["gbp"]},
                                       "description": "VXLAN extensions (vxlan only)."},
                    },
                },
                "recreate": {"type": "boolean", "default": False,
                             "description": "Delete and re-create the port when its type, number or options "
                                            "differ (the kernel cannot change them in place)."},
                "optional": {"type": "boolean", "default": False,
                             "description": "For a netdev port whose device may not exist yet (a guest's tap): "
                                            "then the port is pending, not an error; the flows that name it "
                                            "wait with it, and the watch service attaches it, with its flows, "
                                            "when the device appears."},
            },
            "allOf": [
                {"if": {"properties": {"type": {"enum": ["netdev", "internal", "gre"]}}},
                 "then": {"not": {"required": ["options"]}}},
                {"if": {"properties": {"type": {"const": "geneve"}}},
                 "then": {"properties": {"options": {"not": {"required": ["extensions"]}}}}},
            ],
        },
        "flow_item": {
            "description": "A flow: ovs-dpctl text or the structured form.",
            "type": ["string", "object"],
            "if": {"type": "object"},
            "then": {"$ref": "#/$defs/flow"},
        },
    }),
}


def path_text(parts) -> str:
    """``["dpif_ovs_datapaths", 0, "vports", 2]`` -> ``dpif_ovs_datapaths[0].vports[2]``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        else:
            out += ("." if out else "") + str(p)
    return out


def _schema_errors(doc) -> List[tuple]:
    validator = jsonschema.Draft202012Validator(STATE_SCHEMA)
    found = []
    for err in validator.iter_errors(doc):
        path = list(err.absolute_path)
        message = err.message
        if err.validator == "not":
            # The two "not" rules of a vport: say which option is out of place.
            if path and path[-1] == "options":
                message = "extensions are only for vxlan ports"
                path.append("extensions")
            else:
                message = "options are only for vxlan and geneve ports"
                path.append("options")
        elif err.validator == "maximum":
            message = "%r is greater than %r" % (err.instance, err.validator_value)
        elif err.validator == "minimum":
            message = "%r is less than %r" % (err.instance, err.validator_value)
        found.append((path, message))
    return found


def name_problem(name: str) -> Optional[str]:
    """Why the kernel would refuse ``name`` as a network device name (its
    dev_valid_name(): at most 15 bytes, not ``.`` or ``..``, none of
    :data:`NAME_BAD_BYTES`), or None. The schema's pattern and maxLength
    work on characters; the kernel counts bytes."""
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        return "%r is not valid Unicode text" % name
    shown = name.replace("\0", "\\0")
    if len(raw) > NAME_MAX:
        return "'%s' is %d bytes in UTF-8; a device name may be at most %d" % (shown, len(raw), NAME_MAX)
    if name in (".", ".."):
        return "'%s' cannot be a device name" % name
    if NAME_BAD_BYTES.intersection(raw) or any(c.isspace() for c in name):
        return ("'%s' cannot be a device name: the kernel refuses '/', ':', NUL and white space "
                "(to it, byte 0xa0 of UTF-8 text such as 'à' is white space)" % shown)
    return None


def _datapath_errors(dp, at, seen_dp) -> List[tuple]:
    """The datapath's own fields: its name (a device name, listed once) and
    its masks cache size (a size the kernel takes)."""
    found = []
    problem = name_problem(dp["name"])
    if problem:
        found.append((at + ["name"], problem))
    if dp["name"] in seen_dp:
        found.append((at + ["name"], "datapath '%s' is listed twice (also at %s)"
                      % (dp["name"], path_text([ROOT, seen_dp[dp["name"]]]))))
    seen_dp.setdefault(dp["name"], at[-1])
    size = dp.get("masks_cache_size")
    if size is not None and (size > MASKS_CACHE_MAX or size & (size - 1)):
        found.append((at + ["masks_cache_size"], "%d is not 0 or a power of two up to %d (the kernel refuses it)"
                      % (size, MASKS_CACHE_MAX)))
    return found


def _vport_errors(dp, at, names, numbers) -> List[tuple]:
    """Vport names (device names, each once, not the datapath's) and port
    numbers (each once). Fills ``names`` (name: number or None) and
    ``numbers`` (number: name)."""
    found = []
    for j, vp in enumerate(dp.get("vports") or []):
        vat = at + ["vports", j]
        problem = name_problem(vp["name"])
        if problem:
            found.append((vat + ["name"], problem))
        if vp["name"] in names:
            found.append((vat + ["name"], "vport '%s' is listed twice in datapath '%s'" % (vp["name"], dp["name"])
                          if names[vp["name"]] != 0 else
                          "'%s' is the datapath's own port 0" % vp["name"]))
        else:
            names[vp["name"]] = vp.get("port_no")
        no = vp.get("port_no")
        if no is not None:
            if no in numbers:
                found.append((vat + ["port_no"], "port number %d is also given to '%s'" % (no, numbers[no])))
            numbers.setdefault(no, vp["name"])
    return found


def _flow_errors(dp, at, port_numbers) -> List[tuple]:
    """Every flow must parse and obey the kernel's rules, and a flow (its
    key and mask) may be listed twice only with the same actions, as
    ovs_flow requires."""
    found = []
    listed = {}         # canonical (key, mask) -> (index, actions)
    for k, item in enumerate(dp.get("flows") or []):
        fat = at + ["flows", k]
        try:
            if isinstance(item, str):
                flow = parse_flow(item, port_numbers=port_numbers)
            else:
                flow = flow_from_struct(item, port_numbers=port_numbers)
            flow, _notes = validate_flow(flow, fix=True, text=item if isinstance(item, str) else None)
        except DpifError as exc:
            found.append((fat, exc.reason))
            continue
        key, mask, actions = canonical(flow).canonical_tuple()
        first, first_actions = listed.setdefault((key, mask), (k, actions))
        if first_actions != actions:
            found.append((fat, "the same flow (same key and mask) as %s, with other actions; list each flow once"
                          % path_text(["flows", first])))
    return found


def _semantic_errors(doc, skip) -> List[tuple]:
    """What the schema cannot say, for the datapaths the schema accepted
    (their indices not in ``skip``)."""
    found = []
    seen_dp = {}
    for i, dp in enumerate(doc[ROOT]):
        if i in skip:
            continue
        at = [ROOT, i]
        found += _datapath_errors(dp, at, seen_dp)
        names = {dp["name"]: 0}
        numbers = {}
        found += _vport_errors(dp, at, names, numbers)
        # Ports without a number get one from the kernel; a stand-in is enough to parse.
        port_numbers = with_stand_ins(dict((name, no) for name, no in names.items() if no is not None),
                                      [name for name, no in names.items() if no is None])
        found += _flow_errors(dp, at, port_numbers)
    return found


def validate_document(doc) -> List[str]:
    """Every problem of ``doc`` (a mapping with ``dpif_ovs_datapaths``), one
    ``path: message`` string each, sorted by path; empty when it is valid.

    Needs jsonschema; raises ImportError without it.
    """
    if jsonschema is None:
        raise ImportError("jsonschema is required to validate the desired-state document")
    found = _schema_errors(doc)
    if isinstance(doc, dict) and isinstance(doc.get(ROOT), list):
        bad = set(path[1] for path, message in found if len(path) > 1 and path[0] == ROOT)
        if not any(len(path) < 2 for path, message in found):
            found += _semantic_errors(doc, bad)

    def order(item):
        return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in item[0]]

    out = []
    for path, message in sorted(found, key=order):
        line = "%s: %s" % (path_text(path) or "document", message)
        if line not in out:
            out.append(line)
    return out


def run_validate(params: dict, check_mode: bool, diff: bool) -> dict:
    """``ovs_state_validate``'s work: the document's problems as one
    DpifError (each also in ``errors``), or how many datapaths it lists."""
    errors = validate_document({ROOT: params["datapaths"]})
    if errors:
        exc = DpifError(errno.EINVAL, "validate document", "", "%s has %d problem%s:\n%s" % (
            ROOT, len(errors), "" if len(errors) == 1 else "s", "\n".join(errors)))
        exc.extra["errors"] = errors
        raise exc
    return {"changed": False, "errors": [], "datapaths": len(params["datapaths"])}
