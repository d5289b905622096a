# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carry out process plans with few round trips.

supervisord answers ``wait=True`` calls on its main-loop tick, about one
second each, one after another inside a multicall. So every process is
stopped or started with ``wait=False`` in one multicall, and settling is
watched by polling: one round trip per poll, whatever the number of
processes. A poll reads the task's processes alone (one getProcessInfo
each), or the whole table when the task holds every process
(``ProcessController.current_infos``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.controller import Controller
from ansible_collections.supervisor.control.plugins.module_utils.client import raise_first_fault
from ansible_collections.supervisor.control.plugins.module_utils.main_log import last_exit, lines_about
from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    FAULT_CODES,
    Failure,
    SupervisorConnectionError,
    SupervisorError,
    SupervisorFault,
)
from ansible_collections.supervisor.control.plugins.module_utils.states import (
    STOPPED_STATES,
    ProcessStates,
    SupervisorStates,
)

# Faults that mean the desired state already holds (a race with another client).
HARMLESS = {
    'supervisor.stopProcess': ('NOT_RUNNING',),
    'supervisor.startProcess': ('ALREADY_STARTED',),
    'supervisor.signalProcess': ('NOT_RUNNING',),
}
# What each batched method does, for a message that says which request may have been carried out.
VERBS = {
    'supervisor.stopProcess': 'stop',
    'supervisor.startProcess': 'start',
    'supervisor.signalProcess': 'signal',
}
# A process found STOPPED while we wait for it to start was stopped by another
# client; give that client this long to start it again before failing.
STOPPED_GRACE = 3.0
REMOVED = 'was removed from supervisord while waiting (another client removed its group)'
MAIN_LOG_BYTES = 32 * 1024
STDERR_TAIL_BYTES = 2048


def in_supervisord_order(infos):
    """``infos`` once each, in ``getAllProcessInfo``'s order (group, then name)."""
    unique = dict((process_names.namespec(info), info) for info in infos)
    return sorted(unique.values(), key=lambda info: (info['group'], info['name']))


def info_calls(namespecs):
    """One ``getProcessInfo`` per process, for a multicall that reads those processes alone."""
    return [('supervisor.getProcessInfo', [spec]) for spec in sorted(set(namespecs))]


def only(infos, namespecs):
    """The infos of ``namespecs`` among ``infos`` (the table), in its order."""
    wanted = set(namespecs)
    return [info for info in infos if process_names.namespec(info) in wanted]


def present_infos(answers):
    """The infos among the ``answers`` to ``info_calls``, in supervisord's order; raise any other fault.

    BAD_NAME means that the process is no longer loaded: it is left out, as
    ``getAllProcessInfo`` would leave it out, so that a wait sees it removed.
    """
    loaded = [a for a in answers if not (isinstance(a, SupervisorFault) and a.is_('BAD_NAME'))]
    return in_supervisord_order(raise_first_fault(loaded))


def named_infos(client, specs, before=()):
    """``(answers to before, infos)`` in one multicall when every spec names one process, else None.

    A few names on a daemon of hundreds of processes then cost a few reads, not the whole
    table. None too when a name is not a process (a group's, or a typo): the caller reads
    the table and matches, which explains it. Any other fault is raised.
    """
    names = process_names.single_namespecs(specs)
    if not names:
        return None
    results = client.multicall(list(before) + [('supervisor.getProcessInfo', [name]) for name in names])
    if any(isinstance(r, SupervisorFault) and r.is_('BAD_NAME') for r in results[len(before):]):
        return None
    raise_first_fault(results)
    return results[:len(before)], in_supervisord_order(results[len(before):])


def read_processes(client, specs):
    """The processes ``specs`` select, as they are now (for reads that change nothing, such as lookups)."""
    named = named_infos(client, specs)
    if named is not None:
        return named[1]
    return process_names.match(specs, client.call('supervisor.getAllProcessInfo'))


