# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_state_validate`` on the controller, in the task's own worker: the
document is checked here (``state_schema.run_validate``, the module's own
work) without connecting anywhere or starting a module process.

Why not the module with ``delegate_to: localhost``: on a fleet that is one
Python process per host for a check that takes milliseconds. On one fleet
host in the sandbox it took 12 s of a 29 s no-change role run; here it takes
about 1 s, what any task costs (measured with a task-timing callback before
and after, the runs behind the fleet section of ``make bench``). The module
file keeps the documentation, the argument spec and the same check for a
direct run."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import missing_required_lib
from ansible.plugins.action import ActionBase

from ansible_collections.dpif.ovs.plugins.module_utils import state_schema
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError, InternalError


class ActionModule(ActionBase):
    _supports_check_mode = True
    _requires_connection = False        # nothing runs on the host
    _VALID_ARGS = frozenset(("datapaths",))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        if "datapaths" not in args:
            return dict(result, failed=True, msg="missing required arguments: datapaths")
        if state_schema.jsonschema is None:
            return dict(result, failed=True, msg=missing_required_lib("jsonschema") + " (on the controller)",
                        exception=state_schema.JSONSCHEMA_IMPORT_ERROR)
        try:
            result.update(state_schema.run_validate(args, check_mode=self._task.check_mode, diff=False))
        except DpifError as exc:
            result.update(failed=True, msg=str(exc), **exc.to_dict())
        except Exception as exc:    # the safety net, as module_runner.run's
            bug = InternalError(exc, "validating the document on the controller")
            result.update(failed=True, msg=str(bug), exception=bug.traceback, **bug.to_dict())
        return result
