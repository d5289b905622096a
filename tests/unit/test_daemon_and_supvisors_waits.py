"""The waits of the daemon and supvisors modules, on an injected clock: DaemonController and ClusterController.

A real restart or shutdown of supervisord, or of a Supvisors cluster, is
tested in tests/integration (the daemon module) and the Supvisors test beds;
here a scripted daemon answers by the clock, so that deadlines, the retried
errors and the pause after a restart are checked without waiting.
"""

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.daemon_controller import (  # noqa: E402
    GONE,
    REOPEN_GRACE,
    RESTART_SETTLE,
    SHUTTING_DOWN as SHUTTING_DOWN_STATE,
    DaemonController,
)
from ansible_collections.supervisor.control.plugins.module_utils.errors import (  # noqa: E402
    SupervisorConnectionError,
    SupervisorFault,
)
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_controller import (  # noqa: E402
    ClusterController,
)

REFUSED = SupervisorConnectionError('connection refused', nobody_listens=True)
TIMED_OUT = SupervisorConnectionError('timed out after 30 seconds')
SHUTTING_DOWN = SupervisorFault(6, 'SHUTDOWN_STATE')


class Clock(object):
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedDaemon(object):
    """Answers by the clock: ``timeline`` is ``[(from_time, answer)]``; an exception answer is raised.

    For supervisord the answer is its state name (or an error); for
    Supvisors, the fsm state name.
    """

    url = 'unix:///scripted.sock'

    def __init__(self, clock, timeline, refuse=None):
        self.clock = clock
        self.timeline = timeline
        self.refuse = refuse or {}
        self.calls = []
        self.reads = []

    def answer(self):
        now = self.clock()
        current = None
        for start, answer in self.timeline:
            if now >= start:
                current = answer
        self.reads.append(now)
        if isinstance(current, Exception):
            raise current
        return current

    def call(self, method, *params):
        self.calls.append(method)
        if method in self.refuse:
            raise self.refuse[method]
        if method in ('supervisor.restart', 'supervisor.shutdown'):
            return True
        if method == 'supvisors.get_supvisors_state':
            return {'fsm_statename': self.answer()}
        raise AssertionError('unexpected call %s' % method)

    def multicall(self, calls, lenient=False):
        """As SupervisorClient.multicall: a lost connection raises, a fault comes back in every entry."""
        assert calls[0][0] == 'supervisor.getState', calls
        try:
            state = self.answer()
        except SupervisorFault as fault:
            return [fault] * len(calls)
        return [{'statename': state, 'statecode': 1}, '4.3.0', '3.0', 'supervisor', 4242]


def daemon_controller(daemon, clock, timeout=5):
    return DaemonController(daemon, timeout, clock=clock, sleep=clock.sleep)


def cluster_controller(daemon, clock, timeout=5):
    return ClusterController(daemon, timeout, clock=clock, sleep=clock.sleep)


# DaemonController.restart

def test_restart_waits_through_refusals_and_faults_until_running():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, REFUSED), (0.5, SHUTTING_DOWN), (0.9, 'RESTARTING'), (1.3, 'RUNNING')])
    controller = daemon_controller(daemon, clock)
    facts = controller.restart()
    assert facts == {'state': 'RUNNING', 'statecode': 1, 'version': '4.3.0', 'api_version': '3.0',
                     'identification': 'supervisor', 'pid': 4242, 'server_url': daemon.url}
    assert daemon.calls == ['supervisor.restart']
    assert controller.acted is True
    # The first read comes after the settle pause, then one every poll interval until RUNNING.
    assert clock.sleeps[0] == RESTART_SETTLE
    assert daemon.reads == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4])


def test_restart_not_back_within_the_timeout_gives_none_at_the_deadline():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'RESTARTING')])
    controller = daemon_controller(daemon, clock, timeout=3)
    assert controller.restart() is None
    assert controller.acted is True
    # The timeout counts from the end of the settle pause, as before.
    assert daemon.reads[-1] > RESTART_SETTLE + 3
    assert daemon.reads[-2] <= RESTART_SETTLE + 3


def test_restart_refused_by_the_daemon_raises_and_has_not_acted():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'RUNNING')], refuse={'supervisor.restart': SHUTTING_DOWN})
    controller = daemon_controller(daemon, clock)
    with pytest.raises(SupervisorFault) as raised:
        controller.restart()
    assert raised.value.name == 'SHUTDOWN_STATE'
    assert controller.acted is False
    assert daemon.reads == [] and clock.sleeps == []


# DaemonController.shutdown: gone is gone (nothing listens), not the SHUTDOWN_STATE faults that supervisord
# answers while it stops its processes.