class ProcessFailure(Failure):
    """Why one supervisord process did not reach the wanted state, with what explains it."""

    def __init__(self, info, reason):
        super(ProcessFailure, self).__init__(process_names.fullname(info), reason)
        self.info = info
        self.exitstatus = None
        self.stderr_tail = ''
        self.log_lines = []

    @property
    def namespec(self):
        return process_names.namespec(self.info)

    def as_dict(self):
        entry = super(ProcessFailure, self).as_dict()
        entry.update({
            'statename': self.info.get('statename'),
            'spawnerr': self.info.get('spawnerr') or '',
            'exitstatus': self.exitstatus if self.exitstatus is not None else self.info.get('exitstatus'),
            'stderr_tail': self.stderr_tail,
            'main_log': self.log_lines,
        })
        return entry

    def summary(self):
        parts = ['%s: %s' % (self.name, self.reason)]
        if self.info.get('spawnerr'):
            parts.append(self.info['spawnerr'])
        if self.exitstatus is not None:
            parts.append('exit status %s (from the main log)' % self.exitstatus)
        if self.stderr_tail:
            last = [line for line in self.stderr_tail.splitlines() if line.strip()][-3:]
            if last:
                parts.append('stderr: ' + ' | '.join(last))
        return '; '.join(parts)


