"""The collection as AWX and Automation Platform take it: an execution
environment built by ansible-builder from the collection's own
meta/execution-environment.yml, requirements.txt and bindep.txt. No
container engine: ``introspect`` reads what the collection asks for, and
``create`` writes the build context around the built collection."""

import os
import subprocess
import sys

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def tool(name, *args, cwd=None):
    out = subprocess.run([os.path.join(BIN, name)] + list(args), capture_output=True, text=True, cwd=cwd,
                         check=False)
    assert out.returncode == 0, "%s %s failed: %s%s" % (name, " ".join(args), out.stdout, out.stderr)
    return out.stdout


def test_ansible_builder_finds_the_collections_requirements(tmp_path):
    root = tmp_path / "collections"
    (root / "ansible_collections" / "dpif").mkdir(parents=True)
    os.symlink(TOP, root / "ansible_collections" / "dpif" / "ovs")
    found = yaml.safe_load(tool("ansible-builder", "introspect", str(root)).split("\n", 1)[1])
    assert found == {"python": ["jsonschema>=4.18  # from collection dpif.ovs"],
                     "system": ["tar [platform:dpkg platform:rpm]  # from collection dpif.ovs"]}


def test_ansible_builder_creates_a_build_context_with_the_built_collection(tmp_path):
    tool("ansible-galaxy", "collection", "build", TOP, "--output-path", str(tmp_path), cwd=str(tmp_path))
    (tarball,) = [name for name in os.listdir(tmp_path) if name.endswith(".tar.gz")]
    (tmp_path / "requirements.yml").write_text(yaml.safe_dump(
        {"collections": [{"name": "/build/collections/" + tarball, "type": "file"}]}))
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump({
        "version": 3,
        "images": {"base_image": {"name": "registry.example/ee-minimal:latest"}},
        "dependencies": {"ansible_core": {"package_pip": "ansible-core"},
                         "ansible_runner": {"package_pip": "ansible-runner"},
                         "galaxy": "requirements.yml"},
        "additional_build_files": [{"src": tarball, "dest": "collections"}],
    }))
    context = tmp_path / "context"
    tool("ansible-builder", "create", "--file", "execution-environment.yml", "--context", str(context),
         "--output-filename", "Containerfile", cwd=str(tmp_path))
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy" in containerfile and "introspect" in containerfile
    assert (context / "_build" / "collections" / tarball).is_file()
    assert "/build/collections/" + tarball in (context / "_build" / "requirements.yml").read_text()
