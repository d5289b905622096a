# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The second adapter: a module's ``run(task)`` in the controller's worker process, no module shipped.

Shipping a module (AnsiballZ, a new interpreter, the imports, JSON back) costs
about half a second a task; when the module would run on the controller anyway
(``connection: local``, ``delegate_to: localhost``, ansible-rulebook's
``run_module``) it buys nothing. Every ``plugins/action/NAME.py`` is a
``SupervisorAction`` naming its module. Whatever the shipped module does with
its arguments and results is done here the same way: validation with the
module's own spec, ``module_defaults`` (applied by ansible-core before any
action plugin runs), check and diff mode, warnings, ``no_log`` masking, the
failure keys (``module_adapter.failure_result``).
"""

import importlib
import os
import traceback
from contextlib import contextmanager

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display

from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError
from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import (
    CONNECTION_ARGUMENT_SPEC,
    failure_result,
    url_secrets,
)
from ansible_collections.supervisor.control.plugins.module_utils.task import Task

display = Display()

IN_PROCESS_VAR = 'supervisor_control_in_process'
MODULES = 'ansible_collections.supervisor.control.plugins.modules.'


class SupervisorAction(NormalAction):
    """Runs module ``MODULE`` in-process when it would run on the controller, else ships it (``normal``)."""

    MODULE = None

    def run(self, tmp=None, task_vars=None):
        reason = self._why_shipped(task_vars or {})
        if reason:
            display.vvv('supervisor.control.%s: shipping the module (%s)' % (self.MODULE, reason),
                        host=self._play_context.remote_addr)
            return super(SupervisorAction, self).run(tmp, task_vars)
        display.vvv('supervisor.control.%s: running in-process on the controller' % self.MODULE,
                    host=self._play_context.remote_addr)
        with _environment(task_environment(self)):
            return run_in_process(importlib.import_module(MODULES + self.MODULE), self._task.action,
                                  dict(self._task.args), check_mode=bool(self._task.check_mode),
                                  diff=bool(self._task.diff))

    def _why_shipped(self, task_vars):
        """Why this task must ship the module, or None when it can run in this process."""
        wanted = task_vars.get(IN_PROCESS_VAR, True)
        try:
            wanted = boolean(self._templar.template(wanted), strict=True)
        except TypeError as exc:
            raise AnsibleActionFail('%s must be a boolean: %s' % (IN_PROCESS_VAR, exc))
        if not wanted:
            return '%s is false' % IN_PROCESS_VAR
        if getattr(self._connection, 'transport', None) != 'local':
            return 'connection %s' % getattr(self._connection, 'transport', None)
        if self._play_context.become:
            return 'become'
        if self._task.async_val:
            return 'async'
        return None


def run_in_process(module, module_name, args, check_mode=False, diff=False):
    """What the shipped ``module`` would return for ``args``, computed in this process."""
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    spec.update(module.ARGUMENT_SPEC)
    params = dict((key, _plain(value)) for key, value in args.items() if not key.startswith('_ansible_'))
    validation = ArgumentSpecValidator(spec).validate(params)
    secrets = no_log_values(validation)
    warnings = []

    def finish(result):
        # As AnsibleModule._return_formatted: masked, but booleans and None kept as they are.
        result.setdefault('invocation', {'module_args': validation.validated_parameters})
        if warnings:
            result['warnings'] = warnings
        kept = dict((key, value) for key, value in result.items() if value is None or isinstance(value, bool))
        result = remove_values(result, secrets)
        result.update(kept)
        return result

    if validation.error_messages:
        msg = validation.errors.msg
        if isinstance(validation.errors[0], UnsupportedError):
            msg = 'Unsupported parameters for (%s) module: %s' % (module_name, msg)
        return finish(dict(failed=True, msg=msg))
    params = validation.validated_parameters
    secrets.update(url_secrets(params))
    task = None
    try:
        task = Task(params, check_mode=check_mode, diff=diff, warn=warnings.append, hide=secrets.add)
        result = module.run(task)
        result.setdefault('server_url', task.client.url)
    except SupervisorError as exc:
        return finish(dict(failure_result(exc, task), failed=True))
    except Exception as exc:  # a bug, not an expected failure: say where, as a shipped module's traceback would
        return finish(dict(failed=True, changed=False, msg='%s failed in-process: %s: %s'
                           % (module_name, type(exc).__name__, exc), exception=traceback.format_exc()))
    return finish(result)


def _plain(value):
    """``value`` with the types a shipped module gets from JSON.

    ansible-core 2.19 hands action plugins tagged subclasses of str, int, float, list and dict,
    and 2.16 AnsibleUnsafeText, which xmlrpc.client refuses to marshal ("cannot marshal <class
    '..._AnsibleTaggedInt'>"). ``kind.__str__``/``__int__``/``__float__`` of the base type, not
    ``kind(value)``: AnsibleUnsafeText.__str__ returns itself, unchanged.
    """
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, dict):
        return dict((_plain(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    return value


@contextmanager
def _environment(variables):
    """The task's ``environment:`` set for the duration of the call, as a shipped module's process gets it."""
    saved = dict((name, os.environ.get(name)) for name in variables)
    os.environ.update(dict((name, str(value)) for name, value in variables.items()))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- The private ansible-core APIs that the collection uses --------------------------------------
# ansible-core has no public API for these two. Every private use is here, and
# tests/unit/test_core_private.py runs both on each ansible-core the collection supports
# (2.16 and 2.19): it fails the day one of them changes.

def no_log_values(validation):
    """The values to mask that ``ArgumentSpecValidator.validate`` found (``no_log`` options, nested ones too).

    A shipped module gets them as ``AnsibleModule.no_log_values``; the validator's
    result keeps them only as ``_no_log_values``.
    """
    return set(validation._no_log_values)


def task_environment(action):
    """The task's ``environment:`` keyword, templated and merged, as a shipped module's process gets it.

    ``ActionBase._compute_environment_string`` is what every action plugin calls for
    it; it returns the shell's prefix and fills ``raw_environment_out`` with the
    variables themselves.
    """
    environment = {}
    action._compute_environment_string(environment)
    return environment
