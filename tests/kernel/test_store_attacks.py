"""An unprivileged user who can write where the parse cache and the table
snapshot live must not decide what root installs or reports: each attack
is performed by a real process running as nobody, then ovs_flow runs as
root against the real kernel."""

import json
import os
import subprocess
import sys
import tempfile

import pytest
from conftest import COLL_ROOT
from test_flow_module import dpctl_flows

NOBODY = 65534
LINE = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2"

# As nobody: plant a key of our own, a parse-cache entry that maps LINE to
# actions 3,2 and prints it as LINE, and a snapshot that says the datapath
# holds the empty table; every frame tagged with the planted key. Imports
# come first, while the checkout is still readable.
PLANT = r"""
import hashlib, marshal, os, sys
from ansible_collections.dpif.ovs.plugins.module_utils import privatestore
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import flowcache
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import tablesnapshot
from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow_wanted as F
from ansible_collections.dpif.ovs.plugins.module_utils.odp import ufid_of_wire
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
directory, dp, line, src = sys.argv[1:5]
context = F._context({"fix": True}, dict(p.split("=") for p in sys.argv[5].split(",")) if sys.argv[5] else {})
context = (context[0], tuple((k, int(v)) for k, v in context[1]), context[2])
wanted = F.Wanted(fix=True)
flow = parse_flow(line.replace(" 2", " 3,2"))
key, mask, actions, notes = wanted.encode(flow, None)
honest = wanted.encode(parse_flow(line), line)
data = open(src, "rb").read()
os.setgroups([]); os.setgid(65534); os.setuid(65534)
assert os.geteuid() == 65534
attacker_key = b"A" * 32
with open(os.path.join(directory, privatestore.KEY_NAME), "wb") as fh:
    fh.write(attacker_key)
name = hashlib.sha256(dp.encode()).hexdigest()[:24]
cache = flowcache.FlowCache(None, name + ".cache", context)
with open(os.path.join(directory, name + ".cache"), "wb") as fh:
    writer = privatestore.FrameWriter(fh, attacker_key)
    writer.start()
    writer.frame(marshal.dumps(cache._header()))
    ufid = ufid_of_wire(honest[0], honest[1])
    writer.frame(marshal.dumps({line: (ufid, key, mask, actions, None, (), None)}))
snap = tablesnapshot.TableSnapshot(None, name + ".table", context)
with open(os.path.join(directory, name + ".table"), "wb") as fh:
    writer = privatestore.FrameWriter(fh, attacker_key)
    writer.start()
    writer.frame(marshal.dumps({"header": snap._header(), "kernel": tablesnapshot.digest_items([]),
                                "src": hashlib.sha256(data).digest(), "notes": {}, "note_lines": []}))
    writer.begin(); writer.end()
    writer.frame(data)
print("planted")
"""


@pytest.fixture
def shared_dir():
    """A cache directory group-writable by nobody's group, reachable by
    nobody. On a tmpfs: the sandbox's hostfs reports every file as owned by
    whoever runs the UML kernel, whoever created it."""
    top = tempfile.mkdtemp(prefix="dpif-shared-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0711", "dpif-shared", top], check=True)
    path = os.path.join(top, "cache")
    os.mkdir(path)
    os.chown(path, 0, NOBODY)
    os.chmod(path, 0o770)
    yield path
    subprocess.run(["umount", top], check=False)
    os.rmdir(top)


def plant(directory, dp, src, ports=""):
    out = subprocess.run([sys.executable, "-c", PLANT, directory, dp, LINE, src, ports],
                         capture_output=True, text=True, check=False,
                         env=dict(os.environ, PYTHONPATH=COLL_ROOT, HOME="/tmp"))
    assert out.returncode == 0 and out.stdout.strip() == "planted", out.stderr
    owners = set(os.stat(os.path.join(directory, n)).st_uid for n in os.listdir(directory))
    assert owners == {NOBODY}


def test_planted_cache_and_snapshot_decide_nothing(run_module, fdp, dpctl, shared_dir, tmp_path, monkeypatch):
    from ansible_collections.dpif.ovs.plugins.module_utils import privatestore
    dp = fdp
    src = tmp_path / "dp.flows"
    src.write_text(LINE + "\n")
    plant(shared_dir, dp, str(src), "fa%s=1,fb%s=2" % (dp, dp))
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", shared_dir)
    res = run_module("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"})
    assert not res.failed, res
    # The forged snapshot said "already installed"; the forged entry said "3,2".
    assert res["changed"] and res["counts"]["create"] == 1
    assert dpctl_flows(dpctl, dp) == [LINE]
    assert any("refusing the flow cache directory: '%s' is writable by group or others (mode 0770)" % shared_dir in w for w in res.warning_texts), res
    # The directory made root-only: nobody's files in it (their key too) are
    # dropped, never read, and the run is right and quiet.
    privatestore.forget_dirs()
    plant(shared_dir, dp, str(src), "fa%s=1,fb%s=2" % (dp, dp))
    os.chmod(shared_dir, 0o700)
    dpctl("del-flows", dp)
    res = run_module("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"})
    assert not res.failed and res["changed"] and "warnings" not in res, res
    assert dpctl_flows(dpctl, dp) == [LINE]
    left = dict((n, os.stat(os.path.join(shared_dir, n))) for n in os.listdir(shared_dir))
    assert left and all(st.st_uid == 0 and st.st_mode & 0o077 == 0 for st in left.values()), left
    again = run_module("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"})
    assert not again.failed and not again["changed"] and again["before"] == [LINE]


