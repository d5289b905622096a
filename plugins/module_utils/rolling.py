# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rolling restarts: a pool restarted a few processes at a time, each ready before the next go.

``Roll`` carries out a ``rolling_plans.RollPlan`` on a ProcessController (I/O, on its injectable clock):
each process moves from queued to stopping (``Stopped``), to starting (``Started``, or
``readiness.Ready``), to ready or failed. A batch is admitted when the one before it is ready (and
``pause`` has passed); in a window, a process is admitted as soon as fewer than ``window`` are out
of service. Every wait is one ``settle`` over the processes in flight, whatever their phase, so a
poll stays one multicall. The first failure stops the roll: nothing more is stopped, what is in
flight is waited for, nothing is rolled back.

``Rolling`` is a task's roll: options checked and batches planned (pure, ``plans``) before anything
is done, then the run and the result keys (``batches``, ``restarted``, ``not_restarted``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils import rolling_plans
from ansible_collections.supervisor.control.plugins.module_utils.errors import TaskFailed
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import (
    REMOVED,
    Condition,
    ProcessFailure,
    Started,
    Stopped,
)
from ansible_collections.supervisor.control.plugins.module_utils.readiness import Probes, Ready

QUEUED, STOPPING, STARTING, READY, FAILED = 'queued', 'stopping', 'starting', 'ready', 'failed'


class Member(object):
    """One process of a roll: its action, its batch, where it is, and the condition it is waited for with."""

    def __init__(self, action, batch):
        self.action = action
        self.batch = batch
        self.status = QUEUED
        self.deadline = None
        self.condition = None

    @property
    def spec(self):
        return self.action.namespec


class Phases(Condition):
    """The processes in flight, each judged by its own condition (stopping or starting): one poll for all."""

    def __init__(self, members):
        self.of = dict((m.spec, m.condition) for m in members)
        self.asked = []

    def calls(self, pending):
        calls = []
        self.asked = []
        for spec in pending:
            part = self.of[spec].calls([spec])
            self.asked.append((self.of[spec], len(part)))
            calls.extend(part)
        return calls

    def take(self, answers):
        for condition, count in self.asked:
            condition.take(answers[:count])
            answers = answers[count:]

    def done(self, info):
        return self.of[process_names.namespec(info)].done(info)

    def failed(self, info):
        return self.of[process_names.namespec(info)].failed(info)


class Roll(object):
    """One roll of ``plan`` by ``controller``; ``run()`` returns it, with ``members`` and ``failures``."""

    def __init__(self, controller, plan, checks=None, pause=0.0, probes=None):
        self.ctl = controller
        self.plan = plan
        self.checks = checks
        self.pause = pause or 0.0
        self.probes = probes or Probes(controller.clock)
        self.members = [Member(a, index) for index, batch in enumerate(plan.batches) for a in batch.actions]
        self.failures = []

    def run(self):
        ctl = self.ctl
        queue = list(self.members)
        flying = []
        gate = ctl.clock()  # no stop before this (pause)
        while True:
            if queue and not self.failures and ctl.clock() >= gate:
                admitted = self._admissible(queue, flying)
                queue = queue[len(admitted):]
                flying.extend(admitted)
                self._stop(admitted)
                flying = [m for m in flying if m.status in (STOPPING, STARTING)]
            if not flying:
                if not queue or self.failures:
                    break
                ctl.sleep(max(gate - ctl.clock(), 0.0))
                continue
            deadline = min(m.deadline for m in flying)
            if queue and not self.failures and gate > ctl.clock():
                deadline = min(deadline, gate)
            settling = ctl.settle([m.spec for m in flying], Phases(flying), deadline,
                                  enough=lambda seen: bool(seen.done or seen.failed or seen.removed))
            if self._advance(flying, settling) and self.pause:
                gate = ctl.clock() + self.pause
            flying = [m for m in flying if m.status in (STOPPING, STARTING)]
        if self.failures:
            ctl.explain(self.failures)
        return self

    def _admissible(self, queue, flying):
        """The processes to stop now: the next barrier batch when nothing is in flight, or in a window as
        many as fit."""
        batches = self.plan.batches
        first = batches[queue[0].batch]
        if first.barrier:
            return [] if flying else [m for m in queue if m.batch == queue[0].batch]
        if any(batches[m.batch].barrier for m in flying):
            return []
        admitted = []
        for member in queue[:max(self.plan.window - len(flying), 0)]:
            if batches[member.batch].barrier:
                break
            admitted.append(member)
        return admitted

    def _fail(self, members, failures):
        by_spec = dict((m.spec, m) for m in members)
        for failure in failures:
            by_spec[failure.namespec].status = FAILED
        self.failures.extend(failures)

    def _stop(self, admitted):
        """Stop what runs (one multicall), wait for what is stopping; start at once what is already down."""
        if not admitted:
            return
        deadline = self.ctl.clock() + self.ctl.timeout
        for member in admitted:
            member.deadline = deadline
        self._fail(admitted, self.ctl._batch('supervisor.stopProcess',
                                             [m.action for m in admitted if plans.STOP in m.action.steps], [False]))
        starting = []
        for member in admitted:
            if member.status == FAILED:
                continue
            if plans.STOP in member.action.steps or plans.WAIT_STOPPED in member.action.steps:
                member.status, member.condition = STOPPING, Stopped([member.action])
            else:
                starting.append(member)
        self._start(starting)

    def _start(self, members):
        """Start ``members`` in one multicall, which first marks the size of their logs (``ready.log``)."""
        if not members:
            return
        marks = []
        for member in members:
            check = (self.checks or {}).get(member.spec)
            member.condition = (Ready(check, self.ctl.clock, self.probes, self.ctl.client) if check
                                else Started(self.ctl.clock))
            marks.append(member.condition.mark_calls() if check else [])
        calls = [call for part in marks for call in part]
        calls += [('supervisor.startProcess', [m.spec, False]) for m in members]
        answers = self.ctl.send_acting(calls, 'start %s' % ', '.join(process_names.fullname(m.action.info) for m in members))
        at = 0
        for member, part in zip(members, marks):
            if part:
                member.condition.marked(answers[at:at + len(part)])
            at += len(part)
        for member in members:
            member.status = STARTING
        # SPAWN_ERROR: spawned and already exited; the wait judges it as any failed start.
        self._fail(members, self.ctl.judge('supervisor.startProcess', [m.action for m in members], answers[at:],
                                           settles=('SPAWN_ERROR',)))

    def _advance(self, flying, settling):
        """Move each process in flight by what the wait saw; whether one became ready."""
        now = self.ctl.clock()
        stopped = []
        ready = False
        for member in flying:
            spec = member.spec
            info = settling.infos.get(spec, member.action.info)
            if spec in settling.removed:
                self._fail(flying, [ProcessFailure(info, REMOVED)])
            elif spec in settling.failed:
                self._fail(flying, [ProcessFailure(info, member.condition.failure(info))])
            elif spec in settling.done and member.status == STOPPING:
                stopped.append(member)
            elif spec in settling.done:
                member.status = READY
                ready = True
            elif now > member.deadline:
                self._fail(flying, [ProcessFailure(info, member.condition.pending_reason(info, self.ctl.timeout))])
        self._start(stopped)
        return ready


def check_options(params):
    """Refuse ``rolling``/``ready`` that cannot be used, before anything is read or done: TaskFailed."""
    if params.get('rolling') is None and params.get('ready') is None:
        return
    refused = rolling_plans.check_roll_options(params)
    if refused:
        raise TaskFailed(refused)


def default_host(settings):
    """Where ports and URLs are probed without ``ready.host``: the daemon's host, or this one for a socket."""
    return settings.host if settings.scheme in ('http', 'https') else '127.0.0.1'


class Rolling(object):
    """A task's roll: planned and checked before anything is done (in check mode too), then run."""

    def __init__(self, task, actions, total, state):
        params = task.params
        options = params.get('rolling')
        self.verb = 'restart' if state == 'restarted' else 'start'
        self.rolls = options is not None
        if self.rolls:
            self.plan = rolling_plans.plan_roll(actions, rolling_plans.size_values(options['size']), total,
                                                options['window'], down_first=state == 'restarted')
            self.pause = options['pause']
        else:  # ready alone: every process at once, as without it
            self.plan = rolling_plans.RollPlan([rolling_plans.Batch([a for a in actions if a.steps])] if any(
                a.steps for a in actions) else [])
            self.pause = 0.0
        self.checks = None
        if params.get('ready') is not None:
            try:
                self.checks = rolling_plans.ready_checks(params['ready'], [a.info for a in self.plan.actions],
                                                         default_host(task.client.settings))
            except ValueError as exc:
                raise TaskFailed(str(exc))
        self.status = dict((a.namespec, READY) for a in self.plan.actions)  # check mode: as planned
        self.roll = None

    def run(self, controller):
        """Roll; return the failures."""
        self.roll = controller.roll(self.plan, self.checks, self.pause)
        self.status = dict((m.spec, m.status) for m in self.roll.members)
        return self.roll.failures

    def result(self):
        def names(actions, *statuses):
            return [process_names.fullname(a.info) for a in actions if self.status[a.namespec] in statuses]
        batches = [{'processes': batch.fullnames, 'ready': names(batch.actions, READY),
                    'failed': names(batch.actions, FAILED, STOPPING, STARTING),
                    'not_started': names(batch.actions, QUEUED)} for batch in self.plan.batches]
        actions = self.plan.actions
        return {'batches': batches, 'restarted': names(actions, READY),
                'not_restarted': names(actions, QUEUED, STOPPING, STARTING, FAILED)}

    def message(self, failures):
        """The one line of a failed roll (None without ``rolling``: the failures say it all)."""
        if not self.rolls:
            return None
        batch_of = dict((m.spec, m.batch) for m in self.roll.members)
        first = min(batch_of[f.namespec] for f in failures)
        counts = dict((status, 0) for status in (QUEUED, READY))
        for status in self.status.values():
            counts[status] = counts.get(status, 0) + 1
        return 'rolling %s stopped at batch %d of %d: %s; %d %sed, %d not touched' % (
            self.verb, first + 1, len(self.plan.batches), '; '.join(without_colon(f) for f in failures),
            counts[READY], self.verb, counts[QUEUED])


def without_colon(failure):
    """``pool:pool_3 not ready after ...``: a failure's summary as a roll's message says it."""
    summary = failure.summary()
    prefix = '%s: ' % failure.name
    return failure.name + ' ' + summary[len(prefix):] if summary.startswith(prefix) else summary
