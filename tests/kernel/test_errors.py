"""The kernel's own words, end to end, on the real openvswitch module.

Netlink's attribute policy checks explain a refusal in an extended ack (a
message, the offset of the attribute, the policy it failed); OVS's own
checks give a bare errno. These tests send requests the policies refuse and
look for the kernel's words in the module's msg, in a front-end error and in
a flow batch's per-op error; and check that an exception that is no
DpifError becomes a failure with a sentence, not a traceback.
"""

import errno
import socket
import struct

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import framing, genl, rtnl
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import messages as m
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowGet, FlowPut
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.system import ATTR_NAMES
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError

#: What the kernel says of an OVS_DP_ATTR_MASKS_CACHE_SIZE above its limit
#: (PCPU_MIN_UNIT_SIZE / 8: 4096 with 32 KiB per-CPU units). A power of two,
#: or the front-end would refuse it first.
CACHE_WORDS = "integer out of range (attribute OVS_DP_ATTR_MASKS_CACHE_SIZE: u32 from 0 to "
POLICY_FAILED = "Attribute failed policy validation"


def test_module_msg_carries_the_kernels_words_on_create(run_module, dpif, new_name):
    name = new_name("dp")
    res = run_module("ovs_datapath", {"name": name, "masks_cache_size": 1 << 17})
    assert res.failed and res["errno"] == "ERANGE" and res["op"] == "create datapath", res
    assert res["msg"].startswith("datapath '%s': masks cache size 131072 rejected: it must be 0 (disabled) or a "
                                 "power of two no larger than 4096; the kernel says: %s" % (name, CACHE_WORDS)), res
    assert res["kernel_msg"].startswith(CACHE_WORDS)
    assert dpif.get(name) is None


def test_module_msg_carries_the_kernels_words_on_change(run_module, dpif, dp):
    res = run_module("ovs_datapath", {"name": dp, "masks_cache_size": 1 << 20})
    assert res.failed and res["errno"] == "ERANGE" and res["op"] == "set datapath features", res
    assert "; the kernel says: " + CACHE_WORDS in res["msg"], res
    assert dpif.get(dp).masks_cache_size == 256


def test_a_size_the_kernel_cannot_be_sent_is_a_sentence_not_a_traceback(run_module, dpif, new_name):
    # Was a struct.error ("MODULE FAILURE") before the front-end checked it.
    name = new_name("dp")
    res = run_module("ovs_datapath", {"name": name, "masks_cache_size": -1})
    assert res.failed and res["errno"] == "EINVAL" and res["op"] == "check arguments", res
    assert res["msg"] == ("datapath '%s': masks cache size -1 rejected: it must be 0 (disabled) or a power of two "
                          "no larger than 4096" % name)
    assert dpif.get(name) is None


def test_a_request_refused_by_policy_names_the_attribute():
    # The front-end never sends a 40-byte name; the transport still reports it.
    sock = genl.GenlSocket(m.DATAPATH_FAMILY, attr_names=ATTR_NAMES[m.DATAPATH_FAMILY])
    try:
        with pytest.raises(DpifError) as ei:
            sock.request(sock.build(m.CMD_GET, 0, 0, m.name_attr(m.DP_ATTR_NAME, "a" * 40)),
                         "query datapath", "datapath 'a...'")
    finally:
        sock.close()
    assert ei.value.errno == errno.EINVAL
    assert ei.value.kernel_msg == (POLICY_FAILED + " (attribute OVS_DP_ATTR_NAME: NUL-terminated string of "
                                   "at most 15 bytes)")
    assert str(ei.value) == "datapath 'a...': Invalid argument; the kernel says: " + ei.value.kernel_msg


def test_a_flow_batch_keeps_each_refusals_words(dpif, fdp):
    # in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2), exact; output 2.
    key = (framing.nla(3, struct.pack("=I", 1)) + framing.nla(4, bytes(12)) + framing.nla(6, b"\x08\x00")
           + framing.nla(7, socket.inet_aton("10.0.0.1") + socket.inet_aton("10.0.0.2") + bytes(4)))
    actions = framing.nla(1, struct.pack("=I", 2))
    # Three creates in one send: the second has a KEY too short to be a
    # nest, which netlink's policy refuses before OVS sees it; the third
    # has the first's key, which OVS refuses with a bare EEXIST.
    good = FlowPut(key=key, actions=actions, ufid=b"\1" * 16)
    bad = FlowPut(key=b"ab", actions=actions, ufid=b"\2" * 16)
    duplicate = FlowPut(key=key, actions=actions, ufid=b"\3" * 16)
    failed = dpif.operate(fdp, [good, bad, duplicate])
    assert [i for i, _err in failed] == [1, 2]
    err = failed[0][1]
    assert err.errno == errno.ERANGE and bad.kernel_msg == err.kernel_msg
    assert err.kernel_msg == POLICY_FAILED + " (attribute OVS_FLOW_ATTR_KEY: nested attributes)"
    assert str(err).endswith(": Numerical result out of range; the kernel says: " + err.kernel_msg), str(err)
    assert failed[1][1].errno == errno.EEXIST and failed[1][1].kernel_msg is None
    assert dpif.flow_get(fdp, FlowGet(ufid=b"\1" * 16)) is not None


def test_a_routing_refusal_says_why():
    body = rtnl.RTMSG.pack(socket.AF_INET, 32, 0, 0, 0, 0, 0, 0, 0) + framing.nla(rtnl.RTA_DST, b"\1\2")
    with rtnl.Rtnl() as routes, pytest.raises(DpifError) as ei:
        routes._request(rtnl.RTM_GETROUTE, 0, body, "looking up a route")
    assert ei.value.kernel_msg == POLICY_FAILED + " (attribute RTA_DST: u32)"
    assert str(ei.value).startswith("looking up a route: Numerical result out of range; the kernel says: ")


def test_an_unexpected_exception_is_a_failure_with_a_sentence(run_module, monkeypatch, new_name):
    from ansible_collections.dpif.ovs.plugins.module_utils.resources import datapath

    def broken(params, check_mode, diff):
        return {"name": int(params["name"])}
    monkeypatch.setattr(datapath, "run", broken)
    res = run_module("ovs_datapath", {"name": new_name("dp")})
    assert res.failed and res["op"] == "internal error" and res["errno"] == "ENOTRECOVERABLE", res
    assert res["msg"].startswith("unexpected ValueError while running ")
    assert "invalid literal for int()" in res["msg"] and "This is a bug in dpif.ovs, please report it" in res["msg"]
