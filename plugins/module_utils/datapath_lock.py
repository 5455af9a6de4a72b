# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per datapath, and a record of a run that was killed.

Two runs that read, plan and write one datapath at the same time end with a
table that is neither's: two playbooks, two forks on one host, the
boot-time restore during a playbook, or a module still running on the host
after its controller died. Every task that touches a datapath holds
:class:`DatapathLock` from its first read to its last write, so runs take
turns, and the last one's table is the table.

Contract:

* The lock is ``flock`` on a file named for the network namespace and the
  datapath name, in a private directory (``DPIF_OVS_LOCK_DIR``, else
  ``/run/dpif-ovs`` for root, ``~/.cache/dpif-ovs/locks`` otherwise; checked
  as :mod:`.privatestore` checks the cache: another user must not be able to
  hold or replace our locks). The kernel drops the lock when the process
  dies, however it dies.
* :meth:`DatapathLock.acquire` waits up to ``DPIF_OVS_LOCK_TIMEOUT`` seconds
  (default :data:`DEFAULT_TIMEOUT`), then fails with ``EBUSY`` naming the
  holder. It returns the seconds it waited; :meth:`DatapathLock.notes` words
  them for the result.
* While a run sends changes it marks the file (:meth:`DatapathLock.applying`);
  the mark is cleared when the run ends in any way but a kill. A run that
  finds the mark knows the previous one died half-way, and says so
  (:attr:`DatapathLock.interrupted`): the table is whatever part of the batch
  the kernel took, and this run's plan is the repair. Marks from before the
  last boot are ignored: datapaths do not survive a reboot.
* A directory that cannot be made private is an ``EACCES`` error: running
  without the lock could mix two runs' tables, so the run does not start.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import fcntl
import hashlib
import json
import os
import time
from contextlib import contextmanager
from typing import Iterator, List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import _explain_common
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.privatestore import check_private_path, default_dir

#: Seconds a run waits for another run on the same datapath before failing.
DEFAULT_TIMEOUT = 600.0
#: A wait shorter than this is not worth a warning (opening the lock, a quick
#: read-only task).
QUIET_WAIT = 0.5
_POLL_FIRST, _POLL_MAX = 0.005, 0.1


def lock_dir() -> str:
    env = os.environ.get("DPIF_OVS_LOCK_DIR")
    if env:
        return env
    if os.geteuid() == 0:
        return "/run/dpif-ovs"
    return os.path.join(default_dir(), "locks")


def _timeout() -> float:
    env = os.environ.get("DPIF_OVS_LOCK_TIMEOUT")
    if not env:
        return DEFAULT_TIMEOUT
    try:
        return max(float(env), 0.0)
    except ValueError:
        raise DpifError(errno.EINVAL, "read environment", "DPIF_OVS_LOCK_TIMEOUT",
                        "%r is not a number of seconds" % env) from None


