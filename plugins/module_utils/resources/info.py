# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_datapath_info``: every datapath with its ports, in the modules' input shape."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from dataclasses import asdict

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif, port_summary
from ansible_collections.dpif.ovs.plugins.module_utils.resources.datapath import datapath_state


def run(params: dict, check_mode: bool, diff: bool) -> dict:
    dpif = Dpif.open_system()
    try:
        if params.get("name"):
            found = dpif.get(params["name"])
            infos = [found] if found is not None else []
        else:
            infos = dpif.enumerate()
        datapaths = []
        for info in infos:
            entry = datapath_state(info)
            entry["stats"] = asdict(info.stats)
            vports = []
            for port in dpif.ports(info.name):
                item = port_summary(port)
                item["stats"] = asdict(port.stats)
                vports.append(item)
            entry["vports"] = vports
            datapaths.append(entry)
        return {"changed": False, "datapaths": datapaths}
    finally:
        dpif.close()
