"""The controllers' contract, on an injected clock: ``apply(actions) -> failures``, deadlines, ``acted``.

A scripted client stands in for the daemon here only to drive time: every
wait below would take seconds to minutes on a real supervisord, and the same
behaviours are tested against the real one in tests/integration/modules.
"""

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import exec_check  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils import group_controller as G  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils import plans  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils import supvisors_plans  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import (  # noqa: E402
    REMOVED,
    ProcessController,
)
from ansible_collections.supervisor.control.plugins.module_utils.errors import (  # noqa: E402
    RequestError,
    SupervisorConnectionError,
    SupervisorFault,
    TaskFailed,
    Unsupported,
)
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_controller import (  # noqa: E402
    ApplicationController,
    SupvisorsProcessController,
)


class Clock(object):
    def __init__(self):
        self.now = 0.0
        self.sleeps = 0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps += 1
        self.now += seconds


def info(name, statename, pid=0, group=None):
    return {'group': group or name, 'name': name, 'statename': statename, 'pid': pid, 'start': 1}


class ScriptedDaemon(object):
    """A process table that changes with the clock: ``script(now, table)`` runs before every read."""

    url = 'unix:///scripted.sock'

    def __init__(self, clock, table, script=None, refuse=()):
        self.clock = clock
        self.table = table
        self.script = script or (lambda now, table: None)
        self.refuse = dict(refuse)
        self.calls = []

    def require(self, methods):
        pass  # a supervisord of the newest release: it has every method

    def call(self, method, *params):
        self.calls.append((method,) + params)
        if method == 'supervisor.getAllProcessInfo':
            self.script(self.clock(), self.table)
            return [dict(i) for i in self.table.values()]
        raise AssertionError('unexpected call %s' % method)

    def multicall(self, calls, lenient=False):
        answers = []
        for method, params in calls:
            self.calls.append((method,) + tuple(params))
            if method in self.refuse:
                answers.append(SupervisorFault(self.refuse[method][0], self.refuse[method][1], method))
            elif method == 'supervisor.stopProcess':
                self.table[params[0]]['statename'] = 'STOPPING'
                answers.append(True)
            elif method == 'supervisor.startProcess':
                self.table[params[0]].update(statename='STARTING', pid=999)
                answers.append(True)
            else:
                answers.append('' if method == 'supervisor.readLog' else ['', 0, False])
        return answers


def controller(daemon, clock, timeout=5):
    return ProcessController(daemon, timeout, poll_interval=0.1, clock=clock, sleep=clock.sleep)


def test_a_stop_that_never_ends_fails_at_the_deadline_of_the_clock():
    clock = Clock()
    daemon = ScriptedDaemon(clock, {'a:a': info('a', 'RUNNING', pid=5)})
    ctl = controller(daemon, clock)
    failures = ctl.apply(plans.plan_processes(list(daemon.table.values()), 'stopped'))
    assert [f.summary() for f in failures] == [
        'a: still STOPPING after 5 seconds (stopwaitsecs longer than timeout?)']
    assert 5.0 <= clock.now < 5.3 and ctl.acted is True


class AnswerLost(ScriptedDaemon):
    """Carries out a request of ``method``, then its answer is lost (``sent``) or it never gets the request."""

    def __init__(self, clock, table, method, sent):
        super(AnswerLost, self).__init__(clock, table)
        self.method, self.sent = method, sent

    def multicall(self, calls, lenient=False):
        if any(method == self.method for method, dummy in calls):
            if self.sent:
                super(AnswerLost, self).multicall(calls)
            raise SupervisorConnectionError('no answer from unix:///scripted.sock within 5 seconds', sent=self.sent)
        return super(AnswerLost, self).multicall(calls, lenient)


@pytest.mark.parametrize('method, state, verb', [('supervisor.stopProcess', 'stopped', 'stop'),
                                                 ('supervisor.startProcess', 'started', 'start')])
