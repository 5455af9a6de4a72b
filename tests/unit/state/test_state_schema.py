"""The desired-state document: schema, extra checks, the generated docs page, the restore plan."""

import copy
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.dpif.ovs.plugins.module_utils import cli
from ansible_collections.dpif.ovs.plugins.module_utils.state_schema import ROOT, validate_document

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def demo_doc():
    with open(os.path.join(TOP, "demo", "host_vars", "localhost", "dpif_ovs.yml")) as fh:
        return {ROOT: yaml.safe_load(fh)[ROOT]}


def test_demo_document_is_valid():
    assert validate_document(demo_doc()) == []


def test_every_error_at_once_with_paths_sorted():
    doc = demo_doc()
    dp = doc[ROOT][0]
    dp["vports"][2]["options"]["dst_port"] = 70000
    dp["vports"][0]["options"] = {"dst_port": 1}
    dp["vports"][2]["options"]["extensions"] = ["gbp"]
    dp["purge_ports"] = "yes"
    dp["flows"][2]["eth_typ"] = 1
    doc[ROOT].append({"name": "x" * 16})
    assert validate_document(doc) == [
        "dpif_ovs_datapaths[0].flows[2]: Additional properties are not allowed ('eth_typ' was unexpected)",
        "dpif_ovs_datapaths[0].purge_ports: 'yes' is not of type 'boolean'",
        "dpif_ovs_datapaths[0].vports[0].options: options are only for vxlan and geneve ports",
        "dpif_ovs_datapaths[0].vports[2].options.dst_port: 70000 is greater than 65535",
        "dpif_ovs_datapaths[0].vports[2].options.extensions: extensions are only for vxlan ports",
        "dpif_ovs_datapaths[1].name: 'xxxxxxxxxxxxxxxx' is too long",
    ]


def test_checks_beyond_the_schema():
    doc = demo_doc()
    dp = doc[ROOT][0]
    dp["vports"].append(dict(dp["vports"][0]))
    dp["vports"].append({"name": "dp-demo", "type": "internal"})
    dp["flows"].append("in_port(nosuch),eth(),eth_type(0x0800),ipv4(frag=no) 1")
    doc[ROOT].append(copy.deepcopy(doc[ROOT][0]))
    doc[ROOT][1]["vports"] = []
    doc[ROOT][1]["flows"] = []
    got = validate_document(doc)
    assert got == [
        "dpif_ovs_datapaths[0].flows[3]: unknown port name 'nosuch' (in_port, at column 9)",
        "dpif_ovs_datapaths[0].vports[5].name: vport 'dp-demo-host' is listed twice in datapath 'dp-demo'",
        "dpif_ovs_datapaths[0].vports[5].port_no: port number 1 is also given to 'dp-demo-host'",
        "dpif_ovs_datapaths[0].vports[6].name: 'dp-demo' is the datapath's own port 0",
        "dpif_ovs_datapaths[1].name: datapath 'dp-demo' is listed twice (also at dpif_ovs_datapaths[0])",
    ]


@pytest.mark.parametrize("doc,error", [
    ({}, "document: 'dpif_ovs_datapaths' is a required property"),
    ({ROOT: {}}, "dpif_ovs_datapaths: {} is not of type 'array'"),
    ({ROOT: [{"name": "a", "vports": [{"name": "v", "type": "vxlan", "port_no": 0}]}]},
     "dpif_ovs_datapaths[0].vports[0].port_no: 0 is less than 1"),
])
def test_shapes(doc, error):
    assert validate_document(doc) == [error]


