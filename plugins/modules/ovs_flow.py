#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ovs_flow
short_description: Reconcile the flow table of an Open vSwitch kernel datapath
version_added: "0.1.0"
description:
  - Makes a kernel datapath's flow table match a list of flows, sending only the operations needed,
    batched, over Generic Netlink (no ovs-vswitchd, no ovs-dpctl).
  - Flows are written in the C(ovs-dpctl) syntax (as C(dump-flows) prints them and C(add-flow) takes them)
    or in a structured form for YAML, and can be read from a file for very large tables.
  - Each flow is identified by its match (key and mask, after canonicalisation); an unchanged flow is not
    touched and keeps its statistics; a changed action list is one modify; a changed key or mask is
    another flow (delete plus create).
  - Every flow is checked against the kernel's rules before anything is sent; what the kernel requires
    and the user obviously meant (for example C(tcp_flags(0/0)) beside a TCP match) is filled in and
    reported as a warning when I(fix=true).
  - All or nothing. If the kernel refuses an operation, the operations that succeeded are undone and every
    refused flow is reported with its reason.
  - Installed flows carry a deterministic UFID, so a later run finds them cheaply and a run interrupted
    half-way converges when run again.
author:
  - dpif.ovs contributors (@dpif-ovs)
requirements:
  - the openvswitch kernel module loaded on the managed host (not for I(state=rendered) or I(state=parsed))
