#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: daemon
short_description: Check, reload, restart or stop supervisord itself
version_added: 0.1.0
description:
  - Acts on the supervisord daemon through its XML-RPC API.
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - supervisor.control.attributes
  - supervisor.control.keep_stopped
attributes:
  check_mode:
    support: full
    details:
      - With O(state=reloaded), check mode still calls C(reloadConfig), which rereads the files on disk
        (as C(supervisorctl reread) does) but starts, stops, adds and removes nothing.
  diff_mode:
    support: full
options:
  state:
    description:
      - V(running) checks that the daemon answers and is RUNNING; it changes nothing and fails with the
        daemon's state when it is not (for example SHUTDOWN or FATAL).
      - V(reloaded) rereads the configuration files and applies every added, changed and removed group,
        as C(supervisorctl update) with no argument does. Unchanged when nothing differs.
        O(keep_stopped=true) and O(wait=false) are used only with V(reloaded); with another state they fail the task
        before anything is done.
      - V(restarted) restarts the daemon (a soft restart, as C(supervisorctl reload)), then waits until it is
        RUNNING again, within O(timeout) seconds. Always changes.
      - V(stopped) shuts the daemon down and waits until it is gone (nothing listens at its address any more),
        within O(timeout) seconds. supervisord answers every call with C(SHUTDOWN_STATE) while it stops its
        processes (each for up to its C(stopwaitsecs)) and exits only then; the task fails, saying so, when it is
        still shutting down at the timeout. Unchanged when nothing listens; a daemon found already shutting down (or
        restarting) is waited for the same way, unchanged once it is gone (shut down once it is back, after a
        restart). Cannot be combined with O(clear_logs).
      - The other states fail, with one line, on a daemon that is shutting down or restarting.
    type: str
    choices: [running, reloaded, restarted, stopped]
    default: running
  clear_logs:
    description:
      - Clear the main log (V(main)) and/or the logs of every process (V(processes)).
      - Changes only when a log to clear is not empty.
      - Not with O(state=stopped), which fails at once (clear the logs in a task before).
    type: list
    elements: str
    choices: [main, processes]
    default: []
  wait:
    description:
      - With O(state=reloaded), wait until the processes of added and changed groups have started.
      - The other states do not use it (V(restarted) and V(stopped) always wait, within O(timeout)); V(false) with
        them fails the task.
    type: bool
    default: true
seealso:
  - module: supervisor.control.group
  - module: supervisor.control.info
'''

EXAMPLES = r'''
- name: Fail early when supervisord is not up
  supervisor.control.daemon:
    state: running

- name: Apply every change of the configuration files (supervisorctl update)
  supervisor.control.daemon:
    state: reloaded
  register: update

- name: Show what the update did
  ansible.builtin.debug:
    msg: "added {{ update.groups_added }}, updated {{ update.groups_updated }}, removed {{ update.groups_removed }}"

- name: Restart supervisord after a change to its own settings
  supervisor.control.daemon:
    state: restarted
    timeout: 60

- name: Clear every log
  supervisor.control.daemon:
    clear_logs: [main, processes]
'''

RETURN = r'''
supervisord:
  description: The daemon after the action; empty when it was stopped.
  returned: success
  type: dict
  contains:
    state:
      description: C(RUNNING), C(RESTARTING), C(SHUTDOWN) or C(FATAL).
      type: str
      sample: RUNNING
    statecode:
      description: The numeric state.
      type: int
      sample: 1
    version:
      description: The version of supervisor.
      type: str
      sample: 4.3.0
      version_added: 0.2.0
    api_version:
      description: The version of its XML-RPC API.
      type: str
      sample: '3.0'
      version_added: 0.2.0
    identification:
      description: The C(identifier) of the C([supervisord]) section.
      type: str
      sample: supervisor
      version_added: 0.2.0
    pid:
      description: The daemon's process id.
      type: int
    server_url:
      description: The URL that was used, without credentials.
      type: str
      version_added: 0.2.0
groups_added:
  description: The groups that were added.
  returned: with O(state=reloaded), on success, and when a group or process of the update fails (not when the task
    fails before the update)
  type: list
  elements: str
groups_updated:
  description: The groups that changed on disk and were stopped, removed and added again.
  returned: with O(state=reloaded), on success, and when a group or process of the update fails (not when the task
    fails before the update)
  type: list
  elements: str
groups_removed:
  description: The groups that were removed.
  returned: with O(state=reloaded), on success, and when a group or process of the update fails (not when the task
    fails before the update)
  type: list
  elements: str
kept_stopped:
  description:
    - With O(keep_stopped=true), the processes of replaced groups that were kept STOPPED (full names); empty when no
      group was replaced.
    - When the update fails part-way, only those that are STOPPED in their new group.
  returned: with O(state=reloaded) and O(keep_stopped=true), on success, and when a group or process of the update
    fails (not when the task fails before the update)
  type: list
  elements: str
  sample: ['web:web_a']
  version_added: 0.2.0
