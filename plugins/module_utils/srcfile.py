# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a flows file a user named (``src``, a role's ``flows_file``),
bounded and without blocking.

A path can name anything: a FIFO that never delivers (a read would hang
the run forever), a device that never ends (``/dev/zero``: memory runs out),
a directory, a 10 GB file. Each is refused with a sentence before a byte is
read: ``src`` must be a regular file of at most :data:`MAX_SRC_BYTES`, and
each of its lines at most :data:`MAX_LINE_BYTES` (checked where lines
become text, :func:`..resources.flow._flow_line`).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import os
import stat

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError

#: 256 MiB: about 2.3 million flows of the benchmark's kind (11 MB per
#: 100k), ten times the kernel's default flow limit of a vswitchd host.
MAX_SRC_BYTES = 256 << 20
#: 64 KiB: a flow whose actions fill the kernel's 32 KiB action limit
#: prints in well under this.
MAX_LINE_BYTES = 64 << 10

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_src(src: str) -> bytes:
    """The bytes of flows file ``src``; DpifError (with the path and the
    reason) when it is not a regular file, is larger than
    :data:`MAX_SRC_BYTES`, or cannot be read."""
    return read_regular_file(src, MAX_SRC_BYTES, "read flows", "src '%s'" % src, "a flows file",
                             "src must be a regular file of flows")


def read_regular_file(path: str, limit: int, op: str, obj: str, what: str, wanted: str) -> bytes:
    """The bytes of regular file ``path`` (``what``: "a flows file"), at
    most ``limit`` of them; DpifError(op, obj) otherwise, ``wanted`` saying
    what the path must be."""
    def refuse(code: int, detail: str) -> DpifError:
        return DpifError(code, op, obj, detail)
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        kind = _kind_of(path) if exc.errno == errno.ENXIO else None     # a socket cannot be opened
        if kind is not None:
            raise refuse(errno.EINVAL, "it is %s; %s" % (kind, wanted)) from None
        raise refuse(exc.errno or errno.EIO, exc.strerror) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
            raise refuse(errno.EINVAL, "it is %s; %s" % (kind, wanted))
        if st.st_size > limit:
            raise refuse(errno.EFBIG, "it is %d bytes; %s may be at most %d MiB" % (st.st_size, what, limit >> 20))
        with os.fdopen(fd, "rb") as fh:
            fd = None
            data = fh.read(limit + 1)       # it may grow while we read
    except OSError as exc:
        raise refuse(exc.errno or errno.EIO, exc.strerror) from None
    finally:
        if fd is not None:
            os.close(fd)
    if len(data) > limit:
        raise refuse(errno.EFBIG, "it grew past %d MiB while it was read" % (limit >> 20))
    return data


def _kind_of(path: str):
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return next((name for test, name in _KINDS if test(mode)), None)
