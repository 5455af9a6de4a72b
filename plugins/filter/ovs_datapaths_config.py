# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hypervisor role's document as ``ovs_datapaths`` takes it, in the
controller's worker. A filter, not ``set_fact`` tasks: on a fleet every task
costs a worker process per host (about 1 s each in the sandbox, see the
fleet row of ``make bench``), and this is a pure function of the document."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ovs_datapaths_config
short_description: The hypervisor role's document as the ovs_datapaths module takes it
version_added: "0.1.0"
author:
  - dpif.ovs contributors (@dpif-ovs)
description:
  - Makes each entry's C(purge_ports) and C(purge_flows) explicit (false unless the entry sets them), so that the
    role's documents keep their meaning under the C(overridden) state of M(dpif.ovs.ovs_datapaths), whose purges
    default to true.
  - Points each entry's C(flows_file), a path on the controller, at the copy the role puts on the host,
    C(<staging>/<datapath name>.flows).
positional: staging
options:
  _input:
    description: The role's C(dpif_ovs_datapaths) document, a list of datapath entries.
    type: list
    elements: dict
    required: true
  staging:
    description: The directory on the host that holds the copied flows files.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The role's document, applied by one task
  dpif.ovs.ovs_datapaths:
    config: "{{ dpif_ovs_datapaths | dpif.ovs.ovs_datapaths_config(dpif_ovs_state_dir ~ '/staged') }}"
"""

RETURN = r"""
_value:
  description: The entries, each a new mapping; the input is left as it is.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

#: What the role's entries mean when they say nothing about purging.
ROLE_PURGES = {"purge_ports": False, "purge_flows": False}


def ovs_datapaths_config(datapaths, staging):
    """``datapaths`` with the role's purge defaults and its flows files at
    ``staging/<name>.flows``."""
    if not isinstance(datapaths, list) or not all(isinstance(entry, dict) for entry in datapaths):
        raise AnsibleFilterError("ovs_datapaths_config: the document must be a list of datapath entries")
    out = []
    for entry in datapaths:
        config = dict(ROLE_PURGES, **entry)
        if "flows_file" in entry:
            config["flows_file"] = "%s/%s.flows" % (str(staging).rstrip("/"), entry.get("name"))
        out.append(config)
    return out


class FilterModule:
    def filters(self):
        return {"ovs_datapaths_config": ovs_datapaths_config}
