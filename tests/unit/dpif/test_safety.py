"""The vswitchd guard reads /proc; these tests give it prepared /proc trees (the
management-path guard is tested in test_mgmt_path.py and tests/kernel/test_guard.py)."""

import os

from ansible_collections.dpif.ovs.plugins.module_utils.dpif import safety


def make_proc(tmp_path):
    (tmp_path / "net").mkdir()
    return str(tmp_path)


def test_vswitchd_not_running_means_no_owner(tmp_path):
    proc = make_proc(tmp_path)
    os.makedirs(tmp_path / "123")
    (tmp_path / "123" / "comm").write_text("sshd\n")
    assert safety.vswitchd_owner([5, 6], "ovs-system", proc=proc) is None


def test_vswitchd_owns_by_socket(tmp_path):
    proc = make_proc(tmp_path)
    (tmp_path / "net" / "netlink").write_text(
        "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
        "0000000000000000 16  4242       00000000 0        0        0     2        0        9001\n"
        "0000000000000000 16  4343       00000000 0        0        0     2        0        9002\n")
    fd = tmp_path / "77" / "fd"
    fd.mkdir(parents=True)
    (tmp_path / "77" / "comm").write_text("ovs-vswitchd\n")
    os.symlink("socket:[9001]", fd / "3")
    assert safety.vswitchd_owner([0, 4242], "dp9", proc=proc) == "its upcalls go to ovs-vswitchd (pid 77)"
    assert safety.vswitchd_owner([4343], "dp9", proc=proc) is None
    assert "owns 'ovs-system'" in safety.vswitchd_owner([], "ovs-system", proc=proc)