def test_a_batch_sent_without_an_answer_fails_the_task_as_changed_and_says_so(method, state, verb):
    from ansible_collections.supervisor.control.plugins.module_utils.process_task import bring_to_state
    from ansible_collections.supervisor.control.plugins.module_utils.task import Task
    clock = Clock()
    first = 'RUNNING' if state == 'stopped' else 'STOPPED'
    daemon = AnswerLost(clock, {'g:a': info('a', first, pid=5, group='g'), 'g:b': info('b', first, pid=6, group='g')},
                        method, sent=True)
    ctl = controller(daemon, clock)
    with pytest.raises(TaskFailed) as raised:
        bring_to_state(Task({'wait': True}), ctl, list(daemon.table.values()), state)
    assert str(raised.value) == ('no answer from unix:///scripted.sock within 5 seconds; the request to %s g:a, g:b '
                                 'was sent, so supervisord may have carried it out' % verb)
    assert raised.value.changed is True and ctl.acted is True
    # Refused before it was sent (nothing listens): nothing changed, and the error is the client's own.
    daemon = AnswerLost(clock, {'g:a': info('a', first, pid=5, group='g')}, method, sent=False)
    ctl = controller(daemon, clock)
    with pytest.raises(SupervisorConnectionError) as raised:
        bring_to_state(Task({'wait': True}), ctl, list(daemon.table.values()), state)
    assert str(raised.value) == 'no answer from unix:///scripted.sock within 5 seconds' and ctl.acted is False


class RefusedAfterAFirstPair(ScriptedDaemon):
    """A supervisord before 3.2.0 that carries out the first pair of a split multicall of ``method``, then
    refuses the next request with ``error`` (what client.multicall raises then: ``sent`` set)."""

    def __init__(self, clock, table, method, error):
        super(RefusedAfterAFirstPair, self).__init__(clock, table)
        self.method, self.error = method, error

    def multicall(self, calls, lenient=False):
        if any(method == self.method for method, dummy in calls):
            super(RefusedAfterAFirstPair, self).multicall(calls[:2])
            self.error.sent = True
            raise self.error
        return super(RefusedAfterAFirstPair, self).multicall(calls, lenient)


REFUSED_500 = ('supervisord at unix:///scripted.sock failed to run system.multicall (HTTP 500 Internal Server Error): '
               'check the number and the types of its parameters')


@pytest.mark.parametrize('make, message', [
    (lambda: RequestError(REFUSED_500), REFUSED_500),
    (lambda: SupervisorFault(2, 'INCORRECT_PARAMETERS', 'system.multicall'),
     'system.multicall failed with INCORRECT_PARAMETERS'),
], ids=['http-500', 'fault'])
def test_a_refusal_after_a_first_pair_that_acted_fails_the_task_as_changed(make, message):
    from ansible_collections.supervisor.control.plugins.module_utils.process_task import bring_to_state
    from ansible_collections.supervisor.control.plugins.module_utils.task import Task
    clock = Clock()
    table = dict(('g:%s' % n, info(n, 'STOPPED', group='g')) for n in 'abcd')
    daemon = RefusedAfterAFirstPair(clock, table, 'supervisor.startProcess', make())
    ctl = controller(daemon, clock)
    with pytest.raises(TaskFailed) as raised:
        bring_to_state(Task({'wait': True}), ctl, list(daemon.table.values()), 'started')
    assert str(raised.value) == ('%s; the request to start g:a, g:b, g:c, g:d was sent, so supervisord may have '
                                 'carried it out' % message)
    assert raised.value.changed is True and ctl.acted is True
    assert [i['statename'] for i in daemon.table.values()] == ['STARTING', 'STARTING', 'STOPPED', 'STOPPED']


def test_a_process_removed_during_the_wait_fails_at_the_next_poll():
    clock = Clock()

    def remove_at_one_second(now, table):
        if now >= 1.0:
            table.pop('a:a', None)
    daemon = ScriptedDaemon(clock, {'a:a': info('a', 'STOPPED')}, remove_at_one_second)
    failures = controller(daemon, clock, timeout=60).apply(
        plans.plan_processes(list(daemon.table.values()), 'started'))
    assert [(f.name, f.reason) for f in failures] == [('a', REMOVED)]
    assert clock.now < 1.3  # one poll after the removal, not the 60 s timeout


