# Make the checkout importable as ansible_collections.dpif.ovs for any pytest run.
import os
import sys

_top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_root = os.path.join(_top, ".build", "collections")
_link = os.path.join(_root, "ansible_collections", "dpif", "ovs")
if not os.path.exists(_link):
    os.makedirs(os.path.dirname(_link), exist_ok=True)
    os.symlink(_top, _link)
if _root not in sys.path:
    sys.path.insert(0, _root)


def pytest_runtest_teardown(item):
    """Each test's cache directory is its own: close the ones it opened."""
    from ansible_collections.dpif.ovs.plugins.module_utils import privatestore
    privatestore.forget_dirs()
