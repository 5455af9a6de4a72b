"""The role removes whatever in dpif_ovs_lib_dir is not the collection's code:
it first refuses a directory a removal could climb out of or that is shared
with others, and one below a directory others could write. These run the
role's own tasks with ansible-playbook over prepared paths."""

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


def run_role_tasks(tmp, first: str, until: str, lib_dirs, *extra) -> dict:
    """Run persist.yml's tasks from the one named ``first`` up to ``until``
    once per lib dir, and return {lib dir: the failure message, '' if none}."""
    with open(PERSIST) as fh:
        text = fh.read()
    tasks = text[text.index("- name: " + first):text.index("- name: " + until)]
    tasks = tasks.replace("    quiet: true", "    quiet: true\n  ignore_errors: true\n  register: verdict", 1)
    (tmp / "check.yml").write_text("---\n" + tasks + (
        "- name: Record\n  ansible.builtin.set_fact:\n"
        "    seen: \"{{ seen | default({}) | combine({dpif_ovs_lib_dir: verdict.msg if verdict.failed else ''}) }}\"\n"))
    (tmp / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_tasks: check.yml\n"
        "      loop: %s\n      loop_control: {loop_var: dpif_ovs_lib_dir}\n"
        "    - ansible.builtin.copy: {content: \"{{ seen | to_json }}\", dest: %s}\n"
        % (json.dumps(list(lib_dirs)), tmp / "seen.json"))
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    out = subprocess.run([playbook, "-i", "localhost,", "-c", "local", str(tmp / "play.yml"),
                          "-e", "ansible_python_interpreter=%s" % sys.executable] + list(extra),
                         capture_output=True, text=True, check=False, cwd=str(tmp),
                         env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp / "local")))
    assert (tmp / "seen.json").exists(), out.stdout + out.stderr
    return json.loads((tmp / "seen.json").read_text())


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    return run_role_tasks(tmp_path_factory.mktemp("libdir"), "The library directory is one the role may own",
                          "Find directories above the library directory", sorted(CASES),
                          "-e", "dpif_ovs_state_dir=/var/lib/dpif-ovs", "-e", "dpif_ovs_unit_dir=/etc/systemd/system")


@pytest.mark.parametrize("lib_dir", sorted(CASES))
def test_lib_dir(verdicts, lib_dir):
    assert (verdicts[lib_dir] == "") is CASES[lib_dir], verdicts[lib_dir]


def test_directories_above_the_lib_dir_that_others_could_write_are_refused(tmp_path):
    """One others may write (0777) is refused, naming it; a sticky one (like
    /tmp) is not; one not owned by root is refused (so, for a non-root run,
    every one)."""
    base = tmp_path / "dirs"
    for name, mode in (("open", 0o777), ("sticky", 0o1777), ("plain", 0o755)):
        (base / name).mkdir(parents=True)
        (base / name).chmod(mode)
    base.chmod(0o755)
    libs = [str(base / name / "lib") for name in ("open", "sticky", "plain")]
    seen = run_role_tasks(tmp_path, "Find directories above the library directory",
                          "Directories for the state, the restore code and the unit", libs)
    assert seen[libs[0]].startswith("'%s' (owner uid %d, mode 777), above dpif_ovs_lib_dir %s: whoever can write"
                                    % (base / "open", os.geteuid(), libs[0])), seen
    if os.geteuid() == 0:
        assert seen[libs[1]] == "" and seen[libs[2]] == "", seen
    else:       # not root's: refused whatever the mode
        assert all("(owner uid %d," % os.geteuid() in seen[lib] for lib in libs[1:]), seen
