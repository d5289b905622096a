# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Supvisors controllers and reads shared by the modules and plugins (I/O).

The decisions are in supvisors_plans.py (pure); the task logic of process
and group on Supvisors in supvisors_tasks.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.supervisor.control.plugins.module_utils import supvisors_plans
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_plans import ApplicationStates
from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.controller import Controller
from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    Failure,
    SupervisorConnectionError,
    SupervisorError,
    SupervisorFault,
)
from ansible_collections.supervisor.control.plugins.module_utils.states import ProcessStates


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


CLUSTER_CALLS = (('supvisors.get_all_instances_info', []),
                 ('supvisors.get_all_applications_info', []),
                 ('supvisors.get_conflicts', []))
# What info asks beside supervisord's own facts: the state first, to tell a plain supervisord.
FACT_CALLS = (('supvisors.get_supvisors_state', []),) + CLUSTER_CALLS


def read_facts(client, status=None):
    """The cluster facts (supvisors.cluster_facts); what Supvisors refuses in its state is left out."""
    if status is None:
        status = client.call('supvisors.get_supvisors_state')
    return facts_from([status] + client.multicall(CLUSTER_CALLS))


def facts_from(answers):
    """The cluster facts from the answers to FACT_CALLS, or None from a plain supervisord."""
    status = answers[0]
    if isinstance(status, SupervisorFault):
        if status.is_('UNKNOWN_METHOD'):
            return None
        raise status
    return supvisors_plans.cluster_facts(status, *[None if isinstance(a, SupervisorFault) else a for a in answers[1:]])


def as_process_info(info):
    """A Supvisors process entry in the shape of supervisord's (``group``, ``name``, ``statename``)."""
    return dict(info, group=info.get('application_name'), name=info.get('process_name'))


class SupvisorsProcessController(Controller):
    """Cluster-wide processes, started where Supvisors chooses: ProcessController's contract for Supvisors.

    ``apply(actions, strategy, wait)`` returns the list of Failure (empty on
    success); ``acted`` says whether Supvisors accepted any call that changes
    a process; ``clock`` and ``sleep`` are injectable, as in ProcessController.
    """

    def __init__(self, client, timeout, poll_interval=0.3, clock=time.monotonic, sleep=time.sleep):
        super(SupvisorsProcessController, self).__init__(client, timeout, poll_interval, clock, sleep)

    def all_infos(self):
        return [as_process_info(i) for i in self.client.call('supvisors.get_all_process_info')]

    def _wait_stopped(self, namespec, deadline):
        return self.poll(lambda: self.client.call('supvisors.get_process_info', namespec)[0],
                         lambda info: info['statename'] != ProcessStates.STOPPING, deadline)

    def apply(self, actions, strategy, wait, extra_args=''):
        """Carry out process plans one process at a time; return the failures."""
        failures = []
        deadline = self.clock() + self.timeout
        for action in actions:
            namespec = action.namespec
            for step in action.steps:
                try:
                    if step == plans.WAIT_STOPPED:
                        info = self._wait_stopped(namespec, deadline)
                        if info['statename'] == ProcessStates.STOPPING:
                            failures.append(Failure(process_names.fullname(action.info),
                                                    'still STOPPING after %ss' % self.timeout))
                            break
                    elif step == plans.STOP:
                        # A start sent while Supvisors still stops the process is
                        # refused (ALREADY_STARTED) or lost: a stop followed by a
                        # start is always waited for, whatever ``wait`` says.
                        self.client.call('supvisors.stop_process', namespec, wait or plans.START in action.steps)
                        self.acted = True
                    elif step == plans.START:
                        self.client.call('supvisors.start_process', strategy, namespec, extra_args, wait)
                        self.acted = True
                except SupervisorFault as fault:
                    if step == plans.START and fault.is_('ALREADY_STARTED'):
                        continue
                    if step == plans.STOP and fault.is_('NOT_RUNNING'):
                        continue
                    if fault.is_('BAD_SUPVISORS_STATE', 'INCORRECT_PARAMETERS', 'BAD_NAME', 'UNKNOWN_METHOD'):
                        raise
                    if step == plans.START and fault.is_('NOT_RUNNING'):
                        failures.append(self.failed_start(process_names.fullname(action.info), namespec, fault))
                    else:
                        failures.append(Failure(process_names.fullname(action.info), str(fault)))
                    break
        return failures

    def failed_start(self, name, namespec, fault):
        """The Failure of a start that Supvisors carried out and that failed (NOT_RUNNING), with its spawnerr.

        Supvisors' fault names the process only; why it did not start is the
        ``spawnerr`` that supervisord recorded on the instance where it was
        spawned, which Supvisors keeps for each instance.
        """
        self.acted = True
        found = read_spawn_failures(self.client, [namespec])[namespec]
        summary = '%s: %s' % (name, fault)
        if found:
            summary += '; %s' % found['spawnerr']
        return Failure(name, str(fault), summary=summary, **found)


