"""One error type, end to end: DpifError and FlowSyntaxError as printed,
the kernel's words surviving the front-end's explanations, and
module_runner.run as the one place (and the safety net) where an error
becomes fail_json."""

import errno
import json
import struct

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils import module_runner
from ansible_collections.dpif.ovs.plugins.module_utils.dpif import frontend
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowDel, FlowPut, PortRequest
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError, FlowSyntaxError, InternalError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T

KERNEL = "integer out of range (attribute OVS_DP_ATTR_MASKS_CACHE_SIZE: u32 from 0 to 4096)"


# -- FlowSyntaxError: where it is wrong, kept apart until printed ---------------

def test_field_and_column_are_printed_not_stored_in_detail():
    err = FlowSyntaxError("vlan(vid=5000)", "vid out of range (max 4095)", "vlan.vid", 5)
    assert err.detail == "vid out of range (max 4095)"
    assert (err.field, err.position) == ("vlan.vid", 5)
    assert str(err) == "flow 'vlan(vid=5000)': vid out of range (max 4095) (vlan.vid, at column 6)"
    assert err.reason == "vid out of range (max 4095) (vlan.vid, at column 6)"
    assert err.to_dict() == {"errno": "EINVAL", "op": "parse flow", "object": "flow 'vlan(vid=5000)'",
                             "field": "vlan.vid", "position": 5}


def test_a_sharpened_error_keeps_its_field_and_column():
    # What resources/flow.py's _where does: name the listing place in front.
    with pytest.raises(FlowSyntaxError) as ei:
        T.parse_flow("in_port(1),eth(),eth_type(0x8100),vlan(vid=5000),encap() 1")
    err = ei.value
    err.obj = "config[3]: " + err.obj
    assert str(err) == ("config[3]: flow 'in_port(1),eth(),eth_type(0x8100),vlan(vid=5000),encap() 1': "
                        "vid out of range (max 4095) (vlan.vid, at column 44)")
    # A better detail keeps them too.
    err.detail = "vid is 12 bits"
    assert str(err).endswith(": vid is 12 bits (vlan.vid, at column 44)")


def test_without_field_or_column_nothing_is_added():
    err = FlowSyntaxError("x", "bad")
    assert err.reason == "bad" and str(err) == "flow 'x': bad"


# -- the kernel's own words -------------------------------------------------------

def test_the_kernels_words_end_the_detail_and_survive_an_explanation():
    err = DpifError(errno.ERANGE, "create datapath", "datapath 'dp0'", kernel_msg=KERNEL)
    assert err.detail == "Numerical result out of range; the kernel says: " + KERNEL
    assert err.explain("masks cache size 100000 rejected") is err
    assert str(err) == "datapath 'dp0': masks cache size 100000 rejected; the kernel says: " + KERNEL
    assert err.to_dict()["kernel_msg"] == KERNEL


def test_no_kernel_words_no_field():
    err = DpifError(errno.ENODEV, "open", "datapath 'x'")
    assert str(err) == "datapath 'x': No such device"
    assert "kernel_msg" not in err.to_dict()


class RefusingProvider:
    """A provider whose every call fails with ``code`` and the kernel's ``words``."""

    def __init__(self, code, words):
        self.code, self.words = code, words

    def _refuse(self, *args):
        raise DpifError(self.code, "x", "datapath 'dp0'", kernel_msg=self.words)

    open = set_features = port_add = port_del = destroy = _refuse

    def port_query_by_number(self, dp, port_no):
        raise DpifError(errno.ENODEV, "query vport", "port")


def test_front_end_explanations_keep_the_kernels_words():
    dpif = frontend.Dpif(RefusingProvider(errno.ERANGE, KERNEL))
    with pytest.raises(DpifError) as ei:
        dpif.create("dp0", 0, 1 << 17)
    assert str(ei.value) == ("datapath 'dp0': masks cache size 131072 rejected: it must be 0 (disabled) or a power "
                             "of two no larger than 4096; the kernel says: " + KERNEL)
    dpif = frontend.Dpif(RefusingProvider(errno.EBUSY, "Attribute failed policy validation"))
    with pytest.raises(DpifError) as ei:
        dpif.port_add("dp0", PortRequest(name="vx0", type="vxlan"))
    assert ei.value.detail == ("device 'vx0' is already attached elsewhere (a bridge, a bond or another datapath); "
                               "detach it first; the kernel says: Attribute failed policy validation")


def test_gre0_hint_is_part_of_the_explanation():
    dpif = frontend.Dpif(RefusingProvider(errno.EEXIST, None))
    with pytest.raises(DpifError) as ei:
        dpif.port_add("dp0", PortRequest(name="gre0", type="gre"))
    assert ei.value.detail.endswith("so pick an unused name ('gre0' is the ip_gre module's own fallback device)")