def test_stopped_by_someone_else_while_starting_gets_a_grace_then_fails():
    clock = Clock()

    def stopped_by_another_client(now, table):
        if now >= 0.5:
            table['a:a']['statename'] = 'STOPPED'
    daemon = ScriptedDaemon(clock, {'a:a': info('a', 'STOPPED')}, stopped_by_another_client)
    failures = controller(daemon, clock, timeout=60).apply(
        plans.plan_processes(list(daemon.table.values()), 'started'))
    assert [f.reason for f in failures] == ['was stopped by someone else while starting']
    assert 3.5 <= clock.now < 4.0  # STOPPED_GRACE (3 s) after it was first seen STOPPED


def test_a_task_whose_every_call_was_refused_did_not_act():
    clock = Clock()
    daemon = ScriptedDaemon(clock, {'a:a': info('a', 'STOPPED')},
                            refuse={'supervisor.startProcess': (21, 'NOT_EXECUTABLE: /bin/nope')})
    ctl = controller(daemon, clock)
    failures = ctl.apply(plans.plan_processes(list(daemon.table.values()), 'started'))
    assert [f.summary() for f in failures] == ['a: supervisor.startProcess failed with NOT_EXECUTABLE: /bin/nope']
    assert ctl.acted is False and clock.sleeps == 0


class ScriptedSupvisors(object):
    url = 'http://scripted:60000'

    def __init__(self, clock, statenames):
        self.clock = clock
        self.statenames = statenames  # a function of the clock
        self.calls = []

    def call(self, method, *params):
        self.calls.append((method,) + params)
        if method == 'supvisors.get_application_info':
            return {'application_name': params[0], 'statename': self.statenames(self.clock())}
        if method == 'supvisors.get_process_info':
            return [{'application_name': 'web', 'process_name': 'front', 'statename': self.statenames(self.clock())}]
        return True


def test_supvisors_processes_wait_for_the_stop_before_a_start_even_without_wait():
    clock = Clock()
    client = ScriptedSupvisors(clock, lambda now: 'RUNNING')
    ctl = SupvisorsProcessController(client, 5, clock=clock, sleep=clock.sleep)
    action = plans.plan_processes([{'group': 'web', 'name': 'front', 'statename': 'RUNNING'}], 'restarted')
    assert ctl.apply(action, 'CONFIG', wait=False) == []
    assert client.calls == [('supvisors.stop_process', 'web:front', True),
                            ('supvisors.start_process', 'CONFIG', 'web:front', '', False)]
    assert ctl.acted is True


def test_supvisors_processes_still_stopping_at_the_deadline():
    clock = Clock()
    ctl = SupvisorsProcessController(ScriptedSupvisors(clock, lambda now: 'STOPPING'), 5, clock=clock,
                                     sleep=clock.sleep)
    action = plans.plan_processes([{'group': 'web', 'name': 'front', 'statename': 'STOPPING'}], 'started')
    assert [f.summary() for f in ctl.apply(action, 'CONFIG', wait=True)] == ['web:front: still STOPPING after 5s']
    assert 5.0 < clock.now < 5.5 and ctl.acted is False


class FailingStarts(ScriptedSupvisors):
    """start_process faults as Supvisors 0.19.1 does: NOT_RUNNING once it started the process and saw it fail,
    ABNORMAL_TERMINATION when it could not even queue the start (a disabled program)."""

    def __init__(self, clock, fault):
        super(FailingStarts, self).__init__(clock, lambda now: 'STOPPED')
        self.fault = fault

    def call(self, method, *params):
        if method == 'supvisors.start_process':
            self.calls.append((method,) + params)
            raise SupervisorFault(*self.fault, method=method)
        if method == 'supvisors.get_all_instances_info':
            return [{'identifier': 'alpha:60000'}, {'identifier': 'beta:60000'}]
        return super(FailingStarts, self).call(method, *params)

    def multicall(self, calls):
        self.calls.append([(method,) + tuple(params) for method, params in calls])
        return [[{'identifier': 'alpha:60000', 'nick_identifier': 'alpha', 'statename': 'FATAL', 'now': 2.0,
                  'spawnerr': 'Exited too quickly (process log may have details)'}],
                SupervisorFault(30, 'FAILED: web:front unknown on beta:60000')]