def test_src_that_is_not_a_bounded_regular_file_is_refused(run_module, fdp, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(str(fifo))
    big = tmp_path / "big.flows"
    with open(str(big), "wb") as fh:
        fh.truncate(10 << 30)           # sparse: 10 GB of nothing
    long_line = tmp_path / "long.flows"
    long_line.write_text(LINE + "\n" + "in_port(1)," + "eth()," * 200000 + " 2\n")
    cases = {
        str(fifo): "it is a FIFO (named pipe); src must be a regular file of flows",
        "/dev/zero": "it is a character device; src must be a regular file of flows",
        str(tmp_path): "it is a directory; src must be a regular file of flows",
        str(big): "it is 10737418240 bytes; a flows file may be at most 256 MiB",
        str(long_line): "line 2: the line is 1200013 bytes long; a flow line may be at most 64 KiB",
    }
    for src, detail in cases.items():
        res = run_module("ovs_flow", {"datapath": fdp, "src": src, "state": "merged"})
        assert res.failed and res["msg"].startswith("src '%s'" % src) and res["msg"].endswith(detail), res
        assert "Traceback" not in json.dumps(res)


SYMLINKS = r"""
import hashlib, os, sys
directory, dp, target = sys.argv[1:4]
os.setgroups([]); os.setgid(65534); os.setuid(65534)
name = hashlib.sha256(dp.encode()).hexdigest()[:24]
for entry in (name + ".cache", name + ".table", "key"):
    os.symlink(target, os.path.join(directory, entry))
print("planted")
"""


def test_symlinks_planted_by_another_user_are_never_written_through(
        run_module, fdp, dpctl, shared_dir, tmp_path, monkeypatch):
    """nobody points the cache's, the snapshot's and the key's names at a
    file of root's: runs as root (a first one, then one that would append)
    leave that file as it was."""
    dp = fdp
    precious = os.path.join(os.path.dirname(shared_dir), "precious")
    with open(precious, "w") as fh:
        fh.write("root's own\n")
    out = subprocess.run([sys.executable, "-c", SYMLINKS, shared_dir, dp, precious],
                         capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "planted", out.stderr
    os.chmod(shared_dir, 0o700)         # root's alone now: the links themselves must be refused
    src = tmp_path / "dp.flows"
    src.write_text(LINE + "\n")
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", shared_dir)
    for actions in ("2", "1"):
        src.write_text(LINE.replace(" 2", " " + actions) + "\n")
        res = run_module("ovs_flow", {"datapath": dp, "src": str(src), "state": "overridden"})
        assert not res.failed and res["changed"], res
    assert open(precious).read() == "root's own\n"
    assert dpctl_flows(dpctl, dp) == [LINE.replace(" 2", " 1")]
    # The links were removed, and the cache written in their place as root's files.
    names = os.listdir(shared_dir)
    assert not any(os.path.islink(os.path.join(shared_dir, n)) for n in names) and "key" in names, names


DIR_LINK = r"""
import os, sys
link, target = sys.argv[1:3]
os.setgroups([]); os.setgid(65534); os.setuid(65534)
os.symlink(target, link)
print("planted")
"""


def test_a_cache_directory_reached_through_another_users_symlink_is_refused(
        run_module, fdp, tmp_path, monkeypatch):
    """root's DPIF_OVS_CACHE_DIR under /tmp, where nobody got first with a
    link to a root-only directory of root's: root must not use (and rewrite
    files in) the directory the link points to."""
    top = tempfile.mkdtemp(prefix="dpif-sticky-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777", "dpif-sticky", top], check=True)
    try:
        private = os.path.join(top, "roots")
        os.mkdir(private, 0o700)
        with open(os.path.join(private, "key"), "wb") as fh:
            fh.write(b"root's key, not a cache's")
        link = os.path.join(top, "cache")
        out = subprocess.run([sys.executable, "-c", DIR_LINK, link, private],
                             capture_output=True, text=True, check=False)
        assert out.stdout.strip() == "planted", out.stderr
        src = tmp_path / "dp.flows"
        src.write_text(LINE + "\n")
        monkeypatch.setenv("DPIF_OVS_CACHE_DIR", link)
        res = run_module("ovs_flow", {"datapath": fdp, "src": str(src), "state": "overridden"})
        assert not res.failed and res["changed"], res
        assert any("'%s' is a symlink owned by uid 65534" % link in w for w in res.warning_texts), res
        assert os.listdir(private) == ["key"]
        assert open(os.path.join(private, "key"), "rb").read() == b"root's key, not a cache's"
    finally:
        subprocess.run(["umount", top], check=False)
        os.rmdir(top)
