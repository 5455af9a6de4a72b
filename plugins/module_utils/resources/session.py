# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One per-object task's hold on the kernel: the connection and its datapath's lock."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from typing import Callable, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif


def run_locked(dp: str, task: Optional[str], check_mode: bool,
               work: Callable[[Dpif, Optional[DatapathLock]], dict]) -> dict:
    """``work(dpif, lock)`` with the kernel open and datapath ``dp`` locked
    for ``task`` ("ovs_vport 'vx0' state present"; None: no lock, for a
    read-only task). The lock is taken after the kernel is opened, so a task
    that cannot open it (no openvswitch module) never holds a lock; the
    lock's notes (a wait) come first among the result's warnings; both are
    released whatever happens. Raises what opening, locking or ``work``
    raises (DpifError)."""
    lock = DatapathLock(dp, task, check_mode) if task is not None else None
    dpif = Dpif.open_system()
    try:
        if lock is not None:
            lock.acquire()
        result = work(dpif, lock)
        notes = lock.notes() if lock is not None else []
        if notes:
            result["warnings"] = notes + (result.get("warnings") or [])
        return result
    finally:
        dpif.close()
        if lock is not None:
            lock.release()
