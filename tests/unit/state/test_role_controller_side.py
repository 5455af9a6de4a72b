"""What the hypervisor role does in the controller's worker, with no module
process and no connection: the validation (the ovs_state_validate action
plugin) and the module's document (the ovs_datapaths_config filter)."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.dpif.ovs.plugins.filter.ovs_datapaths_config import ovs_datapaths_config

# A host no connection can reach (TEST-NET-1, RFC 5737): the validation must never try.
INVENTORY = ("all:\n  hosts:\n    far:\n      ansible_host: 192.0.2.1\n      ansible_connection: ssh\n"
             "      ansible_ssh_common_args: -o ConnectTimeout=1\n      ansible_python_interpreter: /nonexistent\n")
PLAY = """\
- hosts: far
  gather_facts: false
  tasks:
    - name: Validate
      dpif.ovs.ovs_state_validate:
        datapaths: "{{ dpif_ovs_datapaths }}"
      register: checked
    - name: Report
      ansible.builtin.copy:
        content: "{{ checked | to_json }}"
        dest: "%s"
      delegate_to: localhost
      vars:
        ansible_connection: local
        ansible_python_interpreter: "%s"
"""


def validate_far(tmp_path, datapaths):
    (tmp_path / "inventory.yml").write_text(INVENTORY)
    (tmp_path / "play.yml").write_text(PLAY % (tmp_path / "checked.json", sys.executable))
    (tmp_path / "vars.json").write_text(json.dumps({"dpif_ovs_datapaths": datapaths}))
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    out = subprocess.run([playbook, "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml"),
                          "-e", "@" + str(tmp_path / "vars.json")], capture_output=True, text=True, check=False,
                         cwd=str(tmp_path), env=dict(os.environ, ANSIBLE_NOCOLOR="1",
                                                     ANSIBLE_LOCAL_TEMP=str(tmp_path / "local")))
    return out


def test_validation_runs_on_the_controller_without_reaching_the_host(tmp_path):
    out = validate_far(tmp_path, [{"name": "dp0", "vports": [{"name": "vx", "type": "vxlan", "port_no": 2}]}])
    assert "unreachable=0" in out.stdout and "failed=0" in out.stdout, out.stdout + out.stderr
    checked = json.loads((tmp_path / "checked.json").read_text())
    assert checked["datapaths"] == 1 and checked["errors"] == [] and not checked["changed"]


def test_validation_failure_lists_every_problem_by_path(tmp_path):
    out = validate_far(tmp_path, [{"name": "dp0", "vports": [
        {"name": "vx", "type": "vxlan", "port_no": 2, "options": {"dst_port": 70000}},
        {"name": "vx", "type": "internal", "port_no": 0}]}])
    assert "unreachable=0" in out.stdout and "failed=1" in out.stdout, out.stdout + out.stderr
    assert "dpif_ovs_datapaths[0].vports[0].options.dst_port: 70000 is greater than 65535" in out.stdout
    assert "dpif_ovs_datapaths[0].vports[1].port_no: 0 is less than 1" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_the_filter_makes_the_roles_purges_explicit_and_points_flows_files_at_the_staged_copies():
    doc = [{"name": "dp0", "flows_file": "files/dp0.flows"}, {"name": "dp1", "purge_ports": True, "flows": []}]
    assert ovs_datapaths_config(doc, "/var/lib/dpif-ovs/staged/") == [
        {"name": "dp0", "purge_ports": False, "purge_flows": False, "flows_file": "/var/lib/dpif-ovs/staged/dp0.flows"},
        {"name": "dp1", "purge_ports": True, "purge_flows": False, "flows": []}]
    assert doc[0] == {"name": "dp0", "flows_file": "files/dp0.flows"}        # the input is left as it is


@pytest.mark.parametrize("bad", [None, "dp0", [["dp0"]]])
def test_the_filter_refuses_what_is_not_a_document(bad):
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="must be a list of datapath entries"):
        ovs_datapaths_config(bad, "/s")
