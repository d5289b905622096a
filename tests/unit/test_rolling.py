"""rolling.Roll and rolling.Rolling on an injected clock: batches, windows, pauses, failures, the task's result.

A scripted pool stands in for supervisord only to drive time (each behaviour below takes seconds
on a real daemon); the same behaviours run on a real daemon and a real pool of workers in
tests/integration/modules/test_rolling.py.
"""

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import plans  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils import rolling_plans  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import (  # noqa: E402
    SupervisorFault,
    TaskFailed,
)
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import (  # noqa: E402
    ProcessController,
)
from ansible_collections.supervisor.control.plugins.module_utils.process_task import bring_to_state  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.readiness import Probes  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.task import Task  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.states import RUNNING_STATES  # noqa: E402


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Worker(object):
    """One scripted process: stops in ``stop_takes`` s, then once started writes its ready line after ``warmup`` s."""

    def __init__(self, name, statename='RUNNING', warmup=1.0, stop_takes=0.2, never_ready=False, exits_after=None,
                 crashes_every=None):
        self.name = name
        self.statename = statename
        self.pid = 100 if statename == 'RUNNING' else 0
        self.warmup = warmup
        self.stop_takes = stop_takes
        self.never_ready = never_ready
        self.exits_after = exits_after
        self.crashes_every = crashes_every
        self.log = b'ready on (an old line)\n' if statename == 'RUNNING' else b''
        self.since = None  # when the current stop or start was asked
        self.ready = statename == 'RUNNING'

    def info(self, now):
        return {'group': 'pool', 'name': self.name, 'statename': self.statename, 'pid': self.pid,
                'start': int(1000 + (self.since or 0)), 'now': int(1000 + now), 'exitstatus': 1 if
                self.statename == 'EXITED' else 0, 'spawnerr': '', 'stdout_logfile': '/logs/%s.out' % self.name,
                'stderr_logfile': ''}

    def advance(self, now, pool):
        if self.statename == 'STOPPING' and now >= self.since + self.stop_takes:
            self.statename, self.pid = 'STOPPED', 0
            pool.events.append((now, 'stopped', self.name))
        if self.statename == 'STARTING':
            self.statename = 'RUNNING'
        if self.statename != 'RUNNING' or self.since is None:
            return
        up = now - self.since
        if self.exits_after is not None and up >= self.exits_after:
            self.statename, self.pid, self.ready = 'EXITED', 0, False
        elif self.crashes_every is not None and up >= self.crashes_every:
            pool.spawn(self, self.since + self.crashes_every)
        elif not self.ready and not self.never_ready and up >= self.warmup:
            self.log += b'ready on %d\n' % self.pid
            self.ready = True
            pool.events.append((now, 'ready', self.name))


class ScriptedPool(object):
    """supervisord's answers for a pool of Workers, every request noted with its time."""

    url = 'unix:///scripted.sock'

    def __init__(self, clock, workers):
        self.clock = clock
        self.workers = dict(('pool:%s' % w.name, w) for w in workers)
        self.requests = []
        self.events = []
        self.serving = []  # how many workers serve, after each request
        self.pids = 1000

    @property
    def settings(self):
        from ansible_collections.supervisor.control.plugins.module_utils.connection import parse_server_url
        return parse_server_url(self.url)

    def spawn(self, worker, when):
        self.pids += 1
        worker.statename, worker.pid, worker.since, worker.ready = 'STARTING', self.pids, when, False
        worker.log += b'warming up\n'

    def require(self, methods):
        pass  # a supervisord of the newest release: it has every method

    def call(self, method, *params):
        return self.multicall([(method, params)])[0]

    def multicall(self, calls, lenient=False):
        now = self.clock()
        for worker in self.workers.values():
            worker.advance(now, self)
        self.requests.append((now, [(method, tuple(params)) for method, params in calls]))
        answers = [self._answer(now, method, list(params)) for method, params in calls]
        self.serving.append(sum(1 for w in self.workers.values() if w.statename == 'RUNNING' and w.ready))
        return answers

    def _answer(self, now, method, params):
        name = method.split('.')[-1]
        if name == 'getAllProcessInfo':
            return [w.info(now) for w in self.workers.values()]
        if name == 'getState':
            return {'statename': 'RUNNING'}
        if name == 'readLog':
            return ''
        worker = self.workers.get(params[0])
        if worker is None:
            return SupervisorFault(10, 'BAD_NAME: %s' % params[0], method)
        if name == 'getProcessInfo':
            return worker.info(now)
        if name == 'stopProcess':
            if worker.statename not in RUNNING_STATES:
                return SupervisorFault(70, 'NOT_RUNNING', method)
            worker.statename, worker.since, worker.ready = 'STOPPING', now, False
            self.events.append((now, 'stop', worker.name))
            return True
        if name == 'startProcess':
            if worker.statename in RUNNING_STATES:
                return SupervisorFault(60, 'ALREADY_STARTED', method)
            self.spawn(worker, now)
            self.events.append((now, 'start', worker.name))
            return True
        if name == 'tailProcessStdoutLog':
            return [worker.log[params[1]:].decode('utf-8'), len(worker.log), False]
        if name == 'readProcessStdoutLog':
            return worker.log[params[1]:params[1] + params[2]].decode('utf-8')
        if name == 'tailProcessStderrLog':
            return ['', 0, False]
        raise AssertionError('unexpected call %s' % method)

    def when(self, what, name):
        return [t for t, event, who in self.events if event == what and who == name]

    def stops(self):
        """The names stopped by each stop request, in order."""
        return [[p[0].split(':')[1] for m, p in calls if m.endswith('stopProcess')]
                for t, calls in self.requests if any(m.endswith('stopProcess') for m, p in calls)]