kept_stopped_detail:
  description:
    - How each process of RV(kept_stopped) was kept from running, by full name (see O(keep_stopped)).
    - V(not_started) its new configuration has C(autostart=false); supervisord did not spawn it.
    - V(never_ran) frozen before it executed its program (seen in C(/proc)), then killed; or supervisord could
      not spawn it at all.
    - V(stopped_at_once) frozen just after it executed its program (seen in C(/proc)), then given its C(stopsignal)
      and resumed.
    - V(unverified) frozen and killed without that check (C(/proc) here does not show supervisord's processes, or
      did not show this one frozen); the task warns.
    - Empty in check mode.
  returned: with O(state=reloaded) and O(keep_stopped=true), on success, and when a group or process of the update
    fails (not when the task fails before the update)
  type: dict
  sample: {'web:web_a': never_ran}
  version_added: 0.2.0
logs_cleared:
  description:
    - With O(clear_logs=[processes]), the full names of the processes whose logs were not empty and were cleared.
    - The main log is never listed here, even when a program is called C(main); see RV(main_log_cleared).
  returned: on success, when O(clear_logs) is given
  type: list
  elements: str
  sample: ['web:web_a', main]
main_log_cleared:
  description: With O(clear_logs=[main]), whether supervisord's main log was not empty and was cleared.
  returned: on success, when O(clear_logs) is given
  type: bool
  version_added: 0.2.0
failures:
  description:
    - Why groups or processes failed, one entry per group or process (C(name), C(reason), and details such as
      C(statename), C(exitstatus) or C(stderr_tail)).
  returned: when a group or process of the update failed (not when the task refuses its options or fails as a whole)
  type: list
  elements: dict
server_url:
  description:
    - The URL of the daemon that was used, without credentials.
    - Null when the task failed before it connected (an option it refuses, a O(server_url) or O(config) it cannot
      read).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
