#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: stdin
short_description: Write to the standard input of supervisord processes
version_added: 0.1.0
description:
  - Sends characters to the standard input of running processes (C(supervisor.sendProcessStdin)).
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - supervisor.control.attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is sent; the task reports a change.
  diff_mode:
    support: none
options:
  name:
    description:
      - Process specs, as the O(supervisor.control.process#module:name) option reads them (C(group:proc), C(proc),
        C(group:*), globs; an exact name always wins over a glob).
      - An empty list sends nothing and reports no change.
    type: list
    elements: str
    required: true
  chars:
    description:
      - The text to send.
      - Control characters other than tab, newline and carriage return cannot be carried by XML-RPC; the task fails
        before sending, naming the character and its position.
    type: str
    required: true
  newline:
    description:
      - Append a newline to O(chars).
      - V(false) with an empty O(chars) fails the task, which would send nothing.
    type: bool
    default: true
notes:
  - Fails when a process is not running, or when supervisord has no pipe to its standard input.
seealso:
  - module: supervisor.control.process
'''

EXAMPLES = r'''
- name: Ask a REPL-style worker to reload
  supervisor.control.stdin:
    name: worker
    chars: reload
'''

RETURN = r'''
sent_to:
  description: The full names of the processes that received the text.
  returned: success
  type: list
  elements: str
  sample: [worker]
server_url:
  description:
    - The URL of the daemon that was used, without credentials.
    - Null when the task failed before it connected (an option it refuses, a O(server_url) or O(config) it cannot
      read).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
'''

from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import SupervisorModule
from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils.client import find_unsendable
from ansible_collections.supervisor.control.plugins.module_utils.controller import send_acting_alone
from ansible_collections.supervisor.control.plugins.module_utils.errors import Failure, SupervisorFault, TaskFailed
from ansible_collections.supervisor.control.plugins.module_utils.states import SIGNALLABLE_STATES

REASONS = {
    'NOT_RUNNING': 'is not running',
    'NO_FILE': 'has no standard input pipe (process exited?)',
}


def run(task):
    chars = task.params['chars'] + ('\n' if task.params['newline'] else '')
    if not chars:
        raise TaskFailed('chars is empty and newline=false: there is nothing to send')
    client = task.client
    unsendable = find_unsendable(task.params['chars'], 'chars')
    if unsendable:
        raise TaskFailed('%s: supervisord cannot receive it' % unsendable)
    targets = process_names.match(task.params['name'], client.call('supervisor.getAllProcessInfo'))
    if not targets:
        return {'changed': False, 'sent_to': []}
    idle = [process_names.fullname(i) for i in targets if i['statename'] not in SIGNALLABLE_STATES]
    if idle:
        raise TaskFailed('cannot write to the standard input of %s: not running' % ', '.join(idle))
    names = [process_names.fullname(i) for i in targets]
    if task.check_mode:
        return {'changed': True, 'sent_to': names}
    answers = send_acting_alone(client, [('supervisor.sendProcessStdin', [process_names.namespec(i), chars])
                                         for i in targets], 'write to the standard input of %s' % ', '.join(names))
    failures = [Failure(name, REASONS.get(a.name, 'failed: %s' % a), summary='%s %s' % (
                name, REASONS.get(a.name, 'failed: %s' % a))) for name, a in zip(names, answers)
                if isinstance(a, SupervisorFault)]
    if failures:
        raise TaskFailed('cannot write to standard input: %s' % '; '.join(f.summary() for f in failures),
                         failures, changed=len(failures) < len(names))
    return {'changed': True, 'sent_to': names}


ARGUMENT_SPEC = dict(
    name=dict(type='list', elements='str', required=True),
    chars=dict(type='str', required=True),
    newline=dict(type='bool', default=True),
)


def main():
    SupervisorModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(run)


if __name__ == '__main__':
    main()