FLOW_WORDS = "Attribute failed policy validation (attribute OVS_FLOW_ATTR_KEY: nested attributes)"


@pytest.mark.parametrize("op,code,detail", [
    (FlowPut(key=b"ab", ufid=b"u" * 16), errno.ERANGE, "Numerical result out of range"),
    (FlowPut(key=b"ab"), errno.EINVAL, "the kernel rejected the flow's key, mask or actions"),
    (FlowDel(ufid=b"u" * 16), errno.EINVAL, "the kernel rejected the flow's key"),
])
def test_a_refused_flow_op_carries_the_kernels_words(op, code, detail):
    op.error = code
    op.kernel_msg = FLOW_WORDS
    err = frontend.explain_flow_error("dp0", op)
    assert err.kernel_msg == FLOW_WORDS
    assert err.detail == detail + "; the kernel says: " + FLOW_WORDS


def test_a_flow_op_without_words_is_explained_as_before():
    op = FlowPut(key=b"ab")
    op.error = errno.EEXIST
    assert frontend.explain_flow_error("dp0", op).detail == "a flow with this key already exists (or overlaps it)"


@pytest.mark.parametrize("size", [-1, 1 << 32, "256", True, 2.5, 3, 1000])
def test_a_masks_cache_size_the_kernel_would_refuse_is_refused_first(size):
    dpif = frontend.Dpif(RefusingProvider(errno.EIO, None))
    with pytest.raises(DpifError) as ei:
        dpif.create("dp0", 0, size)
    assert ei.value.op == "check arguments" and ei.value.errno == errno.EINVAL
    assert str(ei.value) == ("datapath 'dp0': masks cache size %r rejected: it must be 0 (disabled) or a power "
                             "of two no larger than 4096" % (size,))


@pytest.mark.parametrize("size", [0, 1, 256, 4096, 1 << 20])
def test_masks_cache_sizes_left_to_the_kernel(size):
    frontend.check_masks_cache_size("dp0", size)


@pytest.mark.parametrize("name,detail", [
    ("a\0b", "vport 'a\\0b': a device name may not contain a NUL character"),
    ("a:b", "vport 'a:b': a device name may not contain ':' (the kernel keeps it for alias names"),
    ("dp\u00e0", "vport 'dp\u00e0': a device name may not contain '\u00e0': its UTF-8 holds byte 0xa0, "
     "which the kernel counts as white space"),
    ("a\udcffb", "valid Unicode text"),
])
def test_names_the_kernel_would_cut_or_cannot_read(name, detail):
    with pytest.raises(DpifError) as ei:
        frontend.check_name("vport", name)
    assert detail in str(ei.value)


# -- module_runner.run: the one conversion, and the safety net --------------------

class Exited(Exception):
    pass


class FakeModule:
    """What run() uses of AnsibleModule; exit_json/fail_json record and stop."""

    def __init__(self, name="dpif.ovs.ovs_flow"):
        self._name = name
        self.params = {"datapath": "dp0"}
        self.check_mode = False
        self._diff = False
        self.warnings = []
        self.exited = self.failed = None

    def warn(self, text):
        self.warnings.append(text)

    def exit_json(self, **kw):
        self.exited = kw
        raise Exited()

    def fail_json(self, msg, **kw):
        self.failed = dict(kw, msg=msg)
        raise Exited()


def run(fn, module=None):
    module = module or FakeModule()
    with pytest.raises(Exited):
        module_runner.run(module, fn)
    return module


def test_a_result_exits_with_its_warnings_warned():
    module = run(lambda params, check_mode, diff: {"changed": True, "warnings": ["careful"]})
    assert module.exited == {"changed": True} and module.warnings == ["careful"]


def test_a_dpif_error_fails_with_its_fields():
    def fn(params, check_mode, diff):
        err = DpifError(errno.ERANGE, "create datapath", "datapath 'dp0'", kernel_msg=KERNEL)
        err.extra["failures"] = []
        raise err
    failed = run(fn).failed
    assert failed == {"msg": "datapath 'dp0': Numerical result out of range; the kernel says: " + KERNEL,
                      "errno": "ERANGE", "op": "create datapath", "object": "datapath 'dp0'",
                      "kernel_msg": KERNEL, "failures": []}


def _parse_port(params, check_mode, diff):
    return {"port": int(params["datapath"])}        # a bug: ValueError