'''

from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import SupervisorModule
from ansible_collections.supervisor.control.plugins.module_utils.states import SupervisorStates, supervisor_state_code
from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import ProcessController
from ansible_collections.supervisor.control.plugins.module_utils.daemon_controller import (
    GONE,
    SHUTTING_DOWN,
    DaemonController,
)
from ansible_collections.supervisor.control.plugins.module_utils.controller import send_acting_alone
from ansible_collections.supervisor.control.plugins.module_utils.daemon_facts import read_daemon_facts
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError, SupervisorFault, TaskFailed
from ansible_collections.supervisor.control.plugins.module_utils.group_controller import (
    apply_group_plan,
    planned_changes,
    reload_config,
)


def daemon_facts(client):
    return read_daemon_facts(client)[0]


def not_running(client, state):
    return 'supervisord at %s is %s, not RUNNING' % (client.url, state)


def restart(task, client):
    old = daemon_facts(client)
    if task.check_mode:
        return {'changed': True, 'supervisord': old}
    facts = DaemonController(client, task.params['timeout']).restart()
    if not facts:
        raise TaskFailed('supervisord at %s did not come back RUNNING within %g seconds after restart' % (
            client.url, task.params['timeout']), changed=True)
    return {'changed': True, 'supervisord': facts}


def stop(task, client):
    """Shut the daemon down and wait until it is gone: ``stopped`` is true only then.

    supervisord answers SHUTDOWN_STATE to every call while it stops its
    processes (each for up to its stopwaitsecs), whether it then exits or
    restarts: one found so is watched until it is gone (no change) or back
    (then stopped as any running daemon).
    """
    timeout = task.params['timeout']
    controller = DaemonController(client, timeout)
    found = controller.look()
    if found == GONE:
        return {'changed': False, 'supervisord': {}, 'msg': 'supervisord is not running: nothing listens at %s' % (
            client.url)}
    if found == SHUTTING_DOWN:
        found = controller.settle()
        if found == GONE:
            return {'changed': False, 'supervisord': {},
                    'msg': 'supervisord at %s was already shutting down; it is gone' % client.url}
        if found == SHUTTING_DOWN:
            raise TaskFailed('supervisord at %s was already shutting down or restarting, and still is %g seconds '
                             'later: it stops its processes, each for up to its stopwaitsecs; raise timeout to wait '
                             'until it is gone' % (client.url, timeout))
    if task.check_mode:
        return {'changed': True, 'supervisord': {}}
    end = controller.shutdown()
    if end == SHUTTING_DOWN:
        # Its state is SHUTDOWN if this task asked for it; else another client began a shutdown or a restart.
        shutdown = SupervisorStates.SHUTDOWN
        shutting_down = ({'supervisord': dict(found, state=shutdown, statecode=supervisor_state_code(shutdown))}
                         if controller.acted else {})
        raise TaskFailed('supervisord at %s is still shutting down %g seconds after shutdown: it stops its '
                         'processes, each for up to its stopwaitsecs; raise timeout to wait until it is gone' % (
                             client.url, timeout), changed=controller.acted, **shutting_down)
    if end != GONE:
        raise TaskFailed('supervisord at %s still answers %g seconds after shutdown, with pid %s (it had %s): '
                         'something started it again' % (client.url, timeout, end['pid'], found['pid']),
                         changed=controller.acted, supervisord=end)
    return {'changed': controller.acted, 'supervisord': {}}


def reload_all(task, client):
    controller = ProcessController(client, task.params['timeout'])
    keep_stopped = task.params['keep_stopped']
    reload_result, configured = reload_config(client)
    plan = plans.plan_update(reload_result)
    before = controller.all_infos()
    changes = planned_changes(client, plan, before, configured, keep_stopped)
    result = {'changed': changes.changed}
    if task.diff:
        result['diff'] = changes.diff(set(i['group'] for i in before))
    if changes.changed and not task.check_mode:
        changes, failures = apply_group_plan(client, controller, plan, configured, wait=task.params['wait'],
                                             keep_stopped=keep_stopped)
        for warning in changes.warnings(client.url):
            task.warn(warning)
        if failures:
            raise TaskFailed.of(failures, True, **changes.as_result())
    result.update(changes.as_result())
    return result


def clear_logs(task, client, which):
    """Clear the requested logs that are not empty; return ``(main_cleared, process fullnames)``.

    The main log is kept apart from process logs by key, not by name: a
    program may well be called ``main``.
    """
    calls = []
    keys = []
    if 'main' in which:
        calls.append(('supervisor.readLog', [-1, 0]))
        keys.append(None)
    if 'processes' in which:
        for info in client.call('supervisor.getAllProcessInfo'):
            for method in ('supervisor.tailProcessStdoutLog', 'supervisor.tailProcessStderrLog'):
                calls.append((method, [process_names.namespec(info), 0, 0]))
                keys.append(info)
    # tail*(name, 0, 0) answers [data, size, overflow]: the size is the log's length.
    main_cleared = False
    non_empty = []
    for info, answer in zip(keys, client.multicall(calls)):
        if isinstance(answer, SupervisorFault):
            continue
        if info is None:
            main_cleared = bool(answer)
        elif answer[1] and info not in non_empty:
            non_empty.append(info)
    if (main_cleared or non_empty) and not task.check_mode:
        todo = [('supervisor.clearLog', [])] if main_cleared else []
        todo += [('supervisor.clearProcessLogs', [process_names.namespec(info)]) for info in non_empty]
        for answer in send_acting_alone(client, todo, 'clear the logs'):
            if isinstance(answer, SupervisorFault) and not answer.is_('NO_FILE'):
                raise answer
    return main_cleared, [process_names.fullname(info) for info in non_empty]


# What a state other than reloaded does instead of what wait=false would change.
WAITS = {
    'running': 'starts nothing',
    'restarted': 'always waits until supervisord is RUNNING again',
    'stopped': 'always waits until supervisord is gone',
}


def option_error(params):
    """Why an option does not go with the state, or None: an option the state would ignore."""
    state = params['state']
    if state == 'reloaded':
        return None
    if params['keep_stopped']:
        return 'keep_stopped is only used with state=reloaded (groups that an update replaces), not with state=%s' % (
            state)
    if not params['wait']:
        return 'wait=false is only used with state=reloaded (the processes it starts), not with state=%s, which %s' % (
            state, WAITS[state])
    return None


def run(task):
    error = option_error(task.params)
    if error:
        raise TaskFailed(error)
    client = task.client
    state = task.params['state']
    if state == 'stopped':
        if task.params['clear_logs']:
            raise TaskFailed('clear_logs=%s cannot be used with state=stopped: supervisord clears logs only while it '
                             'runs; clear them in a task before the one that stops it' % (
                                 ', '.join(task.params['clear_logs'])))
        return stop(task, client)
    facts = daemon_facts(client)  # SHUTDOWN_STATE (shutting down or restarting) is raised as one line
    if facts['state'] != SupervisorStates.RUNNING:
        raise TaskFailed(not_running(client, facts['state']), supervisord=facts)
    if state == 'restarted':
        result = restart(task, client)
    elif state == 'reloaded':
        result = reload_all(task, client)
    else:
        result = {'changed': False}
    if task.params['clear_logs']:
        try:
            main_cleared, cleared = clear_logs(task, client, task.params['clear_logs'])
        except SupervisorError as exc:
            if not result['changed']:
                raise
            raise TaskFailed(str(exc), changed=True)  # the daemon was restarted or reloaded before
        result['main_log_cleared'] = main_cleared
        result['logs_cleared'] = cleared
        result['changed'] = result['changed'] or main_cleared or bool(cleared)
    result.setdefault('supervisord', facts if task.check_mode else daemon_facts(client))
    return result


ARGUMENT_SPEC = dict(
    state=dict(type='str', default='running', choices=['running', 'reloaded', 'restarted', 'stopped']),
    clear_logs=dict(type='list', elements='str', default=[], choices=['main', 'processes']),
    wait=dict(type='bool', default=True),
    keep_stopped=dict(type='bool', default=False),
)


def main():
    SupervisorModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(run)


if __name__ == '__main__':
    main()
