# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Supvisors task logic of the process and group modules: what ``run(task)`` does for them on Supvisors.

``process`` with ``strategy`` (run_process_task, and start_any for ``any``),
``group`` with ``numprocs`` (update_numprocs) and ``state=disabled/enabled``
(set_disabled). They read with the client, decide with supvisors_plans
(pure) and act through supvisors_controller; process.py and group.py import
this file only on their Supvisors branches.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils import supvisors_plans
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_plans import SupvisorsStates
from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.diff import Diff
from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    Failure,
    SupervisorFault,
    TaskFailed,
    failing_with,
)
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_controller import (
    NoSupvisorsError,
    SupvisorsProcessController,
    as_process_info,
    read_status,
)
from ansible_collections.supervisor.control.plugins.module_utils.states import RUNNING_STATES, STOPPED_STATES


def predict_process_starts(client, actions, strategy, after):
    """Check mode: where Supvisors would start each process to be started (``supvisors.test_start_process``).

    Only processes that do not run are predicted (Supvisors refuses the
    others); a refusal leaves the process without a prediction.
    """
    starting = [a for a in actions if plans.START in a.steps and a.info.get('statename') in STOPPED_STATES]
    if not starting:
        return after
    answers = client.multicall([('supvisors.test_start_process', [strategy, a.namespec]) for a in starting])
    prediction = [entry for answer in answers if isinstance(answer, list) for entry in answer]
    return [as_process_info(i) for i in supvisors_plans.apply_prediction(after, prediction)]


def cluster_processes(client, infos):
    """The ``processes`` a task returns: Supvisors' view of each, with its hosts and supervisorctl's names."""
    instances = client.call('supvisors.get_all_instances_info')
    processes = []
    for info in infos:
        entry = supvisors_plans.normalize_process(info, instances)
        entry.update(name=info['name'], group=info['group'], fullname=process_names.fullname(info))
        processes.append(entry)
    return processes


def start_any(task, controller, fsm):
    """process with any=true: one process of the pool that the expressions match runs; Supvisors starts one if none."""
    params = task.params
    regexes = list(dict.fromkeys(params['name']))  # a repeated expression is tried once
    infos = controller.all_infos()
    pool, error = supvisors_plans.any_pool(regexes, [process_names.namespec(i) for i in infos])
    if error:
        raise TaskFailed(error, supvisors_state=fsm, started=[])
    members = [i for i in infos if process_names.namespec(i) in pool]
    result = {'changed': bool(members) and not any(i['statename'] in RUNNING_STATES for i in members),
              'supvisors_state': fsm, 'started': []}
    if result['changed'] and not task.check_mode:
        try:
            result['started'] = [start_one_of(task.client, regexes, params)]
        except SupervisorFault as fault:
            if not fault.is_('NOT_RUNNING'):
                raise
            failures = [controller.failed_start(namespec, namespec, fault)
                        for namespec in supvisors_plans.namespecs_in_fault(fault.detail)]
            failures = failures or [Failure('any', str(fault))]
            members = [i for i in controller.all_infos() if process_names.namespec(i) in pool]
            raise TaskFailed.of(failures, True, supvisors_state=fsm, started=[],
                                processes=cluster_processes(task.client, members))
        members = [i for i in controller.all_infos() if process_names.namespec(i) in pool]
    result['processes'] = cluster_processes(task.client, members)
    return result


def start_one_of(client, regexes, params):
    """``supvisors.start_any_process`` for each expression in turn until Supvisors starts one; its namespec.

    Supvisors faults FAILED when no stopped process of an expression can be
    placed under the strategy (disabled, or no instance allowed): the next
    expression is tried; after the last one, that fault is raised.
    """
    refused = None
    for regex in regexes:
        try:
            return client.call('supvisors.start_any_process', params['strategy'], regex,
                               params.get('extra_args') or '', params['wait'])
        except SupervisorFault as fault:
            if not fault.is_('FAILED'):
                raise
            refused = fault
    raise refused


def run_process_task(task):
    """supervisor.control.process with ``strategy``: the whole cluster's processes, through Supvisors.

    Processes are matched against ``supvisors.get_all_process_info`` (every
    process of every instance, by ``application:process``), started with
    ``supvisors.start_process(strategy, ...)`` on the instance Supvisors
    chooses and stopped with ``supvisors.stop_process`` wherever they run.
    """
    params = task.params
    if params['state'] == 'signalled':
        raise TaskFailed('strategy is not used with state=signalled: signal processes without strategy, '
                         'on the daemon where they run')
    if params.get('extra_args'):
        error = supvisors_plans.extra_args_error(params['extra_args'])
        if error:
            raise TaskFailed(error)
    # Its options accepted, the task returns supvisors_state whatever happens: null until it has been read.
    known = {'supvisors_state': None}
    with failing_with(known, 'supvisors_state'):
        return control_processes(task, known)


def control_processes(task, known):
    params = task.params
    state = params['state']
    client = task.client
    fsm = known['supvisors_state'] = operating(client, 'strategy', 'control processes with a strategy')
    controller = SupvisorsProcessController(client, params['timeout'])
    if params.get('any'):
        return start_any(task, controller, fsm)
    before = process_names.match(params['name'], controller.all_infos())
    actions = plans.plan_processes(before, state)
    result = {'changed': any(a.changed for a in actions), 'supvisors_state': fsm}
    failures = []
    if task.check_mode or not any(a.steps for a in actions):
        after = [dict(a.info, statename=a.expected) for a in actions]
        if task.check_mode:
            after = predict_process_starts(client, actions, params['strategy'], after)
    else:
        failures = controller.apply(actions, params['strategy'], params['wait'], params.get('extra_args') or '')
        wanted = set(process_names.namespec(info) for info in before)
        after = [info for info in controller.all_infos() if process_names.namespec(info) in wanted]
    result['processes'] = cluster_processes(client, after)
    if task.diff:
        result['diff'] = plans.process_diff(before, after)
    if failures:
        result['changed'] = controller.acted
        raise TaskFailed.of(failures, **result)
    return result


