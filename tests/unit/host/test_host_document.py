"""ovs_datapaths' document work that needs no kernel: checks, held-back
flows, rendered and parsed."""

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.resources.host import describe, flow_params
from ansible_collections.dpif.ovs.plugins.module_utils.resources.host_document import check_document, flows_held_back
from ansible_collections.dpif.ovs.plugins.module_utils.resources.host_offline import parse_show_and_flows, render

SHOW = """\
system@dp0:
  lookups: hit:0 missed:0 lost:0
  flows: 2
  masks: hit:0 total:0 hit/pkt:0.00
  cache: hit:0 hit-rate:0.00%
  caches:
    masks-cache: size:256
  port 0: dp0 (internal)
  port 1: dp0-in (internal)
  port 2: vxlan_sys_4790 (vxlan: dst_port=4790, packet_type=ptap)
  port 21: vm1
in_port(21),eth(),eth_type(0x0806), packets:0, bytes:0, used:never, actions:1
in_port(1),eth(),eth_type(0x0800),ipv4(frag=no), packets:3, bytes:180, used:1.2s, actions:2,21
system@dp1:
  port 0: dp1 (internal)
"""


def test_parsed_reads_show_and_dump_flows():
    assert parse_show_and_flows(SHOW) == [
        {"name": "dp0", "masks_cache_size": 256, "vports": [
            {"name": "dp0-in", "type": "internal", "port_no": 1},
            {"name": "vxlan_sys_4790", "type": "vxlan", "port_no": 2, "options": {"dst_port": 4790}},
            {"name": "vm1", "type": "netdev", "port_no": 21}],
         "flows": ["in_port(dp0-in),eth(),eth_type(0x0800),ipv4(frag=no) vxlan_sys_4790,vm1",
                   "in_port(vm1),eth(),eth_type(0x0806) dp0-in"]},
        {"name": "dp1", "vports": [], "flows": []}]


def test_parsed_refuses_what_it_cannot_place():
    with pytest.raises(DpifError, match=r"running_config line 1: expected the first line of ovs-dpctl show"):
        parse_show_and_flows("  port 1: x (internal)\n")
    with pytest.raises(DpifError, match=r"running_config line 2: port 'l0' has type lisp"):
        parse_show_and_flows("system@dp0:\n  port 1: l0 (lisp: dst_port=4341)\n")
    with pytest.raises(DpifError, match=r"running_config line 2"):
        parse_show_and_flows("system@dp0:\nin_port(1),eth(),bogus(), actions:1\n")


def test_rendered_is_ovs_dpctl_commands_for_an_empty_host():
    config = [{"name": "dp0", "user_features": ["vport_pids", "unaligned"], "vports": [
        {"name": "in0", "type": "internal"}, {"name": "vx", "type": "vxlan", "port_no": 5}],
        "flows": [{"in_port": "vx", "eth": {}, "eth_type": 0x0806, "arp": {}, "actions": ["in0"]}]}]
    assert render(config) == [
        "add-dp dp0 user_features=unaligned,vport_pids",
        "add-if dp0 in0,type=internal",
        "add-if dp0 vx,type=vxlan,port_no=5",
        "add-flow dp0 in_port(vx),eth(),eth_type(0x0806) in0"]      # printed as dump-flows prints it


def test_documents_are_checked_whole():
    with pytest.raises(DpifError) as caught:
        check_document([{"name": "a"}, {"name": "a"},
                        {"name": "b", "vports": [{"name": "p", "type": "netdev", "port_no": 0}]}], "merged")
    assert caught.value.extra["errors"] == [
        "config[1].name: datapath 'a' is listed twice (also at config[0])",
        "config[2].vports[0].port_no: 0 is less than 1"]
    with pytest.raises(DpifError, match="a list of datapath entries"):
        check_document({"name": "a"}, "merged")
    with pytest.raises(DpifError, match="state deleted deletes whole datapaths: give only name"):
        check_document([{"name": "a", "flows": []}], "deleted")
    check_document([{"name": "a", "force": True}], "deleted")


def test_flows_naming_a_pending_port_are_held_back(tmp_path):
    src = tmp_path / "f.flows"
    src.write_text("# file\nin_port(tap0),eth(),eth_type(0x0806),arp() 1\n"
                   "in_port(1),eth(),eth_type(0x0806),arp() 2\n")
    params = {"config": ["in_port(1),eth(),eth_type(0x0806),arp() tap0,tap1",
                         {"in_port": 2, "eth": {}, "eth_type": 0x0806, "arp": {}, "actions": [1]},
                         "not a flow"],
              "src": str(src)}
    kept, held = flows_held_back(params, {"dp": 0, "p1": 1, "p2": 2, "tap0": 0, "tap1": 7}, {"tap0", "tap1"})
    assert held == {"tap0": 2, "tap1": 1}
    assert kept == [params["config"][1], "not a flow", "in_port(1),eth(),eth_type(0x0806),arp() 2"]


def test_flow_states_per_datapath_entry():
    entry = {"name": "dp0", "flows": ["x"], "flows_file": "/f"}
    assert flow_params(entry, True)["state"] == "overridden"
    assert flow_params(entry, False)["state"] == "replaced"
    assert flow_params({"name": "dp0"}, True)["state"] == "deleted"
    assert flow_params({"name": "dp0"}, False) is None


def test_diff_lines_name_ports_and_options():
    state = {"name": "dp0", "masks_cache_size": 256, "user_features": []}
    ports = {"dp0": {"name": "dp0", "type": "internal", "port_no": 0, "options": {}},
             "vx": {"name": "vx", "type": "vxlan", "port_no": 4, "options": {"dst_port": 4790}},
             "new": {"name": "new", "type": "internal", "port_no": 0, "options": {}}}
    assert describe(state, ports) == [
        "datapath dp0: masks_cache_size=256 user_features=none",
        "port 4: vx (vxlan: dst_port=4790)",
        "port (the kernel's choice): new (internal)"]
    assert describe(None, {}) == []
