# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command-line entry point: re-apply a saved desired state without Ansible.

Kernel datapaths, their ports and flows vanish on reboot or when the
openvswitch module is reloaded. The ``dpif.ovs.hypervisor`` role saves the
document it applied (``state.json``, with each ``flows_file`` copied to
``flows/<datapath>.flows`` beside it) and installs a boot-time unit that runs::

    python3 -m ansible_collections.dpif.ovs.plugins.module_utils.cli restore /var/lib/dpif-ovs/state.json

``restore`` applies the document with the code of the ``ovs_datapaths``
module (``resources.host``), with the role's rules: ``purge_ports`` deletes
unlisted vports, ``purge_flows`` makes the flow table exact,
``dpif_ovs_purge_datapaths`` deletes unlisted datapaths. ``check`` plans
without changing anything. ``watch`` (the role's ``dpif-ovs-watch.service``)
applies it again whenever a netdev it names appears, which attaches a
pending ``optional`` port (a guest's tap) with its flows.

The document is applied all or nothing; if that fails, each datapath alone
(all or nothing each), so one that cannot be restored does not keep the
others down. Each failure goes to stderr; the exit status is 1 if one
remained, 2 when the state file cannot be read or is invalid, 0 otherwise.
Needs only the standard library; uses jsonschema to validate the file when
it is installed.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import argparse
import json
import os
import sys
from typing import Optional

from ansible_collections.dpif.ovs.plugins.module_utils import netns
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError, InternalError
from ansible_collections.dpif.ovs.plugins.module_utils.privatestore import check_trusted_path
from ansible_collections.dpif.ovs.plugins.module_utils.srcfile import read_regular_file
from ansible_collections.dpif.ovs.plugins.module_utils.state_schema import ROOT, validate_document

PURGE_DATAPATHS = "dpif_ovs_purge_datapaths"
#: The network namespace the saved document is for (empty: the host's own).
NETNS = "dpif_ovs_netns"
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


def host_params(doc: dict, datapaths=None) -> dict:
    """The ``ovs_datapaths`` parameters that apply ``doc`` as the role does:
    purge flags as the document says (false when omitted), unlisted
    datapaths deleted only with ``dpif_ovs_purge_datapaths``. ``datapaths``:
    only these entries (and nothing deleted)."""
    entries = doc[ROOT] if datapaths is None else datapaths
    config = [dict({"purge_ports": False, "purge_flows": False}, **entry) for entry in entries]
    state = "overridden" if doc.get(PURGE_DATAPATHS) and datapaths is None else "merged"
    return {"config": config, "state": state, "running_config": None}


def apply(doc: dict, check_mode: bool = False, out=sys.stdout, err=sys.stderr) -> int:
    """Apply ``doc`` with the module's own code (``resources.host``), all or
    nothing. When that fails, each datapath is applied alone, all or nothing
    each, so one that cannot be restored (a device missing at boot) does not
    keep the others down. Returns the number of failed applies."""
    from ansible_collections.dpif.ovs.plugins.module_utils.resources import host
    if _apply_once(host, host_params(doc), "host", check_mode, out, err):
        return 0
    if len(doc[ROOT]) < 2:
        return 1
    err.write("host: applying each datapath alone\n")
    return sum(0 if _apply_once(host, host_params(doc, [entry]), "datapath %s" % entry["name"], check_mode, out, err)
               else 1 for entry in doc[ROOT])


def _apply_once(host, params: dict, label: str, check_mode: bool, out, err) -> bool:
    try:
        result = host.run(params, check_mode=check_mode, diff=False)
    except DpifError as exc:
        step = exc.extra.get("step")
        err.write("%s: FAILED%s: %s\n" % (label, " at %s" % step if step else "", exc))
        for failure in exc.extra.get("rollback_failures") or []:
            err.write("%s: undo of %s failed: %s\n" % (label, failure.get("step", step), failure.get("msg")))
        return False
    except Exception as exc:    # a bug: said, with its traceback
        bug = InternalError(exc, "applying %s" % label, report=REPORT)
        err.write("%s: FAILED: %s\n%s" % (label, bug, bug.traceback))
        return False
    for warning in result.get("warnings") or []:
        err.write("%s: warning: %s\n" % (label, warning))
    for command in result.get("commands") or []:
        out.write("%s\n" % command)
    return True


def watch(path: str, out=sys.stdout, err=sys.stderr, rounds: Optional[int] = None) -> int:
    """Apply the state whenever a device the document names appears (a
    guest's tap: its optional vport is pending until then), or when
    notifications were lost; log a listed vport that goes away. Applies once
    after it starts listening, so a device that appeared before is not
    missed. The state file is read again for every apply (a role run may
    have changed it). ``rounds``: stop after that many waits (tests)."""
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.notifications import (
        ADDED,
        REMOVED,
        LinkEvent,
        Notifications,
        Overrun,
        VportEvent,
    )
    with Notifications() as notifications:
        doc = load_state(path)
        apply(doc, out=out, err=err)
        out.flush()
        while rounds is None or rounds > 0:
            rounds = None if rounds is None else rounds - 1
            events = notifications.wait(1.0 if rounds is not None else None)
            devices = set(vp["name"] for dp in doc[ROOT] for vp in dp.get("vports") or [] if vp["type"] == "netdev")
            listed = set((dp["name"], vp["name"]) for dp in doc[ROOT] for vp in dp.get("vports") or [])
            again = False
            for event in events:
                if isinstance(event, Overrun):
                    err.write("watch: notifications were lost; applying the state again\n")
                    again = True
                elif isinstance(event, LinkEvent) and event.kind == ADDED and event.name in devices:
                    out.write("watch: device %s appeared\n" % event.name)
                    again = True
                elif isinstance(event, VportEvent) and event.kind == REMOVED and (event.datapath, event.name) in listed:
                    err.write("watch: vport %s/%s (port %d) was removed: its device went away, or another tool "
                              "removed it\n" % (event.datapath, event.name, event.port_no))
            if again:
                try:
                    doc = load_state(path)
                except (OSError, ValueError, DpifError) as exc:
                    err.write("watch: %s\n" % exc)
                    continue
                apply(doc, out=out, err=err)
            out.flush()
            err.flush()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m ansible_collections.dpif.ovs.plugins.module_utils.cli",
        description="Re-apply the desired state the dpif.ovs.hypervisor role saved on this host.")
    parser.add_argument("command", choices=["restore", "check", "watch"],
                        help="restore: apply the state; check: print what restore would change; watch: "
                             "apply it again whenever a device it names appears (runs until stopped)")
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
    if doc.get(NETNS):
        try:
            netns.enter(doc[NETNS])
        except DpifError as exc:
            sys.stderr.write("dpif-ovs %s: %s\n" % (args.command, exc))
            return 2
    if args.command == "watch":
        try:
            return watch(args.state_file)
        except (OSError, ValueError, DpifError) as exc:
            sys.stderr.write("dpif-ovs watch: %s\n" % exc)
            return 2
        except Exception as exc:    # a bug: said, with its traceback
            bug = InternalError(exc, "watching %s" % args.state_file, report=REPORT)
            sys.stderr.write("dpif-ovs watch: %s\n%s" % (bug, bug.traceback))
            return 2
    failures = apply(doc, check_mode=args.command == "check")
    if failures:
        sys.stderr.write("dpif-ovs %s: %d datapath(s) could not be applied\n" % (args.command, failures))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
