"""What ProcessController reads while a task waits and at its end, on a fake clock.

A task on fewer processes than the daemon has (named one by one, or selected from the table by a
glob or a group) polls and re-reads those processes alone, with one ``getProcessInfo`` multicall;
a task on every process reads the whole table. All give the same results and the same messages. The scripted daemon stands in
for supervisord only to drive time; tests/integration/modules/test_process_reads.py records the
same sequences against a real one.
"""

import pytest

from tests.support.paths import ensure_collection_link
from tests.unit.test_controllers import Clock, ScriptedDaemon, info

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import plans  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils import process_controller as C  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import (  # noqa: E402
    SupervisorConnectionError,
    SupervisorFault,
    TaskFailed,
)
from ansible_collections.supervisor.control.plugins.module_utils.process_task import bring_to_state  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.task import Task  # noqa: E402

GET_INFO = 'supervisor.getProcessInfo'
GET_ALL = 'supervisor.getAllProcessInfo'


def bad_name(spec):
    return SupervisorFault(10, 'BAD_NAME: %s' % spec, GET_INFO)


def shutting_down(method):
    return SupervisorFault(6, 'SHUTDOWN_STATE', method)


# --- the pure parts ----------------------------------------------------------

def test_info_calls_read_each_process_once_in_a_stable_order():
    assert C.info_calls(['web:b', 'a:a', 'web:b']) == [(GET_INFO, ['a:a']), (GET_INFO, ['web:b'])]


def test_present_infos_leave_out_removed_processes_in_supervisords_order():
    answers = [info('b', 'RUNNING', group='web'), bad_name('gone:gone'), info('a', 'STOPPED'),
               info('a', 'RUNNING', group='web')]
    assert [(i['group'], i['name']) for i in C.present_infos(answers)] == [('a', 'a'), ('web', 'a'), ('web', 'b')]


@pytest.mark.parametrize('fault', [shutting_down(GET_INFO), SupervisorConnectionError('not a supervisord')],
                         ids=['SHUTDOWN_STATE', 'connection error'])
def test_present_infos_raise_any_other_fault(fault):
    with pytest.raises(type(fault)) as raised:
        C.present_infos([info('a', 'RUNNING'), fault])
    assert raised.value is fault


# --- the controller on a scripted daemon -------------------------------------

class ReadingDaemon(ScriptedDaemon):
    """ScriptedDaemon answering getState and getProcessInfo too; ``requests`` holds each request's methods.

    ``script`` runs once before each request that reads processes, as ScriptedDaemon runs it
    before each getAllProcessInfo; ``shutdown_at`` makes every read fault SHUTDOWN_STATE from then on.
    """

    def __init__(self, clock, table, script=None, shutdown_at=None):
        super(ReadingDaemon, self).__init__(clock, table, script)
        self.shutdown_at = shutdown_at
        self.requests = []

    def shutting_down(self):
        return self.shutdown_at is not None and self.clock() >= self.shutdown_at

    def call(self, method, *params):
        self.requests.append((method,))
        if method == GET_ALL and self.shutting_down():
            raise shutting_down(method)
        return super(ReadingDaemon, self).call(method, *params)

    def multicall(self, calls, lenient=False):
        self.requests.append(tuple(method for method, dummy in calls))
        if any(method in (GET_INFO, GET_ALL) for method, dummy in calls):
            self.script(self.clock(), self.table)
        answers = []
        for method, params in calls:
            if method in (GET_INFO, GET_ALL) and self.shutting_down():
                answers.append(shutting_down(method))
            elif method == 'supervisor.getState':
                answers.append({'statename': 'RUNNING'})
            elif method == GET_ALL:
                answers.append([dict(i) for i in self.table.values()])
            elif method == GET_INFO:
                spec = params[0] if ':' in params[0] else '%s:%s' % (params[0], params[0])
                answers.append(dict(self.table[spec]) if spec in self.table else bad_name(params[0]))
            else:
                answers += super(ReadingDaemon, self).multicall([(method, params)])
        return answers

    def multicall_or_raise(self, calls):
        answers = self.multicall(calls)
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        return answers

    def reads(self):
        """The requests that read processes, after the first one (the selection)."""
        return [r for r in self.requests if GET_INFO in r or GET_ALL in r][1:]


def table(*infos):
    return dict(('%s:%s' % (i['group'], i['name']), i) for i in infos)


def running_after_a_tick(now, table):
    """supervisord's part: what was asked to stop has stopped, what was started runs."""
    settles = {'STOPPING': 'STOPPED', 'STARTING': 'RUNNING'}
    for entry in table.values():
        entry['statename'] = settles.get(entry['statename'], entry['statename'])


def daemon_of_ten(clock, script=running_after_a_tick, **options):
    """Ten running processes, a:p0 to a:p9, of which the tasks below name two."""
    return ReadingDaemon(clock, table(*[info('p%d' % n, 'RUNNING', pid=100 + n, group='a') for n in range(10)]),
                         script, **options)


def controller(daemon, clock, timeout=5):
    return C.ProcessController(daemon, timeout, poll_interval=0.1, clock=clock, sleep=clock.sleep)


def restart(specs, daemon, clock, timeout=5):
    """What the process module does for ``state: restarted``: select, then bring to state."""
    ctl = controller(daemon, clock, timeout)
    targets = ctl.selected_infos(specs)
    return bring_to_state(Task({'wait': True, 'timeout': timeout}, diff=True), ctl, targets, 'restarted')


def daemon_of_two(clock, script=running_after_a_tick, **options):
    """Only a:p3 and a:p7, which the tasks below name: a glob selects the whole table."""
    return ReadingDaemon(clock, table(*[info('p%d' % n, 'RUNNING', pid=100 + n, group='a') for n in (3, 7)]),
                         script, **options)