@pytest.mark.parametrize("fn,exc_type,text", [
    (_parse_port, "ValueError", "invalid literal for int() with base 10: 'dp0'"),
    (lambda params, check_mode, diff: struct.pack("=I", -1), "struct.error", ""),    # text varies by Python
    (lambda params, check_mode, diff: params["missing"], "KeyError", "'missing'"),
    (lambda params, check_mode, diff: None, "AttributeError", "'NoneType' object has no attribute 'pop'"),
])
def test_any_other_exception_is_a_bug_report_not_a_traceback(fn, exc_type, text):
    failed = run(fn).failed
    msg = failed["msg"]
    assert msg.startswith("unexpected %s while running dpif.ovs.ovs_flow: %s" % (exc_type, text)), msg
    assert "This is a bug in dpif.ovs, please report it" in msg
    assert failed["errno"] == "ENOTRECOVERABLE" and failed["op"] == "internal error"
    # The traceback goes where Ansible shows it on request, not into msg.
    assert failed["exception"].startswith("Traceback (most recent call last):")
    assert "Traceback" not in msg
    json.dumps(failed)


def test_the_bug_report_says_where_in_the_collection():
    def fn(params, check_mode, diff):
        return {"features": frontend.feature_names(None)}      # a bug inside the collection
    msg = run(fn).failed["msg"]
    assert msg.startswith("unexpected TypeError while running dpif.ovs.ovs_flow: "), msg
    assert " (in module_utils/dpif/frontend.py line " in msg and ", feature_names). This is a bug" in msg
    # Elsewhere: the innermost frame's file.
    assert " (in test_errors.py line " in run(_parse_port).failed["msg"]


def test_an_os_error_keeps_its_errno():
    def fn(params, check_mode, diff):
        raise PermissionError(errno.EACCES, "Permission denied", "/var/cache/x")
    failed = run(fn).failed
    assert failed["errno"] == "EACCES"
    assert "unexpected PermissionError while running dpif.ovs.ovs_flow: [Errno 13] Permission denied: " \
           "'/var/cache/x'" in failed["msg"]


def test_outside_ansible_the_resource_is_named():
    module = FakeModule(name="basic.py")
    failed = run(_parse_port, module).failed
    assert failed["msg"].startswith("unexpected ValueError while running dpif.ovs resource test_errors: ")


def test_internal_error_of_an_exception_without_text():
    err = InternalError(KeyboardInterrupt(), "restoring flows dp0")
    assert str(err).startswith("unexpected KeyboardInterrupt while restoring flows dp0: KeyboardInterrupt.")


def caught(fn):
    try:
        fn()
    except Exception as exc:    # the exception, with its traceback
        return exc
    raise AssertionError("%r raised nothing" % fn)


def test_a_command_line_says_where_its_traceback_is():
    err = InternalError(caught(lambda: {}["dp0"]), "restoring flows dp0",
                        report="please report it with the traceback below")
    assert str(err).endswith(". This is a bug in dpif.ovs, please report it with the traceback below")
    assert err.traceback.splitlines()[-1] == "KeyError: 'dp0'"


# -- a refused batch: every failure keeps the kernel's words -----------------------

class RefusingDpif:
    """Refuses the first op of the first batch (the plan) with ``error``;
    accepts the rest and every later batch (the rollback)."""

    def __init__(self, error):
        self.error = error
        self.batches = []

    def operate(self, dp, ops):
        self.batches.append(list(ops))
        return [(0, self.error)] if len(self.batches) == 1 else []


def test_apply_plan_failures_carry_the_kernels_words():
    from ansible_collections.dpif.ovs.plugins.module_utils import planner
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_apply import apply_plan

    texts = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) 2" % i for i in (1, 2)]
    plan = planner.Plan()
    for n, text in enumerate(texts):
        key, mask, actions = (encode_attrs(part) for part in canonical(T.parse_flow(text)).canonical_tuple())
        plan.create.append(planner.WantFlow(ufid=bytes([n + 1]) * 16, flow=None, key=key, mask=mask,
                                            actions=actions, text=text))
    op = FlowPut(key=plan.create[0].key, ufid=plan.create[0].ufid)
    op.error, op.kernel_msg = errno.ERANGE, FLOW_WORDS
    dpif = RefusingDpif(frontend.explain_flow_error("dp0", op))
    with pytest.raises(DpifError) as ei:
        apply_plan(dpif, "dp0", plan, None)
    failure = ei.value.extra["failures"][0]
    assert failure["msg"] == "Numerical result out of range; the kernel says: " + FLOW_WORDS
    assert str(ei.value).endswith("First: create %s: %s" % (texts[0], failure["msg"]))
    assert len(dpif.batches) == 2       # the other create was undone


@pytest.mark.parametrize("options", ["x", 5, ["dst_port"]])
def test_vport_options_that_are_no_mapping(options):
    with pytest.raises(DpifError) as ei:
        frontend.normalize_options("vx0", "vxlan", options)
    assert str(ei.value) == "vport 'vx0': options must be a mapping (dst_port, extensions), not %r" % (options,)
