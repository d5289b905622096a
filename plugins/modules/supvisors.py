#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: supvisors
short_description: Wait for, conciliate, restart or stop a Supvisors cluster
version_added: 0.1.0
description:
  - Cluster-level actions on a L(Supvisors,https://github.com/julien6387/supvisors) cluster, through the
    C(supvisors.*) XML-RPC namespace of any of its supervisord daemons.
  - Returns the cluster facts (state, master, instances, applications, conflicts) after the action.
  - Needs only the Python standard library on the target.
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - supervisor.control.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  state:
    description:
      - V(operational) waits until the Supvisors state is OPERATION, within O(timeout) seconds. Never changes;
        fails with the last state seen when the deadline passes.
      - V(conciliated) applies O(strategy) to the conflicts (processes running on several instances) when
        there are any, then waits for OPERATION. Unchanged when there is no conflict.
      - V(restarted) stops every application and restarts Supvisors and every supervisord of the cluster
        (C(supvisors.restart)). Always changes. With O(wait=true), waits until the cluster is back in OPERATION.
      - V(stopped) stops every application and shuts down every supervisord of the cluster
        (C(supvisors.shutdown)). With O(wait=true), waits until the daemon of O(server_url) is gone.
        Unchanged when that daemon refuses connections already.
    type: str
    choices: [operational, conciliated, restarted, stopped]
    default: operational
  strategy:
    description:
      - The conciliation strategy for O(state=conciliated), V(SENICIDE) when not set. Given with any other state, it
        fails the task.
      - V(SENICIDE) keeps the newest process of each conflict, V(INFANTICIDE) the oldest, V(STOP) stops them all,
        V(RESTART) stops them all and starts one, V(RUNNING_FAILURE) applies the running failure strategy of each.
    type: str
    choices: [SENICIDE, INFANTICIDE, STOP, RESTART, RUNNING_FAILURE]
  end_sync:
    description:
      - End the synchronization phase now (C(supvisors.end_sync)) when the cluster is in SYNCHRONIZATION,
        before doing O(state). Changes only then.
      - Supvisors accepts it only when its C(synchro_options) include C(USER).
    type: bool
    default: false
  master:
    description:
      - With O(end_sync=true), the Supvisors identifier (C(host:port)) or nick of the instance to elect as master;
        Supvisors chooses when not set.
      - Once a master is elected (after SYNCHRONIZATION), the task is unchanged when it is this one, and fails when
        it is another.
    type: str
  wait:
    description:
      - For O(state=restarted) and O(state=stopped), wait until the cluster is back in OPERATION, or the daemon is gone,
        within O(timeout) seconds.
      - For O(restart_sequence=true), wait until Supvisors has started the applications.
      - O(state=operational) and O(state=conciliated) always wait for OPERATION (within O(timeout)), so V(false) with
        them and without O(restart_sequence=true) fails the task.
    type: bool
    default: true
  restart_sequence:
    description:
      - With O(state=operational) or O(state=conciliated), once the cluster is in OPERATION, run Supvisors' starting
        sequence again (C(supvisors.restart_sequence)), which starts the applications of the rules files with a
        C(start_sequence) that have never been started or are in failure (a required or optional process that does
        not run). Supvisors leaves alone an application stopped on purpose.
      - Unchanged when there is nothing to start. Check mode predicts it as Supvisors decides, from the rules and
        every instance's processes (C(supvisors.get_all_inner_process_info)).
      - V(true) with another state fails the task.
    type: bool
    default: false
    version_added: 0.2.0
  host_statistics:
    description:
      - With O(state=operational) or O(state=conciliated), switch the collection of host statistics on or off
        (C(supvisors.enable_host_statistics); the C(hstats) events of the event source). Left as it is when not set.
      - Set (V(true) or V(false)) with another state, it fails the task.
      - Supvisors collects statistics only when psutil is installed where it runs.
    type: bool
    version_added: 0.2.0
  process_statistics:
    description:
      - The same for process statistics (C(supvisors.enable_process_statistics); the C(pstats) events that the
        memmon rulebook uses), with the same states.
    type: bool
    version_added: 0.2.0
notes:
  - O(timeout) (default 30 seconds) is also the deadline of the waits. A whole-cluster restart takes about as long
    as its first start-up (30 s or more), so give O(state=restarted) a larger O(timeout).
seealso:
  - module: supervisor.control.application
  - module: supervisor.control.info
'''

EXAMPLES = r'''
- name: Wait until the cluster is operational
  supervisor.control.supvisors:
    state: operational
    timeout: 120
    server_url: http://node1:60000

- name: Resolve conflicts by keeping the newest process
  supervisor.control.supvisors:
    state: conciliated
    strategy: SENICIDE

- name: End the synchronization with the instances that are up, then wait for OPERATION
  supervisor.control.supvisors:
    end_sync: true
    master: node1
    state: operational

- name: Restart the whole cluster
  supervisor.control.supvisors:
    state: restarted
    timeout: 180
'''

RETURN = r'''
supvisors:
  description: The cluster facts after the action (only RV(supvisors.state) after O(state=stopped)).
  returned: success
  type: dict
  contains:
    state:
      description: The Supvisors state, such as C(OPERATION) or C(CONCILIATION).
      type: str
      sample: OPERATION
    master:
      description: The identifier of the master instance.
      type: str
      sample: alpha:60000
    master_host:
      description: The host of the master instance.
      type: str
      sample: alpha
    instances:
      description: Every instance with C(identifier), C(host), C(statename) and C(loading).
      type: list
      elements: dict
    applications:
      description: Every application with C(name), C(managed), C(statename), C(major_failure) and C(minor_failure).
      type: list
      elements: dict
    conflicts:
      description: The processes that run on several instances, with their C(hosts).
      type: list
      elements: dict
statistics:
  description:
    - With O(host_statistics) or O(process_statistics), what Supvisors collects after the task
      (C(supvisors.get_statistics_status)).
  returned: on success, when O(host_statistics) or O(process_statistics) is given
  type: dict
  sample: {host_stats: true, process_stats: false, collecting_period: 10.0}
  version_added: 0.2.0
actions:
  description: What the task did, in order (C(end_sync), C(conciliate), C(wait_operation), C(restart), C(shutdown)).
  returned: success
  type: list
  elements: str
  sample: [conciliate, wait_operation]
server_url:
  description:
    - The URL of the daemon that was used, without credentials.
    - Null when the task failed before it connected (an option it refuses, a O(server_url) or O(config) it cannot
      read).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
'''

from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import SupervisorModule
from ansible_collections.supervisor.control.plugins.module_utils import supvisors_plans
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_plans import SupvisorsStates
from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    SupervisorConnectionError,
    SupervisorFault,
    TaskFailed,
)
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_controller import (
    ClusterController,
    read_facts,
    read_status,
)


def refused(error):
    # a missing unix socket too: supervisord removes it when it shuts down
    return isinstance(error, SupervisorConnectionError) and error.nobody_listens


def read_conflicts(client, fsm):
    if fsm not in (SupvisorsStates.OPERATION, SupvisorsStates.CONCILIATION, SupvisorsStates.DISTRIBUTION):
        return []
    try:
        return client.call('supvisors.get_conflicts')
    except SupervisorFault as fault:
        if fault.is_('BAD_SUPVISORS_STATE'):
            return []
        raise


def read_instances(client):
    """``get_all_instances_info``, or None while Supvisors refuses it (before DISTRIBUTION)."""
    (answer,) = client.multicall([('supvisors.get_all_instances_info', [])])
    return None if isinstance(answer, SupervisorFault) else answer


class ClusterJob(object):
    """What the handlers of one task's actions share: its options and client, the cluster's controller, the deadline
    of its waits, the plan (``actions``) and the ``result`` they update."""

    def __init__(self, task, cluster, deadline, actions, result):
        self.params = task.params
        self.client = task.client
        self.cluster = cluster
        self.deadline = deadline
        self.actions = actions
        self.result = result


# What a handler returns when the task ends with it: after a shutdown there is no cluster to read.
FINISHED = 'finished'


def end_sync(job):
    job.client.call('supvisors.end_sync', job.params['master'] or '')


def conciliate(job):
    # Supvisors enters CONCILIATION a moment after it sees a conflict.
    ok, fsm = job.cluster.wait_state(lambda s: s == SupvisorsStates.CONCILIATION or (
        s == SupvisorsStates.OPERATION and not read_conflicts(job.client, s)), job.deadline)
    if fsm == SupvisorsStates.CONCILIATION:
        job.client.call('supvisors.conciliate', job.params['strategy'] or supvisors_plans.DEFAULT_CONCILIATION_STRATEGY)
    else:
        job.result['changed'] = False
        job.result['actions'] = [a for a in job.actions if a != supvisors_plans.CONCILIATE]


def wait_operation(job):
    ok, fsm = job.cluster.wait_state(lambda s: s == SupvisorsStates.OPERATION, job.deadline)
    if not ok:
        facts = read_facts(job.client) if fsm else {'state': None}
        raise TaskFailed(
            'Supvisors is not in OPERATION after %ss: its state is %s%s' % (
                job.params['timeout'], fsm or 'unknown (the daemon does not answer)',
                ' (conflicts: %s)' % ', '.join(c['namespec'] for c in facts.get('conflicts') or [])
                if facts.get('conflicts') else ''),
            supvisors=facts, actions=job.result['actions'], changed=job.result['changed'])


def restart(job):
    job.client.call('supvisors.restart')
    if job.params['wait']:
        # First see it leave OPERATION (the restart is asynchronous), then come back.
        ok, fsm = job.cluster.wait_state(lambda s: s != SupvisorsStates.OPERATION, job.deadline)
        if ok:
            ok, fsm = job.cluster.wait_state(lambda s: s == SupvisorsStates.OPERATION, job.deadline)
        if not ok:
            raise TaskFailed('Supvisors restarted but is not back in OPERATION after %ss: its state is %s'
                             % (job.params['timeout'], fsm or 'unknown (the daemon does not answer)'),
                             actions=job.actions, changed=True)


def shutdown(job):
    job.client.call('supvisors.shutdown')
    if job.params['wait']:
        ok, fsm = job.cluster.wait_state(lambda s: s is None, job.deadline)
        if not ok:
            raise TaskFailed('Supvisors is shutting down but %s still answers after %ss (state %s)' % (
                job.client.url, job.params['timeout'], fsm), actions=job.actions, changed=True)
        job.result['supvisors'] = {'state': None}
    else:
        job.result['supvisors'] = {'state': 'SHUTTING_DOWN'}
    return FINISHED


HANDLERS = {
    supvisors_plans.END_SYNC: end_sync,
    supvisors_plans.CONCILIATE: conciliate,
    supvisors_plans.WAIT_OPERATION: wait_operation,
    supvisors_plans.RESTART_CLUSTER: restart,
    supvisors_plans.SHUTDOWN: shutdown,
}


def run(task):
    params = task.params
    client = task.client
    state = params['state']
    error = supvisors_plans.cluster_option_error(state, params)
    if error:
        raise TaskFailed(error)
    cluster = ClusterController(client, params['timeout'])
    deadline = cluster.clock() + params['timeout']
    try:
        status = read_status(client, 'supervisor.control.supvisors')
    except SupervisorConnectionError as error:
        if state == 'stopped' and refused(error):
            return {'changed': False, 'actions': [], 'supvisors': {'state': None},
                    'msg': 'no daemon answers at %s: the cluster is taken as stopped' % client.url}
        raise
    fsm = status.get('fsm_statename')
    conflicts = read_conflicts(client, fsm) if state == 'conciliated' else []
    actions = supvisors_plans.cluster_plan(state, fsm, conflicts, end_sync=params['end_sync'],
                                           master_set=bool(status.get('master_identifier')))
    if params['master'] and supvisors_plans.END_SYNC not in actions:
        error = supvisors_plans.master_error(params['master'], fsm, status.get('master_identifier'),
                                             read_instances(client))
        if error:
            raise TaskFailed(error)
    result = {'changed': supvisors_plans.plan_changes(actions), 'actions': actions}
    if task.check_mode:
        if state in ('operational', 'conciliated'):
            operational_extras(task, client, result)
        result['supvisors'] = read_facts(client, status)
        return result

    job = ClusterJob(task, cluster, deadline, actions, result)
    for action in actions:
        if HANDLERS[action](job) == FINISHED:
            return result
    operational_extras(task, client, result)
    result['supvisors'] = read_facts(client)
    return result


# supvisors.enable_*_statistics by the key of get_statistics_status they switch.
STATISTICS = (('host_statistics', 'host_stats', 'supvisors.enable_host_statistics'),
              ('process_statistics', 'process_stats', 'supvisors.enable_process_statistics'))


def operational_extras(task, client, result):
    """restart_sequence and the statistics switches, once the cluster is in OPERATION."""
    switch_statistics(task, client, result)
    if task.params['restart_sequence'] and run_sequence(task, client):
        result['changed'] = True
        result['actions'] = result['actions'] + [supvisors_plans.RESTART_SEQUENCE]


def switch_statistics(task, client, result):
    """The statistics switches that differ from what Supvisors collects; ``statistics`` after them."""
    wanted = [(key, method, task.params[option]) for option, key, method in STATISTICS
              if task.params[option] is not None]
    if not wanted:
        return
    status = client.call('supvisors.get_statistics_status')
    switches = [(key, method, value) for key, method, value in wanted if status.get(key) != value]
    if switches:
        result['changed'] = True
        result['actions'] = result['actions'] + [method[len('supvisors.'):] for dummy, method, dummy in switches]
        if task.check_mode:
            status = dict(status, **dict((key, value) for key, dummy, value in switches))
        else:
            client.multicall_or_raise([(method, [value]) for dummy, method, value in switches])
            status = client.call('supvisors.get_statistics_status')
    result['statistics'] = status


def run_sequence(task, client):
    """Whether the starting sequence starts anything (in check mode: would)."""
    if task.check_mode:
        return bool(sequence_would_start(task, client))
    try:
        client.call('supvisors.restart_sequence', task.params['wait'])
    except SupervisorFault as fault:
        if fault.is_('ABNORMAL_TERMINATION'):  # "failed to trigger start sequence": nothing to start
            return False
        raise
    return True


def sequence_would_start(task, client):
    """Check mode: the applications the starting sequence would start."""
    applications = client.call('supvisors.get_all_applications_info')
    managed = [a['application_name'] for a in applications if a.get('managed')]
    answers = client.multicall([('supvisors.get_application_rules', [name]) for name in managed]
                               + [('supvisors.get_all_instances_info', [])])
    rules = dict((name, r) for name, r in zip(managed, answers) if isinstance(r, dict))
    instances = answers[-1] if isinstance(answers[-1], list) else []
    inner = client.multicall([('supvisors.get_all_inner_process_info', [i['identifier']]) for i in instances])
    if any(isinstance(a, SupervisorFault) and a.is_('UNKNOWN_METHOD') for a in inner):
        task.warn('this Supvisors has no get_all_inner_process_info: check mode counts only the applications in '
                  'failure, not those never started')
        infos = None
    else:  # an instance without a handshake yet faults: Supvisors knows nothing of its processes either
        infos = [info for answer in inner if isinstance(answer, list) for info in answer]
    return supvisors_plans.sequence_would_start(applications, rules, infos)


ARGUMENT_SPEC = dict(
    state=dict(type='str', default='operational', choices=list(supvisors_plans.CLUSTER_STATES)),
    strategy=dict(type='str', choices=list(supvisors_plans.CONCILIATION_STRATEGIES)),
    restart_sequence=dict(type='bool', default=False),
    host_statistics=dict(type='bool'),
    process_statistics=dict(type='bool'),
    end_sync=dict(type='bool', default=False),
    master=dict(type='str'),
    wait=dict(type='bool', default=True),
)


def main():
    SupervisorModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(run)


if __name__ == '__main__':
    main()