def test_supvisors_start_that_ran_and_failed_acted_and_says_why():
    clock = Clock()
    client = FailingStarts(clock, (70, "NOT_RUNNING: processes=['web:front']"))
    ctl = SupvisorsProcessController(client, 5, clock=clock, sleep=clock.sleep)
    action = plans.plan_processes([{'group': 'web', 'name': 'front', 'statename': 'STOPPED'}], 'started')
    (failure,) = ctl.apply(action, 'CONFIG', wait=True)
    assert failure.summary() == ("web:front: supvisors.start_process failed with NOT_RUNNING: processes=['web:front']; "
                                 "Exited too quickly (process log may have details)")
    assert failure.as_dict() == {
        'name': 'web:front', 'reason': "supvisors.start_process failed with NOT_RUNNING: processes=['web:front']",
        'statename': 'FATAL', 'spawnerr': 'Exited too quickly (process log may have details)', 'host': 'alpha'}
    assert client.calls[-1] == [('supvisors.get_inner_process_info', 'alpha:60000', 'web:front'),
                                ('supvisors.get_inner_process_info', 'beta:60000', 'web:front')]
    assert ctl.acted is True


def test_supvisors_start_that_could_not_be_queued_did_not_act():
    clock = Clock()
    client = FailingStarts(clock, (40, 'ABNORMAL_TERMINATION: failed to start web:front'))
    ctl = SupvisorsProcessController(client, 5, clock=clock, sleep=clock.sleep)
    action = plans.plan_processes([{'group': 'web', 'name': 'front', 'statename': 'STOPPED'}], 'started')
    assert [f.summary() for f in ctl.apply(action, 'CONFIG', wait=True)] == [
        'web:front: supvisors.start_process failed with ABNORMAL_TERMINATION: failed to start web:front']
    assert ctl.acted is False


def application(statename):
    return {'application_name': 'web', 'statename': statename, 'managed': True}


def test_applications_restart_waits_for_the_stop_then_starts_without_waiting():
    clock = Clock()
    client = ScriptedSupvisors(clock, lambda now: 'RUNNING')
    ctl = ApplicationController(client, 5, clock=clock, sleep=clock.sleep)
    actions = supvisors_plans.plan_applications([application('RUNNING')], 'restarted', 'LESS_LOADED')
    assert ctl.apply(actions, wait=False) == []
    assert client.calls == [('supvisors.stop_application', 'web', True),
                            ('supvisors.start_application', 'LESS_LOADED', 'web', False)]


def test_applications_still_stopping_at_the_deadline():
    clock = Clock()
    client = ScriptedSupvisors(clock, lambda now: 'STOPPING')
    ctl = ApplicationController(client, 5, clock=clock, sleep=clock.sleep)
    (failure,) = ctl.apply(supvisors_plans.plan_applications([application('STOPPING')], 'stopped'), wait=True)
    assert (failure.name, failure.reason, failure.details) == ('web', 'still STOPPING after 5s',
                                                               {'action': supvisors_plans.WAIT_STOPPED})
    assert 5.0 < clock.now < 5.6 and ctl.acted is False


@pytest.mark.parametrize('method, fault_string', [
    ('supervisor.stopProcess', 'NOT_RUNNING'),            # supervisord 3.1.4: the bare name
    ('supervisor.stopProcess', 'NOT_RUNNING: idle'),      # 3.2.0 and later
    ('supervisor.startProcess', 'ALREADY_STARTED: idle'),  # every release
])
def test_a_fault_that_says_the_state_already_holds_is_no_failure_whatever_its_words(method, fault_string):
    action = plans.plan_processes([info('idle', 'RUNNING')], 'stopped')[0]
    fault = SupervisorFault(70 if 'NOT_RUNNING' in fault_string else 60, fault_string, method)
    ctl = controller(ScriptedDaemon(Clock(), {}), Clock())
    assert ctl.judge(method, [action], [fault]) == [] and ctl.acted is False


def test_a_start_whose_process_already_exited_is_judged_by_the_wait():
    """startProcess(wait=False) answers SPAWN_ERROR when the exit was seen first: the same failure as any."""
    clock = Clock()

    def fatal_at_once(now, table):
        table['a:a']['statename'] = 'FATAL'
    daemon = ScriptedDaemon(clock, {'a:a': info('a', 'STOPPED')}, fatal_at_once,
                            refuse={'supervisor.startProcess': (50, 'SPAWN_ERROR: a')})
    ctl = controller(daemon, clock)
    failures = ctl.apply(plans.plan_processes(list(daemon.table.values()), 'started'))
    assert [f.reason for f in failures] == ['failed to start (FATAL)']
    assert ctl.acted is True
    # Without wait there is nothing to judge it by: the fault is the failure.
    daemon.table['a:a']['statename'] = 'STOPPED'
    ctl = controller(daemon, clock)
    failures = ctl.apply(plans.plan_processes(list(daemon.table.values()), 'started'), wait=False)
    assert [f.reason for f in failures] == ['supervisor.startProcess failed with SPAWN_ERROR: a']