def operating(client, what, doing, plain_message=None):
    """The Supvisors state, which must be OPERATION for ``doing``; ``plain_message`` for a plain supervisord."""
    try:
        status = read_status(client, what)
    except NoSupvisorsError:
        if plain_message is None:
            raise
        raise TaskFailed(plain_message)
    fsm = status.get('fsm_statename')
    if fsm != SupvisorsStates.OPERATION:
        raise TaskFailed(supvisors_plans.bad_state_message(fsm, (SupvisorsStates.OPERATION,), doing),
                         supvisors_state=fsm)
    return fsm


def local_table(client):
    """This daemon's processes, in one request: supervisord's getAllProcessInfo entries (the keys the process
    module returns) with Supvisors' ``program_name``, ``process_index`` and ``disabled`` of each."""
    local, infos = client.multicall_or_raise([('supvisors.get_all_local_process_info', []),
                                              ('supervisor.getAllProcessInfo', [])])
    by_namespec = dict((process_names.namespec(i), i) for i in infos)
    return [dict(by_namespec.get(process_names.namespec(entry)) or entry, program_name=entry.get('program_name'),
                 process_index=entry.get('process_index', 0), disabled=bool(entry.get('disabled')))
            for entry in local]


def group_processes(entries, with_disabled=False):
    """The ``processes`` of a group result: the keys supervisor.control.process returns, and ``namespec``."""
    processes = []
    for entry in entries:
        process = dict(process_names.normalize(entry), namespec=process_names.namespec(entry))
        if with_disabled:
            process['disabled'] = entry['disabled']
        processes.append(process)
    return processes


def program_processes(table, program):
    """The processes of ``program`` in ``local_table``, in index order."""
    return sorted((e for e in table if e['program_name'] == program), key=lambda e: e['process_index'])


def update_numprocs(task, program, numprocs):
    """The group module with ``numprocs``: ``supvisors.update_numprocs`` on this daemon, idempotent."""
    client = task.client
    if numprocs < 1:
        raise TaskFailed('numprocs must be 1 or more, got %d' % numprocs)
    operating(client, 'numprocs', 'change numprocs', plain_message=(
        'numprocs: %s has no Supvisors, and plain supervisord cannot change the number of processes of a program '
        'without restarting its group (Supervisor#177): set numprocs=%d in the program\'s file and apply it with '
        'supervisor.control.group state=present' % (client.url, numprocs)))
    table = local_table(client)
    before = program_processes(table, program)
    if not before:
        known = sorted(set(e['program_name'] for e in table if e['program_name']))
        raise TaskFailed('numprocs: no program %s on %s (programs: %s)' % (program, client.url, ', '.join(known)))
    counts = {'before': len(before), 'after': numprocs}
    result = {'changed': len(before) != numprocs, 'numprocs': counts}
    if task.diff:
        result['diff'] = Diff().add('numprocs', len(before), numprocs).as_dict()
    if task.check_mode:
        after = supvisors_plans.numprocs_prediction(before, numprocs)
    elif result['changed']:
        try:
            client.call('supvisors.update_numprocs', program, numprocs, task.params['wait'], False)
        except SupervisorFault as fault:
            if fault.is_('NOT_APPLICABLE'):
                raise TaskFailed('numprocs: %s: its process_name must hold %%(process_num)s for supervisord to number '
                                 'its processes (%s)' % (program, fault))
            raise
        after = program_processes(local_table(client), program)
    else:
        after = before
    result['processes'] = group_processes(after)
    return result


def set_disabled(task, programs, disabled):
    """The group module with state=disabled/enabled: ``supvisors.disable``/``enable`` on this daemon, idempotent."""
    client = task.client
    verb = 'disable' if disabled else 'enable'
    operating(client, 'state=%sd' % verb, '%s programs' % verb, plain_message=(
        'state=%sd needs Supvisors: %s is a plain supervisord, which cannot %s a program; remove its group '
        '(state=absent) instead' % (verb, client.url, verb)))
    table = local_table(client)
    state_of = {}
    for entry in table:
        state_of.setdefault(entry['program_name'], entry['disabled'])
    unknown = [p for p in programs if p not in state_of]
    if unknown:
        raise TaskFailed('state=%sd: no program %s on %s (programs: %s)' % (
            verb, ', '.join(unknown), client.url, ', '.join(sorted(p for p in state_of if p))))
    todo = [p for p in programs if state_of[p] != disabled]
    if task.check_mode:
        after = supvisors_plans.disable_prediction(table, todo, disabled)
    elif todo:
        method = 'supvisors.disable' if disabled else 'supvisors.enable'  # spelled out: docs/api-coverage.md greps
        client.multicall_or_raise([(method, [p, task.params['wait']]) for p in todo])
        after = local_table(client)
    else:
        after = table
    result = {'changed': bool(todo), 'programs_changed': todo,
              'processes': group_processes([e for e in after if e['program_name'] in programs], with_disabled=True)}
    if task.diff:
        word = {True: 'disabled', False: 'enabled'}
        diff = Diff()
        for program in programs:
            diff.add(program, word[state_of[program]], word[disabled if program in todo else state_of[program]])
        result['diff'] = diff.as_dict()
    return result
