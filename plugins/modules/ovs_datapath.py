#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ovs_datapath
short_description: Manage Open vSwitch kernel datapaths over Generic Netlink
version_added: "0.1.0"
description:
  - Creates, changes or deletes an Open vSwitch kernel datapath, as C(ovs-dpctl add-dp) and
    C(ovs-dpctl del-dp) do, talking to the kernel directly (no ovs-vswitchd, no ovs-vsctl).
  - A datapath is created with its own internal port (port 0) carrying the datapath's name.
  - Deleting a datapath deletes all of its ports and flows.
  - Options left out are not managed; a second run with the same arguments changes nothing.
author:
  - dpif.ovs contributors (@dpif-ovs)
requirements:
  - the openvswitch kernel module loaded on the managed host
  - root (CAP_NET_ADMIN) to change datapaths
options:
  name:
    description: Name of the datapath, at most 15 bytes (it also names the datapath's network device).
    type: str
    required: true
  state:
    description: Whether the datapath should exist.
    type: str
    choices: [present, absent]
    default: present
  masks_cache_size:
    description:
      - Number of entries of the kernel's per-CPU masks cache; 0 disables it.
      - Must be 0 or a power of two no larger than 4096. Left out, the kernel default (256) is kept.
    type: int
  user_features:
    description:
      - The datapath's user features (C(OVS_DP_F_*)), as a complete list. Left out, they are not managed.
      - C(tc_recirc_sharing) needs a kernel with C(CONFIG_NET_TC_SKB_EXT); an unsupported feature is
        reported as an error.
    type: list
    elements: str
    choices: [unaligned, vport_pids, tc_recirc_sharing, dispatch_upcall_per_cpu]
  force:
    description:
      - Change or delete the datapath even when a running ovs-vswitchd owns it.
    type: bool
    default: false
extends_documentation_fragment:
  - dpif.ovs.netns
attributes:
  check_mode:
    description: Computes the same plan as a real run and changes nothing.
    support: full
  diff_mode:
    description: Returns the object before and after the change.
    support: full
notes:
  - Kernel datapaths do not survive a reboot or an unload of the openvswitch module.
seealso:
  - module: dpif.ovs.ovs_vport
  - module: dpif.ovs.ovs_datapath_info
"""

EXAMPLES = r"""
- name: A datapath for the hypervisor's guests
  dpif.ovs.ovs_datapath:
    name: dp0
    masks_cache_size: 512

- name: Remove it with all its ports and flows
  dpif.ovs.ovs_datapath:
    name: dp0
    state: absent
"""

RETURN = r"""
commands:
  description: The changes made (or, in check mode, that would be made), in ovs-dpctl's words.
  returned: always
  type: list
  elements: str
  sample: ["add-dp dp0 masks_cache_size=512"]
datapath:
  description: The datapath after the task; empty when it is absent.
  returned: always
  type: dict
  sample: {"name": "dp0", "masks_cache_size": 512, "user_features": []}
errno:
  description: Symbolic errno of a failure, for example C(ENODEV) or C(EPERM).
  returned: failure
  type: str
  sample: EPERM
"""

from ansible_collections.dpif.ovs.plugins.module_utils.module_runner import new_module, run
from ansible_collections.dpif.ovs.plugins.module_utils.resources import datapath


def main():
    module = new_module(
        argument_spec=dict(
            netns=dict(type="str"),
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            masks_cache_size=dict(type="int"),
            user_features=dict(type="list", elements="str",
                               choices=["unaligned", "vport_pids", "tc_recirc_sharing", "dispatch_upcall_per_cpu"]),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run(module, datapath.run)


if __name__ == "__main__":
    main()
