# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_vport``: one vport of a datapath present or absent.

The kernel cannot change a vport's type, number or options in place (vport
SET of options is EOPNOTSUPP for every type), so a difference in any of them
is refused with the reason, or resolved by delete + create when the user sets
``recreate: true``.

:func:`run` is one task: it opens the kernel and holds the datapath's lock.
:func:`run_on` is the same run on a kernel interface and a lock the caller
already holds (a run over a whole host opens and locks once).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import socket
from contextlib import nullcontext
from typing import List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif, check_name, port_summary
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortInfo, PortRequest
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.safety import protected_interfaces
from ansible_collections.dpif.ovs.plugins.module_utils.resources.datapath import guard_vswitchd
from ansible_collections.dpif.ovs.plugins.module_utils.resources.session import run_locked
from ansible_collections.dpif.ovs.plugins.module_utils.resources.planned import missing_datapath_warning


def vport_state(port: Optional[PortInfo]) -> dict:
    return {} if port is None else port_summary(port)


def add_command(dp: str, req: PortRequest) -> str:
    """The change in ovs-dpctl's words, for ``commands``."""
    parts = [req.name, "type=%s" % req.type]
    if req.port_no is not None:
        parts.append("port_no=%d" % req.port_no)
    for key in sorted(req.options):
        value = req.options[key]
        parts.append("%s=%s" % (key, ",".join(value) if isinstance(value, list) else value))
    return "add-if %s %s" % (dp, ",".join(parts))


def differences(have: PortInfo, want: PortRequest, options_given: bool) -> List[str]:
    """What differs between the kernel's port and the wanted one, in words.
    Only what the user set is compared: an omitted option is not managed."""
    out = []
    if want.type != have.type:
        out.append("type is %s, wanted %s" % (have.type, want.type))
    if want.port_no is not None and want.port_no != have.port_no:
        out.append("port number is %d, wanted %d" % (have.port_no, want.port_no))
    if options_given and want.type == have.type and want.options != have.options:
        for key in sorted(set(want.options) | set(have.options)):
            if want.options.get(key) != have.options.get(key):
                out.append("%s is %s, wanted %s" % (key, have.options.get(key), want.options.get(key)))
    return out


def device_name(name: str) -> str:
    """The device's own name for ``name``, which may be an alternative name
    (``ip link property add dev eth0 altname mgmt0``): the kernel attaches
    by either, so the guard compares the device, not the word. ``name``
    itself when there is no such device (the attach then fails anyway)."""
    try:
        return socket.if_indextoname(socket.if_nametoindex(name))
    except (OSError, ValueError):
        return name


def guard_netdev(req: PortRequest, force: bool) -> None:
    """Refuse to attach a device that carries the management path (an SSH
    session, a default route, or a device below one) as a netdev port,
    unless ``force``. When the management path cannot be determined, every
    netdev attach is refused, saying why. DpifError EPERM, op "check safety"."""
    if req.type != "netdev" or force:
        return
    try:
        reason = protected_interfaces().get(device_name(req.name))
    except DpifError as exc:
        raise DpifError(errno.EPERM, "check safety",
                        "vport '%s'" % req.name,
                        "refusing to attach '%s' as a netdev port: the management path cannot be "
                        "determined, so any interface may carry it: %s; set force: true if you really "
                        "mean it" % (req.name, exc.detail)) from None
    if reason:
        raise DpifError(errno.EPERM, "check safety", "vport '%s'" % req.name,
                        "refusing to attach '%s' as a netdev port: %s, and a datapath port takes "
                        "all of a device's traffic; set force: true if you really mean it"
                        % (req.name, reason))


def run(params: dict, check_mode: bool, diff: bool) -> dict:
    """One ``ovs_vport`` task: opens the kernel, holds the datapath's lock,
    runs :func:`run_on`; the lock's notes are the first warnings."""
    name = params["name"]
    check_name("vport", name)       # before the kernel is read: check mode refuses what a real run would
    return run_locked(params["datapath"], "ovs_vport '%s' state %s" % (name, params["state"]), check_mode,
                      lambda dpif, lock: run_on(dpif, lock, params, check_mode, diff))


