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