# group_controller.stop_frozen: keep_stopped's processes, started and frozen in the multicall that added their
# group, are stopped according to what /proc says of each. Real daemons and /proc in
# tests/integration/modules/test_keep_stopped.py; here the branches, the poll and the calls.

class RecordingClient(object):
    url = 'unix:///recording.sock'

    def __init__(self, answers=None, release='4.3.0'):
        self.calls = []
        self.answers = answers or {}
        self.release = lambda: release

    def multicall(self, calls):
        self.calls.append([(method,) + tuple(params) for method, params in calls])
        return [self.answers.get(method, True) for method, dummy in calls]


def frozen_answers(*infos, **kwargs):
    """The answers to freeze_calls: per process, startProcess, signalProcess STOP, getProcessInfo; then getPID."""
    answers = []
    for one in infos:
        answers += [True, kwargs.get('stop', True), one]
    return answers + [100]


@pytest.mark.parametrize('release, signal_first', [
    ('4.3.0', False), ('4.2.2', False), ('4.1.0', True), ('3.4.0', True)])
def test_stop_frozen_kills_before_the_exec_resumes_after_it_and_kills_what_it_cannot_see(release, signal_first):
    clock = Clock()
    client = RecordingClient(release=release)
    views = {11: exec_check.BEFORE_EXEC, 12: exec_check.AFTER_EXEC, 13: exec_check.UNSEEN}
    looked = []

    def look(pid, supervisord_pid):
        looked.append((pid, supervisord_pid))
        return views[pid]
    specs = ['g:a', 'g:b', 'g:c']
    answers = frozen_answers(*[info(n, 'STARTING', pid=p, group='g') for n, p in zip('abc', (11, 12, 13))])
    how = G.stop_frozen(client, controller(client, clock), specs, answers, look=look)
    assert how == {'g:a': G.NEVER_RAN, 'g:b': G.STOPPED_AT_ONCE, 'g:c': G.UNVERIFIED}
    assert sorted(looked) == [(11, 100), (12, 100), (13, 100)] and clock.sleeps == 0
    # Stopped first (STOPPING: the stop signal waits while frozen), then killed, or resumed to act on it. Before
    # 4.2.2 a STOPPING process cannot be signalled: the signal goes first, in the same request.
    pairs = [[('supervisor.stopProcess', spec, False), ('supervisor.signalProcess', spec, signal)]
             for spec, signal in (('g:a', 'KILL'), ('g:b', 'CONT'), ('g:c', 'KILL'))]
    assert client.calls == [[call for pair in pairs for call in (pair[::-1] if signal_first else pair)]]


def test_stop_frozen_waits_for_the_freeze_on_a_busy_host_until_the_deadline():
    clock = Clock()
    client = RecordingClient()

    def look(pid, supervisord_pid):
        if pid == 11:
            return exec_check.NOT_FROZEN if clock() < 0.25 else exec_check.BEFORE_EXEC
        return exec_check.NOT_FROZEN  # never frozen (signal lost?): judged unseen at the deadline
    answers = frozen_answers(info('a', 'STARTING', pid=11, group='g'), info('b', 'STARTING', pid=12, group='g'))
    how = G.stop_frozen(client, controller(client, clock, timeout=2), ['g:a', 'g:b'], answers, look=look)
    assert how == {'g:a': G.NEVER_RAN, 'g:b': G.UNVERIFIED}
    assert 2.0 < clock.now < 2.2
    assert client.calls[0][1::2] == [('supervisor.signalProcess', 'g:a', 'KILL'),
                                     ('supervisor.signalProcess', 'g:b', 'KILL')]


