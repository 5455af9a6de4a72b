#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ovs_vport
short_description: Manage ports of an Open vSwitch kernel datapath
version_added: "0.1.0"
description:
  - Adds or removes a vport of a kernel datapath, as C(ovs-dpctl add-if) and C(ovs-dpctl del-if) do,
    over Generic Netlink.
  - C(netdev) attaches an existing network device; C(internal), C(vxlan), C(geneve) and C(gre)
    create their own device, named after the port, which goes away with the port.
  - The kernel cannot change a port's type, number or options in place. A difference is refused with
    the reason unless I(recreate=true), which deletes and re-creates the port (keeping its number
    unless I(port_no) says otherwise).
author:
  - dpif.ovs contributors (@dpif-ovs)
requirements:
  - the openvswitch kernel module loaded on the managed host
options:
  datapath:
    description: Name of the datapath; it must exist.
    type: str
    required: true
  name:
    description: Name of the port (and its device), at most 15 bytes.
    type: str
    required: true
  type:
    description: Kind of port. Required when I(state=present).
    type: str
    choices: [netdev, internal, vxlan, geneve, gre]
  options:
    description:
      - Type-specific options. Left out on an existing port, they are not managed.
      - Any option that does not belong to the type is an error.
    type: dict
    suboptions:
      dst_port:
        description: UDP destination port of a C(vxlan) (default 4789) or C(geneve) (default 6081) port.
        type: int
      extensions:
        description: VXLAN extensions of a C(vxlan) port.
        type: list
        elements: str
        choices: [gbp]
  port_no:
    description:
      - Port number to request, 1 to 65535. Left out, the kernel picks the lowest free number
        when it creates the port, and an existing port keeps its number.
    type: int
  state:
    description: Whether the port should exist.
    type: str
    choices: [present, absent]
    default: present
  recreate:
    description: Delete and re-create the port when its type, number or options differ.
    type: bool
    default: false
  force:
    description:
      - Attach a netdev even when it is on the host's management path, and change a datapath owned
        by a running ovs-vswitchd.
      - The management path is found from the kernel, not from the environment, since C(sudo) drops
        C(SSH_CONNECTION). It is the devices that hold an SSH session's local address or that the kernel
        routes its peer through (policy routing and ECMP included), for every sshd on the host and the
        one the task runs under; the devices of the default routes of every routing table, IPv4 and
        IPv6; and, recursively, the devices below those (a VLAN's or macvlan's lower device, a
        tunnel's underlay, a bond's, bridge's or VRF's members). The failure message names the
        session's peer or the route, and the chain.
      - When the management path cannot be determined (the task runs under an sshd whose connection
        cannot be read, or a routing query fails), every netdev attach is refused unless this is set.
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
seealso:
  - module: dpif.ovs.ovs_datapath
  - module: dpif.ovs.ovs_datapath_info
"""

EXAMPLES = r"""
- name: An internal port for the host side
  dpif.ovs.ovs_vport:
    datapath: dp0
    name: br-int0
    type: internal

- name: A VXLAN tunnel port on a fixed number
  dpif.ovs.ovs_vport:
    datapath: dp0
    name: vx0
    type: vxlan
    port_no: 10
    options:
      dst_port: 4789

- name: Attach a guest's veth
  dpif.ovs.ovs_vport:
    datapath: dp0
    name: veth-vm1
    type: netdev
"""

RETURN = r"""
commands:
  description: The changes made (or, in check mode, that would be made), in ovs-dpctl's words.
  returned: always
  type: list
  elements: str
  sample: ["add-if dp0 vx0,type=vxlan,port_no=10,dst_port=4789"]
vport:
  description: The port after the task; empty when it is absent. In check mode a new port's number is 0
    unless I(port_no) was given, since the kernel chooses it.
  returned: always
  type: dict
  sample: {"name": "vx0", "type": "vxlan", "port_no": 10, "options": {"dst_port": 4789}}
errno:
  description: Symbolic errno of a failure, for example C(EBUSY).
  returned: failure
  type: str
  sample: EBUSY
"""

from ansible_collections.dpif.ovs.plugins.module_utils.module_runner import new_module, run
from ansible_collections.dpif.ovs.plugins.module_utils.resources import vport


def main():
    module = new_module(
        argument_spec=dict(
            netns=dict(type="str"),
            datapath=dict(type="str", required=True),
            name=dict(type="str", required=True),
            type=dict(type="str", choices=["netdev", "internal", "vxlan", "geneve", "gre"]),
            options=dict(type="dict", options=dict(
                dst_port=dict(type="int"),
                extensions=dict(type="list", elements="str", choices=["gbp"]),
            )),
            port_no=dict(type="int"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            recreate=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ["type"])],
        supports_check_mode=True,
    )
    run(module, vport.run)


if __name__ == "__main__":
    main()
