"""Rolling restarts with readiness on a real supervisord and a real pool of workers.

The pool (tests/support/pool.py) is six workers that warm up for a second, then listen on
BASE + their number and print a ready line; a prober counts every 50 ms how many of them accept
connections while the play runs. Every test goes through ansible-playbook, on both paths
(conftest.py), except the one that records the requests of a roll.
"""

import os
import re
import sys

import pytest

from tests.integration.modules.test_process_reads import assert_sequence, defaults, line, polls
from tests.support.ansible import run_playbook, sv_task
from tests.support.pool import (
    READY_LINE,
    Prober,
    free_base,
    listening,
    pool_program,
    wait_listening,
    worker_command,
)
from tests.support.recording import RecordingClient, RecordingTask
from tests.support.supervisord import SLEEPER, Supervisord
from ansible_collections.supervisor.control.plugins.modules import process

COUNT = 6
NOISY = 50  # the noisy worker's number: it listens on BASE + 50


class Pool(object):
    def __init__(self, daemon, base, control):
        self.daemon = daemon
        self.base = base
        self.control = control
        self.ports = [base + n for n in range(1, COUNT + 1)]
        self.names = ['pool:pool_%d' % n for n in range(1, COUNT + 1)]
        self.markers = []

    @property
    def port_template(self):
        return '%d{num:02d}' % (self.base // 100)

    def pids(self):
        return [self.daemon.info(name)['pid'] for name in self.names]

    def mark(self, marker, num):
        """Change worker ``num`` from its next start on (pool_worker.py's markers)."""
        path = os.path.join(self.control, '%s-%d' % (marker, num))
        open(path, 'w').close()
        self.markers.append(path)

    def log(self, num):
        with open(os.path.join(self.daemon.logdir, 'pool_%d.out' % num), 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')

    def times(self, num, what):
        """The times worker ``num`` printed ``what`` (a regular expression: ``ready on PORT``, ``stopping``, ...)
        followed by `` at TIME``, in order."""
        return [float(t) for t in re.findall(r'%s at (\d+\.\d+)' % what, self.log(num))]

    def reset(self):
        for path in self.markers:
            os.unlink(path)
        self.markers = []
        for name, port in zip(self.names, self.ports):
            if port not in listening([port]):
                self.daemon.stop_process(name)
                self.daemon.start_process(name)
        wait_listening(self.ports)


@pytest.fixture(scope='module')
def pool_daemon(execution_path, tmp_path_factory):
    """A daemon for each path: the pool, a noisy worker with a small rotated log, one that crashes, one without log."""
    directory = str(tmp_path_factory.mktemp('rolling'))
    control = os.path.join(directory, 'control')
    os.makedirs(control)
    base = free_base(NOISY)
    programs = {
        'pool': pool_program(base, COUNT, control),
        'noisy': dict(command=worker_command(base, control, warmup=0.2, noisy=True).replace(
            '%(process_num)d', str(NOISY)), startsecs=0, stdout_logfile_maxbytes=1024, stdout_logfile_backups=1),
        'crashy': dict(command="sh -c 'echo up; sleep 2; exit 1'", startsecs=1, autostart=False, autorestart=False),
        'silent': dict(command=SLEEPER, startsecs=0, stdout_logfile='NONE'),
    }
    with Supervisord(os.path.join(directory, 'supervisord'), programs=programs) as daemon:
        instance = Pool(daemon, base, control)
        wait_listening(instance.ports + [base + NOISY])
        yield instance


@pytest.fixture
def pool(pool_daemon):
    pool_daemon.reset()
    try:
        yield pool_daemon
    finally:
        pool_daemon.reset()


def task(title, pool, module='process', **args):
    args.setdefault('name', 'pool')
    args.setdefault('timeout', 15)
    return sv_task(module, title, pool.daemon, **args)


def all_listen(pool):
    """A task that fails unless every worker accepts a connection: run right after a roll."""
    script = 'import socket\nfor port in %r:\n    socket.create_connection(("127.0.0.1", port), 1).close()' % (
        pool.ports,)
    return {'name': 'all listen', 'ansible.builtin.command': {'argv': [sys.executable, '-c', script]},
            'ignore_errors': True}


READY = {'log': READY_LINE}


def test_a_plain_restart_takes_the_whole_pool_down(pool, tmp_path):
    """The prober sees downtime: what the rolling tests below show there is none of."""
    with Prober(pool.ports) as prober:
        run = run_playbook([task('restart', pool, state='restarted')], tmp_path)
    assert run.task('restart')['status'] == 'changed', run
    assert prober.lowest == 0


def test_a_rolling_restart_keeps_all_but_size_serving_and_returns_when_all_listen(pool, tmp_path):
    before = pool.pids()
    with Prober(pool.ports) as prober:
        run = run_playbook([task('roll', pool, state='restarted', rolling={'size': 2}, ready=READY),
                            all_listen(pool)], tmp_path)
    result = run.result('roll')
    assert run.task('roll')['status'] == 'changed', run
    assert run.task('all listen')['status'] == 'changed', run
    assert prober.lowest == COUNT - 2
    assert result['batches'] == [
        {'processes': pool.names[i:i + 2], 'ready': pool.names[i:i + 2], 'failed': [], 'not_started': []}
        for i in (0, 2, 4)]
    assert (result['restarted'], result['not_restarted']) == (pool.names, [])
    assert all(new != old for new, old in zip(pool.pids(), before))
    assert [p['pid'] for p in result['processes']] == pool.pids()


def test_a_batch_whose_worker_never_gets_ready_stops_the_roll_and_the_rest_keep_their_pids(pool, tmp_path):
    pool.mark('never-ready', 3)
    before = pool.pids()
    run = run_playbook([task('roll', pool, state='restarted', rolling={'size': 2}, ready=READY, timeout=4)],
                       tmp_path)
    result = run.result('roll')
    assert run.task('roll')['status'] == 'failed', run
    assert result['msg'] == ("rolling restart stopped at batch 2 of 3: pool:pool_3 not ready after 4 s: no line "
                             "matching 'ready on' since its start; 3 restarted, 2 not touched")
    assert result['changed'] is True
    assert result['batches'][1] == {'processes': ['pool:pool_3', 'pool:pool_4'], 'ready': ['pool:pool_4'],
                                    'failed': ['pool:pool_3'], 'not_started': []}
    assert result['restarted'] == ['pool:pool_1', 'pool:pool_2', 'pool:pool_4']
    assert result['not_restarted'] == ['pool:pool_3', 'pool:pool_5', 'pool:pool_6']
    assert [f['name'] for f in result['failures']] == ['pool:pool_3']
    after = pool.pids()
    assert after[4:] == before[4:]  # later batches untouched
    assert all(new != old for new, old in zip(after[:4], before[:4]))
    assert pool.daemon.info('pool:pool_3')['statename'] == 'RUNNING'  # left as supervisord has it


def test_a_canary_goes_alone_then_the_rest_by_size_each_probed_on_its_port_and_url(pool, tmp_path):
    with Prober(pool.ports) as prober:
        run = run_playbook([task('roll', pool, state='restarted', rolling={'size': [1, '50%']},
                                 ready={'port': pool.port_template, 'url': '/health'})], tmp_path)
    result = run.result('roll')
    assert run.task('roll')['status'] == 'changed', run
    assert [b['processes'] for b in result['batches']] == [pool.names[:1], pool.names[1:4], pool.names[4:]]
    assert prober.lowest == COUNT - 3
    # each batch was ready (its workers said so) before the next one was started (its workers said so)
    started = [pool.times(n, r'warming up \(pid \d+\)')[-1] for n in range(1, COUNT + 1)]
    ready = [pool.times(n, 'ready on %d' % port)[-1] for n, port in zip(range(1, COUNT + 1), pool.ports)]
    assert max(ready[:1]) < min(started[1:4]) and max(ready[1:4]) < min(started[4:])


def test_the_group_module_rolls_too(pool, tmp_path):
    run = run_playbook([task('roll', pool, module='group', state='restarted', rolling={'size': '50%'},
                             ready={'port': pool.port_template})], tmp_path)
    result = run.result('roll')
    assert run.task('roll')['status'] == 'changed', run
    assert [b['ready'] for b in result['batches']] == [pool.names[:3], pool.names[3:]]
    assert result['groups_added'] == []


def test_uptime_catches_a_crash_after_startsecs(pool, tmp_path):
    run = run_playbook([
        task('running is enough', pool, name='crashy', state='restarted'),
        task('up for 4 s', pool, name='crashy', state='restarted', ready={'uptime': 4}),
    ], tmp_path)
    assert run.task('running is enough')['status'] == 'changed', run
    failed = run.task('up for 4 s')
    assert failed['status'] == 'failed', run
    assert re.fullmatch(r'crashy: exited before it was ready: up 1 s with pid \d+, needs uptime 4 s; Bad exit code 1; '
                        r'exit status 1 \(from the main log\)', failed['result']['msg']), failed['result']['msg']
    assert failed['result']['restarted'] == [] and failed['result']['not_restarted'] == ['crashy']


@pytest.mark.releases  # log bytes: sent as they are before 4.0
def test_a_ready_line_is_found_across_a_rotation_bad_bytes_and_colours(pool, tmp_path):
    """noisy writes 700 bytes then its ready line: the restart rotates its 1 KB log below the mark."""
    run = run_playbook([task('noisy', pool, name='noisy', state='restarted', timeout=8,
                             ready={'log': r'ready on \d+$'})], tmp_path)
    assert run.task('noisy')['status'] == 'changed', run
    logs = pool.daemon.logdir
    with open(os.path.join(logs, 'noisy_0.out'), 'rb') as handle:
        current = handle.read()
    # what the new log holds is shorter than the size marked before the start: only the rotation explains it
    assert current.endswith(b'\n\xff\xfe \x1b[32mready on %d\x1b[0m\n' % (pool.base + NOISY)), current
    assert len(current) < 700 and os.path.exists(os.path.join(logs, 'noisy_0.out.1'))


def test_check_mode_returns_the_planned_batches_and_changes_nothing(pool, tmp_path):
    before = pool.pids()
    run = run_playbook([task('plan', pool, state='restarted', rolling={'size': '50%'},
                             ready={'log': READY_LINE, 'port': pool.port_template})], tmp_path, check=True)
    result = run.result('plan')
    assert run.task('plan')['status'] == 'changed', run
    assert [b['processes'] for b in result['batches']] == [pool.names[:3], pool.names[3:]]
    assert result['restarted'] == pool.names and pool.pids() == before


def test_options_that_cannot_be_used_are_refused_in_one_line_before_anything_is_done(pool, tmp_path):
    silent_pid = pool.daemon.info('silent')['pid']
    before = pool.pids()
    rolling = {'size': 2}
    run = run_playbook([
        task('no log', pool, name='silent', state='restarted', ready=READY),
        dict(task('no log, check mode', pool, name='silent', state='restarted', ready=READY), check_mode=True),
        task('no wait', pool, state='restarted', rolling=rolling, wait=False),
        task('stopped', pool, state='stopped', rolling=rolling),
        task('strategy', pool, state='restarted', rolling=rolling, strategy='LOCAL'),
        task('group present', pool, module='group', state='present', ready=READY),
        task('size', pool, state='restarted', rolling={'size': '25 percent'}),
        task('size zero', pool, state='restarted', rolling={'size': 0}),
        task('regex', pool, state='restarted', ready={'log': 'ready (on'}),
        dict(task('template, check mode', pool, state='restarted', ready={'port': '{nmu}'}), check_mode=True),
        task('template', pool, state='restarted', ready={'url': 'http://{hots}/'}),
        task('unknown key', pool, state='restarted', rolling={'sise': 2}),
    ], tmp_path)
    expected = {
        'no log': 'ready.log needs the stdout log of silent, but its stdout_logfile is NONE: supervisord keeps no '
                  'log there to find the line in',
        'no wait': 'rolling needs wait=true: a roll and a readiness check are waits',
        'stopped': 'rolling needs state=restarted or state=started, got state=stopped',
        'strategy': 'rolling cannot be used with strategy yet: Supvisors starts and stops processes across the '
                    'cluster, where this module cannot roll them',
        'group present': 'ready needs state=restarted or state=started, got state=present',
        'size': "rolling.size '25 percent' is not a number of processes nor a percentage such as \"25%\"",
        'size zero': 'rolling.size 0: give 1 or more processes, or a percentage such as "25%"',
        'regex': "ready.log 'ready (on' is not a regular expression: missing ), unterminated subpattern at "
                 "position 6",
        'template, check mode': "ready.port '{nmu}': unknown field {nmu}: use {group}, {name}, {num}",
        'template': "ready.url 'http://{hots}/': unknown field {hots}: use {group}, {host}, {name}, {num}, {port}",
    }
    expected['no log, check mode'] = expected['no log']
    for title, message in expected.items():
        result = run.task(title)
        assert result['status'] == 'failed', (title, result)
        assert (result['result']['msg'], result['result']['changed']) == (message, False), title
    unknown = run.task('unknown key')['result']['msg']
    assert unknown.startswith('Unsupported parameters for') and 'rolling' in unknown and 'sise' in unknown, unknown
    assert pool.pids() == before and pool.daemon.info('silent')['pid'] == silent_pid


@pytest.mark.releases  # the requests depend on the release
def test_one_poll_of_a_roll_is_one_request_with_the_log_reads(pool):
    """The exact requests of a roll of two named workers, one at a time, ready by their log."""
    client = RecordingClient(pool.daemon.client().settings)
    params = dict(defaults(process), name=['pool:pool_1', 'pool:pool_2'], state='restarted', timeout=15,
                  rolling=dict(size=1, pause=0.0, window=False),
                  ready=dict(log=READY_LINE, uptime=None, port=None, url=None, status_code=[200], host=None))
    result = process.run(RecordingTask(params, client))
    assert result['restarted'] == ['pool:pool_1', 'pool:pool_2']

    def worker(name):
        info = 'getProcessInfo(pool:%s)' % name
        logs = ('tailProcessStdoutLog(pool:{0},0,0) readProcessStdoutLog(pool:{0},OFFSET,1048576) '
                'tailProcessStderrLog(pool:{0},0,0) readProcessStderrLog(pool:{0},0,1048576)').format(name)
        return [line('stopProcess(pool:%s,False)' % name),
                polls(info),
                line('tailProcessStdoutLog(pool:{0},0,0) tailProcessStderrLog(pool:{0},0,0) '
                     'startProcess(pool:{0},False)'.format(name)),
                polls(info + ' ' + logs).replace('OFFSET', r'\d+')]
    assert_sequence(client.requests, line('getSupervisorVersion'),
                    line('getState getProcessInfo(pool:pool_1) getProcessInfo(pool:pool_2)'),
                    *(worker('pool_1') + worker('pool_2') +
                      [line('getProcessInfo(pool:pool_1) getProcessInfo(pool:pool_2)')]))


def test_a_window_brings_the_others_back_without_waiting_for_one_slow_to_stop(pool, tmp_path):
    """Last: pool_1 stays slow to stop until it is restarted again."""
    pool.mark('slow-stop', 1)
    pool.daemon.stop_process('pool:pool_1')
    pool.daemon.start_process('pool:pool_1')  # now it takes 4 s to stop
    wait_listening(pool.ports)
    with Prober(pool.ports) as prober:
        run = run_playbook([task('roll', pool, state='restarted', rolling={'size': 2, 'window': True},
                                 ready=READY)], tmp_path)
    assert run.task('roll')['status'] == 'changed', run
    assert prober.lowest == COUNT - 2
    assert len(pool.times(1, 'stopping')) == 1
    # pool_3 went out and came back while pool_1 was still stopping: lockstep would have waited for pool_1
    assert pool.times(3, 'ready on %d' % pool.ports[2])[-1] < pool.times(1, 'ready on %d' % pool.ports[0])[-1]
