# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Working in another network namespace (the modules' ``netns`` option).

Kernel datapaths, their ports and the devices they attach belong to a
network namespace. :func:`enter` moves this process into one, the way
``ip netns exec`` does: ``setns(CLONE_NEWNET)`` for the sockets, then a
private mount namespace with ``/sys`` mounted again, because sysfs shows the
devices of the namespace it was mounted in (the netdev checks read
``/sys/class/net``). A module process runs one task, so it enters once,
before it opens the kernel, and never leaves.

``netns`` is a name under ``/run/netns`` (``ip netns add NAME``) or an
absolute path to a namespace file, such as ``/proc/PID/ns/net``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import ctypes
import ctypes.util
import errno
import os

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError

#: From linux/sched.h and linux/mount.h.
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_REC, MS_SLAVE = 0x4000, 0x80000
MNT_DETACH = 2
NETNS_RUN_DIR = "/run/netns"

_libc = None


def _call(name: str, *args) -> None:
    """A libc call that sets errno; OSError with it on failure."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if getattr(_libc, name)(*args) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def namespace_path(netns: str) -> str:
    """The namespace file ``netns`` names; DpifError EINVAL for a name
    that is neither a plain name nor an absolute path."""
    if netns.startswith("/"):
        return netns
    if not netns or "/" in netns or netns in (".", ".."):
        raise DpifError(errno.EINVAL, "check arguments", "netns '%s'" % netns,
                        "give a name under %s (ip netns add NAME) or an absolute path such as /proc/PID/ns/net"
                        % NETNS_RUN_DIR)
    return os.path.join(NETNS_RUN_DIR, netns)


def enter(netns: str) -> None:
    """Move this process into network namespace ``netns``, with ``/sys``
    showing its devices. DpifError: ENOENT when there is no such namespace,
    EPERM/EACCES without the privilege (root, CAP_SYS_ADMIN), EINVAL when
    the file is not a network namespace; op "enter netns"."""
    path = namespace_path(netns)
    obj = "netns '%s'" % netns
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise DpifError(errno.ENOENT, "enter netns", obj, "there is no network namespace at %s%s" % (
                path, "; create it with: ip netns add %s" % netns if not netns.startswith("/") else "")) from None
        raise DpifError(exc.errno or errno.EIO, "enter netns", obj, "cannot open %s" % path) from None
    try:
        _call("setns", fd, CLONE_NEWNET)
    except OSError as exc:
        reason = {errno.EINVAL: "%s is not a network namespace" % path,
                  errno.EPERM: "entering a network namespace needs root (CAP_SYS_ADMIN); use become"}
        raise DpifError(exc.errno, "enter netns", obj, reason.get(exc.errno, "setns failed")) from None
    finally:
        os.close(fd)
    _remount_sys(obj)


def _remount_sys(obj: str) -> None:
    """A private mount namespace whose /sys is a sysfs mounted from inside
    the network namespace (mounts made here do not reach the host's)."""
    try:
        _call("unshare", CLONE_NEWNS)
        _call("mount", b"none", b"/", None, MS_REC | MS_SLAVE, None)
        try:
            _call("umount2", b"/sys", MNT_DETACH)
        except OSError as exc:
            if exc.errno != errno.EINVAL:       # EINVAL: nothing was mounted there
                raise
        _call("mount", b"sysfs", b"/sys", b"sysfs", 0, None)
    except OSError as exc:
        raise DpifError(exc.errno or errno.EIO, "enter netns", obj,
                        "cannot mount /sys for the namespace's devices (%s)" % exc.strerror) from None