def _read_id(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _may_change_datapaths() -> bool:
    """Whether this process has CAP_NET_ADMIN (bit 12 of its effective set)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 12))
    except (OSError, ValueError, IndexError):
        pass
    return os.geteuid() == 0


def _netns_id() -> str:
    """Datapaths are per network namespace: so are their locks."""
    try:
        return "%x" % os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return "0"


class DatapathLock:
    """Exclusive use of datapath ``dp`` (in this network namespace) by one
    task, ``task`` naming it for whoever waits ("ovs_flow overridden")."""

    def __init__(self, dp: str, task: str, check_mode: bool = False):
        self.dp = dp
        self.task = task
        # A check-mode run changes nothing and writes nothing: a killed run's
        # mark stays for the real run that repairs the damage.
        self.check_mode = check_mode
        self._started = 0
        self.waited = 0.0
        self.waited_for: Optional[dict] = None     # the record of the run we waited for
        self.interrupted: Optional[dict] = None    # the record of a run killed while applying
        self.unlocked: Optional[str] = None        # why a check-mode run goes on without the lock
        self._fd: Optional[int] = None
        self._boot = _read_id("/proc/sys/kernel/random/boot_id")

    def _path(self) -> str:
        directory = lock_dir()
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            reason = check_private_path(directory)
        except OSError as exc:
            reason = "'%s': %s" % (directory, exc.strerror)
        if reason is not None:
            if not _may_change_datapaths():
                # The real obstacle: without it no lock would help.
                raise _explain_common(DpifError(errno.EPERM, "lock datapath", "datapath '%s'" % self.dp))
            raise DpifError(errno.EACCES, "lock datapath", "datapath '%s'" % self.dp,
                            "cannot keep runs on it apart: %s; set DPIF_OVS_LOCK_DIR to a directory only "
                            "this user can write" % reason)
        # Hashed: the name is the user's text, never a path of its own.
        name = hashlib.sha256(self.dp.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return os.path.join(directory, "%s-%s.lock" % (_netns_id(), name))

    def acquire(self) -> float:
        """Wait for the lock; the seconds waited. EBUSY after the timeout.
        In check mode, which changes nothing, a lock that cannot be had is
        a warning (:meth:`notes`), not an error."""
        try:
            path = self._path()
        except DpifError as exc:
            if not self.check_mode:
                raise
            self.unlocked = str(exc)
            return 0.0
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        start = time.monotonic()
        deadline = start + _timeout()
        pause = _POLL_FIRST
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if self.waited_for is None:
                        self.waited_for = self._record(fd) or {}
                    if time.monotonic() >= deadline:
                        raise DpifError(errno.EBUSY, "lock datapath", "datapath '%s'" % self.dp,
                                        "another run holds it (%s) and did not finish within %d s; "
                                        "see DPIF_OVS_LOCK_TIMEOUT"
                                        % (_describe(self._record(fd) or {}), _timeout())) from None
                    time.sleep(pause)
                    pause = min(pause * 2, _POLL_MAX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._started = int(time.time())
        self.waited = time.monotonic() - start
        last = self._record(fd)
        if last and last.get("phase") == "applying" and last.get("boot") == self._boot:
            self.interrupted = last
        if not self.check_mode:
            self._write({"phase": "holding"})
        return self.waited

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if not self.check_mode:
                self._write({"phase": "done"})
        finally:
            os.close(self._fd)      # closing drops the flock
            self._fd = None

    @contextmanager
    def applying(self, what: str) -> Iterator[None]:
        """Mark the run as sending changes (``what``: "create 3, modify 1"),
        for the next run to find if this one is killed before it ends."""
        self._write({"phase": "applying", "sending": what})
        try:
            yield
        finally:
            self._write({"phase": "holding"})

    def notes(self) -> List[str]:
        """Warnings for the result: a long wait, a predecessor killed half-way."""
        out = []
        if self.unlocked:
            out.append("planning without the datapath's lock, so another run may change it meanwhile: %s"
                       % self.unlocked)
        if self.waited >= QUIET_WAIT:
            out.append("waited %.1f s for another run on datapath '%s' to finish (%s)"
                       % (self.waited, self.dp, _describe(self.waited_for or {})))
        if self.interrupted:
            out.append("the previous run on datapath '%s' (%s) was killed while sending its changes (%s); "
                       "the kernel may have taken part of them: this run's changes repair the datapath"
                       % (self.dp, _describe(self.interrupted), self.interrupted.get("sending", "?")))
        return out

    def _record(self, fd: int) -> Optional[dict]:
        try:
            raw = os.pread(fd, 4096, 0)
            record = json.loads(raw.decode("utf-8")) if raw else None
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def _write(self, fields: dict) -> None:
        record = {"pid": os.getpid(), "task": self.task, "dp": self.dp, "boot": self._boot,
                  "started": self._started}
        record.update(fields)
        data = json.dumps(record, sort_keys=True).encode()
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))

    def __enter__(self) -> DatapathLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def _describe(record: dict) -> str:
    if not record or record.get("phase") == "done":
        return "a run that has not said what it is yet"
    when = time.strftime("%H:%M:%S", time.localtime(record.get("started", 0)))
    return "pid %s, %s, since %s" % (record.get("pid", "?"), record.get("task", "?"), when)
