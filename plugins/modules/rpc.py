#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: rpc
short_description: Call any XML-RPC method of supervisord
version_added: 0.1.0
description:
  - Calls one method of supervisord's XML-RPC API by name, with its parameters, and returns the answer.
  - Covers every method, including C(system.multicall), C(system.listMethods), C(system.methodHelp),
    C(supervisor.sendRemoteCommEvent), C(supervisor.readLog), and namespaces added by plugins
    such as C(supvisors.*).
  - Prefer the dedicated modules where one exists; they are idempotent and return more.
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - supervisor.control.attributes
attributes:
  check_mode:
    support: partial
    details:
      - Methods that only read (C(get*), C(read*), C(tail*), C(list*), C(system.*) but C(system.multicall) of
        writing methods) are called in check mode; others are not called and the task reports a change.
  diff_mode:
    support: none
options:
  method:
    description:
      - The full method name, such as V(supervisor.getProcessInfo) or V(system.methodHelp).
    type: str
    required: true
  params:
    description:
      - The positional parameters of the method.
      - Strings, integers (32-bit), floats, booleans, lists and dicts with string keys; C(null) and characters that
        XML 1.0 cannot carry (control characters but tab, newline and carriage return) fail the task before anything
        is sent, naming the parameter.
      - When supervisord cannot run the method with these parameters (wrong types), the task fails with the
        exception that supervisord logged.
    type: list
    elements: raw
    default: []
notes:
  - C(changed) is false for methods that only read, true for the others.
  - "A fault fails the task with its name, such as C(BAD_NAME: foo); the answer of a
    C(system.multicall) holds faults as C(faultCode)/C(faultString) dicts instead."
  - A method that the daemon's release lacks (C(signalProcess), C(signalProcessGroup) and C(signalAllProcesses)
    came in supervisord 3.2.0), alone or inside C(system.multicall), fails before anything is sent, in check mode
    too, with one line that names both releases.
seealso:
  - module: supervisor.control.info
'''

EXAMPLES = r'''
- name: Read the last kilobyte of the main log
  supervisor.control.rpc:
    method: supervisor.readLog
    params: [-1024, 0]
  register: main_log

- name: List every method the daemon offers
  supervisor.control.rpc:
    method: system.listMethods

- name: Send an event to listeners
  supervisor.control.rpc:
    method: supervisor.sendRemoteCommEvent
    params: [deploy, "version 1.2.3"]

- name: Two calls in one round trip
  supervisor.control.rpc:
    method: system.multicall
    params:
      - - methodName: supervisor.getState
          params: []
        - methodName: supervisor.getPID
          params: []
'''

RETURN = r'''
result:
  description: The answer of the method.
  returned: success, but not in check mode for a method that changes state (it is not called)
  type: raw
  sample: {"statecode": 1, "statename": "RUNNING"}
read_only:
  description: Whether the method only reads.
  returned: success
  type: bool
server_url:
  description:
    - The URL of the daemon that was used, without credentials.
    - Null when the task failed before it connected (an option it refuses, a O(server_url) or O(config) it cannot
      read).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
'''

from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import SupervisorModule
from ansible_collections.supervisor.control.plugins.module_utils.client import called_methods, find_unsendable, to_builtin
from ansible_collections.supervisor.control.plugins.module_utils.errors import TaskFailed

READ_PREFIXES = ('get', 'read', 'tail', 'list')


def is_read_only(method, params):
    """True for methods that only read state; ``system.multicall`` is judged by its calls."""
    namespace, name = method.rpartition('.')[::2]
    if method == 'system.multicall':
        calls = params[0] if params and isinstance(params[0], list) else []
        return all(isinstance(c, dict) and is_read_only(str(c.get('methodName', '')), c.get('params') or [])
                   for c in calls)
    if namespace == 'system':
        return True
    return name.startswith(READ_PREFIXES)


def run(task):
    method = task.params['method'].strip()
    params = task.params['params']
    if not method:
        raise TaskFailed('method is empty: give a method name such as supervisor.getState or system.listMethods')
    # Checked here too, rather than only in the client, to name the option the user wrote.
    unsendable = find_unsendable(params, 'params')
    if unsendable:
        raise TaskFailed('%s: supervisord cannot receive it' % unsendable)
    read_only = is_read_only(method, params)
    # In check mode too: a method that the daemon's release lacks is refused in one line (api_versions).
    task.client.require(called_methods(method, params))
    if task.check_mode and not read_only:
        return {'changed': True, 'read_only': False,
                'msg': 'check mode: %s changes state and was not called' % method}
    result = task.client.call(method, *params)
    return {'changed': not read_only, 'read_only': read_only, 'result': to_builtin(result)}


ARGUMENT_SPEC = dict(
    method=dict(type='str', required=True),
    params=dict(type='list', elements='raw', default=[]),
)


def main():
    SupervisorModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(run)


if __name__ == '__main__':
    main()