def pool(clock, count=6, **special):
    return ScriptedPool(clock, [Worker('pool_%d' % n, **special.get('pool_%d' % n, {}))
                                for n in range(1, count + 1)])


READY = dict(log='ready on', uptime=None, port=None, url=None, status_code=[200], host=None)


def roll(daemon, clock, size=2, window=False, pause=0.0, ready='log', timeout=10, state='restarted'):
    ready = READY if ready == 'log' else ready
    ctl = ProcessController(daemon, timeout, clock=clock, sleep=clock.sleep)
    infos = [w.info(clock()) for w in daemon.workers.values()]
    plan = rolling_plans.plan_roll(plans.plan_processes(infos, state), rolling_plans.size_values(size), len(infos),
                                   window, down_first=state == 'restarted')
    checks = rolling_plans.ready_checks(ready, plan.actions and [a.info for a in plan.actions], '127.0.0.1') if ready else None
    return ctl.roll(plan, checks, pause, Probes(clock))


def statuses(done):
    return dict((m.spec.split(':')[1], m.status) for m in done.members)


def test_a_lockstep_roll_stops_each_batch_once_the_one_before_is_ready():
    clock = Clock()
    daemon = pool(clock)
    done = roll(daemon, clock)
    assert done.failures == []
    assert daemon.stops() == [['pool_1', 'pool_2'], ['pool_3', 'pool_4'], ['pool_5', 'pool_6']]
    for earlier, later in (('pool_2', 'pool_3'), ('pool_4', 'pool_5')):
        assert daemon.when('stop', later)[0] >= daemon.when('ready', earlier)[0]
    assert min(daemon.serving) == 4 and daemon.serving[-1] == 6
    assert set(statuses(done).values()) == {'ready'}
    # the old "ready on" line before each start never counted: each was ready after its warm-up
    assert all(daemon.when('ready', w)[0] - daemon.when('start', w)[0] >= 1.0 for w in statuses(done))


def test_every_poll_of_a_readiness_wait_is_one_request_with_the_log_reads():
    clock = Clock()
    daemon = pool(clock, count=2)
    roll(daemon, clock, size=1)
    starts = [calls for t, calls in daemon.requests if any(m.endswith('startProcess') for m, p in calls)]
    assert starts[0] == [('supervisor.tailProcessStdoutLog', ('pool:pool_1', 0, 0)),
                         ('supervisor.startProcess', ('pool:pool_1', False))]
    waits = [calls for t, calls in daemon.requests if any(m.endswith('readProcessStdoutLog') for m, p in calls)]
    assert waits and all(
        [m for m, p in calls] == ['supervisor.getAllProcessInfo', 'supervisor.tailProcessStdoutLog',
                                  'supervisor.readProcessStdoutLog'] for calls in waits)
    # read forward from the size marked at the start: "ready on (an old line)\n" is 23 bytes
    assert waits[0][2] == ('supervisor.readProcessStdoutLog', ('pool:pool_1', 23, 1024 * 1024))


