"""The hypervisor role installs what root runs and reads at boot as root's alone.

The collection on the controller belongs to an unprivileged user (nobody here,
like a user's checkout), with group- and world-writable files; nobody has
planted a bundle at the role's old fixed controller path and code in a library
directory it owns. The role, run as root through become, must leave the code,
the unit, the state and their directories owned by root:root and writable by
root alone, with exactly the collection's module_utils in the library
directory, and nothing of its own in the controller's TMPDIR.
"""

import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
NOBODY = 65534
MARK = "PLANTED-BY-NOBODY"
OLD_BUNDLE = "dpif-ovs-module_utils.tar.gz"       # the role's old fixed name, in TMPDIR or /tmp
PKG = "ansible_collections/dpif/ovs/plugins"
CLI = "ansible_collections.dpif.ovs.plugins.module_utils.cli"
PLAYBOOK = """\
- name: Apply the hypervisor role as root
  hosts: hv
  gather_facts: false
  become: true
  roles:
    - role: dpif.ovs.hypervisor
"""
# The play becomes root on the hypervisor (sudo's command line, run by a stand-in:
# we are root already, and sudo would look the host name up for every task); a
# task delegated to the controller (localhost) that tried to become root would run
# a missing program and fail.
INVENTORY = """\
all:
  hosts:
    hv:
      ansible_connection: local
      ansible_python_interpreter: {py}
      ansible_become_method: sudo
      ansible_become_exe: {become}
    localhost:
      ansible_connection: local
      ansible_python_interpreter: {py}
      ansible_become_method: sudo
      ansible_become_exe: /nonexistent/no-become-on-the-controller
"""
# sudo [FLAGS] -u root COMMAND...: run COMMAND.
BECOME = """\
#!/bin/sh
while [ $# -gt 0 ] && [ "$1" != -u ]; do shift; done
shift 2
exec "$@"
"""


def as_nobody(*argv):
    """Run argv as uid/gid 65534 with no supplementary groups."""
    out = subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--"]
                         + list(argv), capture_output=True, text=True, check=False)
    assert out.returncode == 0, (argv, out.stderr)


def tree(root):
    """Every path under root (root included), relative, without following symlinks."""
    paths = {"."}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            paths.add(os.path.relpath(os.path.join(dirpath, name), root))
    return paths


def code_tree(module_utils):
    """{relative path: bytes or None for a directory} of a module_utils tree, bytecode aside."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(module_utils):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        rel = os.path.relpath(dirpath, module_utils)
        out[rel] = None
        for name in filenames:
            if not name.endswith(".pyc"):
                out[os.path.normpath(os.path.join(rel, name))] = Path(dirpath, name).read_bytes()
    return out


def assert_root_only(root):
    """root and everything under it: uid 0, gid 0, no symlink, no group or other write bit."""
    bad = []
    for rel in sorted(tree(root)):
        st = os.lstat(os.path.join(root, rel))
        if st.st_uid or st.st_gid or stat.S_ISLNK(st.st_mode) or st.st_mode & 0o022:
            bad.append("%s %d:%d %o" % (rel, st.st_uid, st.st_gid, st.st_mode))
    assert not bad, "%s: not root's alone: %s" % (root, bad)


def recap(out):
    import re
    m = re.search(r"hv\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out.stdout)
    assert m, out.stdout + out.stderr
    return dict(zip(("ok", "changed", "unreachable", "failed"), (int(x) for x in m.groups())))


@pytest.fixture
def base():
    """A directory nobody can reach (pytest's own tmp_path is root's, mode
    0700), on a tmpfs: the sandbox's hostfs reports every file a guest
    process creates as owned by whoever runs the UML kernel."""
    path = Path(tempfile.mkdtemp(prefix="dpif-role-install."))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "dpif-role-install", str(path)], check=True)
    yield path
    subprocess.run(["umount", str(path)], check=False)
    path.rmdir()


@pytest.fixture
def planted_old_bundle(base):
    """nobody's bundle at the old fixed path in /tmp (removed afterwards)."""
    evil = base / "evil.tar.gz"
    src = base / "evil-src"
    (src / PKG / "module_utils").mkdir(parents=True)
    (src / PKG / "module_utils" / "cli.py").write_text("raise SystemExit(%r)\n" % MARK)
    (src / PKG / "module_utils" / "evil.py").write_text("# %s\n" % MARK)
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(src / "ansible_collections", arcname="ansible_collections")
    evil.chmod(0o644)
    old = Path("/tmp", OLD_BUNDLE)
    if old.exists() or old.is_symlink():
        old.unlink()           # left by a run of the old role
    as_nobody("cp", str(evil), str(old))
    yield evil
    if old.exists() and old.stat().st_uid == NOBODY:
        old.unlink()


