# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_datapaths`` on the controller: the document is checked against its
JSON Schema and rules here, where jsonschema is (hypervisors need not have
it), and a bad one fails before the host is reached; then the module runs on
the host."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.resources.host_document import check_document


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        state = args.get("state", "merged")
        if args.get("config") is not None and state not in ("gathered", "parsed"):
            try:
                check_document(args["config"], state)
            except DpifError as exc:
                result.update(failed=True, msg=str(exc), **exc.to_dict())
                return result
        result.update(self._execute_module(module_name="dpif.ovs.ovs_datapaths", module_args=args,
                                           task_vars=task_vars))
        return result