def test_a_window_does_not_wait_for_a_process_slow_to_stop():
    clock = Clock()
    daemon = pool(clock, count=4, pool_1=dict(stop_takes=3.0))
    done = roll(daemon, clock, window=True)
    assert done.failures == []
    # pool_2 was back before pool_1 had stopped, and pool_3 took its place at once
    assert daemon.when('stop', 'pool_3')[0] < daemon.when('stopped', 'pool_1')[0]
    assert min(daemon.serving) == 2

    clock = Clock()
    lockstep = pool(clock, count=4, pool_1=dict(stop_takes=3.0))
    roll(lockstep, clock)
    assert lockstep.when('stop', 'pool_3')[0] >= lockstep.when('ready', 'pool_1')[0] > 4.0


def test_a_window_keeps_a_canary_alone_and_ready_before_the_rest():
    clock = Clock()
    daemon = pool(clock, count=5)
    roll(daemon, clock, size=[1, 2], window=True)
    assert daemon.stops()[0] == ['pool_1']
    assert min(daemon.when('stop', w)[0] for w in ('pool_2', 'pool_3')) >= daemon.when('ready', 'pool_1')[0]
    assert min(daemon.serving) == 3


def test_a_pause_waits_after_each_batch_is_ready():
    clock = Clock()
    daemon = pool(clock, count=4)
    roll(daemon, clock, pause=5.0)
    ready = max(daemon.when('ready', 'pool_1')[0], daemon.when('ready', 'pool_2')[0])
    assert 5.0 <= daemon.when('stop', 'pool_3')[0] - ready < 5.3


def test_processes_already_down_are_started_first_together():
    clock = Clock()
    daemon = pool(clock, count=5, pool_2=dict(statename='FATAL'), pool_4=dict(statename='STOPPED'))
    done = roll(daemon, clock, size=1)
    assert [e[1:] for e in daemon.events[:2]] == [('start', 'pool_2'), ('start', 'pool_4')]
    assert daemon.when('stop', 'pool_1')[0] >= max(daemon.when('ready', 'pool_2') + daemon.when('ready', 'pool_4'))
    assert daemon.stops() == [['pool_1'], ['pool_3'], ['pool_5']]
    # 3 served at first; the 2 that were down were ready before one of them went out
    assert done.failures == [] and min(daemon.serving) == 3


def test_a_batch_that_is_not_ready_stops_the_roll_and_later_batches_keep_their_pids():
    clock = Clock()
    daemon = pool(clock, pool_3=dict(never_ready=True))
    done = roll(daemon, clock, timeout=4)
    assert [(f.name, f.reason) for f in done.failures] == [
        ('pool:pool_3', "not ready after 4 s: no line matching 'ready on' since its start")]
    assert statuses(done) == {'pool_1': 'ready', 'pool_2': 'ready', 'pool_3': 'failed', 'pool_4': 'ready',
                              'pool_5': 'queued', 'pool_6': 'queued'}
    assert daemon.stops() == [['pool_1', 'pool_2'], ['pool_3', 'pool_4']]
    assert [daemon.workers['pool:pool_%d' % n].pid for n in (5, 6)] == [100, 100]
    assert daemon.workers['pool:pool_3'].statename == 'RUNNING'  # left as supervisord has it


def test_a_window_waits_for_what_is_in_flight_after_a_failure_and_stops_nothing_more():
    clock = Clock()
    daemon = pool(clock, count=5, pool_1=dict(exits_after=0.5), pool_2=dict(warmup=2.0))
    done = roll(daemon, clock, window=True)
    assert [f.reason for f in done.failures] == ["exited before it was ready: no line matching "
                                                 "'ready on' since its start"]
    assert statuses(done) == {'pool_1': 'failed', 'pool_2': 'ready', 'pool_3': 'queued', 'pool_4': 'queued',
                              'pool_5': 'queued'}


def test_uptime_catches_a_process_that_exits_after_startsecs():
    clock = Clock()
    daemon = pool(clock, count=1, pool_1=dict(exits_after=2.0))
    done = roll(daemon, clock, size=1, ready=dict(READY, log=None, uptime=4.0))
    assert [f.reason for f in done.failures] == [
        'exited before it was ready: up 1 s with pid 1001, needs uptime 4 s']


def test_uptime_is_counted_again_for_each_pid_of_a_process_restarted_by_supervisord():
    clock = Clock()
    daemon = pool(clock, count=1, pool_1=dict(crashes_every=2.5))
    done = roll(daemon, clock, size=1, ready=dict(READY, log=None, uptime=4.0), timeout=9)
    (failure,) = done.failures
    assert failure.reason == ('not ready after 9 s: up 1 s with pid 1004, needs uptime 4 s (restarted 3 times while '
                              'waiting)')


