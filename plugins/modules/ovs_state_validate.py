#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ovs_state_validate
short_description: Validate a host's desired-state document for Open vSwitch kernel datapaths
version_added: "0.1.0"
description:
  - Checks a C(dpif_ovs_datapaths) document (datapaths, their vports and flows) against the collection's JSON Schema,
    and checks what the schema cannot say, without touching any datapath.
  - "Reports every problem at once, each with its path, for example
    C(dpif_ovs_datapaths[0].vports[2].options.dst_port: 70000 is greater than 65535)."
  - Beyond the schema, names and port numbers must be unique within a datapath, and every flow given inline
    must parse (port names are those of the document) and obey the kernel's rules.
  - It runs on the controller, in the task's own worker, and never connects to the host (an action plugin), so a
    fleet pays no module process per host for it. The P(dpif.ovs.hypervisor#role) role runs it before it changes
    a host.
author:
  - dpif.ovs contributors (@dpif-ovs)
requirements:
  - jsonschema (on the controller)
options:
  datapaths:
    description:
      - The value of C(dpif_ovs_datapaths), a list of datapaths. See the desired-state document in the collection's
        docs for every field.
    type: raw
    required: true
attributes:
  action:
    description: The check runs in the controller's worker; nothing runs on the host.
    support: full
  check_mode:
    description: Reads nothing but its input and changes nothing, so it runs the same way in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
seealso:
  - module: dpif.ovs.ovs_datapath
  - module: dpif.ovs.ovs_vport
  - module: dpif.ovs.ovs_flow
"""

EXAMPLES = r"""
- name: Check this host's document on the controller before anything changes
  dpif.ovs.ovs_state_validate:
    datapaths: "{{ dpif_ovs_datapaths }}"
"""

RETURN = r"""
errors:
  description: "Every problem, one C(path: message) string each, sorted by path; empty when the document is valid."
  returned: always
  type: list
  elements: str
  sample: ["dpif_ovs_datapaths[0].vports[2].options.dst_port: 70000 is greater than 65535"]
datapaths:
  description: How many datapaths the document lists.
  returned: success
  type: int
  sample: 1
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.dpif.ovs.plugins.module_utils import state_schema
from ansible_collections.dpif.ovs.plugins.module_utils.module_runner import new_module, run

# state_schema imports jsonschema when it can and keeps the traceback when it cannot.
HAS_JSONSCHEMA = state_schema.jsonschema is not None


def main():
    module = new_module(
        argument_spec=dict(
            datapaths=dict(type="raw", required=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"), exception=state_schema.JSONSCHEMA_IMPORT_ERROR)
    run(module, state_schema.run_validate)


if __name__ == "__main__":
    main()