def test_shutdown_waits_until_nothing_answers():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'RUNNING'), (0.7, REFUSED)])
    controller = daemon_controller(daemon, clock)
    assert controller.shutdown() == GONE
    assert daemon.calls == ['supervisor.shutdown']
    assert controller.acted is True
    assert daemon.reads == pytest.approx([0, 0.2, 0.4, 0.6, 0.8])


@pytest.mark.parametrize('refuse, acted', [({}, True), ({'supervisor.shutdown': SHUTTING_DOWN}, False)])
def test_shutdown_waits_while_every_call_faults_until_nothing_answers(refuse, acted):
    # supervisord in its SHUTDOWN state answers every call with SHUTDOWN_STATE, the shutdown call too when one
    # is already under way (then this task did not act), until it has stopped its processes and exited.
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'RUNNING'), (0.5, SHUTTING_DOWN), (1.5, TIMED_OUT), (2.5, REFUSED)],
                            refuse=refuse)
    controller = daemon_controller(daemon, clock)
    assert controller.shutdown() == GONE
    assert controller.acted is acted
    # Another client's shutdown may be a restart, which reopens its sockets: gone is looked at again.
    assert daemon.reads[-1] == pytest.approx(2.6 if acted else 2.6 + REOPEN_GRACE)


def test_shutdown_other_fault_raises_before_any_wait():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'RUNNING')],
                            refuse={'supervisor.shutdown': SupervisorFault(1, 'UNKNOWN_METHOD')})
    controller = daemon_controller(daemon, clock)
    with pytest.raises(SupervisorFault) as raised:
        controller.shutdown()
    assert raised.value.name == 'UNKNOWN_METHOD'
    assert controller.acted is False
    assert daemon.reads == []


@pytest.mark.parametrize('timeline, end', [
    ([(0, 'RUNNING')], 'RUNNING'),
    ([(0, SHUTTING_DOWN)], SHUTTING_DOWN_STATE),
])
def test_shutdown_still_there_at_the_deadline_says_how(timeline, end):
    clock = Clock()
    daemon = ScriptedDaemon(clock, timeline)
    found = daemon_controller(daemon, clock, timeout=2).shutdown()
    assert (found['state'] if isinstance(found, dict) else found) == end
    assert daemon.reads[-1] > 2 >= daemon.reads[-2]


def test_shutdown_raises_a_retried_error_still_there_at_the_deadline():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, TIMED_OUT)])
    with pytest.raises(SupervisorConnectionError) as raised:
        daemon_controller(daemon, clock, timeout=2).shutdown()
    assert raised.value is TIMED_OUT


# DaemonController.look and settle: what a task that finds the daemon shutting down (or restarting) waits for.

@pytest.mark.parametrize('answer, expected', [(REFUSED, GONE), (SHUTTING_DOWN, SHUTTING_DOWN_STATE)])
def test_look(answer, expected):
    clock = Clock()
    assert daemon_controller(ScriptedDaemon(clock, [(0, answer)]), clock).look() == expected


@pytest.mark.parametrize('error', [TIMED_OUT, SupervisorFault(1, 'UNKNOWN_METHOD')])
def test_look_raises_what_says_nothing_of_the_daemon(error):
    clock = Clock()
    with pytest.raises(type(error)):
        daemon_controller(ScriptedDaemon(clock, [(0, error)]), clock).look()


@pytest.mark.parametrize('then, expected, last_read', [(REFUSED, GONE, 1.0 + REOPEN_GRACE), ('RUNNING', 'RUNNING', 1.0)])
def test_settle_waits_while_shutting_down_until_gone_or_back(then, expected, last_read):
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, SHUTTING_DOWN), (0.5, TIMED_OUT), (1.0, then)])
    found = daemon_controller(daemon, clock).settle()
    assert (found['state'] if isinstance(found, dict) else found) == expected
    # Gone is looked at again REOPEN_GRACE later: a restart may be opening its sockets again.
    assert daemon.reads[-1] == pytest.approx(last_read)
    assert daemon.calls == []


@pytest.mark.parametrize('refuse', [{}, {'supervisor.shutdown': SHUTTING_DOWN}], ids=['asked', 'another client'])
def test_a_restart_reopening_its_sockets_is_not_gone_unless_this_task_shut_it_down(refuse):
    # What a soft restart looks like from outside: SHUTDOWN_STATE while it stops its processes, then nothing
    # listens for a few milliseconds (here one poll), then RUNNING with the same pid.
    clock = Clock()
    timeline = [(0, SHUTTING_DOWN), (1.0, REFUSED), (1.05, 'RUNNING')]
    assert daemon_controller(ScriptedDaemon(clock, timeline), clock).settle()['state'] == 'RUNNING'
    clock = Clock()
    found = daemon_controller(ScriptedDaemon(clock, timeline, refuse=refuse), clock).shutdown()
    # A shutdown this task asked for is final: nothing can restart the daemon after it.
    assert (found['state'] if isinstance(found, dict) else found) == (GONE if not refuse else 'RUNNING')


