"""supervisord dies or restarts while a play talks to it."""

import os
import threading
import time

from tests.support.ansible import run_playbook, sv_task
from tests.support.supervisord import Supervisord

PROGRAMS = {
    'slowstart': dict(command='sleep 100000', startsecs=6, autostart=False),
    'steady': dict(command='sleep 100000', startsecs=0),
}


def lost_while_waiting(daemon):
    """Each way the wait for slowstart can see the daemon vanish: mid-answer, or before the next poll."""
    prefix = 'connection lost to unix://%s while waiting for slowstart:slowstart: ' % daemon.socket
    return {
        prefix + 'connection lost to unix://%s: the daemon closed the connection (restarting, or killed?)'
        % daemon.socket,
        prefix + 'connection refused on socket %s: supervisord is not running (the socket file is stale)'
        % daemon.socket,
        prefix + 'socket %s does not exist: is supervisord running, and is this the file of its '
                 '[unix_http_server] section?' % daemon.socket,
    }


def start_slowstart_and(fault, daemon, tmp_path, timeout):
    """Run a play that starts slowstart; call ``fault()`` while it waits; return the run."""
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(run=run_playbook(
        [sv_task('process', 'start', daemon, name='slowstart', state='started', timeout=timeout)], tmp_path)))
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while daemon.info('slowstart:slowstart')['statename'] != 'STARTING':
            assert time.monotonic() < deadline, 'the play never started the process'
            time.sleep(0.05)
        fault()
    finally:
        worker.join(timeout=120)
    assert not worker.is_alive()
    return outcome['run']


def test_daemon_killed_between_tasks_then_next_run_converges(tmp_path):
    daemon = Supervisord(str(tmp_path / 'd'), programs=PROGRAMS)
    os.makedirs(daemon.directory)
    try:
        daemon.start()
        run = run_playbook([
            sv_task('process', 'before', daemon, name='steady', state='started'),
            {'name': 'kill', 'ansible.builtin.command': 'kill -9 %d' % daemon.proc.pid},
            sv_task('process', 'after', daemon, name='steady', state='started', timeout=5),
        ], tmp_path)
        assert run.task('before')['status'] == 'ok', run
        assert run.result('after')['msg'] == (
            'connection refused on socket %s: supervisord is not running (the socket file is stale)'
            % daemon.socket)
        daemon.stop()
        daemon.start()
        run = run_playbook([sv_task('process', 'again', daemon, name='slowstart', state='started')], tmp_path)
        assert run.task('again')['status'] == 'changed', run
        assert daemon.info('slowstart:slowstart')['statename'] == 'RUNNING'
    finally:
        daemon.cleanup()


def test_daemon_killed_during_a_wait_fails_with_connection_lost(tmp_path):
    daemon = Supervisord(str(tmp_path / 'd'), programs=PROGRAMS)
    os.makedirs(daemon.directory)
    try:
        daemon.start()
        run = start_slowstart_and(daemon.kill, daemon, tmp_path, timeout=20)
        result = run.task('start')
        assert result['status'] == 'failed', run
        assert result['result']['msg'] in lost_while_waiting(daemon), result
        daemon.proc = None
        daemon.start()
        run = run_playbook([sv_task('process', 'converge', daemon, name='slowstart', state='started')], tmp_path)
        assert run.task('converge')['status'] == 'changed', run
    finally:
        daemon.cleanup()


def test_shutdown_state_and_reload_during_wait(tmp_path):
    daemon = Supervisord(str(tmp_path / 'd'), programs=PROGRAMS)
    os.makedirs(daemon.directory)
    try:
        daemon.start()
        # supervisor.restart is what `supervisorctl reload` does
        run = start_slowstart_and(lambda: daemon.rpc('supervisor.restart'), daemon, tmp_path, timeout=30)
        result = run.task('start')
        # The module notices: the process it waited for was stopped by the restart,
        # or the daemon went away for a moment. Either way the task says so.
        assert result['status'] == 'failed', run
        msg = result['result']['msg']
        assert msg in lost_while_waiting(daemon) | {
            'supervisord at unix://%s began to shut down or restart while waiting for slowstart:slowstart: run the '
            'task again once it is back' % daemon.socket,
            'slowstart: was stopped by someone else while starting'}, msg
        daemon.wait_running()
    finally:
        daemon.cleanup()


def test_daemon_in_shutdown_state_gives_a_clear_message(tmp_path):
    trapped = str(tmp_path / 'trapped')
    programs = dict(PROGRAMS, stubborn=dict(
        command="sh -c 'trap \"\" TERM; touch %s; while true; do sleep 1; done'" % trapped,
        startsecs=0, stopwaitsecs=60))
    daemon = Supervisord(str(tmp_path / 'd'), programs=programs)
    os.makedirs(daemon.directory)
    try:
        daemon.start()
        deadline = time.monotonic() + 30
        while not os.path.exists(trapped):  # SIGTERM before the trap would kill it
            assert time.monotonic() < deadline
            time.sleep(0.05)
        daemon.rpc('supervisor.shutdown')  # waits up to 60 s for stubborn, in SHUTDOWN state
        run = run_playbook([
            sv_task('process', 'start', daemon, name='steady', state='started'),
            sv_task('daemon', 'running', daemon),
        ], tmp_path)
        # One line for every module: what it means (it may be restarting as well) and what to do.
        shutting_down = (
            'supervisord at %s is shutting down or restarting (it answers every call with SHUTDOWN_STATE until it has '
            'stopped its processes, each within its stopwaitsecs): try again once it is back after a restart, or '
            'start it again after a shutdown' % daemon.server_url)
        assert run.result('start')['msg'] == shutting_down, run
        assert run.result('running')['msg'] == shutting_down, run
    finally:
        daemon.cleanup()
