# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every module of the collection shares: connection options, client, failures."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
from ansible_collections.supervisor.control.plugins.module_utils.connection import (
    check_timeout,
    connection_warnings,
    mask_url,
    resolve_settings,
)
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError

# No env_fallback here: resolve_settings reads the SUPERVISOR_* environment
# itself, after an explicit config, as it does for lookups and event sources.
# A fallback here would fill server_url before config could win.
CONNECTION_ARGUMENT_SPEC = dict(
    server_url=dict(type='str'),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    config=dict(type='path'),
    timeout=dict(type='float', default=30.0),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
)


class SupervisorModule(AnsibleModule):
    """AnsibleModule with the shared connection options and a ``client``."""

    def __init__(self, argument_spec, **kwargs):
        spec = dict(CONNECTION_ARGUMENT_SPEC)
        spec.update(argument_spec)
        super(SupervisorModule, self).__init__(argument_spec=spec, **kwargs)
        try:
            check_timeout(self.params.get('timeout'))
        except SupervisorError as exc:
            self.fail_json(msg=str(exc), changed=False)
        if self.params.get('server_url'):
            masked = mask_url(self.params['server_url'])
            if masked != self.params['server_url']:
                # user:pass@ in the URL: hide the password wherever Ansible echoes it
                self.no_log_values.add(self.params['server_url'])
        self._client = None

    @property
    def client(self):
        if self._client is None:
            try:
                settings = resolve_settings(
                    server_url=self.params.get('server_url'),
                    username=self.params.get('username'),
                    password=self.params.get('password'),
                    config=self.params.get('config'),
                    timeout=self.params.get('timeout'),
                    validate_certs=self.params.get('validate_certs'),
                    ca_path=self.params.get('ca_path'),
                )
            except SupervisorError as exc:
                self.fail_json(msg=str(exc))
            for secret in settings.secrets:
                self.no_log_values.add(secret)
            for warning in connection_warnings(settings):
                self.warn(warning)
            self._client = SupervisorClient(settings)
        return self._client

    @property
    def server_url(self):
        return self.client.url

    def fail(self, error, **result):
        """Fail the task with the one-line message of a SupervisorError."""
        result.setdefault('server_url', self.client.url if self._client else None)
        self.fail_json(msg=str(error), **result)

    def run(self, body):
        """Run ``body()``; any SupervisorError becomes a clean failure."""
        try:
            result = body()
        except SupervisorError as exc:
            self.fail(exc)
        result.setdefault('server_url', self.client.url)
        self.exit_json(**result)
