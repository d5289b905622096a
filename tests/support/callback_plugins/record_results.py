# Test-only callback: writes every task result of a playbook run to the JSON
# file named by RECORD_RESULTS_FILE, so tests assert on results, not on text.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: record_results
type: aggregate
short_description: write task results to a JSON file (test suite only)
description: Writes every task result to the file named by RECORD_RESULTS_FILE.
requirements: []
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'record_results'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.results = []

    def _record(self, result, status):
        self.results.append({
            'task': result.task_name if hasattr(result, 'task_name') else result._task.get_name(),
            'host': result._host.get_name(),
            'status': status,
            'result': self._clean(result._result),
        })

    def _clean(self, value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        self._record(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('RECORD_RESULTS_FILE')
        if path:
            with open(path, 'w') as handle:
                json.dump(self.results, handle, indent=1)