def test_generated_page_is_current():
    env = dict(os.environ, PYTHONPATH=os.path.join(TOP, ".build", "collections"))
    out = subprocess.run([sys.executable, os.path.join(TOP, "docs", "gen_state_doc.py"), "--check"],
                         capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr


def test_restore_applies_the_document_as_the_role_does():
    """The restore's parameters for ovs_datapaths' code: purge flags as the
    document says (false when omitted), overridden only with
    dpif_ovs_purge_datapaths, and never when one datapath is applied alone."""
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.host import flow_params
    doc = demo_doc()
    doc[ROOT].append({"name": "dp2", "purge_flows": True})
    doc[ROOT].append({"name": "dp3"})
    params = cli.host_params(doc)
    assert params["state"] == "merged"
    assert [(e["name"], e["purge_ports"], e["purge_flows"]) for e in params["config"]] == [
        ("dp-demo", True, True), ("dp2", False, True), ("dp3", False, False)]
    doc[cli.PURGE_DATAPATHS] = True
    assert cli.host_params(doc)["state"] == "overridden"
    assert cli.host_params(doc, doc[ROOT][1:2])["state"] == "merged"
    flows = flow_params(params["config"][0], True)
    assert flows["state"] == "overridden" and flows["src"] == "files/dp-demo.flows"
    assert flow_params(params["config"][0], False)["state"] == "replaced"
    assert flow_params(params["config"][1], True) == dict(flow_params(params["config"][1], True),
                                                          datapath="dp2", state="deleted", config=None)
    assert flow_params(params["config"][2], False) is None


def test_restore_points_flows_file_at_the_copy(tmp_path):
    import json
    state = tmp_path / "state.json"
    state.write_text(json.dumps(demo_doc()))
    doc = cli.load_state(str(state))
    assert doc[ROOT][0]["flows_file"] == str(tmp_path / "flows" / "dp-demo.flows")
    state.write_text(json.dumps({ROOT: [{"name": 5}]}))
    with pytest.raises(ValueError, match=r"dpif_ovs_datapaths\[0\].name: 5 is not of type 'string'"):
        cli.load_state(str(state))
    assert cli.main(["restore", str(tmp_path / "missing.json")]) == 2


@pytest.mark.parametrize("unit_name", ["dpif-ovs-restore.service", "dpif-ovs-watch.service"])
def test_restore_unit_verifies(tmp_path, unit_name):
    import shutil

    import jinja2
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    with open(os.path.join(TOP, "roles", "hypervisor", "templates", unit_name + ".j2")) as fh:
        text = jinja2.Template(fh.read()).render(
            ansible_managed="managed", dpif_ovs_state_dir="/var/lib/dpif-ovs",
            dpif_ovs_lib_dir="/usr/local/lib/dpif-ovs", dpif_ovs_restore_python=sys.executable)
    unit = tmp_path / unit_name
    unit.write_text(text)
    out = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and unit_name.split(".")[0] not in out.stderr, out.stderr
    command = "restore" if "restore" in unit_name else "watch"
    assert "ExecStart=%s -m ansible_collections.dpif.ovs.plugins.module_utils.cli %s " % (sys.executable, command) in text


def test_restore_refuses_what_others_could_have_written(tmp_path):
    """Root applies the saved state at boot: a state file, a flows file or a
    directory above them that others may write is refused, naming it."""
    import json
    state_dir = tmp_path / "state"
    (state_dir / "flows").mkdir(parents=True)
    state = state_dir / "state.json"
    state.write_text(json.dumps(demo_doc()))
    flows = state_dir / "flows" / "dp-demo.flows"
    flows.write_text("")
    assert cli.load_state(str(state))
    for path, mode in ((state, 0o666), (flows, 0o620), (state_dir / "flows", 0o777), (state_dir, 0o775)):
        old = path.stat().st_mode & 0o7777
        path.chmod(mode)
        with pytest.raises(ValueError) as err:
            cli.load_state(str(state))
        assert "refusing to apply" in str(err.value) and "'%s'" % path in str(err.value)
        assert "writable by group or others (mode %04o)" % mode in str(err.value)
        path.chmod(old)
    (state_dir / "flows").chmod(0o1777)      # sticky, like /tmp: others cannot swap our files
    assert cli.load_state(str(state))
