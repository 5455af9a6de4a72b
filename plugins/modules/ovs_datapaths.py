#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ovs_datapaths
short_description: A whole host's Open vSwitch kernel datapaths, vports and flows in one transaction
version_added: "0.1.0"
description:
  - Makes the host's kernel datapaths, their vports and their flow tables match one document, in one module
    run, over Generic Netlink (no ovs-vswitchd, no ovs-dpctl).
  - The document is the one the P(dpif.ovs.hypervisor#role) role takes (C(dpif_ovs_datapaths)), with the same
    JSON Schema; see the desired-state document page of the collection's docs for every field.
  - "One plan for the whole host, applied in the order the kernel needs: datapaths to delete, datapaths to create
    or correct, vports to delete, vports to create, then each flow table. Check mode predicts the whole plan; the
    diff shows it per datapath."
  - All or nothing. If a step fails, the steps done before it are undone in reverse (ports removed or re-created
    with their old numbers and options, flows restored, a created datapath deleted, a deleted one re-created with
    its ports and flows), and the failed step is reported with the kernel's reason.
  - After a run that changed something the plan is made again from what the kernel reports; anything it would
    still change is an error that says what differs, and the run is undone.
  - A netdev vport marked C(optional) whose device does not exist yet (a guest's tap) is pending, not an error,
    and the flows that name it are held back; the role's watch service attaches it when the device appears.
  - The document is validated on the controller (this module's action plugin) before the host is touched.
author:
  - dpif.ovs contributors (@dpif-ovs)
requirements:
  - the openvswitch kernel module loaded on the managed host (not for I(state=rendered) or I(state=parsed))
  - jsonschema on the controller
options:
  config:
    description:
      - The datapaths, each a mapping with C(name) and optionally C(masks_cache_size), C(user_features), C(force),
        C(purge_ports), C(purge_flows), C(vports) (each with C(name), C(type), C(port_no), C(options), C(recreate),
        C(optional)), C(flows) (ovs-dpctl text or the structured form; ports may be named) and C(flows_file).
      - C(flows_file) is a path on the managed host, in the C(ovs-dpctl add-flows) format, applied through the
        large-table path (parse cache, table snapshot) of M(dpif.ovs.ovs_flow).
      - With I(state=deleted) an entry gives only C(name) (and C(force)).
    type: list
    elements: dict
  state:
    description:
      - C(merged) creates or corrects the listed datapaths, vports and flows; a datapath's unlisted vports and
        flows are deleted only when its entry sets C(purge_ports) or C(purge_flows).
      - C(replaced) makes each listed datapath exactly its entry; C(purge_ports) and C(purge_flows) default to
        true (an entry may set them false). Datapaths not listed are left alone.
      - C(overridden) is C(replaced), and also deletes every datapath not listed, except one a running
        ovs-vswitchd owns (left with a warning).
      - C(deleted) deletes the listed datapaths, or every datapath (but ovs-vswitchd's) when I(config) is an empty
        list. Every state but C(gathered) and C(parsed) needs I(config).
      - C(gathered) returns the host as a document (vports by name, flows as ovs-dpctl text with port names);
        applied with C(overridden), it changes nothing. It imports a host set up by hand with ovs-dpctl.
      - C(rendered) returns the ovs-dpctl commands that build I(config) on an empty host, without the kernel.
      - C(parsed) reads I(running_config), the output of C(ovs-dpctl show DP) and C(ovs-dpctl dump-flows DP) for
        one or more datapaths, into a document, without the kernel. C(show) gives less than the kernel (no user
        features; a tunnel's C(dst_port) only for ports named like C(vxlan_sys_4790)).
    type: str
    default: merged
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
  running_config:
    description: The text that I(state=parsed) reads.
    type: str
extends_documentation_fragment:
  - dpif.ovs.netns
attributes:
  check_mode:
    description: Plans the whole host against what the kernel has, including datapaths and ports that the run would
      create first, and predicts what the kernel would refuse.
    support: full
  diff_mode:
    description: Per datapath, its attributes and vports, and its flow table, as unified diffs.
    support: full
notes:
  - Every datapath the run reads or changes is locked (see M(dpif.ovs.ovs_flow)); two runs on one host take turns.
seealso:
  - module: dpif.ovs.ovs_datapath
  - module: dpif.ovs.ovs_vport
  - module: dpif.ovs.ovs_flow
"""

EXAMPLES = r"""
- name: A hypervisor's datapath, ports and flows (merged)
  dpif.ovs.ovs_datapaths:
    config:
      - name: dp0
        masks_cache_size: 512
        vports:
          - {name: dp0-host, type: internal, port_no: 1}
          - {name: vx0, type: vxlan, port_no: 10, options: {dst_port: 4789}}
          - {name: vm1-eth0, type: netdev, port_no: 20, optional: true}   # the guest's tap, when it exists
        flows:
          - "in_port(vm1-eth0),eth(),eth_type(0x0800),ipv4(frag=no) vx0"
          - "in_port(vx0),eth(),eth_type(0x0800),ipv4(frag=no) vm1-eth0"

- name: A large flow table from a file on the host, the datapath exactly as listed (replaced)
  dpif.ovs.ovs_datapaths:
    config:
      - name: dp0
        vports:
          - {name: dp0-host, type: internal, port_no: 1}
        flows_file: /var/lib/dpif-ovs/flows/dp0.flows
    state: replaced

- name: The host exactly as its document says; other datapaths are deleted (overridden)
  dpif.ovs.ovs_datapaths:
    config: "{{ dpif_ovs_datapaths }}"
    state: overridden

- name: Delete two datapaths (deleted)
  dpif.ovs.ovs_datapaths:
    config:
      - name: dp-old
      - name: dp-test
    state: deleted

- name: Read the host as a document, for example one set up by hand with ovs-dpctl (gathered)
  dpif.ovs.ovs_datapaths:
    state: gathered
  register: host

- name: Apply it back unchanged (changed=false)
  dpif.ovs.ovs_datapaths:
    config: "{{ host.gathered }}"
    state: overridden

- name: The ovs-dpctl commands that would build a document on an empty host (rendered)
  dpif.ovs.ovs_datapaths:
    config: "{{ dpif_ovs_datapaths }}"
    state: rendered
  delegate_to: localhost

- name: A document from saved ovs-dpctl output (parsed)
  dpif.ovs.ovs_datapaths:
    running_config: "{{ lookup('ansible.builtin.file', 'dp0-show-and-flows.txt') }}"
    state: parsed
  delegate_to: localhost
"""

RETURN = r"""
commands:
  description: The changes as ovs-dpctl commands, datapath by datapath (at most 1000 flow commands per datapath).
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: str
  sample: ["add-dp dp0 masks_cache_size=512", "add-if dp0 vx0,type=vxlan,port_no=10,dst_port=4789",
           "add-flow dp0 in_port(vx0),eth(),eth_type(0x0800),ipv4(frag=no) vm1-eth0"]
datapaths:
  description: Per datapath, whether it changed, its commands, the vports added, deleted and re-created, the flow
    counts (create, modify, delete, unchanged) and its pending vports.
  returned: when state is merged, replaced, overridden or deleted
  type: dict
  sample: {dp0: {changed: true, commands: ["add-dp dp0"], ports: {add: 2, delete: 0, recreate: 0},
                 flows: {create: 2, modify: 0, delete: 0, unchanged: 0}}}
pending:
  description: Optional netdev vports whose device does not exist yet, with how many flows wait for each.
  returned: when state is merged, replaced or overridden
  type: list
  elements: dict
  sample: [{datapath: dp0, vport: vm1-eth0, port_no: 20, flows: 2}]
gathered:
  description: The host as a document (the I(config) schema).
  returned: when state is gathered
  type: list
  elements: dict
rendered:
  description: The ovs-dpctl commands that build I(config) on an empty host.
  returned: when state is rendered
  type: list
  elements: str
parsed:
  description: The document read from I(running_config).
  returned: when state is parsed
  type: list
  elements: dict
step:
  description: The step that failed, for example C(vport dp0/vx0) or C(flows dp0).
  returned: failure
  type: str
rollback_failures:
  description: The undo operations that failed after a failed step, each with its step and reason.
  returned: failure
  type: list
  elements: dict
errors:
  description: "Every problem of I(config), one C(path: message) string each."
  returned: failure
  type: list
  elements: str
"""

from ansible_collections.dpif.ovs.plugins.module_utils.module_runner import new_module, run
from ansible_collections.dpif.ovs.plugins.module_utils.resources import host


def main():
    module = new_module(
        argument_spec=dict(
            netns=dict(type="str"),
            config=dict(type="list", elements="dict"),
            state=dict(type="str", default="merged", choices=list(host.STATES)),
            running_config=dict(type="str"),
        ),
        required_if=[("state", "parsed", ["running_config"])],
        supports_check_mode=True,
    )
    run(module, host.run)


if __name__ == "__main__":
    main()