class ApplicationController(Controller):
    """Supvisors applications: the same contract, ``apply(actions, wait)`` returning Failures.

    Each Failure carries ``action`` (the step that failed) and, when
    Supvisors faulted, ``fault``; describe_application_failures() adds the
    state Supvisors reports once the task has read it.
    """

    def __init__(self, client, timeout, poll_interval=0.5, clock=time.monotonic, sleep=time.sleep):
        super(ApplicationController, self).__init__(client, timeout, poll_interval, clock, sleep)

    def _wait_stopped(self, name, deadline):
        return self.poll(lambda: self.client.call('supvisors.get_application_info', name),
                         lambda info: info['statename'] == ApplicationStates.STOPPED, deadline)

    def _restart(self, action, wait):
        # Not supvisors.restart_application: with wait=false it returns while
        # the stop is still going on, and the start it queues can be lost
        # (the application ends STOPPED). The stop is always waited for;
        # wait=false only skips waiting for the start.
        try:
            self.client.call('supvisors.stop_application', action.name, True)
            self.acted = True
        except SupervisorFault as fault:
            if not fault.is_('NOT_RUNNING'):  # stopped meanwhile: start it all the same
                raise
        self.client.call('supvisors.start_application', action.strategy, action.name, wait)

    def _carry_out(self, action, wait, deadline):
        """Run the steps of one action; return a Failure or None."""
        for step in action.steps:
            try:
                if step == supvisors_plans.WAIT_STOPPED:
                    info = self._wait_stopped(action.name, deadline)
                    if info['statename'] != ApplicationStates.STOPPED:
                        return Failure(action.name, 'still %s after %ss' % (info['statename'], self.timeout),
                                       action=step)
                elif step == supvisors_plans.START:
                    self.client.call('supvisors.start_application', action.strategy, action.name, wait)
                elif step == supvisors_plans.STOP:
                    self.client.call('supvisors.stop_application', action.name, wait)
                elif step == supvisors_plans.RESTART:
                    self._restart(action, wait)
                self.acted = self.acted or step != supvisors_plans.WAIT_STOPPED
            except SupervisorFault as fault:
                if step in (supvisors_plans.START, supvisors_plans.RESTART) and fault.is_('ALREADY_STARTED'):
                    continue  # started meanwhile (by Supvisors' own start sequence)
                if step == supvisors_plans.STOP and fault.is_('NOT_RUNNING'):
                    continue  # stopped meanwhile
                if fault.is_('NOT_RUNNING', 'STILL_RUNNING', 'ABNORMAL_TERMINATION'):
                    # A start that faults NOT_RUNNING ran and failed; ABNORMAL_TERMINATION: Supvisors queued
                    # nothing (nowhere to start a process), so nothing ran.
                    spawned = step in (supvisors_plans.START, supvisors_plans.RESTART) and fault.is_('NOT_RUNNING')
                    self.acted = self.acted or spawned or fault.is_('STILL_RUNNING')
                    return Failure(action.name, str(fault), action=step, fault=str(fault), spawned=spawned)
                raise
        return None

    def apply(self, actions, wait):
        deadline = self.clock() + self.timeout
        failures = []
        for action in actions:
            failure = self._carry_out(action, wait, deadline)
            if failure:
                failures.append(failure)
        return failures


class ClusterController(Controller):
    """The Supvisors state of the cluster, waited for: ``wait_state(predicate, deadline) -> (ok, last)``.

    ``last`` is the state name, or None while nothing listens (the daemon
    restarts, or is gone). Any other connection error (a call that times out
    while the cluster restarts) is retried, and raised once the deadline has
    passed.
    """

    def __init__(self, client, timeout, poll_interval=0.5, clock=time.monotonic, sleep=time.sleep):
        super(ClusterController, self).__init__(client, timeout, poll_interval, clock, sleep)

    def wait_state(self, predicate, deadline):
        def judged():
            """``(predicate(state), state)``, or None for an error to retry: it says nothing of the state."""
            try:
                state = self.client.call('supvisors.get_supvisors_state')['fsm_statename']
            except SupervisorConnectionError as error:
                if not error.nobody_listens:
                    if self.clock() > deadline:
                        raise
                    return None
                state = None
            return predicate(state), state

        answer = self.poll(judged, lambda answer: answer is not None and answer[0], deadline)
        if answer is None:
            # The deadline passed between a retried error and poll's own check:
            # one last read either judges the state or raises the error.
            self.sleep(self.poll_interval)
            answer = judged()
        return answer


def read_spawn_failures(client, namespecs, instances=None):
    """``{namespec: supvisors_plans.spawn_failure(...)}``: the last failed spawn of each process, as every instance
    recorded it.

    Supvisors' process info says FATAL but not why; ``get_inner_process_info``
    gives what supervisord recorded on each instance (its ``spawnerr``). An
    instance that has not seen the process faults, and tells nothing.
    """
    if instances is None:
        instances = client.call('supvisors.get_all_instances_info')
    answers = client.multicall([('supvisors.get_inner_process_info', [instance['identifier'], namespec])
                                for namespec in namespecs for instance in instances])
    count = len(instances)
    return dict((namespec, supvisors_plans.spawn_failure([entry for answer in answers[index * count:(index + 1) * count]
                                                          if isinstance(answer, list) for entry in answer]))
                for index, namespec in enumerate(namespecs))


def describe_application_failures(client, failures, found, instances):
    """Add to each application Failure what Supvisors reports of it after the task (its state, its processes,
    and why those that failed to spawn did)."""
    # Only where this task's start ran: what supervisord recorded otherwise is of an earlier start.
    spawned = [supvisors_plans.normalize_process(p)['namespec']
               for failure in failures if failure.details.get('spawned')
               for p in found[failure.name][1] if p.get('statename') in supvisors_plans.SPAWN_FAILED_STATES]
    spawn_failures = read_spawn_failures(client, spawned, instances) if spawned else {}
    described = []
    for failure in failures:
        info, processes = found[failure.name]
        entry = supvisors_plans.application_failure(failure.name, failure.details['action'], info, processes,
                                                    instances, failure.details.get('fault'), spawn_failures)
        summary = supvisors_plans.failure_summary(entry)
        details = dict((k, v) for k, v in entry.items() if k != 'name')
        described.append(Failure(failure.name, summary, summary=summary, **details))
    return described
