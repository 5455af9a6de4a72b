"""Fixtures for tests that run against a real openvswitch kernel module.

These run inside tests/sandbox/run (make kernel). Outside a kernel with the
module they fail: a kernel test is never silently skipped.
"""

import importlib
import io
import itertools
import json
import os
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif

_names = itertools.count()
# Where ansible_collections/dpif/ovs is importable from, for child processes.
COLL_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         ".build", "collections")


@pytest.fixture(scope="session", autouse=True)
def openvswitch_kernel():
    if not os.path.isdir("/sys/module/openvswitch"):
        pytest.fail("kernel tests need the openvswitch kernel module: run them through "
                    "tests/sandbox/run (make kernel)", pytrace=False)


@pytest.fixture(autouse=True)
def flow_cache_dir(tmp_path, monkeypatch):
    """ovs_flow's src parse cache goes to the test's own directory."""
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "flow-cache"))
    return tmp_path / "flow-cache"


@pytest.fixture
def dpif():
    # Per test: family ids change when a test reloads the openvswitch module.
    d = Dpif.open_system()
    yield d
    d.close()


@pytest.fixture
def new_name(dpif):
    """Fresh device names; datapaths with these names are deleted afterwards."""
    made = []

    def make(prefix="t"):
        name = "%s%d" % (prefix, next(_names))
        made.append(name)
        return name

    yield make
    for name in made:
        if dpif.get(name) is not None:
            dpif.destroy(name)


@pytest.fixture
def dp(dpif, new_name):
    name = new_name("dp")
    dpif.create(name)
    return name


@pytest.fixture
def fdp(dpif, dp):
    """A datapath with two internal ports, numbers 1 and 2."""
    from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortRequest
    dpif.port_add(dp, PortRequest(name="fa" + dp, type="internal", port_no=1))
    dpif.port_add(dp, PortRequest(name="fb" + dp, type="internal", port_no=2))
    return dp


@pytest.fixture
def veth():
    """Create veth pairs; both ends are deleted afterwards."""
    made = []

    def make(name, peer=None):
        peer = peer or name + "p"
        sh("ip link add %s type veth peer name %s" % (name, peer))
        sh("ip link set %s up" % name)
        made.append(name)
        return name

    yield make
    for name in made:
        subprocess.run(["ip", "link", "del", name], stderr=subprocess.DEVNULL, check=False)


def sh(cmd):
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False)
    if out.returncode:
        raise AssertionError("%s failed (%d): %s" % (cmd, out.returncode, out.stderr))
    return out.stdout


@pytest.fixture
def dpctl():
    """Run ovs-dpctl, the peer tool; returns its stdout."""
    def run(*args, check=True):
        out = subprocess.run(["ovs-dpctl"] + list(args), capture_output=True, text=True, check=False)
        if check and out.returncode:
            raise AssertionError("ovs-dpctl %s failed: %s" % (" ".join(args), out.stderr))
        return out.stdout
    return run


def module_script(before_run: str = "") -> str:
    """Python source that runs module ``sys.argv[1]`` with the JSON arguments
    ``sys.argv[2]`` in a process of its own, as Ansible runs it on the host,
    and prints its result; ``before_run`` is run first (dropping privileges)."""
    return "\n".join([
        "import io, json, sys, importlib",
        "from contextlib import redirect_stdout",
        "from ansible.module_utils.testing import patch_module_args",
        "mod = importlib.import_module('ansible_collections.dpif.ovs.plugins.modules.' + sys.argv[1])",
        before_run,
        "buf = io.StringIO()",
        "with patch_module_args(json.loads(sys.argv[2])), redirect_stdout(buf):",
        "    try:",
        "        mod.main()",
        "    except SystemExit:",
        "        pass",
        "print(buf.getvalue())",
        ""])


class ModuleResult(dict):
    @property
    def failed(self):
        return bool(self.get("failed"))

    @property
    def warning_texts(self):
        """The warnings' sentences (ansible-core 2.19+ returns each as a structured event)."""
        return [w if isinstance(w, str) else w["event"]["msg"] for w in self.get("warnings", [])]


@pytest.fixture
def run_module():
    """Run a module's main() in this process, as Ansible would, and return its result."""
    from ansible.module_utils.testing import patch_module_args

    def run(name, args, check=False, diff=False):
        mod = importlib.import_module("ansible_collections.dpif.ovs.plugins.modules." + name)
        # Each real task is a fresh process; here the warnings of earlier runs would pile up.
        from ansible.module_utils.common import warnings as ansible_warnings
        for registry in ("_global_warnings", "_global_deprecations"):
            if isinstance(getattr(ansible_warnings, registry, None), (dict, list)):
                getattr(ansible_warnings, registry).clear()
        full = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        buf = io.StringIO()
        with patch_module_args(full), redirect_stdout(buf):
            try:
                mod.main()
            except SystemExit:
                pass
        text = buf.getvalue()
        try:
            return ModuleResult(json.loads(text))
        except ValueError:
            raise AssertionError("module %s printed no JSON: %r" % (name, text)) from None

    return run


def pytest_report_header(config):
    return "kernel: %s, python %s" % (os.uname().release, sys.version.split()[0])


@pytest.fixture
def converge(run_module):
    """``converge(dp, config, state="merged", **options)``: ovs_flow in check
    mode, for real, then again; asserts the prediction equals what was done
    (commands, counts, before, after, diff) and that the second run has
    nothing to do. Returns the real run's result."""
    def apply(dp, config, state="merged", **kw):
        args = dict(datapath=dp, config=config, state=state, **kw)
        predicted = run_module("ovs_flow", args, check=True, diff=True)
        real = run_module("ovs_flow", args, diff=True)
        again = run_module("ovs_flow", args, diff=True)
        assert not predicted.failed and not real.failed, (predicted, real)
        for k in ("changed", "commands", "counts", "before", "after", "diff"):
            assert predicted.get(k) == real.get(k), k
        # `after` comes only with a change (the network resource-module contract).
        assert ("after" in real) == real["changed"] and "after" not in again
        assert again["changed"] is False and again["commands"] == [] and again["before"] == real.get("after", real["before"])
        return real
    return apply


#: Counts of the bad-input corpus (test_bad_inputs.py), for the terminal summary.
BAD_INPUTS = pytest.StashKey[dict]()


@pytest.fixture
def bad_input_tally(request):
    """The counts test_bad_inputs.py keeps: cases run, cases that failed as
    they must ("good"), fuzzed mutants left out because they were valid."""
    return request.config.stash.setdefault(BAD_INPUTS, {"cases": 0, "good": 0, "front_end_took": 0, "kernel_took": 0})


def pytest_terminal_summary(terminalreporter, config):
    """Say how large the bad-input corpus was and how it fared."""
    tally = config.stash.get(BAD_INPUTS, None)
    if not tally or not tally["cases"]:
        return
    kinds = ", ".join("%s %d" % kv for kv in sorted(tally.get("categories", {}).items()))
    if tally["good"] == tally["cases"]:
        line = ("bad-input corpus: %d cases, each failed with a sentence naming its object and field; "
                "kernel state unchanged" % tally["cases"])
    else:
        line = ("bad-input corpus: %d cases, %d of them failed badly (see test_bad_inputs.py above)"
                % (tally["cases"], tally["cases"] - tally["good"]))
    terminalreporter.write_line("%s (%s; fuzzed mutants left out as valid: %d the front end took, %d the kernel took)"
                                % (line, kinds, tally["front_end_took"], tally["kernel_took"]))