options:
  datapath:
    description: The datapath. Required except with I(state=rendered) and I(state=parsed).
    type: str
  config:
    description:
      - 'The flows. Each is a string in ovs-dpctl syntax, C(KEY ACTIONS) (for example
        C(in_port(1\),eth(\),eth_type(0x0800\),ipv4(dst=10.0.0.0/255.255.255.0,frag=no\) 2)), or a mapping such as
        C({in_port: 1, eth: {}, eth_type: 0x0800, ipv4: {dst: 10.0.0.0/24, frag: no}, actions: [2]}).'
      - Ports may be named, as in C(in_port(vm1-eth0\)) or a C(vx0) action; names are looked up in the datapath.
    type: list
    elements: raw
  src:
    description:
      - A file on the managed host in the C(ovs-dpctl add-flows) format, one C(KEY ACTIONS) flow a line
        (blank lines and lines starting with C(#) are skipped). Used together with I(config) if both are given.
      - For very large tables. Lines that differ from two earlier lines only in the addresses, ports, VLAN ids
        and tunnel ids they match or set are encoded like those, without being parsed again in full. Errors and
        fix-ups are the same as for a full parse.
      - Must be a regular file of at most 256 MiB with lines of at most 64 KiB; a directory, FIFO, device or
        larger file is refused before it is read.
    type: path
  state:
    description:
      - C(merged) creates missing flows and gives installed listed flows exactly the listed actions; unlisted
        flows are left alone. An action list is one value, a program, and it is never combined with the
        installed one (a flow installed with C(2) and listed with C(3) outputs to 3, not to both). For a listed flow,
        C(merged) and C(replaced) therefore do the same.
      - C(replaced) creates missing flows and gives installed listed flows exactly the listed actions.
      - C(overridden) makes the table exactly the list (C(replaced), and every unlisted flow is deleted).
      - C(deleted) deletes the listed flows, or every flow when none is listed.
      - C(gathered) reads the table into RV(gathered).
      - C(rendered) checks and canonicalises the listed flows offline and returns their netlink form in RV(rendered).
      - C(parsed) turns I(running_config) (C(ovs-dpctl dump-flows) output) into structured flows in RV(parsed), offline.
    type: str
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
    default: merged
  running_config:
    description: C(ovs-dpctl dump-flows) output, for I(state=parsed).
    type: str
  clear_stats:
    description: Zero the packet and byte counters of the listed flows that have counted something (a change).
    type: bool
    default: false
  names:
    description: Print ports by name (C(in_port(vm1-eth0))) in RV(before), RV(after), RV(gathered) and RV(commands).
    type: bool
    default: false
  cache:
    description:
      - Keep a parse cache of I(src) on the managed host, one per datapath (C(/var/cache/dpif-ovs), or
        C(~/.cache/dpif-ovs) when not root; C(DPIF_OVS_CACHE_DIR) overrides), so that later runs parse only the
        lines the last run did not see, whatever path the file has now. The cache holds what parsing gives
        again, never kernel state; a missing or stale cache only costs time. The directory must be owned by
        the user the module runs as, mode 0700, under directories only root or that user can write; otherwise
        the run warns and goes on without it. Every file in it is checked against a key kept there before it
        is read; a damaged or foreign file is dropped and rebuilt.
      - With I(src) alone (no I(config)) and state C(merged), C(replaced) or C(overridden), also keep a snapshot
        of the table a run leaves when it is exactly the file's flows (the file's bytes, the table's text and
        a digest of the table's UFIDs and actions). The next run dumps the table without keys and compares
        digests. If the kernel still holds that table, a file with the same bytes has nothing to do and an
        edited file costs only the lines that differ; any other table takes the full path.
    type: bool
    default: true
  fix:
    description:
      - Fill in what the kernel requires and the flow obviously means, and say so in a warning. With C(false),
        such a flow is an error.
    type: bool
    default: true
extends_documentation_fragment:
  - dpif.ovs.netns
attributes:
  check_mode:
    description: Computes the exact plan of a real run and sends nothing.
    support: full
  diff_mode:
    description: Returns a unified diff of the sorted flow table before and after.
    support: full
notes:
  - Flows of a datapath managed by ovs-vswitchd are its own and change under it; manage datapaths you own.
  - Kernel flows do not survive a reboot or an unload of the openvswitch module.
seealso:
  - module: dpif.ovs.ovs_datapath
  - module: dpif.ovs.ovs_vport
"""

EXAMPLES = r"""
- name: Forward between a guest and the tunnel
  dpif.ovs.ovs_flow:
    datapath: dp0
    state: replaced
    config:
      - "in_port(vm1-eth0),eth(),eth_type(0x0800),ipv4(frag=no) vx0"
      - in_port: vx0
        eth: {}
        eth_type: 0x0800
        ipv4: {frag: "no"}
        actions: [vm1-eth0]

- name: Exactly the flows of a generated file
  dpif.ovs.ovs_flow:
    datapath: dp0
    src: /etc/dpif-ovs/dp0.flows
    state: overridden

- name: Read the table
  dpif.ovs.ovs_flow:
    datapath: dp0
    state: gathered
  register: table

- name: Parse a saved dump offline
  dpif.ovs.ovs_flow:
    state: parsed
    running_config: "{{ lookup('file', 'dump.txt') }}"
"""

RETURN = r"""
before:
  description: The table before the task, one C(KEY ACTIONS) line a flow as C(ovs-dpctl dump-flows) prints key and actions, sorted.
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: str
after:
  description:
    - The table after the task (in check mode, as it would be), in the same form.
    - As in the network resource modules, only returned when the task changes the table; otherwise it is
      RV(before).
  returned: when changed
  type: list
  elements: str
commands:
  description: The operations sent (or, in check mode, that would be sent), in ovs-dpctl's words; at most 1000 are listed.
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: str
  sample: ["mod-flow in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 3"]
counts:
  description: How many flows are created, modified, deleted and left unchanged.
  returned: when state is merged, replaced, overridden or deleted
  type: dict
  sample: {"create": 0, "modify": 1, "delete": 0, "unchanged": 99999}
gathered:
  description: The table, one C(KEY ACTIONS) line a flow, sorted.
  returned: when state is gathered
  type: list
  elements: str
rendered:
  description: The listed flows, canonical, each with its UFID and the hex netlink payloads of key, mask and actions.
  returned: when state is rendered
  type: list
  elements: dict
parsed:
  description: The flows of I(running_config) in structured form, with their stats when the text had them.
  returned: when state is parsed
  type: list
  elements: dict
failures:
  description: Every flow the kernel refused, with the operation and the reason, when a batch fails.
  returned: failure
  type: list
  elements: dict
"""

from ansible_collections.dpif.ovs.plugins.module_utils.module_runner import new_module, run
from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow


def main():
    module = new_module(
        argument_spec=dict(
            netns=dict(type="str"),
            datapath=dict(type="str"),
            config=dict(type="list", elements="raw"),
            src=dict(type="path"),
            state=dict(type="str", default="merged",
                       choices=["merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed"]),
            running_config=dict(type="str"),
            clear_stats=dict(type="bool", default=False),
            names=dict(type="bool", default=False),
            fix=dict(type="bool", default=True),
            cache=dict(type="bool", default=True),
        ),
        required_if=[
            ("state", "merged", ["datapath"]),
            ("state", "replaced", ["datapath"]),
            ("state", "overridden", ["datapath"]),
            ("state", "deleted", ["datapath"]),
            ("state", "gathered", ["datapath"]),
            ("state", "parsed", ["running_config"]),
        ],
        supports_check_mode=True,
    )
    run(module, flow.run)


if __name__ == "__main__":
    main()
