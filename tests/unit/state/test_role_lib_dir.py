"""The role removes whatever in dpif_ovs_lib_dir is not the collection's code:
its first task refuses a directory a removal could climb out of or that is
shared with others. Runs the role's own assert task with ansible-playbook."""

import json
import os
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PERSIST = os.path.join(TOP, "roles", "hypervisor", "tasks", "persist.yml")

CASES = {
    "/usr/local/lib/dpif-ovs": True,
    "/opt/dpif-ovs/lib": True,
    "/usr/local/lib/dpif-ovs/..": False,
    "/var/lib/.": False,
    "/usr/local/lib": False,
    "/bin": False,
    "/": False,
    "/opt/dpif//x": False,
    "/var/lib/dpif-ovs": False,         # holds the state directory
    "/etc/systemd": False,              # holds the unit directory, and is shared
    "relative/lib": False,
}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    """{lib dir: accepted} from one ansible-playbook run over every case."""
    tmp = tmp_path_factory.mktemp("libdir")
    with open(PERSIST) as fh:
        text = fh.read()
    start = text.index("- name: The library directory is one the role may own")
    end = text.index("- name: Directories for the restore code")
    assert_task = text[start:end].replace("    quiet: true", "    quiet: true\n  ignore_errors: true\n  register: verdict", 1)
    (tmp / "check.yml").write_text("---\n" + assert_task + (
        "- name: Record\n  ansible.builtin.set_fact:\n"
        "    seen: \"{{ seen | default({}) | combine({dpif_ovs_lib_dir: not verdict.failed}) }}\"\n"))
    (tmp / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_tasks: check.yml\n"
        "      loop: %s\n      loop_control: {loop_var: dpif_ovs_lib_dir}\n"
        "    - ansible.builtin.copy: {content: \"{{ seen | to_json }}\", dest: %s}\n"
        % (json.dumps(sorted(CASES)), tmp / "seen.json"))
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    out = subprocess.run([playbook, "-i", "localhost,", "-c", "local", str(tmp / "play.yml"),
                          "-e", "ansible_python_interpreter=%s" % sys.executable,
                          "-e", "dpif_ovs_state_dir=/var/lib/dpif-ovs", "-e", "dpif_ovs_unit_dir=/etc/systemd/system"],
                         capture_output=True, text=True, check=False, cwd=str(tmp),
                         env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp / "local")))
    assert (tmp / "seen.json").exists(), out.stdout + out.stderr
    return json.loads((tmp / "seen.json").read_text())


@pytest.mark.parametrize("lib_dir", sorted(CASES))
def test_lib_dir(verdicts, lib_dir):
    assert verdicts[lib_dir] is CASES[lib_dir]