def test_stop_frozen_a_process_that_did_not_fork_never_ran_and_one_already_reaped_may_have():
    clock = Clock()
    client = RecordingClient()
    cannot_spawn = dict(info('a', 'BACKOFF', group='g'), spawnerr="can't find command '/nope'")
    reaped = dict(info('b', 'BACKOFF', group='g'), spawnerr='Exited too quickly (process log may have details)')
    not_added = SupervisorFault(10, 'BAD_NAME: g:c')
    answers = frozen_answers(cannot_spawn, reaped, not_added, stop=SupervisorFault(70, 'NOT_RUNNING'))

    def look(pid, supervisord_pid):
        raise AssertionError('no pid to look at')
    how = G.stop_frozen(client, controller(client, clock), ['g:a', 'g:b', 'g:c'], answers, look=look)
    assert how == {'g:a': G.NEVER_RAN, 'g:b': G.UNVERIFIED}
    # BACKOFF -> STOPPED needs no signal; a process whose group was not added is left alone.
    assert client.calls == [[('supervisor.stopProcess', 'g:a', False), ('supervisor.stopProcess', 'g:b', False)]]


def test_stop_frozen_a_refused_freeze_is_unverified_and_killed():
    clock = Clock()
    client = RecordingClient()
    answers = frozen_answers(info('a', 'STARTING', pid=11, group='g'), stop=SupervisorFault(30, 'FAILED: kill'))
    how = G.stop_frozen(client, controller(client, clock), ['g:a'], answers,
                        look=lambda pid, supervisord_pid: exec_check.BEFORE_EXEC)
    assert how == {'g:a': G.UNVERIFIED}
    assert client.calls == [[('supervisor.stopProcess', 'g:a', False), ('supervisor.signalProcess', 'g:a', 'KILL')]]


def release_client(monkeypatch, release):
    """The real client, whose daemon answers getSupervisorVersion with ``release``; ``client.sent``: the methods."""
    import xmlrpc.client
    from ansible_collections.supervisor.control.plugins.module_utils import transport
    from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
    from ansible_collections.supervisor.control.plugins.module_utils.connection import parse_server_url
    client = SupervisorClient(parse_server_url('unix:///recording.sock'))
    client.sent = []

    def post(settings, body):
        client.sent.append(xmlrpc.client.loads(body)[1])
        return 200, 'OK', xmlrpc.client.dumps((release,), methodresponse=True).encode()
    monkeypatch.setattr(transport, 'post', post)
    return client


@pytest.mark.parametrize('keep, asked', [([('g:a', False)], []), ([('g:a', True)], ['supervisor.getSupervisorVersion'])])
def test_require_freezing_asks_only_when_a_kept_process_respawns(monkeypatch, keep, asked):
    client = release_client(monkeypatch, '4.3.0')
    G.require_freezing(client, keep)
    assert client.sent == asked


def test_require_freezing_refuses_a_supervisord_without_signal_process_in_the_one_line(monkeypatch):
    client = release_client(monkeypatch, '3.1.4')
    with pytest.raises(Unsupported) as raised:
        G.require_freezing(client, [('g:a', True), ('g:b', False), ('g:c', True)])
    assert str(raised.value) == 'supervisord 3.1.4 cannot signal processes: signalProcess came in 3.2.0'
    G.require_freezing(client, [('g:b', False)])
    assert client.sent == ['supervisor.getSupervisorVersion']


def test_group_changes_with_keep_stopped_always_carry_kept_stopped_and_warn_of_the_unverified():
    changes = G.GroupChanges({'g': plans.ADD}, keep_stopped=True)
    assert changes.as_result() == {'groups_added': ['g'], 'groups_updated': [], 'groups_removed': [],
                                   'kept_stopped': [], 'kept_stopped_detail': {}}
    assert 'kept_stopped' not in G.GroupChanges({'g': plans.ADD}).as_result()
    changes.kept_stopped = ['g:a', 'g:b', 'g:c']
    changes.kept_stopped_detail = {'g:a': G.UNVERIFIED, 'g:b': G.NEVER_RAN, 'g:c': G.UNVERIFIED}
    assert changes.warnings('http://h:9001') == [G.UNVERIFIED_WARNING % ('g:a, g:c', 'http://h:9001')]
    changes.kept_stopped_detail['g:a'] = changes.kept_stopped_detail['g:c'] = G.STOPPED_AT_ONCE
    assert changes.warnings('http://h:9001') == []
