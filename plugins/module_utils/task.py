# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract between a module's logic and whatever runs it.

Each module's logic is a function ``run(task)`` that returns the result dict
or raises TaskFailed (or any SupervisorError). It sees the task only through
this object, never through ``AnsibleModule``, so that the same function runs
in a shipped module (module_adapter.SupervisorModule) and in-process on the
controller (plugin_utils/action.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
from ansible_collections.supervisor.control.plugins.module_utils.connection import (
    CONNECTION_OPTIONS,
    check_timeout,
    connection_warnings,
    resolve_settings,
)


class Task(object):
    """Validated params, check and diff mode, a lazy client, and the adapter's ``warn`` and ``hide``.

    ``hide(value)`` is called with every secret the connection settings hold
    (a password from the environment or a config file), so that the adapter
    masks it in everything the task returns.
    """

    def __init__(self, params, check_mode=False, diff=False, warn=None, hide=None):
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self._warn = warn or (lambda message: None)
        self._hide = hide or (lambda value: None)
        self._client = None
        check_timeout(params.get('timeout'))

    def warn(self, message):
        self._warn(message)

    @property
    def client(self):
        if self._client is None:
            settings = resolve_settings(**dict((name, self.params.get(name)) for name in CONNECTION_OPTIONS))
            for secret in settings.secrets:
                self._hide(secret)
            for warning in connection_warnings(settings):
                self.warn(warning)
            self._client = SupervisorClient(settings)
        return self._client

    @property
    def url(self):
        """The daemon's URL once a client exists, else None (a failure before any connection)."""
        return self._client.url if self._client is not None else None