def collection_of_nobody(base):
    """The collection as a controller user's checkout: nobody's, some files writable by all."""
    coll = base / "controller" / "ansible_collections" / "dpif" / "ovs"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("plugins", "roles", "meta"):
        shutil.copytree(TOP / name, coll / name, ignore=ignore, symlinks=True)
    shutil.copy2(TOP / "galaxy.yml", coll / "galaxy.yml")
    mu = coll / "plugins" / "module_utils"
    mu.chmod(0o777)
    for path in mu.rglob("*.py"):
        path.chmod(0o666)
    flows = base / "controller" / "dp.flows"
    subprocess.run(["chown", "-R", "%d:%d" % (NOBODY, NOBODY), str(base / "controller")], check=True)
    return coll, flows


def plant_library(base):
    """A library directory pre-created for nobody, with nobody's code in and under it, and
    a root-owned module of an earlier install that the collection no longer has."""
    lib = base / "host" / "lib"
    mu = lib / PKG / "module_utils"
    mu.mkdir(parents=True)
    os.chown(lib, NOBODY, NOBODY)
    (mu / "removed_since.py").write_text("# an earlier version's module\n")
    (mu / "dpif").mkdir()
    os.chown(mu / "dpif", NOBODY, NOBODY)
    outside = base / "nobody-home" / "odp"
    outside.mkdir(parents=True)
    (outside / "keep.txt").write_text("nobody's own file\n")
    subprocess.run(["chown", "-R", "%d:%d" % (NOBODY, NOBODY), str(base / "nobody-home")], check=True)
    os.symlink(outside, mu / "odp")                  # where the odp package goes
    os.lchown(mu / "odp", NOBODY, NOBODY)
    as_nobody("sh", "-c", "echo 'raise SystemExit(\"%s\")' >'%s'" % (MARK, lib / "sitecustomize.py"))
    as_nobody("sh", "-c", "mkdir -p '{d}/__pycache__' && echo '{m}' >'{d}/__pycache__/frontend.cpython-313.pyc' "
                          "&& echo '# {m}' >'{d}/__init__.py' && chmod 666 '{d}/__init__.py'".format(d=mu / "dpif", m=MARK))
    state = base / "host" / "state"
    state.mkdir()
    os.chown(state, NOBODY, NOBODY)
    return lib, state, base / "host" / "systemd", outside


