# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command-line entry point: re-apply a saved desired state without Ansible.

Kernel datapaths, their ports and flows vanish on reboot or when the
openvswitch module is reloaded. The ``dpif.ovs.hypervisor`` role saves the
document it applied (``state.json``, with each ``flows_file`` copied to
``flows/<datapath>.flows`` beside it) and installs a boot-time unit that runs::

    python3 -m ansible_collections.dpif.ovs.plugins.module_utils.cli restore /var/lib/dpif-ovs/state.json

``restore`` applies datapaths, then vports, then flows, with the same
functions the modules call (``resources.*.run``) and the same rules as the
role: ``purge_ports`` deletes unlisted vports, ``purge_flows`` makes the flow
table exact (state overridden, else replaced), ``dpif_ovs_purge_datapaths``
deletes unlisted datapaths. ``check`` plans without changing anything.

It carries on past a failed object (a guest's netdev may not exist yet at
boot), prints each failure on stderr and exits 1 if there was one; 2 when the
state file cannot be read or is invalid; 0 otherwise. Needs only the standard
library; uses jsonschema to validate the file when it is installed.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import argparse
import json
import os
import sys

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError, InternalError
from ansible_collections.dpif.ovs.plugins.module_utils.privatestore import check_trusted_path
from ansible_collections.dpif.ovs.plugins.module_utils.srcfile import read_regular_file
from ansible_collections.dpif.ovs.plugins.module_utils.state_schema import ROOT, validate_document

PURGE_DATAPATHS = "dpif_ovs_purge_datapaths"
#: What a bug report from the boot-time restore needs.
REPORT = "please report it with the state file and the traceback below"
#: A saved document is a few KiB per datapath: 64 MiB is far beyond any host.
MAX_STATE_BYTES = 64 << 20


def load_state(path: str) -> dict:
    """The saved document, with ``flows_file`` pointing at the copy beside it.
    Root applies it at boot: the file, its flows files and every directory
    above them must be writable only by root (or whoever runs this), else
    ValueError says which is not."""
    path = os.path.abspath(path)
    _check_trusted(path)
    data = read_regular_file(path, MAX_STATE_BYTES, "read state", "state file '%s'" % path, "a state file",
                             "it must be the JSON document the role saved")
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError("%s is not UTF-8 text: byte %d (%s)" % (path, exc.start + 1, exc.reason)) from None
    except ValueError as exc:
        raise ValueError("%s is not JSON: %s" % (path, exc)) from None
    try:
        problems = validate_document(doc)
    except ImportError:     # no jsonschema on this host: the resources check every field anyway
        problems = []
    if problems:
        raise ValueError("%s is not a valid state document:\n  %s" % (path, "\n  ".join(problems)))
    if not isinstance(doc, dict) or not isinstance(doc.get(ROOT), list):     # when not validated
        raise ValueError("%s is not a state document: it must be a JSON object with a list '%s'" % (path, ROOT))
    base = os.path.dirname(path)
    for dp in doc[ROOT]:
        if dp.get("flows_file"):
            dp["flows_file"] = os.path.join(base, "flows", dp["name"] + ".flows")
            if os.path.lexists(dp["flows_file"]):   # a missing one fails its own step, later
                _check_trusted(dp["flows_file"])
    return doc


def _check_trusted(path: str) -> None:
    reason = check_trusted_path(path)
    if reason is not None:
        raise ValueError("refusing to apply %s: %s, so someone other than root could have written "
                         "what root would apply" % (path, reason))


def plan_steps(doc: dict):
    """The resource calls, in order: ``(label, resource name, params)``.
    Purges are resolved later, against the kernel (see :func:`apply`)."""
    steps = []
    for dp in doc[ROOT]:
        steps.append(("datapath %s" % dp["name"], "datapath", {
            "name": dp["name"], "state": "present", "masks_cache_size": dp.get("masks_cache_size"),
            "user_features": dp.get("user_features"), "force": dp.get("force", False)}))
    for dp in doc[ROOT]:
        for vp in dp.get("vports") or []:
            steps.append(("vport %s/%s" % (dp["name"], vp["name"]), "vport", {
                "datapath": dp["name"], "name": vp["name"], "type": vp["type"], "state": "present",
                "port_no": vp.get("port_no"), "options": vp.get("options"),
                "recreate": vp.get("recreate", False), "force": dp.get("force", False)}))
    for dp in doc[ROOT]:
        params = flow_params(dp)
        if params is not None:
            steps.append(("flows %s" % dp["name"], "flow", params))
    return steps


