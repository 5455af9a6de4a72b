# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_datapath``: one datapath present or absent, with its features.

:func:`run` is one task: it opens the kernel and holds the datapath's lock.
:func:`run_on` is the same run on a kernel interface and a lock the caller
already holds (a run over a whole host opens and locks once). Errors are
DpifError: EINVAL for a bad name or masks_cache_size (before the kernel is
read), EBUSY for a datapath a running ovs-vswitchd owns (without ``force``).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
from typing import Optional

from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import (
    Dpif,
    check_masks_cache_size,
    check_name,
    check_new_datapath,
    feature_bits,
    feature_names,
)
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import DatapathInfo
from ansible_collections.dpif.ovs.plugins.module_utils.resources.session import run_locked
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.safety import vswitchd_owner


def datapath_state(info: Optional[DatapathInfo]) -> dict:
    """What the module reports for a datapath (None: absent)."""
    if info is None:
        return {}
    return {
        "name": info.name,
        "masks_cache_size": info.masks_cache_size,
        "user_features": feature_names(info.user_features),
    }


def vswitchd_owner_of(dpif: Dpif, info: DatapathInfo) -> Optional[str]:
    """Why a running ovs-vswitchd owns the datapath (its upcall sockets), or None."""
    pids = list(info.per_cpu_pids)
    for port in dpif.ports(info.name):
        pids.extend(port.upcall_pids)
    return vswitchd_owner(pids, info.name)


def guard_vswitchd(dpif: Dpif, info: DatapathInfo, force: bool) -> None:
    """Refuse to touch a datapath a running ovs-vswitchd owns, unless forced."""
    if force:
        return
    reason = vswitchd_owner_of(dpif, info)
    if reason:
        raise DpifError(errno.EBUSY, "check ownership", "datapath '%s'" % info.name,
                        "refusing to change it: %s; manage it with ovs-vsctl, or set force: true" % reason)


def _check(params: dict) -> None:
    """What is checked before the kernel is read, so check mode refuses
    what a real run would (DpifError EINVAL)."""
    check_name("datapath", params["name"])
    if params["state"] != "absent":
        check_masks_cache_size(params["name"], params.get("masks_cache_size"))


def run(params: dict, check_mode: bool, diff: bool) -> dict:
    """One ``ovs_datapath`` task: opens the kernel, holds the datapath's
    lock, runs :func:`run_on`; the lock's notes are the first warnings."""
    _check(params)
    return run_locked(params["name"], "ovs_datapath state %s" % params["state"], check_mode,
                      lambda dpif, lock: run_on(dpif, lock, params, check_mode, diff))


def run_on(dpif: Dpif, lock: Optional[DatapathLock], params: dict, check_mode: bool, diff: bool) -> dict:
    """The run of :func:`run` on ``dpif``, already open, with ``lock``
    already held by the caller (or None; this module sends nothing under
    the lock's applying mark). Neither opens nor closes ``dpif``, neither
    takes nor releases ``lock``, and leaves the lock's notes to the caller.
    Returns the module's result (``changed``, ``commands``, ``datapath``,
    ``warnings``, and ``diff`` with diff mode)."""
    _check(params)
    name = params["name"]
    want_features = params.get("user_features")
    want_cache = params.get("masks_cache_size")
    have = dpif.get(name)
    commands = []
    after = have
    if params["state"] == "absent":
        if have is not None:
            guard_vswitchd(dpif, have, params.get("force", False))
            commands.append("del-dp %s" % name)
            if not check_mode:
                dpif.destroy(name)
            after = None
    elif have is None:
        bits = feature_bits(want_features or [])
        cmd = "add-dp %s" % name
        if want_features:
            cmd += " user_features=%s" % ",".join(sorted(want_features))
        if want_cache is not None:
            cmd += " masks_cache_size=%d" % want_cache
        commands.append(cmd)
        if check_mode:
            check_new_datapath(name)
            after = DatapathInfo(name=name, ifindex=0, user_features=bits,
                                 masks_cache_size=want_cache)
        else:
            after = dpif.create(name, bits, want_cache)
    else:
        bits = have.user_features if want_features is None else feature_bits(want_features)
        cache = None
        if want_cache is not None and want_cache != have.masks_cache_size:
            cache = want_cache
        if bits != have.user_features or cache is not None:
            guard_vswitchd(dpif, have, params.get("force", False))
            changes = []
            if bits != have.user_features:
                changes.append("user_features=%s" % ",".join(feature_names(bits)))
            if cache is not None:
                changes.append("masks_cache_size=%d" % cache)
            commands.append("set-dp %s %s" % (name, " ".join(changes)))
            if check_mode:
                after = DatapathInfo(name=name, ifindex=have.ifindex, user_features=bits,
                                     masks_cache_size=cache if cache is not None else have.masks_cache_size)
            else:
                after = dpif.set_features(name, bits, cache)
    result = {
        "changed": bool(commands),
        "commands": commands,
        "datapath": datapath_state(after),
        "warnings": [],
    }
    if diff:
        result["diff"] = {"before": datapath_state(have), "after": datapath_state(after)}
    return result
