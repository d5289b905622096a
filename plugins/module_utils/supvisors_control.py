# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Supvisors calls shared by the modules (the decisions are in supvisors.py, pure)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.supervisor.control.plugins.module_utils import supvisors as S
from ansible_collections.supervisor.control.plugins.module_utils import processes as P
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError, SupervisorFault


class NoSupvisorsError(SupervisorError):
    """The daemon has no ``supvisors.*`` XML-RPC namespace."""

    def __init__(self, url, what='this'):
        super(NoSupvisorsError, self).__init__(
            '%s has no Supvisors XML-RPC interface (supvisors.* methods are unknown), which %s needs: '
            'add [rpcinterface:supvisors] to its configuration' % (url, what))


def read_status(client, what='this'):
    """``supvisors.get_supvisors_state()``; NoSupvisorsError on a plain supervisord."""
    try:
        return client.call('supvisors.get_supvisors_state')
    except SupervisorFault as fault:
        if fault.is_('UNKNOWN_METHOD'):
            raise NoSupvisorsError(client.url, what)
        raise


def read_facts(client, status=None):
    """The cluster facts (supvisors.cluster_facts); what Supvisors refuses in its state is left out."""
    if status is None:
        status = client.call('supvisors.get_supvisors_state')
    answers = client.multicall([('supvisors.get_all_instances_info', []),
                                ('supvisors.get_all_applications_info', []),
                                ('supvisors.get_conflicts', [])])
    answers = [None if isinstance(a, SupervisorFault) else a for a in answers]
    return S.cluster_facts(status, *answers)


def as_process_info(info):
    """A Supvisors process entry in the shape of supervisord's (``group``, ``name``, ``statename``)."""
    return dict(info, group=info.get('application_name'), name=info.get('process_name'))


class SupvisorsProcesses(object):
    """The process module with ``strategy``: cluster-wide processes, started where Supvisors chooses."""

    def __init__(self, client, timeout, sleep=time.sleep, clock=time.time):
        self.client = client
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock

    def all_infos(self):
        return [as_process_info(i) for i in self.client.call('supvisors.get_all_process_info')]

    def _wait_stopped(self, namespec, deadline):
        while True:
            (info,) = self.client.call('supvisors.get_process_info', namespec)
            if info['statename'] not in (P.STOPPING,) or self.clock() > deadline:
                return info
            self.sleep(0.3)

    def apply(self, actions, strategy, wait):
        """Carry out process plans one process at a time; return ``[(info, message)]`` failures."""
        failures = []
        deadline = self.clock() + self.timeout
        for action in actions:
            namespec = action.namespec
            for step in action.steps:
                try:
                    if step == plans.WAIT_STOPPED:
                        info = self._wait_stopped(namespec, deadline)
                        if info['statename'] == P.STOPPING:
                            failures.append((action.info, 'still STOPPING after %ss' % self.timeout))
                            break
                    elif step == plans.STOP:
                        # A start sent while Supvisors still stops the process is
                        # refused (ALREADY_STARTED) or lost: a stop followed by a
                        # start is always waited for, whatever ``wait`` says.
                        self.client.call('supvisors.stop_process', namespec, wait or plans.START in action.steps)
                    elif step == plans.START:
                        self.client.call('supvisors.start_process', strategy, namespec, '', wait)
                except SupervisorFault as fault:
                    if step == plans.START and fault.is_('ALREADY_STARTED'):
                        continue
                    if step == plans.STOP and fault.is_('NOT_RUNNING'):
                        continue
                    if fault.is_('BAD_SUPVISORS_STATE', 'INCORRECT_PARAMETERS', 'BAD_NAME', 'UNKNOWN_METHOD'):
                        raise
                    failures.append((action.info, str(fault)))
                    break
        return failures


def run_process_module(module):
    """supervisor.control.process with ``strategy``: the whole cluster's processes, through Supvisors.

    Processes are matched against ``supvisors.get_all_process_info`` (every
    process of every instance, by ``application:process``), started with
    ``supvisors.start_process(strategy, ...)`` on the instance Supvisors
    chooses and stopped with ``supvisors.stop_process`` wherever they run.
    """
    params = module.params
    state = params['state']
    client = module.client
    if state == 'signalled':
        module.fail_json(msg='strategy is not used with state=signalled: signal processes without strategy, '
                             'on the daemon where they run')
    status = read_status(client, 'strategy')
    fsm = status.get('fsm_statename')
    if fsm != S.OPERATION:
        module.fail_json(msg=S.bad_state_message(fsm, (S.OPERATION,), 'control processes with a strategy'),
                         supvisors_state=fsm, server_url=client.url)
    controller = SupvisorsProcesses(client, params['timeout'])
    before = P.match(params['name'], controller.all_infos())
    actions = plans.plan_processes(before, state)
    result = {'changed': any(a.changed for a in actions), 'supvisors_state': fsm}
    failures = []
    if module.check_mode or not any(a.steps for a in actions):
        after = [dict(a.info, statename=a.expected) for a in actions]
    else:
        failures = controller.apply(actions, params['strategy'], params['wait'])
        wanted = set(P.namespec(info) for info in before)
        after = [info for info in controller.all_infos() if P.namespec(info) in wanted]
    instances = client.call('supvisors.get_all_instances_info')
    processes = []
    for info in after:
        entry = S.normalize_process(info, instances)
        entry.update(name=info['name'], group=info['group'], fullname=P.fullname(info))
        processes.append(entry)
    result['processes'] = processes
    if module._diff:
        result['diff'] = plans.process_diff(before, after)
    if failures:
        module.fail_json(
            msg='; '.join('%s: %s' % (P.fullname(info), message) for info, message in failures),
            failures=[{'name': P.fullname(info), 'reason': message} for info, message in failures],
            server_url=client.url, **result)
    return result