BY_NAME = ['a:p3', 'a:p7']
BY_GLOB = ['a:p[37]']  # the same two processes, selected from the table
# How a task reads: (specs, daemon); the tests that follow give the same outcome for each.
PATHS = [(BY_NAME, daemon_of_ten), (BY_GLOB, daemon_of_ten), (BY_GLOB, daemon_of_two)]
PATH_IDS = ['by name', 'glob, then by name', 'the whole table']


def test_a_task_read_by_name_polls_and_rereads_those_names_alone():
    clock = Clock()
    daemon = daemon_of_ten(clock)
    restart(BY_NAME, daemon, clock)
    assert daemon.requests[0] == ('supervisor.getState', GET_INFO, GET_INFO)
    # the wait for the stop, the wait for the start, the final read: never the table
    assert daemon.reads() == [(GET_INFO, GET_INFO)] * 3
    assert GET_ALL not in [method for request in daemon.requests for method in request]


def test_a_glob_selecting_part_of_the_table_then_polls_and_rereads_those_processes_alone():
    clock = Clock()
    daemon = daemon_of_ten(clock)
    restart(BY_GLOB, daemon, clock)
    assert daemon.requests[0] == ('supervisor.getState', GET_ALL)
    assert daemon.reads() == [(GET_INFO, GET_INFO)] * 3


def test_a_task_on_every_process_polls_and_rereads_the_table():
    clock = Clock()
    daemon = daemon_of_two(clock)
    restart(BY_GLOB, daemon, clock)
    assert daemon.requests[0] == ('supervisor.getState', GET_ALL)
    assert daemon.reads() == [(GET_ALL,)] * 3


def test_a_poll_by_name_reads_only_the_processes_still_pending():
    clock = Clock()

    def p3_starts_slowly(now, table):
        for spec, entry in table.items():
            if entry['statename'] == 'STOPPING':
                entry['statename'] = 'STOPPED'
            elif entry['statename'] == 'STARTING' and (spec != 'a:p3' or now >= 1.0):
                entry['statename'] = 'RUNNING'
    daemon = daemon_of_ten(clock, p3_starts_slowly)
    ctl = controller(daemon, clock)
    failures = ctl.apply(plans.plan_processes(ctl.selected_infos(BY_NAME), 'restarted'))
    assert failures == []
    start_polls = daemon.reads()[1:]
    assert start_polls[0] == (GET_INFO, GET_INFO)
    assert set(start_polls[1:]) == {(GET_INFO,)}  # p7 ran at the first poll: p3 alone after it
    assert clock.now >= 1.0


def test_a_task_gives_the_same_result_however_it_reads():
    results = []
    for specs, daemon in PATHS:
        clock = Clock()
        results.append(restart(specs, daemon(clock), clock))
    by_name = results[0]
    assert results[1:] == [by_name, by_name]
    assert [(p['fullname'], p['statename'], p['pid']) for p in by_name['processes']] == [
        ('a:p3', 'RUNNING', 999), ('a:p7', 'RUNNING', 999)]
    assert by_name['changed'] is True
    assert by_name['diff'] == {'before': {'a:p3': 'RUNNING', 'a:p7': 'RUNNING'},
                               'after': {'a:p3': 'RUNNING', 'a:p7': 'RUNNING'}}


def removed_at_one_second(now, table):
    running_after_a_tick(now, table)
    if now >= 1.0:
        table.pop('a:p7', None)
    elif table['a:p7']['statename'] == 'RUNNING' and table['a:p7']['pid'] == 999:
        table['a:p7']['statename'] = 'STARTING'  # p7 keeps starting until it is removed


@pytest.mark.parametrize('specs, daemon_of', PATHS, ids=PATH_IDS)
def test_a_process_removed_while_the_task_waits_fails_within_a_poll_either_way(specs, daemon_of):
    clock = Clock()
    daemon = daemon_of(clock, removed_at_one_second)
    with pytest.raises(TaskFailed) as raised:
        restart(specs, daemon, clock, timeout=60)
    assert str(raised.value) == 'a:p7: ' + C.REMOVED
    assert clock.now < 1.3  # one poll after the removal, not the 60 s timeout
    assert [(p['fullname'], p['statename']) for p in raised.value.result['processes']] == [('a:p3', 'RUNNING')]
    assert raised.value.changed is True


@pytest.mark.parametrize('specs, daemon_of', PATHS, ids=PATH_IDS)
def test_a_daemon_shutting_down_during_the_wait_gives_the_same_message_either_way(specs, daemon_of):
    clock = Clock()
    daemon = daemon_of(clock, lambda now, table: None, shutdown_at=0.5)
    with pytest.raises(SupervisorConnectionError) as raised:
        restart(specs, daemon, clock, timeout=60)
    assert str(raised.value) == ('supervisord at unix:///scripted.sock began to shut down or restart while '
                                 'waiting for a:p3, a:p7: run the task again once it is back')


@pytest.mark.parametrize('specs, daemon_of', PATHS, ids=PATH_IDS)
def test_a_stop_that_never_ends_names_its_state_at_the_deadline_either_way(specs, daemon_of):
    clock = Clock()
    daemon = daemon_of(clock, lambda now, table: None)
    with pytest.raises(TaskFailed) as raised:
        restart(specs, daemon, clock)
    assert str(raised.value) == ('a:p3: still STOPPING after 5 seconds (stopwaitsecs longer than timeout?); '
                                 'a:p7: still STOPPING after 5 seconds (stopwaitsecs longer than timeout?)')
    assert 5.0 <= clock.now < 5.3