def flow_params(dp: dict):
    """The ovs_flow parameters for a datapath entry; None when its flows are not managed."""
    config = dp.get("flows") or []
    src = dp.get("flows_file")
    base = {"datapath": dp["name"], "clear_stats": False, "names": False, "fix": True, "running_config": None}
    if config or src:
        return dict(base, config=config or None, src=src,
                    state="overridden" if dp.get("purge_flows") else "replaced")
    if dp.get("purge_flows"):
        return dict(base, config=None, src=None, state="deleted")     # nothing listed: an empty table
    return None


def _resources():
    # Imported late: ``--help`` and a bad state file need none of them.
    from ansible_collections.dpif.ovs.plugins.module_utils.resources import datapath, flow, info, vport
    return {"datapath": datapath, "vport": vport, "flow": flow, "info": info}


def apply(doc: dict, check_mode: bool = False, out=sys.stdout, err=sys.stderr) -> int:
    """Apply ``doc``; returns the number of failed steps."""
    res = _resources()
    failures = 0

    def step(label, kind, params):
        nonlocal failures
        try:
            result = res[kind].run(params, check_mode=check_mode, diff=False)
        except DpifError as exc:
            failures += 1
            err.write("%s: FAILED: %s\n" % (label, exc))
            return None
        except Exception as exc:    # a bug: said, with its traceback, and the next step still runs
            failures += 1
            bug = InternalError(exc, "applying %s" % label, report=REPORT)
            err.write("%s: FAILED: %s\n%s" % (label, bug, bug.traceback))
            return None
        for warning in result.get("warnings") or []:
            err.write("%s: warning: %s\n" % (label, warning))
        for command in result.get("commands") or []:
            out.write("%s: %s\n" % (label, command))
        return result

    wanted = {dp["name"]: dp for dp in doc[ROOT]}
    steps = plan_steps(doc)
    for label, kind, params in [s for s in steps if s[1] == "datapath"]:
        step(label, kind, params)
    existing = (step("datapaths", "info", {"name": None}) or {}).get("datapaths", [])
    if doc.get(PURGE_DATAPATHS):
        for have in existing:
            if have["name"] not in wanted:
                step("datapath %s" % have["name"], "datapath", {"name": have["name"], "state": "absent", "force": False})
    for label, kind, params in [s for s in steps if s[1] == "vport"]:
        step(label, kind, params)
    for have in existing:
        dp = wanted.get(have["name"])
        if not dp or not dp.get("purge_ports"):
            continue
        listed = set(vp["name"] for vp in dp.get("vports") or [])
        for port in have["vports"]:
            if port["port_no"] != 0 and port["name"] not in listed:
                step("vport %s/%s" % (dp["name"], port["name"]), "vport",
                     {"datapath": dp["name"], "name": port["name"], "state": "absent", "force": dp.get("force", False)})
    present = set(have["name"] for have in existing)
    for label, kind, params in [s for s in steps if s[1] == "flow"]:
        if check_mode and params["datapath"] not in present:
            # Nothing to read a plan from: the datapath is only planned.
            out.write("%s: all listed flows (the datapath is created first)\n" % label)
            continue
        step(label, kind, params)
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m ansible_collections.dpif.ovs.plugins.module_utils.cli",
        description="Re-apply the desired state the dpif.ovs.hypervisor role saved on this host.")
    parser.add_argument("command", choices=["restore", "check"],
                        help="restore: apply the state; check: print what restore would change")
    parser.add_argument("state_file", help="the saved state, e.g. /var/lib/dpif-ovs/state.json")
    args = parser.parse_args(argv)
    try:
        doc = load_state(args.state_file)
    except (OSError, ValueError, DpifError) as exc:
        sys.stderr.write("dpif-ovs %s: %s\n" % (args.command, exc))
        return 2
    except Exception as exc:    # a bug: said, with its traceback
        bug = InternalError(exc, "reading %s" % args.state_file, report=REPORT)
        sys.stderr.write("dpif-ovs %s: %s\n%s" % (args.command, bug, bug.traceback))
        return 2
    failures = apply(doc, check_mode=args.command == "check")
    if failures:
        sys.stderr.write("dpif-ovs %s: %d step(s) failed\n" % (args.command, failures))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
