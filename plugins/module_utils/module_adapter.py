# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The adapter that runs a module's logic as a shipped Ansible module: shared connection options, failures as fail_json."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.supervisor.control.plugins.module_utils.connection import (
    connection_argument_spec,
    mask_url,
)
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError, TaskFailed
from ansible_collections.supervisor.control.plugins.module_utils.task import Task

# From the one table of connection.py (no env_fallback: see there).
CONNECTION_ARGUMENT_SPEC = connection_argument_spec()


class SupervisorModule(AnsibleModule):
    """The adapter that runs a module's logic (``run(task)``) as a shipped Ansible module."""

    def __init__(self, argument_spec, **kwargs):
        spec = dict(CONNECTION_ARGUMENT_SPEC)
        spec.update(argument_spec)
        super(SupervisorModule, self).__init__(argument_spec=spec, **kwargs)
        self.no_log_values.update(url_secrets(self.params))

    def execute(self, logic):
        """Run ``logic(task)`` and exit with its result, or fail with one message; never a traceback."""
        task = None
        try:
            task = Task(self.params, check_mode=self.check_mode, diff=self._diff, warn=self.warn,
                        hide=self.no_log_values.add)
            result = logic(task)
            result.setdefault('server_url', task.client.url)
        except SupervisorError as exc:
            self.fail_json(**failure_result(exc, task))
        self.exit_json(**result)


def url_secrets(params):
    """The values to mask because of ``user:pass@`` in server_url: the whole URL, as Ansible echoes it."""
    url = params.get('server_url')
    if url and mask_url(url) != url:
        return {url}
    return set()


def failure_result(exc, task):
    """The keys of a failed task (a TaskFailed or any SupervisorError), the same for every adapter."""
    if not isinstance(exc, TaskFailed):
        return dict(msg=str(exc), changed=False, server_url=task.url if task else None)
    result = dict(exc.result, msg=str(exc), changed=exc.changed, server_url=task.url if task else None)
    if exc.failures:
        result['failures'] = [f.as_dict() for f in exc.failures]
    return result
