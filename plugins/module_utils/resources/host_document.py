# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host document as ``ovs_datapaths`` reads and writes it.

- :func:`check_document`: a ``config`` checked against the document's
  schema and rules (:mod:`..state_schema`), one DpifError listing every
  problem;
- :func:`gathered_document`: what the kernel has, in the same schema (ports
  by name, flows in ovs-dpctl text with port names), such that applying it
  with ``state: overridden`` changes nothing;
- :func:`flows_held_back`: a datapath's flows split into those that can be
  installed and those that name a port still pending.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
from typing import TYPE_CHECKING, Dict, List, Set, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.resources.planned import with_stand_ins
from ansible_collections.dpif.ovs.plugins.module_utils.state_schema import ROOT, validate_document

# The kernel interface is imported where the kernel is read: the action
# plugin checks documents on the controller, which may have no netlink.
if TYPE_CHECKING:
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif


def check_document(config, state: str) -> None:
    """Raise DpifError EINVAL listing every problem of ``config`` (the list
    of datapath entries). Without jsonschema on the host (the action plugin
    has checked it on the controller) only its shape is checked."""
    if not isinstance(config, list) or not all(isinstance(e, dict) and isinstance(e.get("name"), str) for e in config):
        raise DpifError(errno.EINVAL, "check arguments", "config",
                        "config must be a list of datapath entries, each a mapping with a name")
    try:
        problems = validate_document({ROOT: config})
    except ImportError:
        return
    if problems:
        problems = [p.replace(ROOT, "config") for p in problems]
        exc = DpifError(errno.EINVAL, "validate document", "config", "%d problem%s:\n%s" % (
            len(problems), "" if len(problems) == 1 else "s", "\n".join(problems)))
        exc.extra["errors"] = problems
        raise exc
    if state == "deleted":
        extra = sorted(set(k for entry in config for k in entry) - {"name", "force"})
        if extra:
            raise DpifError(errno.EINVAL, "check arguments", "config",
                            "state deleted deletes whole datapaths: give only name (and force), not %s"
                            % ", ".join(extra))


def vport_entry(port) -> dict:
    """A kernel port as a document's vport entry."""
    entry = {"name": port.name, "type": port.type, "port_no": port.port_no}
    if port.type in ("vxlan", "geneve"):
        options = dict((k, v) for k, v in port.options.items() if v not in (None, [], ""))
        if options:
            entry["options"] = options
    return entry


def gathered_document(dpif: Dpif) -> Tuple[List[dict], List[str]]:
    """Every datapath of the host as a document entry, sorted by name, and
    warnings. A datapath a running ovs-vswitchd owns is left out (with a
    warning): applied back with ``overridden`` it would be left alone, and
    with its flows listed, its table would be managed against vswitchd."""
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import feature_names
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.datapath import vswitchd_owner_of
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_table import gather
    out, warnings = [], []
    for info in sorted(dpif.enumerate(), key=lambda i: i.name):
        owner = vswitchd_owner_of(dpif, info)
        if owner:
            warnings.append("datapath '%s' is left out: %s" % (info.name, owner))
            continue
        ports = sorted(dpif.ports(info.name), key=lambda p: p.port_no)
        entry = {"name": info.name, "user_features": feature_names(info.user_features)}
        if info.masks_cache_size is not None:
            entry["masks_cache_size"] = info.masks_cache_size
        entry["vports"] = [vport_entry(p) for p in ports if p.port_no != 0]
        entry["flows"] = gather(dpif, info.name, dict((p.port_no, p.name) for p in ports))
        out.append(entry)
    return out, warnings


class _PortLookups(dict):
    """Port numbers by name that records which pending names a parse looked up."""

    def __init__(self, numbers: Dict[str, int], pending: Set[str]):
        super().__init__(numbers)
        self.pending = pending
        self.used: Set[str] = set()

    def __getitem__(self, name):
        if name in self.pending:
            self.used.add(name)
        return dict.__getitem__(self, name)


def flows_held_back(params: dict, numbers: Dict[str, int], pending: Set[str]) -> Tuple[List, Dict[str, int]]:
    """The flows of ``params`` (``config`` and ``src``, as the flow step
    takes them) that name none of the ``pending`` ports, in order; and how
    many are held back per pending port. A flow that does not parse is
    kept: the flow step reports it with its place."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.structured import flow_from_struct
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import src_lines
    from ansible_collections.dpif.ovs.plugins.module_utils.srcfile import read_src
    lookups = _PortLookups(with_stand_ins(numbers, sorted(pending)), pending)
    items = list(params.get("config") or [])
    if params.get("src"):
        items.extend(src_lines(read_src(params["src"]), params["src"])[0])
    kept, held = [], {}
    for item in items:
        lookups.used = set()
        try:
            if isinstance(item, str):
                parse_flow(item, port_numbers=lookups)
            else:
                flow_from_struct(item, port_numbers=lookups)
        except DpifError:
            pass
        if lookups.used:
            for name in lookups.used:
                held[name] = held.get(name, 0) + 1
        else:
            kept.append(item)
    return kept, held
