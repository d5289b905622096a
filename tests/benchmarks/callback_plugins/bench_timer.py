# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Record how long each task takes, for the benchmarks (not a test).

A task's time runs from ``v2_playbook_on_task_start`` to the last result of
that task on any host, so a loop task counts all its items and a task on 20
hosts counts until the slowest host has answered. For a loop on one host,
each item's time is recorded too (from the end of the item before). Ansible's own start-up
(loading the inventory and the playbook) is not in it. The times are written
as JSON to the file named by ``BENCH_TIMER_FILE``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: bench_timer
type: aggregate
short_description: Write the wall time of every task to a JSON file (benchmarks only)
description:
  - Used by tests/benchmarks/run.py; writes to the file named by the BENCH_TIMER_FILE environment variable.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._tasks = []
        self._by_uuid = {}
        self._started = time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional):
        entry = {'name': task.get_name(), 'start': time.monotonic(), 'end': None,
                 'hosts': 0, 'items': 0, 'failed': 0, 'item_ends': []}
        self._tasks.append(entry)
        self._by_uuid[task._uuid] = entry

    def _result(self, result, failed=False):
        entry = self._by_uuid.get(result._task._uuid)
        if entry is None:
            return
        entry['end'] = time.monotonic()
        entry['hosts'] += 1
        if failed:
            entry['failed'] += 1

    def v2_runner_item_on_ok(self, result):
        entry = self._by_uuid.get(result._task._uuid)
        if entry is not None:
            entry['items'] += 1
            entry['item_ends'].append(time.monotonic())

    v2_runner_item_on_failed = v2_runner_item_on_ok

    def v2_runner_on_ok(self, result):
        self._result(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._result(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._result(result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('BENCH_TIMER_FILE')
        if not path:
            return
        tasks = []
        for t in self._tasks:
            # Each item's own time: from the end of the one before (or the task start) to its end.
            ends = [t['start']] + t['item_ends']
            tasks.append({'name': t['name'], 'seconds': (t['end'] - t['start']) if t['end'] else None,
                          'hosts': t['hosts'], 'items': t['items'], 'failed': t['failed'],
                          'item_seconds': [b - a for a, b in zip(ends, ends[1:])]})
        with open(path, 'w') as handle:
            json.dump({'tasks': tasks, 'playbook_seconds': time.monotonic() - self._started}, handle)