def _add_or_put_back(dpif: Dpif, dp: str, want: PortRequest, old: PortInfo) -> PortInfo:
    """The second half of a re-create: add ``want``; if the kernel refuses
    it, put the deleted port ``old`` back with its number and options and
    raise the refusal, saying whether the old port is back."""
    try:
        return dpif.port_add(dp, want)
    except DpifError as exc:
        try:
            dpif.port_add(dp, PortRequest(old.name, old.type, dict(old.options), old.port_no))
        except DpifError as again:
            exc.detail += "; putting the old port back failed too (%s): it is gone" % again.detail
        else:
            exc.detail += "; the old port was put back as it was"
        raise


def run_on(dpif: Dpif, lock: Optional[DatapathLock], params: dict, check_mode: bool, diff: bool) -> dict:
    """The run of :func:`run` on ``dpif``, already open, with ``lock``
    already held by the caller (None: a re-create is sent without the
    lock's applying mark). Neither opens nor closes ``dpif``, neither takes
    nor releases ``lock``, and leaves the lock's notes to the caller.
    Returns the module's result (``changed``, ``commands``, ``vport``,
    ``warnings``, and ``diff`` with diff mode)."""
    dp = params["datapath"]
    name = params["name"]
    force = params.get("force", False)
    check_name("vport", name)
    # Suboptions the user left out arrive as None: they are not set.
    options = dict((k, v) for k, v in (params.get("options") or {}).items() if v is not None)
    info = dpif.get(dp)
    warnings = []
    if info is None:
        if not check_mode or params["state"] == "absent":
            dpif.require(dp)
        # In check mode an earlier task may be about to create it: plan on an empty one.
        if not params.get("datapath_planned"):      # ovs_datapaths' own plan creates it first: nothing to say
            warnings.append(missing_datapath_warning(dp))
    have = dpif.port_by_name(dp, name) if info is not None else None
    commands = []
    after = have
    if params["state"] == "absent":
        if have is not None:
            guard_vswitchd(dpif, info, force)
            if have.port_no == 0:
                raise DpifError(errno.EINVAL, "delete vport", "vport '%s'" % name,
                                "this is the datapath's own port; delete the datapath instead")
            commands.append("del-if %s %s" % (dp, name))
            if not check_mode:
                dpif.port_del(dp, name)
            after = None
    else:
        if params.get("type") is None:
            raise DpifError(errno.EINVAL, "check arguments", "vport '%s'" % name,
                            "type is required when state is present")
        want = PortRequest(name=name, type=params["type"], options=options,
                           port_no=params.get("port_no"))
        if have is None:
            guard_netdev(want, force)
            # freed_ports: ports an earlier step of ovs_datapaths' plan deletes (check mode).
            want = dpif.check_port_request(dp, want, dp_exists=info is not None,
                                           freed=params.get("freed_ports") or ())
            if info is not None:
                guard_vswitchd(dpif, info, force)
            commands.append(add_command(dp, want))
            if check_mode:
                after = PortInfo(name=name, port_no=want.port_no or 0, type=want.type,
                                 options=want.options)
            else:
                after = dpif.port_add(dp, want)
        else:
            if have.port_no == 0:
                raise DpifError(errno.EINVAL, "check arguments", "vport '%s'" % name,
                                "this is the datapath's own port (port 0); it is managed with the datapath")
            checked = dpif.check_port_request(dp, PortRequest(
                name=name, type=want.type, options=want.options, port_no=None))
            want.options = checked.options
            diffs = differences(have, want, params.get("options") is not None)
            if diffs:
                if not params.get("recreate"):
                    raise DpifError(errno.EEXIST, "modify vport", "vport '%s'" % name,
                                    "%s; the kernel cannot change this in place; set recreate: true to "
                                    "delete and re-create the port" % "; ".join(diffs))
                if want.port_no is None:
                    want.port_no = have.port_no  # keep the number flows refer to
                guard_netdev(want, force)
                guard_vswitchd(dpif, info, force)
                if want.port_no is not None and want.port_no != have.port_no:
                    dpif.check_port_request(dp, want, freed=params.get("freed_ports") or ())
                commands.append("del-if %s %s" % (dp, name))
                commands.append(add_command(dp, want))
                if check_mode:
                    after = PortInfo(name=name, port_no=want.port_no or have.port_no, type=want.type,
                                     options=want.options)
                else:
                    with lock.applying("re-create vport '%s'" % name) if lock is not None else nullcontext():
                        dpif.port_del(dp, name)
                        after = _add_or_put_back(dpif, dp, want, have)
    result = {"changed": bool(commands), "commands": commands, "vport": vport_state(after),
              "warnings": warnings}
    if diff:
        result["diff"] = {"before": vport_state(have), "after": vport_state(after)}
    return result