class Run(object):
    """One ``apply``: its deadline, and the failures so far (a process that failed a phase skips the next)."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.failures = []
        self.failed = set()

    def fail(self, failures):
        self.failures.extend(failures)
        self.failed.update(f.namespec for f in failures)


class Settling(object):
    """What a wait saw of each process: its last info, and whether it is done, failed or removed.

    A process that vanished from the daemon (another client removed its group)
    is removed at once rather than waited for until the deadline.
    """

    def __init__(self, namespecs):
        self.pending = set(namespecs)
        self.infos = {}
        self.done = set()
        self.failed = set()
        self.removed = set()

    def update(self, current, condition):
        """Judge ``current`` (the infos of the pending processes that are still loaded) by ``condition``."""
        present = set()
        for info in current:
            spec = process_names.namespec(info)
            present.add(spec)
            self.infos[spec] = info
            if condition.done(info):
                self.done.add(spec)
            elif condition.failed(info):
                self.failed.add(spec)
        self.removed |= self.pending - present
        self.pending -= self.done | self.failed | self.removed


class Condition(object):
    """How a wait judges each process: ``done(info)``, ``failed(info)``, and why, in words (``failure(info)``
    for one that failed, ``pending_reason`` for one still pending at the deadline).

    ``calls(pending)`` adds calls to each poll's request, whose answers go to ``take`` before the
    processes are judged: a check that needs more than the info (a log) costs no round trip of its own.
    """

    def calls(self, pending):
        return []

    def take(self, answers):
        pass

    def pending_reason(self, info, timeout):
        return 'still %s after %g seconds' % (info['statename'], timeout)


class Stopped(Condition):
    """A stop has happened: the process is not running, or another client started it again (a new pid)."""

    def __init__(self, actions):
        self.pids = dict((a.namespec, a.info.get('pid')) for a in actions)

    def done(self, info):
        pid = info.get('pid')
        return info['statename'] in STOPPED_STATES or bool(pid and pid != self.pids[process_names.namespec(info)])

    def failed(self, info):
        return False  # only the deadline fails a stop

    def pending_reason(self, info, timeout):
        return 'still %s after %g seconds (stopwaitsecs longer than timeout?)' % (info['statename'], timeout)


class Started(Condition):
    """A start is done at RUNNING (it passed startsecs), or EXITED (startsecs=0 and it ran to completion).

    It failed at FATAL or UNKNOWN, or when found STOPPED for STOPPED_GRACE
    seconds (another client stopped it and did not start it again). A process
    ``not_yet_spawned`` (its group was just added) is STOPPED until
    supervisord's next tick spawns it: that is not a stop.
    """

    def __init__(self, clock, not_yet_spawned=False):
        self.clock = clock
        self.not_yet_spawned = not_yet_spawned
        self.stopped_since = {}

    def done(self, info):
        return info['statename'] in (ProcessStates.RUNNING, ProcessStates.EXITED)

    def failed(self, info):
        state = info['statename']
        if state != ProcessStates.STOPPED:
            self.stopped_since.pop(process_names.namespec(info), None)
            return state in (ProcessStates.FATAL, ProcessStates.UNKNOWN)
        if self.not_yet_spawned and not info.get('start'):
            return False
        first = self.stopped_since.setdefault(process_names.namespec(info), self.clock())
        return self.clock() - first >= STOPPED_GRACE

    def failure(self, info):
        if info['statename'] == ProcessStates.STOPPED:
            return 'was stopped by someone else while starting'
        return 'failed to start (%s)' % info['statename']


class ProcessController(Controller):
    """supervisord's processes: batched calls with wait=False, then one poll for all of them."""

    def __init__(self, client, timeout, poll_interval=0.1, clock=time.monotonic, sleep=time.sleep):
        super(ProcessController, self).__init__(client, timeout, poll_interval, clock, sleep)
        # Set by selected_infos when the task's processes are fewer than the daemon's: a task on a few
        # processes of a large daemon then pays for those, not for the whole table, at every poll and
        # at the end (supervisord's getAllProcessInfo costs it one getProcessInfo per process).
        self.reads_by_name = False

    def all_infos(self):
        return self.client.call('supervisor.getAllProcessInfo')

    def current_infos(self, namespecs):
        """The processes ``namespecs`` as they are now, in supervisord's order; those gone are left out.

        Read by name (one ``getProcessInfo`` multicall) when selected_infos chose to, else from the
        table: a task on every process reads as much either way, in one call.
        """
        if self.reads_by_name:
            return present_infos(self.client.multicall(info_calls(namespecs)))
        return only(self.all_infos(), namespecs)

    def infos_with(self, namespecs, calls):
        """``current_infos(namespecs)`` and the answers to ``calls``, in one request.

        Parsed leniently: the calls may read logs, whose text can hold control characters.
        """
        reads = info_calls(namespecs) if self.reads_by_name else [('supervisor.getAllProcessInfo', [])]
        answers = self.client.multicall(reads + list(calls), lenient=True)
        if self.reads_by_name:
            infos = present_infos(answers[:len(reads)])
        else:
            infos = only(raise_first_fault(answers[:1])[0], namespecs)
        return infos, answers[len(reads):]

    def running_infos(self):
        """``getAllProcessInfo``, checking in the same round trip that the daemon is RUNNING."""
        state, infos = self.client.multicall_or_raise([('supervisor.getState', []),
                                                       ('supervisor.getAllProcessInfo', [])])
        self._check_running(state)
        return infos

    def selected_infos(self, specs):
        """The infos ``specs`` select (``process_names.match``), checking that the daemon is RUNNING.

        When every spec names one process, only those are read (``named_infos``); else the table
        is. The waits and the final read then ask for the selected processes alone, unless they
        are all of the daemon's.
        """
        named = named_infos(self.client, specs, before=[('supervisor.getState', [])])
        if named is not None:
            (state,), infos = named
            self._check_running(state)
            self.reads_by_name = True
            return infos
        table = self.running_infos()
        return self.narrowed(process_names.match(specs, table), table)

    def narrowed(self, selected, table):
        """``selected``, taken from ``table``: the waits and the final read ask for those alone,
        unless they are the whole table."""
        self.reads_by_name = len(selected) < len(table)
        return selected

    def _check_running(self, state):
        if state['statename'] != SupervisorStates.RUNNING:
            raise SupervisorFault(FAULT_CODES['SHUTDOWN_STATE'], 'SHUTDOWN_STATE: supervisord at %s is %s, not RUNNING: '
                                  'nothing can be started or stopped now' % (self.client.url, state['statename']))

    def _batch(self, method, actions, extra=(), settles=()):
        """Call ``method(namespec, *extra)`` for every action in one multicall; return the failures.

        A fault named in ``settles`` means that the call did act but the
        process already moved on (a start whose process exited before the
        answer): it is no failure here, the wait that follows judges it.
        """
        if not actions:
            return []
        what = '%s %s' % (VERBS[method], ', '.join(process_names.fullname(a.info) for a in actions))
        results = self.send_acting([(method, [a.namespec] + list(extra)) for a in actions], what)
        return self.judge(method, actions, results, settles)

    def judge(self, method, actions, results, settles=()):
        """The failures among the ``results`` of ``method`` for ``actions``; ``acted`` when one was accepted."""
        failures = []
        for action, result in zip(actions, results):
            if not isinstance(result, SupervisorFault) or result.name in settles:
                self.acted = True
            elif result.name not in HARMLESS.get(method, ()):
                failures.append(ProcessFailure(action.info, result.message))
        return failures

    def _read_pending(self, pending, calls=()):
        """``current_infos`` during a wait, with the answers to ``calls`` (``infos_with``): a daemon that goes
        away is named with what was awaited."""
        try:
            if calls:
                return self.infos_with(pending, calls)
            return self.current_infos(pending), []
        except SupervisorConnectionError as exc:
            # We talked to it a moment ago: it died or is restarting under us.
            raise SupervisorConnectionError('connection lost to %s while waiting for %s: %s' % (
                self.client.url, ', '.join(sorted(pending)), exc))
        except SupervisorFault as fault:
            if not fault.is_('SHUTDOWN_STATE'):
                raise
            raise SupervisorConnectionError(
                'supervisord at %s began to shut down or restart while waiting for %s: run the task again '
                'once it is back' % (self.client.url, ', '.join(sorted(pending))))

    def settle(self, namespecs, condition, deadline, enough=None):
        """Poll the processes still pending until each is done or failed by ``condition`` (or, with
        ``enough``, until ``enough(settling)``); a Settling. The condition's own calls join each poll."""
        settling = Settling(namespecs)
        if not settling.pending:
            return settling

        def read():
            calls = condition.calls(sorted(settling.pending))
            infos, answers = self._read_pending(settling.pending, calls)
            condition.take(answers)
            settling.update(infos, condition)
            return settling

        def finished(seen):
            return not seen.pending or bool(enough and enough(seen))
        # Most stops and starts take well under a second: poll fast at first.
        return self.poll(read, finished, deadline, growth=1.5, longest=0.2)

    def apply(self, actions, wait=True, signal=None):
        """Carry out ``actions`` in phases: stop, signal, start; return the list of ProcessFailure."""
        run = Run(self.clock() + self.timeout)
        self._stop(run, actions, wait)
        # A refused signal says nothing about the process's exits: no logs to explain it with.
        signal_failures = self._signal(actions, signal)
        self._start(run, actions, wait)
        if run.failures:
            self.explain(run.failures)
        return run.failures + signal_failures

    def _stop(self, run, actions, wait):
        """Stop, and wait until stopped when the task waits, or when a start follows."""
        run.fail(self._batch('supervisor.stopProcess', [a for a in actions if plans.STOP in a.steps], [False]))
        settle = [a for a in actions if (plans.STOP in a.steps or plans.WAIT_STOPPED in a.steps)
                  and (wait or plans.START in a.steps) and a.namespec not in run.failed]
        if not settle:
            return
        stopped = Stopped(settle)
        settling = self.settle([a.namespec for a in settle], stopped, run.deadline)
        info = dict((a.namespec, a.info) for a in settle)
        info.update(settling.infos)
        run.fail([ProcessFailure(info[spec], REMOVED) for spec in sorted(settling.removed)])
        run.fail([ProcessFailure(info[spec], stopped.pending_reason(info[spec], self.timeout))
                  for spec in sorted(settling.pending)])

    def _signal(self, actions, signal):
        return self._batch('supervisor.signalProcess', [a for a in actions if plans.SIGNAL in a.steps], [str(signal)])

    def _start(self, run, actions, wait):
        """Start what has no failure yet; wait until started when the task waits."""
        starting = [a for a in actions if plans.START in a.steps and a.namespec not in run.failed]
        # SPAWN_ERROR with wait=False: the process was spawned and already exited; with wait,
        # the wait reports it as every failed start is reported (FATAL, its exit status).
        run.fail(self._batch('supervisor.startProcess', starting, [False], settles=('SPAWN_ERROR',) if wait else ()))
        if wait:
            run.fail(self.wait_started([a.info for a in starting if a.namespec not in run.failed], run.deadline))

    def wait_started(self, infos, deadline=None, not_yet_spawned=False):
        """Wait until each process is RUNNING (passed startsecs); return the failures.

        ``not_yet_spawned``: the processes were just added with their group, and
        stay STOPPED until supervisord's next main-loop tick spawns them.
        """
        if deadline is None:
            deadline = self.clock() + self.timeout
        started = Started(self.clock, not_yet_spawned)
        settling = self.settle([process_names.namespec(info) for info in infos], started, deadline)
        failures = []
        for info in infos:
            spec = process_names.namespec(info)
            info = settling.infos.get(spec, info)
            if spec in settling.pending:
                failures.append(ProcessFailure(info, started.pending_reason(info, self.timeout)))
            elif spec in settling.removed:
                failures.append(ProcessFailure(info, REMOVED))
            elif spec in settling.failed:
                failures.append(ProcessFailure(info, started.failure(info)))
        return failures

    def roll(self, plan, checks=None, pause=0.0, probes=None):
        """Carry out a rolling plan (``rolling_plans.plan_roll``): batch after batch, each process waited for until
        RUNNING, or ready by its ``checks`` (``{namespec: rolling_plans.ReadyCheck}``); a ``rolling.Roll``, whose
        ``failures`` are those of the roll. The roll stops at the first batch that fails."""
        from ansible_collections.supervisor.control.plugins.module_utils.rolling import Roll
        return Roll(self, plan, checks, pause, probes).run()

    def _stderr_tail(self, namespec, fault):
        """The last STDERR_TAIL_BYTES of a stderr log, bytes that are not UTF-8 as U+FFFD, after ``fault``
        refused the tail; '' when it was refused for another reason, or cannot be read."""
        # Imported here: a failure with bytes that are not UTF-8 is rare, and a shipped module pays its imports.
        from ansible_collections.supervisor.control.plugins.module_utils import log_reader
        if not log_reader.decode_failure(fault):
            return ''
        try:
            return log_reader.read_slice(log_reader.ProcessLog(self.client, namespec, 'stderr'), -STDERR_TAIL_BYTES, 0)
        except SupervisorError:
            return ''

    def explain(self, failures):
        """Add the real exit status (main log) and stderr tail to each failure, in one multicall."""
        calls = [('supervisor.readLog', [-MAIN_LOG_BYTES, 0])]
        calls += [('supervisor.tailProcessStderrLog', [f.namespec, 0, STDERR_TAIL_BYTES]) for f in failures]
        try:
            # Lenient: a stderr in colour holds control characters that XML cannot carry.
            results = self.client.multicall(calls, lenient=True)
        except SupervisorError:  # the failure itself is what matters; details are a bonus
            return
        main_log = results[0] if isinstance(results[0], str) else ''
        for failure, tail in zip(failures, results[1:]):
            if isinstance(tail, list) and tail and isinstance(tail[0], str):
                failure.stderr_tail = tail[0]
            elif isinstance(tail, SupervisorFault) and tail.is_('FAILED'):
                # supervisord 4.x faults on bytes that are not UTF-8: read around them (a few more calls).
                failure.stderr_tail = self._stderr_tail(failure.namespec, tail)
            failure.log_lines = lines_about(main_log, failure.info['name'])[-5:]
            failure.exitstatus = last_exit(main_log, failure.info['name'])[1]