def test_settle_still_shutting_down_at_the_deadline():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, SHUTTING_DOWN)])
    assert daemon_controller(daemon, clock, timeout=3).settle() == SHUTTING_DOWN_STATE
    assert daemon.reads[-1] > 3 >= daemon.reads[-2]


# ClusterController.wait_state

def test_wait_state_polls_until_the_predicate_holds():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'INITIALIZATION'), (1, 'DISTRIBUTION'), (2, 'OPERATION')])
    judged = []

    def operational(state):
        judged.append(state)
        return state == 'OPERATION'
    assert cluster_controller(daemon, clock).wait_state(operational, 10) == (True, 'OPERATION')
    assert daemon.reads == [0, 0.5, 1.0, 1.5, 2.0]
    # The predicate is asked once per answer (the conciliation's predicate makes a call of its own).
    assert judged == ['INITIALIZATION', 'INITIALIZATION', 'DISTRIBUTION', 'DISTRIBUTION', 'OPERATION']


def test_wait_state_gives_the_last_state_when_the_deadline_passes():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'OPERATION'), (1, 'CONCILIATION')])
    ok, last = cluster_controller(daemon, clock).wait_state(lambda s: s == 'RESTARTING', 3)
    assert (ok, last) == (False, 'CONCILIATION')
    assert daemon.reads[-1] == 3.5


def test_wait_state_passes_none_for_a_daemon_nobody_listens_at():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'SHUTTING_DOWN'), (1, REFUSED)])
    assert cluster_controller(daemon, clock).wait_state(lambda s: s is None, 10) == (True, None)
    assert daemon.reads[-1] == 1.0


def test_wait_state_none_while_restarting_is_a_state_like_any_other():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, REFUSED), (1, 'INITIALIZATION'), (2, 'OPERATION')])
    judged = []

    def operational(state):
        judged.append(state)
        return state == 'OPERATION'
    assert cluster_controller(daemon, clock).wait_state(operational, 10) == (True, 'OPERATION')
    assert judged[:2] == [None, None]


def test_wait_state_retries_other_connection_errors_without_judging_them():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, TIMED_OUT), (1, 'OPERATION')])
    judged = []

    def operational(state):
        judged.append(state)
        return state == 'OPERATION'
    assert cluster_controller(daemon, clock).wait_state(operational, 10) == (True, 'OPERATION')
    assert judged == ['OPERATION']
    assert daemon.reads == [0, 0.5, 1.0]


def test_wait_state_raises_a_retried_error_once_the_deadline_has_passed():
    clock = Clock()
    daemon = ScriptedDaemon(clock, [(0, 'INITIALIZATION'), (1, TIMED_OUT)])
    with pytest.raises(SupervisorConnectionError) as raised:
        cluster_controller(daemon, clock).wait_state(lambda s: s == 'OPERATION', 2)
    assert raised.value is TIMED_OUT
    assert daemon.reads[-1] == 2.5


class JumpingClock(Clock):
    """A clock that jumps forward after its ``reads``-th read at ``at``: time passes between two reads."""

    def __init__(self, at, reads, jump):
        super(JumpingClock, self).__init__()
        self.at = at
        self.reads = reads
        self.jump = jump

    def __call__(self):
        now = self.now
        if now == self.at and self.jump:
            self.reads -= 1
            if not self.reads:
                self.now += self.jump
                self.jump = 0
        return now


@pytest.mark.parametrize('after, expected', [
    (TIMED_OUT, None),
    ('OPERATION', (True, 'OPERATION')),
    ('INITIALIZATION', (False, 'INITIALIZATION')),
])
def test_wait_state_reads_once_more_when_the_deadline_passes_just_after_a_retried_error(after, expected):
    # The error is read before the deadline, the deadline has passed when poll
    # looks: the old loop slept and read once more, and so does this one.
    # At 1.5 the daemon's answer and the error's deadline check read 1.5; poll's check reads 2.5.
    clock = JumpingClock(at=1.5, reads=2, jump=1.0)
    daemon = ScriptedDaemon(clock, [(0, 'INITIALIZATION'), (1.5, TIMED_OUT), (2.5, after)])
    controller = cluster_controller(daemon, clock)
    if expected is None:
        with pytest.raises(SupervisorConnectionError) as raised:
            controller.wait_state(lambda s: s == 'OPERATION', 2)
        assert raised.value is TIMED_OUT
    else:
        assert controller.wait_state(lambda s: s == 'OPERATION', 2) == expected
    assert daemon.reads == [0, 0.5, 1.0, 1.5, 3.0]
