"""Fixtures for the conntrack-zone tests (make kernel-zones).

These run inside tests/sandbox/run-zones: Debian's amd64 kernel under qemu,
which has CONFIG_NF_CONNTRACK_ZONES (the UML kernel of tests/sandbox/run does
not). The fixtures of tests/kernel/conftest.py are reused as they are. Before
any test, the session proves the kernel takes ct(zone=N); elsewhere (no
openvswitch module, or a kernel without zones) every test fails: a kernel
test is never silently skipped.
"""

import importlib.util
import os

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowPut, PortRequest
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp import wire as W

_spec = importlib.util.spec_from_file_location(
    "dpif_kernel_conftest", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kernel", "conftest.py"))
_kernel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_kernel)

# Re-exported: pytest finds fixtures by name in this module.
flow_cache_dir = _kernel.flow_cache_dir
dpif = _kernel.dpif
new_name = _kernel.new_name
dp = _kernel.dp
dpctl = _kernel.dpctl
run_module = _kernel.run_module
converge = _kernel.converge
pytest_report_header = _kernel.pytest_report_header

WHERE = "run them through tests/sandbox/run-zones (make kernel-zones)"


@pytest.fixture(scope="session", autouse=True)
def zones_kernel():
    """The openvswitch module is loaded and the kernel installs a ct(zone=N) flow."""
    release = os.uname().release
    if not os.path.isdir("/sys/module/openvswitch"):
        pytest.fail("conntrack-zone tests need the openvswitch kernel module (kernel %s has none loaded): %s"
                    % (release, WHERE), pytrace=False)
    d = Dpif.open_system()
    name = "zprobe%d" % os.getpid()
    flow = T.parse_flow("recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) ct(zone=1),2")
    try:
        d.create(name)
        try:
            d.flow_put(name, FlowPut(key=W.encode_key(flow), mask=W.encode_mask(flow), actions=W.encode_actions(flow)))
        except DpifError as exc:
            pytest.fail("kernel %s refuses ct(zone=1) (%s): it has no conntrack zones (CONFIG_NF_CONNTRACK_ZONES); %s"
                        % (release, exc, WHERE), pytrace=False)
    finally:
        if d.get(name) is not None:
            d.destroy(name)
        d.close()


@pytest.fixture
def fdp(dpif, dp):
    """A datapath with internal ports 1 (fa<dp>) and 2 (fb<dp>)."""
    dpif.port_add(dp, PortRequest(name="fa" + dp, type="internal", port_no=1))
    dpif.port_add(dp, PortRequest(name="fb" + dp, type="internal", port_no=2))
    return dp
