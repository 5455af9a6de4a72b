#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ovs_datapath_info
short_description: Read Open vSwitch kernel datapaths and their ports
version_added: "0.1.0"
description:
  - Reports every kernel datapath (or one) with its features, statistics and ports, as
    C(ovs-dpctl show) does, in the same shape M(dpif.ovs.ovs_datapath) and M(dpif.ovs.ovs_vport) take.
  - Reads only; needs no privileges.
author:
  - dpif.ovs contributors (@dpif-ovs)
requirements:
  - the openvswitch kernel module loaded on the managed host
options:
  name:
    description: Report only this datapath. An empty list is returned when it does not exist.
    type: str
extends_documentation_fragment:
  - dpif.ovs.netns
attributes:
  check_mode:
    description: Reads only, so check mode behaves as a normal run.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to show.
    support: none
"""

EXAMPLES = r"""
- name: Read every datapath
  dpif.ovs.ovs_datapath_info:
  register: dps

- name: Show the port numbers of dp0
  ansible.builtin.debug:
    msg: "{{ dps.datapaths | selectattr('name', 'eq', 'dp0') | map(attribute='vports') | first }}"
"""

RETURN = r"""
datapaths:
  description: The datapaths, sorted by name, each with its ports sorted by port number.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Datapath name.
      type: str
    masks_cache_size:
      description: Entries of the masks cache.
      type: int
    user_features:
      description: Names of the user features set.
      type: list
      elements: str
    stats:
      description: Lookup and megaflow statistics (hit, missed, lost, flows, mask_hit, masks, cache_hits).
      type: dict
    vports:
      description: Ports with name, type, port_no, options and stats (rx/tx packets, bytes, errors, dropped).
      type: list
      elements: dict
  sample:
    - name: dp0
      masks_cache_size: 256
      user_features: []
      stats: {hit: 0, missed: 0, lost: 0, flows: 0, mask_hit: 0, masks: 0, cache_hits: 0}
      vports:
        - {name: dp0, type: internal, port_no: 0, options: {}, stats: {rx_packets: 0}}
        - {name: vx0, type: vxlan, port_no: 1, options: {dst_port: 4789}, stats: {rx_packets: 0}}
"""

from ansible_collections.dpif.ovs.plugins.module_utils.module_runner import new_module, run
from ansible_collections.dpif.ovs.plugins.module_utils.resources import info


def main():
    module = new_module(
        argument_spec=dict(name=dict(type="str"), netns=dict(type="str")),
        supports_check_mode=True,
    )
    run(module, info.run)


if __name__ == "__main__":
    main()