def test_uptime_holds_after_that_long_with_one_pid():
    clock = Clock()
    daemon = pool(clock, count=1)
    done = roll(daemon, clock, size=1, ready=dict(READY, log=None, uptime=3.0))
    assert done.failures == [] and 3.0 <= clock.now - daemon.when('start', 'pool_1')[0] < 3.5


def test_without_ready_a_roll_waits_for_running():
    clock = Clock()
    daemon = pool(clock, count=4)
    done = roll(daemon, clock, ready=None)
    assert done.failures == [] and daemon.stops() == [['pool_1', 'pool_2'], ['pool_3', 'pool_4']]
    assert min(daemon.serving) == 0  # RUNNING at once, warming up: what ready is for


# --- the task: its result and its one line ------------------------------------------------------------

def task_of(daemon, check_mode=False, **params):
    given = dict(name=['pool'], state='restarted', wait=True, strategy=None, signal=None,
                 rolling=dict(size=2, pause=0.0, window=False), ready=READY)
    given.update(params)
    task = Task(given, check_mode=check_mode)
    task._client = daemon
    return task


def run_task(daemon, clock, check_mode=False, timeout=4, **params):
    ctl = ProcessController(daemon, timeout, clock=clock, sleep=clock.sleep)
    return bring_to_state(task_of(daemon, check_mode, **params), ctl,
                          [w.info(clock()) for w in daemon.workers.values()], params.get('state', 'restarted'))


def test_a_failed_roll_says_where_it_stopped_in_one_line_and_returns_what_resumes_it():
    clock = Clock()
    daemon = pool(clock, pool_3=dict(never_ready=True))
    with pytest.raises(TaskFailed) as raised:
        run_task(daemon, clock)
    failed = raised.value
    assert str(failed) == ("rolling restart stopped at batch 2 of 3: pool:pool_3 not ready after 4 s: no line "
                           "matching 'ready on' since its start; 3 restarted, 2 not touched")
    assert failed.result['batches'] == [
        {'processes': ['pool:pool_1', 'pool:pool_2'], 'ready': ['pool:pool_1', 'pool:pool_2'], 'failed': [],
         'not_started': []},
        {'processes': ['pool:pool_3', 'pool:pool_4'], 'ready': ['pool:pool_4'], 'failed': ['pool:pool_3'],
         'not_started': []},
        {'processes': ['pool:pool_5', 'pool:pool_6'], 'ready': [], 'failed': [],
         'not_started': ['pool:pool_5', 'pool:pool_6']}]
    assert failed.result['restarted'] == ['pool:pool_1', 'pool:pool_2', 'pool:pool_4']
    assert failed.result['not_restarted'] == ['pool:pool_3', 'pool:pool_5', 'pool:pool_6']
    assert [f.name for f in failed.failures] == ['pool:pool_3'] and failed.changed is True
    assert len(failed.result['processes']) == 6


def test_ready_alone_waits_for_every_process_at_once_and_fails_as_any_task():
    clock = Clock()
    daemon = pool(clock, count=3, pool_2=dict(never_ready=True))
    with pytest.raises(TaskFailed) as raised:
        run_task(daemon, clock, rolling=None)
    assert str(raised.value) == "pool:pool_2: not ready after 4 s: no line matching 'ready on' since its start"
    assert daemon.stops() == [['pool_1', 'pool_2', 'pool_3']]
    assert raised.value.result['not_restarted'] == ['pool:pool_2']


def test_check_mode_returns_the_planned_batches_and_sends_nothing_but_reads():
    clock = Clock()
    daemon = pool(clock, count=3)
    result = run_task(daemon, clock, check_mode=True)
    assert result['batches'] == [
        {'processes': ['pool:pool_1', 'pool:pool_2'], 'ready': ['pool:pool_1', 'pool:pool_2'], 'failed': [],
         'not_started': []},
        {'processes': ['pool:pool_3'], 'ready': ['pool:pool_3'], 'failed': [], 'not_started': []}]
    assert result['changed'] is True and daemon.requests == []


def test_a_rolling_start_says_started():
    clock = Clock()
    daemon = pool(clock, count=4, pool_1=dict(statename='STOPPED'), pool_2=dict(statename='STOPPED', never_ready=True),
                  pool_3=dict(statename='STOPPED'))
    with pytest.raises(TaskFailed) as raised:
        run_task(daemon, clock, state='started', rolling=dict(size=1, pause=0.0, window=False))
    assert str(raised.value) == ("rolling start stopped at batch 2 of 3: pool:pool_2 not ready after 4 s: no line "
                                 "matching 'ready on' since its start; 1 started, 1 not touched")
