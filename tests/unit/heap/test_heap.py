"""heap.keep_freed_memory: freed memory is reused, not faulted in again."""

import os
import subprocess
import sys

from ansible_collections.dpif.ovs.plugins.module_utils import heap

# Build and drop blocks of 1 to 16 MiB, twice, as a run builds a table's
# texts and their JSON; print the page faults.
SNIPPET = """
import resource, sys
from ansible_collections.dpif.ovs.plugins.module_utils import heap
if sys.argv[1] == "tuned":
    assert heap.keep_freed_memory()
start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for size in (1, 2, 4, 8, 16, 1, 2, 4, 8, 16):
    block = b"x" * (size << 20)
    del block
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)
"""


def _faults(mode):
    # The directory holding ansible_collections/, as this process imported it.
    root = heap.__file__
    for _level in range(6):
        root = os.path.dirname(root)
    out = subprocess.run([sys.executable, "-c", SNIPPET, mode], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=root))
    return int(out.stdout)


def test_freed_blocks_are_reused_once_tuned():
    # 62 MiB in all: mapped and unmapped block by block by default (about
    # 12k fresh pages here); tuned, the heap keeps the 16 MiB it grew to.
    default, tuned = _faults("default"), _faults("tuned")
    assert tuned < 6000 < default, (default, tuned)


def test_applied_once_per_process():
    first = heap.keep_freed_memory()
    assert first is True                 # glibc, as on the hosts we manage and in CI
    assert heap.keep_freed_memory() is first
