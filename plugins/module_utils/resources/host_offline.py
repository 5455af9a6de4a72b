# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_datapaths`` states that need no kernel.

- ``rendered``: the ``config`` as the ovs-dpctl commands that build it on
  an empty host (ports and flows by name; a ``flows_file`` as ``add-flows``);
- ``parsed``: ``running_config``, the output of ``ovs-dpctl show DP`` and
  ``ovs-dpctl dump-flows DP`` for one or more datapaths, one after the
  other, as a document in the ``config`` schema. ``show`` says less than
  the kernel: it gives no user features, a vport's type only for tunnels
  and internal ports (none means netdev), and a tunnel's ``dst_port`` only
  for ports named ``vxlan_sys_<port>``; ``gathered`` on the host has it all.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import re
from typing import Dict, List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.resources.host_document import check_document
from ansible_collections.dpif.ovs.plugins.module_utils.resources.planned import with_stand_ins

#: ``system@dp0:``, the first line of ``ovs-dpctl show`` for a datapath.
_SHOW_HEADER = re.compile(r"^(?:system@)?([^\s:@]+):$")
#: ``port 2: vx0 (vxlan: dst_port=4790, packet_type=ptap)``; ``port 20: vm0``.
_SHOW_PORT = re.compile(r"^port (\d+): (\S+)(?: \(([a-z0-9_]+)(?:: (.*))?\))?$")
_SHOW_CACHE = re.compile(r"^masks-cache: size:(\d+)$")


def run_offline(params: dict) -> dict:
    if params["state"] == "rendered":
        config = params.get("config") or []
        check_document(config, "merged")
        return {"changed": False, "rendered": render(config)}
    text = params.get("running_config")
    if text is None:
        raise DpifError(errno.EINVAL, "check arguments", "running_config",
                        "state parsed needs running_config: the output of ovs-dpctl show and dump-flows")
    return {"changed": False, "parsed": parse_show_and_flows(text)}


def _port_numbers(entry: dict) -> Dict[str, int]:
    """The entry's port numbers by name; a port the kernel will number gets a stand-in."""
    vports = entry.get("vports") or []
    numbers = dict((vp["name"], vp.get("port_no")) for vp in vports)
    numbers = with_stand_ins(numbers, [vp["name"] for vp in vports if vp.get("port_no") is None])
    numbers[entry["name"]] = 0
    return numbers


def _flow_text(flow, printer) -> str:
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.rules import validate
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs
    flow, _notes = validate(flow, fix=True)
    key, mask, actions = canonical(flow).canonical_tuple()
    return printer.flow_text(encode_attrs(key), encode_attrs(mask) or None, encode_attrs(actions))


def render(config: List[dict]) -> List[str]:
    """The ovs-dpctl commands that build ``config`` on an empty host."""
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortRequest
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.structured import flow_from_struct
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import new_printer
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.vport import add_command
    out = []
    for entry in config:
        dp = entry["name"]
        command = "add-dp %s" % dp
        if entry.get("user_features"):
            command += " user_features=%s" % ",".join(sorted(entry["user_features"]))
        if entry.get("masks_cache_size") is not None:
            command += " masks_cache_size=%d" % entry["masks_cache_size"]
        out.append(command)
        for vp in entry.get("vports") or []:
            out.append(add_command(dp, PortRequest(vp["name"], vp["type"], dict(vp.get("options") or {}),
                                                   vp.get("port_no"))))
        numbers = _port_numbers(entry)
        names = dict((number, name) for name, number in numbers.items())
        printer = new_printer(names)
        for k, item in enumerate(entry.get("flows") or []):
            try:
                flow = parse_flow(item, port_numbers=numbers) if isinstance(item, str) else \
                    flow_from_struct(item, port_numbers=numbers)
                out.append("add-flow %s %s" % (dp, _flow_text(flow, printer)))
            except DpifError as exc:
                exc.obj = "config[%s].flows[%d]" % (dp, k)
                raise
        if entry.get("flows_file"):
            out.append("add-flows %s %s" % (dp, entry["flows_file"]))
    return out


def parse_show_and_flows(text: str) -> List[dict]:
    """A document from ``ovs-dpctl show`` and ``dump-flows`` output."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_dump_line
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import new_printer
    out: List[dict] = []
    entry: Optional[dict] = None
    flows: List[tuple] = []         # (entry, line number, text)
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _SHOW_HEADER.match(line) if not raw[:1].isspace() else None
        if header:
            entry = {"name": header.group(1), "vports": [], "flows": []}
            out.append(entry)
            continue
        if entry is None:
            raise DpifError(errno.EINVAL, "parse running_config", "running_config line %d" % n,
                            "expected the first line of ovs-dpctl show ('system@DP:'), got %r" % line[:80])
        port = _SHOW_PORT.match(line)
        if port:
            _add_port(entry, port, n)
            continue
        cache = _SHOW_CACHE.match(line)
        if cache:
            entry["masks_cache_size"] = int(cache.group(1))
            continue
        if "actions:" in line:
            flows.append((entry, n, line))
        # Other lines of show (lookups, flows, masks, caches) are counters.
    for entry, n, line in flows:
        ports = entry.pop("_numbers", {entry["name"]: 0})
        entry["_numbers"] = ports
        names = dict((number, name) for name, number in ports.items())
        try:
            flow, _stats = parse_dump_line(line, port_numbers=ports)
            entry["flows"].append(_flow_text(flow, new_printer(names)))
        except DpifError as exc:
            exc.obj = "running_config line %d" % n
            raise
    for entry in out:
        entry.pop("_numbers", None)
        entry["flows"].sort()
    return out


def _add_port(entry: dict, match, n: int) -> None:
    number, name, kind, options = int(match.group(1)), match.group(2), match.group(3), match.group(4)
    numbers = entry.setdefault("_numbers", {entry["name"]: 0})
    numbers[name] = number
    if number == 0:
        return
    vport = {"name": name, "type": kind or "netdev", "port_no": number}
    if kind in ("vxlan", "geneve") and options:
        for option in options.split(", "):
            key, _sep, value = option.partition("=")
            if key == "dst_port":
                vport["options"] = {"dst_port": int(value)}
    elif kind not in (None, "internal", "vxlan", "geneve", "gre"):
        raise DpifError(errno.EINVAL, "parse running_config", "running_config line %d" % n,
                        "port '%s' has type %s, which the document cannot hold" % (name, kind))
    entry["vports"].append(vport)
