"""The least a task can take to return ovs_flow's lines, with no kernel work.

Run as a module is (python exit_floor.py ARGS.json MODE LINES): start Python,
import AnsibleModule and parse the arguments, read the lines as ovs_flow reads
its table snapshot (the heap kept, 1 MiB pieces), and exit_json with them:

* ``gathered``: the lines as ``gathered``;
* ``before``: the lines as a no-change run's ``before``;
* ``before_after``: the lines as ``before``, and as ``after`` with 1% of them
  other strings (a change run's result).

make bench prints these next to the rows whose targets they bound: whatever
ovs_flow does, it returns these lists through the same exit path.
"""

import sys
from functools import partial

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dpif.ovs.plugins.module_utils.heap import keep_freed_memory
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.tablesnapshot import _read_lines


def main():
    mode, path = sys.argv[2], sys.argv[3]
    del sys.argv[2:]        # AnsibleModule reads its arguments from argv[1]
    module = AnsibleModule(argument_spec=dict(datapath=dict(type="str"), state=dict(type="str"),
                                              src=dict(type="path")))
    keep_freed_memory()
    with open(path, "rb") as fh:
        lines = _read_lines(iter(partial(fh.read, 1 << 20), b""))
    if mode == "gathered":
        module.exit_json(changed=False, gathered=lines)
    if mode == "before":
        module.exit_json(changed=False, before=lines, commands=[], counts={})
    after = list(lines)
    for i in range(0, len(after), 100):
        after[i] += " "
    after.sort()
    module.exit_json(changed=True, before=lines, after=after, commands=[], counts={})


if __name__ == "__main__":
    main()
