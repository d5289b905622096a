"""Processes that misbehave: each gives the documented result."""

import os

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.supervisord import Supervisord

PROGRAMS = {
    # ignores SIGTERM: supervisord SIGKILLs it after stopwaitsecs
    'deaf': dict(command="sh -c 'trap \"\" TERM; touch %(here)s/deaf.ready; while true; do sleep 1; done'",
                 startsecs=0, stopwaitsecs=2),
    'deafer': dict(command="sh -c 'trap \"\" TERM; touch %(here)s/deafer.ready; while true; do sleep 1; done'",
                   startsecs=0, stopwaitsecs=8),
    # crash loop: never stays up for startsecs
    'looper': dict(command="sh -c 'sleep 0.2; exit 2'", startsecs=2, startretries=2, autostart=False),
    # binary garbage on stderr, then exits at once
    'garbler': dict(command="sh -c 'printf \"\\377\\376 bad utf8 \\033[31m\\n\" >&2; exit 4'", startsecs=1,
                    startretries=0, autostart=False),
    'nosuchbinary': dict(command='/nonexistent/program', startsecs=1, startretries=0, autostart=False),
}


@pytest.fixture(scope='module')
def misbehaving(tmp_path_factory):
    top = str(tmp_path_factory.mktemp('misbehaving'))
    programs = dict((name, dict(opts, command=opts['command'].replace('%(here)s', top)))
                    for name, opts in PROGRAMS.items())
    daemon = Supervisord(os.path.join(top, 'd'), programs=programs)
    os.makedirs(daemon.directory)
    daemon.top = top
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.cleanup()


def wait_ready(daemon, name):
    import time
    deadline = time.monotonic() + 30
    while not os.path.exists(os.path.join(daemon.top, '%s.ready' % name)):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_sigterm_ignored_is_killed_after_stopwaitsecs_and_stays_stopped(misbehaving, tmp_path):
    wait_ready(misbehaving, 'deaf')
    run = run_playbook([sv_task('process', 'stop', misbehaving, name='deaf', state='stopped')], tmp_path)
    assert run.task('stop')['status'] == 'changed', run
    assert run.result('stop')['processes'][0]['statename'] == 'STOPPED'
    assert misbehaving.info('deaf:deaf')['statename'] == 'STOPPED'


def test_stopwaitsecs_longer_than_timeout_fails_clearly(misbehaving, tmp_path):
    wait_ready(misbehaving, 'deafer')
    run = run_playbook([sv_task('process', 'stop', misbehaving, name='deafer', state='stopped', timeout=3)],
                       tmp_path)
    result = run.task('stop')
    assert result['status'] == 'failed', run
    assert result['result']['msg'] == (
        'deafer: still STOPPING after 3 seconds (stopwaitsecs longer than timeout?)')
    assert misbehaving.info('deafer:deafer')['statename'] == 'STOPPING'
    misbehaving.wait_state('deafer:deafer', 'STOPPED', timeout=60)  # supervisord's SIGKILL ends it


def test_crash_loop_ends_fatal_with_its_exit_status(misbehaving, tmp_path):
    run = run_playbook([sv_task('process', 'start', misbehaving, name='looper', state='started')], tmp_path)
    result = run.result('start')
    assert run.task('start')['status'] == 'failed'
    assert result['msg'] == ('looper: failed to start (FATAL); Exited too quickly (process log may have details); '
                             'exit status 2 (from the main log)')
    assert misbehaving.info('looper:looper')['statename'] == 'FATAL'


def test_garbage_on_stderr_and_missing_binary(misbehaving, tmp_path):
    run = run_playbook([
        sv_task('process', 'garbler', misbehaving, name='garbler', state='started'),
        sv_task('process', 'missing binary', misbehaving, name='nosuchbinary', state='started'),
    ], tmp_path)
    garbler = run.result('garbler')
    # The stderr tail that supervisord refuses to decode is read around its bad bytes (U+FFFD), colours kept.
    assert garbler['msg'] == ('garbler: failed to start (FATAL); Exited too quickly (process log may have details); '
                              'exit status 4 (from the main log); stderr: \ufffd\ufffd bad utf8 \x1b[31m'), garbler
    # supervisord checks the command before it forks: the fault comes straight from startProcess
    assert run.result('missing binary')['msg'] == (
        "nosuchbinary: supervisor.startProcess failed with NO_FILE: can't find command '/nonexistent/program'")
    assert 'Traceback' not in run.output