def test_role_installs_root_owned_code_state_and_unit(base, planted_old_bundle, new_name, dpctl):
    coll, flows = collection_of_nobody(base)
    dp = new_name("ri")
    flows.write_text("in_port(%s-a),eth(),eth_type(0x0806),arp() %s-b\n" % (dp, dp))
    os.chown(flows, NOBODY, NOBODY)
    flows.chmod(0o666)
    lib, state, units, outside = plant_library(base)
    ctl_tmp = base / "controller-tmp"              # the controller's TMPDIR, shared like /tmp
    ctl_tmp.mkdir()
    ctl_tmp.chmod(0o1777)
    as_nobody("cp", str(planted_old_bundle), str(ctl_tmp / OLD_BUNDLE))
    (base / "ansible-tmp").mkdir(mode=0o700)
    py = sys.executable
    (base / "become").write_text(BECOME)
    (base / "become").chmod(0o755)
    (base / "inventory.yml").write_text(INVENTORY.format(py=py, become=base / "become"))
    (base / "play.yml").write_text(PLAYBOOK)
    document = [{"name": dp, "vports": [{"name": dp + "-a", "type": "internal", "port_no": 1},
                                        {"name": dp + "-b", "type": "internal", "port_no": 2}],
                 "flows_file": str(flows)}]

    def play(lib, state, units, *extra):
        import json
        extra_vars = {"dpif_ovs_datapaths": document, "dpif_ovs_persist": True, "dpif_ovs_lib_dir": str(lib),
                      "dpif_ovs_state_dir": str(state), "dpif_ovs_unit_dir": str(units),
                      "dpif_ovs_restore_python": py}
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(base / "controller"), ANSIBLE_NOCOLOR="1",
                   TMPDIR=str(ctl_tmp), ANSIBLE_LOCAL_TEMP=str(base / "ansible-tmp" / "local"),
                   ANSIBLE_REMOTE_TEMP=str(base / "ansible-tmp" / "remote"), ANSIBLE_RETRY_FILES_ENABLED="0")
        env.pop("PYTHONPATH", None)                # the modules come from nobody's copy only
        started = time.monotonic()
        out = subprocess.run([os.path.join(os.path.dirname(py), "ansible-playbook"), "-i", str(base / "inventory.yml"),
                              "-e", json.dumps(extra_vars), str(base / "play.yml")] + list(extra),
                             capture_output=True, text=True, env=env, cwd=str(base), check=False, timeout=1200)
        print("ansible-playbook %s: %.0f s" % (" ".join(extra), time.monotonic() - started), file=sys.stderr)
        return out, recap(out)

    out, counts = play(lib, state, units)
    assert counts["failed"] == 0 and counts["changed"] > 0, out.stdout + out.stderr
    assert "PLANTED" not in out.stdout

    for root in (lib, state, units):
        assert_root_only(root)
    # The library holds exactly the collection's module_utils, below the package directories.
    want = {".", "ansible_collections", "ansible_collections/dpif", "ansible_collections/dpif/ovs", PKG}
    want |= {os.path.normpath(os.path.join(PKG, "module_utils", rel)) for rel in code_tree(coll / "plugins" / "module_utils")}
    assert tree(lib) == want
    assert code_tree(lib / PKG / "module_utils") == code_tree(coll / "plugins" / "module_utils")
    for root in (lib, state, units):
        for path in Path(root).rglob("*"):
            assert path.is_dir() or MARK.encode() not in path.read_bytes(), path
    # The planted link was removed, not followed: nobody's directory is untouched.
    assert (outside / "keep.txt").read_text() == "nobody's own file\n"
    assert outside.stat().st_uid == NOBODY and (outside / "keep.txt").stat().st_uid == NOBODY
    assert (state / "flows" / (dp + ".flows")).read_text() == flows.read_text()
    assert (state / "flows" / (dp + ".flows")).stat().st_mode & 0o777 == 0o644
    assert "Environment=PYTHONPATH=%s\n" % lib in (units / "dpif-ovs-restore.service").read_text()
    # Nothing of the role's is left in the controller's TMPDIR: only nobody's plant.
    assert sorted(os.listdir(ctl_tmp)) == [OLD_BUNDLE]

    # The installed code is what the unit runs: as root, from the library directory alone.
    # Python may write root's bytecode there; the next run keeps it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ANSIBLE"))}
    env["PYTHONPATH"] = str(lib)
    check = subprocess.run([py, "-c", "import %s as m; print(m.__file__)" % CLI], capture_output=True, text=True,
                           env=env, cwd="/", check=False)
    assert check.returncode == 0 and check.stdout.strip() == str(lib / PKG / "module_utils" / "cli.py"), check
    check = subprocess.run([py, "-m", CLI, "check", str(state / "state.json")], capture_output=True, text=True,
                           env=env, cwd="/", check=False)
    assert check.returncode == 0, check.stdout + check.stderr

    # Again: nothing to change, nothing left behind.
    out, counts = play(lib, state, units)
    assert counts["failed"] == 0 and counts["changed"] == 0, out.stdout + out.stderr
    for root in (lib, state, units):
        assert_root_only(root)
    assert sorted(os.listdir(ctl_tmp)) == [OLD_BUNDLE]
    assert "port 2: %s-b (internal)" % dp in dpctl("show", dp)

    # --check on a fresh host: no failure, nothing written, nothing left on the controller.
    fresh = base / "fresh"
    out, counts = play(fresh / "lib", fresh / "state", fresh / "systemd", "--check")
    assert counts["failed"] == 0, out.stdout + out.stderr
    assert not fresh.exists()
    assert sorted(os.listdir(ctl_tmp)) == [OLD_BUNDLE]
