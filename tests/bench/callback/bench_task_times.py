# -*- coding: utf-8 -*-
"""Callback plugin for tests/bench/bench_role.py: when each task started and
when the play ended, as JSON lines in the file $DPIF_BENCH_TASK_TIMES. It
prints nothing and changes nothing; the bench turns the times into seconds
per task (a task's time runs until the next task starts)."""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_task_times
type: aggregate
short_description: task start times for tests/bench/bench_role.py
description: Appends one JSON line per task start, and one at the end, to the file named by DPIF_BENCH_TASK_TIMES.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("DPIF_BENCH_TASK_TIMES")

    def _mark(self, kind, name):
        if self._path:
            with open(self._path, "a") as fh:
                fh.write(json.dumps({"t": time.time(), "kind": kind, "name": name}) + "\n")

    def v2_playbook_on_start(self, playbook):
        self._mark("start", "")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._mark("task", task.get_name())

    def v2_playbook_on_handler_task_start(self, task):
        self._mark("task", task.get_name())

    def v2_playbook_on_stats(self, stats):
        self._mark("end", "")
