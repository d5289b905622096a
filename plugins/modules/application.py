#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: application
short_description: Start, stop or restart Supvisors applications across a cluster
version_added: 0.1.0
description:
  - Controls I(managed) applications of a L(Supvisors,https://github.com/julien6387/supvisors) cluster through
    the C(supvisors.*) XML-RPC namespace of any of its supervisord daemons.
  - Supvisors chooses the hosts where the processes of an application run, following a starting strategy and
    the rules file of the application; the module returns the host of every process.
  - Needs only the Python standard library on the target.
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - supervisor.control.attributes
attributes:
  check_mode:
    support: full
    details:
      - For each STOPPED application it would start, the module asks Supvisors where each process would start
        (C(supvisors.test_start_application), which models the start without doing it) and returns that in
        RV(applications[].processes), with C(predicted=true).
  diff_mode:
    support: full
    details:
      - In check mode the diff also gives, for each predicted process, its state and hosts (the key V(web:front) with
        the value V(RUNNING on node1)).
options:
  name:
    description:
      - Application names (supervisord group names declared in a Supvisors rules file), or shell-style globs.
      - An exact name always wins over a glob reading, as for the names of processes
        (O(supervisor.control.process#module:name)). V(a[1]) is the application C(a[1]) when there is one, not
        C(a1); a name is read as a glob only when no application has that name. V(*) is every application.
      - A name that matches no application fails the task, listing the applications Supvisors knows.
      - An application without rules (not I(managed)) fails the task; control its processes with
        M(supervisor.control.process) or M(supervisor.control.group).
    type: list
    elements: str
    required: true
  state:
    description:
      - V(started) starts applications that are STOPPED; RUNNING and STARTING ones are left alone.
      - V(stopped) stops applications that are RUNNING or STARTING; STOPPED ones are left alone.
      - V(restarted) restarts running applications and starts stopped ones. Always changes.
      - An application that is STOPPING is waited for first.
    type: str
    choices: [started, stopped, restarted]
    default: started
  strategy:
    description:
      - The starting strategy for V(started) and V(restarted); with V(stopped) it fails the task.
      - When not set, each application's own C(starting_strategy) from its rules (CONFIG by default).
    type: str
    choices: [CONFIG, LESS_LOADED, MOST_LOADED, LOCAL, LESS_LOADED_NODE, MOST_LOADED_NODE]
  wait:
    description:
      - Wait until Supvisors reports the applications fully started or stopped (Supvisors' own C(wait)).
      - With O(state=restarted) the stop is always waited for, so that the start that follows cannot be refused or
        lost; V(false) then only means that the start is not waited for.
      - When an application fails to start, the task fails with the state Supvisors reports and its failing
        processes; a process that failed to spawn comes with its C(spawnerr) and the C(spawn_host) where it did.
    type: bool
    default: true
notes:
  - The cluster must be in the Supvisors state OPERATION (CONCILIATION is also accepted to stop applications);
    otherwise the task fails with C(BAD_SUPVISORS_STATE) and the current state.
    M(supervisor.control.supvisors) with O(supervisor.control.supvisors#module:state=operational) waits for it.
  - O(timeout) bounds each XML-RPC call, so with O(wait=true) it should exceed the time an application takes
    to start or stop.
seealso:
  - module: supervisor.control.supvisors
  - module: supervisor.control.process
'''

EXAMPLES = r'''
- name: Start the web application where its rules say
  supervisor.control.application:
    name: web
    server_url: http://node1:60000

- name: Start two applications on the least loaded hosts
  supervisor.control.application:
    name: [web, batch]
    strategy: LESS_LOADED

- name: Restart every application whose name starts with svc_
  supervisor.control.application:
    name: "svc_*"
    state: restarted

- name: Stop an application everywhere
  supervisor.control.application:
    name: web
    state: stopped
'''

RETURN = r'''
applications:
  description: The applications matched by O(name), after the action. In check mode, C(statename) is the state expected.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Application name.
      type: str
      sample: web
    managed:
      description: Whether the application has rules (always true here).
      type: bool
    statename:
      description: C(STOPPED), C(STARTING), C(RUNNING) or C(STOPPING).
      type: str
      sample: RUNNING
    statecode:
      description: The numeric state.
      type: int
    major_failure:
      description: A required process is not running.
      type: bool
    minor_failure:
      description: An optional process failed.
      type: bool
    strategy:
      description: The starting strategy used by this task, or null when the application was not started.
      type: str
      sample: CONFIG
    processes:
      description:
        - The processes of the application, with the hosts each one runs on.
        - In check mode, for an application to be started, where Supvisors would start them, with C(predicted=true).
      type: list
      elements: dict
      sample:
        - namespec: web:front
          statename: RUNNING
          identifiers: ["alpha:60000"]
          hosts: [alpha]
          predicted: false
failures:
  description: One entry per application that failed, with its state and failing processes.
  returned: when applications failed to reach the state (not when the task refuses its options or fails as a whole)
  type: list
  elements: dict
  sample:
    - name: broken
      action: start
      statename: STOPPED
      major_failure: true
      processes: [{namespec: "broken:crasher", statename: FATAL, hosts: [], spawn_host: alpha,
                   spawnerr: "Exited too quickly (process log may have details)"}]
supvisors_state:
  description:
    - The Supvisors state of the cluster when the task began.
    - Null when it could not be read (a daemon without Supvisors, or that could not be reached).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
  sample: OPERATION
server_url:
  description:
    - The URL of the daemon that was used, without credentials.
    - Null when the task failed before it connected (an option it refuses, a O(server_url) or O(config) it cannot
      read).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
'''

from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import SupervisorModule
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils import supvisors_plans
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_plans import ApplicationStates
from ansible_collections.supervisor.control.plugins.module_utils.errors import TaskFailed, failing_with
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_controller import (
    ApplicationController,
    describe_application_failures,
    read_status,
)


def read_applications(client, names):
    """Each application's info and processes, plus the instances (to name hosts)."""
    calls = [('supvisors.get_all_instances_info', [])]
    for name in names:
        calls.append(('supvisors.get_application_info', [name]))
        calls.append(('supvisors.get_process_info', ['%s:*' % name]))
    answers = client.multicall_or_raise(calls)
    instances = answers[0]
    found = {}
    for index, name in enumerate(names):
        found[name] = (answers[1 + 2 * index], answers[2 + 2 * index])
    return instances, found


def predict_starts(client, actions, found):
    """Check mode: where Supvisors would start the processes of each STOPPED application to be started.

    ``supvisors.test_start_application`` models the start without doing it;
    it refuses applications that are not STOPPED (a restart of a running one
    is not predicted).
    """
    starting = [a for a in actions
                if supvisors_plans.START in a.steps and a.info.get('statename') == ApplicationStates.STOPPED]
    if not starting:
        return found
    answers = client.multicall([('supvisors.test_start_application', [a.strategy, a.name]) for a in starting])
    found = dict(found)
    for action, prediction in zip(starting, answers):
        if isinstance(prediction, list):
            info, processes = found[action.name]
            found[action.name] = (info, supvisors_plans.apply_prediction(processes, prediction))
    return found


def run(task):
    # supvisors_state is returned always: null until (or unless) it has been read.
    result = {'changed': False, 'supvisors_state': None}
    with failing_with(result, 'supvisors_state'):
        return control(task, result)


def control(task, result):
    params = task.params
    state = params['state']
    if params['strategy'] and state == 'stopped':
        raise TaskFailed('strategy is only used with state=started or state=restarted, not with state=stopped')
    client = task.client
    status = read_status(client, 'supervisor.control.application')
    fsm = result['supvisors_state'] = status.get('fsm_statename')
    allowed = supvisors_plans.allowed_states(state)
    if fsm not in allowed:
        raise TaskFailed(supvisors_plans.bad_state_message(fsm, allowed, 'make applications %s' % state), **result)

    infos = client.call('supvisors.get_all_applications_info')
    selected, unknown, unmanaged = supvisors_plans.select_applications(params['name'], infos)
    if unknown:
        raise TaskFailed(supvisors_plans.unknown_message(unknown, infos), **result)
    if unmanaged:
        raise TaskFailed(supvisors_plans.unmanaged_message(unmanaged), **result)

    names = [i['application_name'] for i in selected]
    rules = {}
    if not params['strategy'] and state != 'stopped':
        answers = client.multicall_or_raise([('supvisors.get_application_rules', [n]) for n in names])
        rules = dict(zip(names, answers))
    actions = supvisors_plans.plan_applications(selected, state, params['strategy'], rules)
    result['changed'] = any(a.changed for a in actions)
    for action in actions:
        if not action.steps and state == 'started' and action.info.get('major_failure'):
            task.warn('application %s is %s with a major failure (a required process does not run): '
                      'state=restarted starts it again' % (action.name, action.info.get('statename')))

    failures = []
    if not task.check_mode:
        controller = ApplicationController(client, params['timeout'])
        failures = controller.apply(actions, params['wait'])
        if failures:
            result['changed'] = controller.acted

    instances, found = read_applications(client, names)
    if task.check_mode:
        found = predict_starts(client, actions, found)
    applications = []
    for action in actions:
        info, processes = found[action.name]
        if task.check_mode:
            info = dict(info, statename=action.expected)
        entry = supvisors_plans.normalize_application(info, processes, instances)
        entry['strategy'] = action.strategy
        applications.append(entry)
    result['applications'] = applications
    if task.diff:
        after = [dict(found[a.name][0], statename=a.expected) if task.check_mode else found[a.name][0]
                 for a in actions]
        predicted = [p for entry in applications for p in entry['processes'] if p['predicted']]
        result['diff'] = supvisors_plans.application_diff(selected, after, predicted)
    if failures:
        raise TaskFailed.of(describe_application_failures(client, failures, found, instances), **result)
    return result


ARGUMENT_SPEC = dict(
    name=dict(type='list', elements='str', required=True),
    state=dict(type='str', default='started', choices=list(supvisors_plans.APPLICATION_STATES)),
    strategy=dict(type='str', choices=list(plans.STARTING_STRATEGIES)),
    wait=dict(type='bool', default=True),
)


def main():
    SupervisorModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(run)


if __name__ == '__main__':
    main()
