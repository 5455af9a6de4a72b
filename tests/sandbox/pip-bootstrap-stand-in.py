"""The project's own stand-in for ansible-test's pip bootstrap script.

ansible-test sanity builds its venvs by running ``get-pip-<version>.py``,
downloaded from ci-files.testing.ansible.com. Where that host cannot be
reached, tests/sandbox/sanity puts this file in ansible-test's cache under
that name instead. It takes the same arguments (pip's install options and
the packages), gets pip from the interpreter's own ``ensurepip``, and
installs the packages with it. The venvs ansible-test makes do not read the
host's pip configuration, so where PyPI is reached through a TLS proxy
whose CA is only in the system bundle, that bundle is given to this pip
run and added to the CA file of the pip it leaves behind.
"""

import ensurepip
import glob
import os
import subprocess
import sys

SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"
MARK = "# dpif.ovs: the system CA bundle follows\n"
# ensurepip brings pip alone; these ask get-pip.py not to add more.
GET_PIP_ONLY = frozenset(("--no-setuptools", "--no-wheel"))


def add_system_ca() -> None:
    """Append the system CA bundle, once, to the CA file of this venv's pip."""
    if not os.path.exists(SYSTEM_CA):
        return
    pattern = os.path.join(sys.prefix, "lib", "python*", "site-packages", "pip", "_vendor", "certifi", "cacert.pem")
    with open(SYSTEM_CA) as fh:
        bundle = fh.read()
    for path in glob.glob(pattern):
        with open(path) as fh:
            if MARK in fh.read():
                continue
        with open(path, "a") as fh:
            fh.write("\n" + MARK + bundle)


def main() -> int:
    ensurepip.bootstrap(upgrade=True)
    add_system_ca()
    command = [sys.executable, "-m", "pip", "install"]
    if os.path.exists(SYSTEM_CA):
        command += ["--cert", SYSTEM_CA]
    command += [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    status = subprocess.call(command)
    add_system_ca()         # the pip just installed may be a new one, with its own CA file
    return status


if __name__ == "__main__":
    sys.exit(main())
