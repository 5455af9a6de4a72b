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


def test_directories_above_the_lib_dir_that_others_could_write_are_refused(tmp_path):
    """The role's parents check, run over prepared directories: one others
    may write (0777) is refused, naming it; a sticky one (like /tmp) is not;
    one not owned by root is refused (so, for a non-root run, every one)."""
    with open(PERSIST) as fh:
        text = fh.read()
    start = text.index("- name: Find directories above the library directory")
    end = text.index("- name: Directories for the restore code")
    check = text[start:end].replace("    quiet: true", "    quiet: true\n  ignore_errors: true\n  register: verdict", 1)
    (tmp_path / "check.yml").write_text("---\n" + check + (
        "- name: Record\n  ansible.builtin.set_fact:\n"
        "    seen: \"{{ seen | default({}) | combine({dpif_ovs_lib_dir: verdict.msg if verdict.failed else ''}) }}\"\n"))
    base = tmp_path / "dirs"
    for name, mode in (("open", 0o777), ("sticky", 0o1777), ("plain", 0o755)):
        (base / name).mkdir(parents=True)
        (base / name).chmod(mode)
    base.chmod(0o755)
    libs = [str(base / name / "lib") for name in ("open", "sticky", "plain")]
    (tmp_path / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_tasks: check.yml\n"
        "      loop: %s\n      loop_control: {loop_var: dpif_ovs_lib_dir}\n"
        "    - ansible.builtin.copy: {content: \"{{ seen | to_json }}\", dest: %s}\n"
        % (json.dumps(libs), tmp_path / "seen.json"))
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    out = subprocess.run([playbook, "-i", "localhost,", "-c", "local", str(tmp_path / "play.yml"),
                          "-e", "ansible_python_interpreter=%s" % sys.executable],
                         capture_output=True, text=True, check=False, cwd=str(tmp_path),
                         env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "local")))
    assert (tmp_path / "seen.json").exists(), out.stdout + out.stderr
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen[libs[0]].startswith("'%s' (owner uid %d, mode 777), above dpif_ovs_lib_dir %s: whoever can write"
                                    % (base / "open", os.geteuid(), libs[0])), seen
    if os.geteuid() == 0:
        assert seen[libs[1]] == "" and seen[libs[2]] == "", seen
    else:       # not root's: refused whatever the mode
        assert all("(owner uid %d," % os.geteuid() in seen[lib] for lib in libs[1:]), seen
