"""supervisor.control.daemon against a real supervisord."""

import os

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.supervisord import Supervisord, wait_for_text

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases


def task(title, daemon, **args):
    return sv_task('daemon', title, daemon, **args)


def test_running_and_reloaded(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.write_program('added', dict(command='sleep 100000', startsecs=0))
    daemon.remove_program_file('idle')
    daemon.write_program('sleeper', dict(command='sleep 100001', startsecs=0))
    run = run_playbook([task('check reload', daemon, state='reloaded')], tmp_path, check=True, diff=True)
    check = run.task('check reload')
    assert check['status'] == 'changed', run
    diff = check['result']['diff']
    assert diff == {'before': {'groups': ['crasher', 'dier', 'idle', 'sleeper', 'web', 'worker']},
                    'after': {'groups': ['added', 'crasher', 'dier', 'sleeper', 'web', 'worker'],
                              'updated': ['sleeper']}}
    assert 'added' not in {i['group'] for i in daemon.rpc('supervisor.getAllProcessInfo')}

    run = run_playbook([
        task('running', daemon),
        task('reload', daemon, state='reloaded'),
        task('reload again', daemon, state='reloaded'),
    ], tmp_path)
    assert run.task('running')['status'] == 'ok'
    assert run.result('running')['supervisord']['state'] == 'RUNNING'
    reload = run.result('reload')
    assert (reload['groups_added'], reload['groups_updated'], reload['groups_removed']) == (
        ['added'], ['sleeper'], ['idle']), run
    assert run.task('reload again')['status'] == 'ok'
    groups = {i['group'] for i in daemon.rpc('supervisor.getAllProcessInfo')}
    assert groups == {'added', 'crasher', 'dier', 'sleeper', 'web', 'worker'}


def test_clear_logs(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.write_program('talker', dict(command="sh -c 'echo hello; exec sleep 100000'", startsecs=0))
    daemon.rpc('supervisor.reloadConfig')
    daemon.rpc('supervisor.addProcessGroup', 'talker')
    daemon.wait_state('talker:talker', 'RUNNING')
    run = run_playbook([
        task('clear', daemon, clear_logs=['main', 'processes']),
        task('clear processes again', daemon, clear_logs=['processes']),
    ], tmp_path)
    assert run.task('clear')['status'] == 'changed', run
    # the other programs never wrote a byte: only talker's log had something to clear
    assert run.result('clear')['logs_cleared'] == ['talker']
    assert run.result('clear')['main_log_cleared'] is True
    assert run.task('clear processes again')['status'] == 'ok'
    assert run.result('clear processes again')['main_log_cleared'] is False
    assert daemon.rpc('supervisor.readProcessStdoutLog', 'talker', 0, 0) == ''


def test_restarted_then_stopped(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    old_pid = daemon.info('sleeper:sleeper')['pid']
    run = run_playbook([
        task('restart', daemon, state='restarted'),
        task('stop', daemon, state='stopped'),
        task('stop again', daemon, state='stopped'),
        task('running when down', daemon),
    ], tmp_path)
    assert run.task('restart')['status'] == 'changed', run
    assert run.result('restart')['supervisord']['state'] == 'RUNNING'
    assert run.task('stop')['status'] == 'changed'
    assert run.task('stop again')['status'] == 'ok'
    down = run.task('running when down')
    assert down['status'] == 'failed'
    assert down['result']['msg'] == (
        'socket %s does not exist: is supervisord running, and is this the file of its '
        '[unix_http_server] section?' % daemon.socket)
    daemon.proc.wait(timeout=10)
    # supervisord reaps its children before it exits: not even a zombie is left
    assert not os.path.exists('/proc/%d' % old_pid)


# Stopped means gone. supervisord answers SHUTDOWN_STATE to every call while it stops its
# processes, each for up to its stopwaitsecs: this program ignores SIGTERM, so that takes stopwaitsecs.
STUBBORN = dict(command="sh -c \"trap '' TERM; echo ready; exec sleep 100000\"", startsecs=0)


def stubborn_daemon(tmp_path, stopwaitsecs):
    return Supervisord(str(tmp_path / 'supervisord'), programs={'stubborn': dict(STUBBORN, stopwaitsecs=stopwaitsecs)})


def test_stopped_returns_once_the_daemon_is_gone(tmp_path):
    with stubborn_daemon(tmp_path, 3) as daemon:
        wait_for_text(os.path.join(daemon.logdir, 'stubborn_0.out'), b'ready\n')
        run = run_playbook([
            task('stop', daemon, state='stopped'),
            task('stop again', daemon, state='stopped'),
            task('stop and clear', daemon, state='stopped', clear_logs=['main']),
        ], tmp_path)
        stop = run.task('stop')
        assert (stop['status'], stop['result']['supervisord']) == ('changed', {}), run
        # Gone: it stopped its process (SIGKILL after stopwaitsecs) and removed its socket before it exited.
        with open(os.path.join(daemon.directory, 'supervisord.log')) as handle:
            assert "killing 'stubborn'" in handle.read()
        assert not os.path.exists(daemon.socket)
        again = run.task('stop again')
        assert (again['status'], again['result']['msg']) == (
            'ok', 'supervisord is not running: nothing listens at %s' % daemon.server_url), run
        # clear_logs was ignored with state=stopped, and logs_cleared missing: refused before anything is sent.
        refused = run.task('stop and clear')
        assert (refused['status'], refused['result']['changed'], refused['result']['msg']) == (
            'failed', False, 'clear_logs=main cannot be used with state=stopped: supervisord clears logs only while it '
                             'runs; clear them in a task before the one that stops it'), run
        daemon.proc.wait(timeout=10)


def test_a_daemon_shutting_down_is_no_error_for_stopped_and_a_clear_one_for_the_other_states(tmp_path):
    with stubborn_daemon(tmp_path, 20) as daemon:
        wait_for_text(os.path.join(daemon.logdir, 'stubborn_0.out'), b'ready\n')
        url = daemon.server_url
        run = run_playbook([
            task('stop', daemon, state='stopped', timeout=1),
            task('running', daemon),
            task('reloaded', daemon, state='reloaded'),
            task('restarted', daemon, state='restarted'),
            task('clear', daemon, clear_logs=['main']),
            task('stop again', daemon, state='stopped', timeout=1),
            task('stop and wait', daemon, state='stopped', timeout=60),
        ], tmp_path)
        stop = run.task('stop')
        assert stop['status'] == 'failed', run
        assert (stop['result']['changed'], stop['result']['msg']) == (
            True, 'supervisord at %s is still shutting down 1 seconds after shutdown: it stops its processes, each '
                  'for up to its stopwaitsecs; raise timeout to wait until it is gone' % url), run
        assert stop['result']['supervisord']['state'] == 'SHUTDOWN'
        for title in ('running', 'reloaded', 'restarted', 'clear'):
            result = run.task(title)
            assert (result['status'], result['result']['changed'], result['result']['msg']) == (
                'failed', False, 'supervisord at %s is shutting down or restarting (it answers every call with '
                                 'SHUTDOWN_STATE until it has stopped its processes, each within its stopwaitsecs): '
                                 'try again once it is back after a restart, or start it again after a shutdown' % url), (
                title, run)
        again = run.task('stop again')
        assert (again['status'], again['result']['changed'], again['result']['msg']) == (
            'failed', False, 'supervisord at %s was already shutting down or restarting, and still is 1 seconds '
                             'later: it stops its processes, each for up to its stopwaitsecs; raise timeout to wait '
                             'until it is gone' % url), run
        waited = run.task('stop and wait')
        assert (waited['status'], waited['result']['msg']) == (
            'ok', 'supervisord at %s was already shutting down; it is gone' % url), run
        assert not os.path.exists(daemon.socket)
        daemon.proc.wait(timeout=10)


def test_stopped_while_restarting_waits_until_it_is_back_then_stops_it(tmp_path):
    with stubborn_daemon(tmp_path, 3) as daemon:
        ready = os.path.join(daemon.logdir, 'stubborn_0.out')
        wait_for_text(ready, b'ready\n')
        pid = daemon.rpc('supervisor.getPID')
        # A soft restart (supervisorctl reload): SHUTDOWN_STATE to every call until stubborn is killed, then back.
        daemon.rpc('supervisor.restart')
        run = run_playbook([task('stop', daemon, state='stopped', timeout=60)], tmp_path)
        stop = run.task('stop')
        assert stop['status'] == 'changed', run
        assert stop['result']['supervisord'] == {}
        assert not os.path.exists(daemon.socket)
        with open(os.path.join(daemon.directory, 'supervisord.log')) as handle:
            log = handle.read()
        # It did come back (a second start) before this task stopped it.
        assert log.count('supervisord started with pid %d' % pid) == 2, log
        daemon.proc.wait(timeout=10)
