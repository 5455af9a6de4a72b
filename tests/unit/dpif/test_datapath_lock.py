"""The per-datapath lock: waiting, timing out, marks of killed runs, and
directories that are not private. Real processes hold the lock."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError

HOLD = textwrap.dedent("""
    import os, sys, time
    from ansible_collections.dpif.ovs.plugins.module_utils.datapath_lock import DatapathLock
    lock = DatapathLock(sys.argv[1], "a holder")
    lock.acquire()
    if sys.argv[2] == "die-applying":
        with lock.applying("create 7, modify 0, delete 0"):
            print("ready", flush=True)
            os.kill(os.getpid(), 9)
    print("ready", flush=True)
    time.sleep(float(sys.argv[2]))
    lock.release()
""")


@pytest.fixture
def lock_dir(tmp_path, monkeypatch):
    path = tmp_path / "locks"
    monkeypatch.setenv("DPIF_OVS_LOCK_DIR", str(path))
    return path


def hold(dp, how):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, dp, how], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_a_second_run_waits_for_the_first_and_says_for_whom(lock_dir):
    holder = hold("dp0", "1.0")
    lock = DatapathLock("dp0", "ovs_flow state overridden")
    waited = lock.acquire()
    lock.release()
    holder.wait()
    assert 0.5 <= waited < 5
    [note] = lock.notes()
    assert note.startswith("waited %.1f s for another run on datapath 'dp0' to finish (pid %d, a holder, since "
                           % (waited, holder.pid)), note
    # Another datapath's lock is another lock.
    other = hold("dp0", "5")
    try:
        assert DatapathLock("dp1", "t").acquire() < 0.5
    finally:
        other.kill()
        other.wait()


def test_timeout_names_the_holder(lock_dir, monkeypatch):
    monkeypatch.setenv("DPIF_OVS_LOCK_TIMEOUT", "0.3")
    holder = hold("dp0", "5")
    try:
        with pytest.raises(DpifError) as info:
            DatapathLock("dp0", "t").acquire()
    finally:
        holder.kill()
        holder.wait()
    assert info.value.errno_name == "EBUSY"
    assert "another run holds it (pid %d, a holder, since " % holder.pid in str(info.value)


def test_a_run_killed_while_applying_is_reported_once_and_check_mode_keeps_the_mark(lock_dir):
    holder = hold("dp0", "die-applying")
    holder.wait()
    assert holder.returncode == -9
    checking = DatapathLock("dp0", "check", check_mode=True)
    checking.acquire()
    checking.release()
    assert checking.interrupted and "was killed while sending its changes (create 7, modify 0, delete 0)" \
        in checking.notes()[0]
    repairing = DatapathLock("dp0", "repair")
    repairing.acquire()
    repairing.release()
    assert repairing.interrupted and repairing.notes()[0].startswith(
        "the previous run on datapath 'dp0' (pid %d, a holder, since " % holder.pid)
    after = DatapathLock("dp0", "next")
    after.acquire()
    after.release()
    assert after.interrupted is None and after.notes() == []


def test_a_mark_from_before_the_last_boot_is_ignored(lock_dir):
    lock = DatapathLock("dp0", "t")
    lock.acquire()
    lock._write({"phase": "applying", "sending": "create 1", "boot": "another-boot"})
    os.close(lock._fd)      # as if killed: no release
    lock._fd = None
    again = DatapathLock("dp0", "t")
    again.acquire()
    again.release()
    assert again.interrupted is None


def test_a_directory_others_can_write_is_refused_and_check_mode_only_warns(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    monkeypatch.setenv("DPIF_OVS_LOCK_DIR", str(shared))
    with pytest.raises(DpifError) as info:
        DatapathLock("dp0", "t").acquire()
    if os.geteuid() == 0:       # CAP_NET_ADMIN: the directory is the obstacle
        assert info.value.errno_name == "EACCES"
        assert "cannot keep runs on it apart: '%s' is writable by group or others (mode 0777)" % shared \
            in str(info.value)
    else:                       # without it, that is what to fix first
        assert info.value.errno_name == "EPERM"
    checking = DatapathLock("dp0", "t", check_mode=True)
    assert checking.acquire() == 0.0
    assert checking.notes()[0].startswith("planning without the datapath's lock, so another run may change it")


def test_the_lock_file_is_named_by_a_hash_never_by_the_name(lock_dir):
    lock = DatapathLock("../../x", "t")
    lock.acquire()
    lock.release()
    [name] = os.listdir(lock_dir)
    assert "/" not in name and ".." not in name and name.endswith(".lock")
    assert json.loads((lock_dir / name).read_text())["phase"] == "done"


@pytest.mark.parametrize("kind", ["datapath", "vport", "flow"])
def test_a_task_that_fails_to_open_the_kernel_leaves_no_lock_behind(lock_dir, monkeypatch, kind):
    """The restore runs many steps in one process: a step that fails before
    it holds the lock must not leave it held, or the next step on the same
    datapath would wait for its own process until the timeout."""
    import errno
    import importlib
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
    resource = importlib.import_module("ansible_collections.dpif.ovs.plugins.module_utils.resources." + kind)

    def no_kernel():
        raise DpifError(errno.ENOENT, "open", "kernel", "the openvswitch kernel module is not loaded")
    monkeypatch.setattr(Dpif, "open_system", staticmethod(no_kernel))
    monkeypatch.setenv("DPIF_OVS_LOCK_TIMEOUT", "1")
    params = {"datapath": {"name": "dp0", "state": "present"},
              "vport": {"datapath": "dp0", "name": "v0", "type": "internal", "state": "present"},
              "flow": {"datapath": "dp0", "state": "overridden", "config": ["in_port(1),eth() 2"]}}[kind]
    for _attempt in range(2):
        with pytest.raises(DpifError) as info:
            resource.run(params, check_mode=False, diff=False)
        assert info.value.errno_name == "ENOENT", str(info.value)
    lock = DatapathLock("dp0", "t")
    assert lock.acquire() < 0.5
    lock.release()
