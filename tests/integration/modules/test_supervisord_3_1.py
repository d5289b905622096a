"""Every module against supervisord 3.1.x, the oldest release a distribution still ships (EL 7's EPEL, 3.1.4).

Each module works, or fails before acting with one line that names the daemon's release and the one that
brought what the task needs; none answers a raw UNKNOWN_METHOD, in check mode either. 3.1.x lacks
signalProcess, and serves the calls of one system.multicall one per main-loop tick: a task on 40 processes
must still succeed. tests/compat/test_supervisor_3_1_4.py runs this file against .venv-supervisor-3.1.4;
against a later release there is nothing to prove here, and it is not collected.
"""

import os

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.supervisord import SLEEPER, Supervisord, supervisor_version, wait_for_text

RELEASE = '.'.join(map(str, supervisor_version()))
# Collected only against a release before 3.2.0 (conftest.py's collect_ignore); named on the command line, skipped.
pytestmark = [pytest.mark.releases, pytest.mark.skipif(supervisor_version() >= (3, 2, 0), reason=(
    'supervisord %s has every method the collection calls: this file is for releases before 3.2.0' % RELEASE))]

CANNOT_SIGNAL = 'supervisord %s cannot signal processes: signalProcess came in 3.2.0' % RELEASE
MANY = 40


def no_supvisors(daemon, needs):
    return ('%s has no Supvisors XML-RPC interface (supvisors.* methods are unknown), which %s needs: add '
            '[rpcinterface:supvisors] to its configuration' % (daemon.server_url, needs))


def failed_with(run, title, msg):
    result = run.task(title)
    assert (result['status'], result['result']['msg'], result['result']['changed']) == ('failed', msg, False), \
        (title, result)


def test_process_works_and_a_signal_fails_before_acting_in_check_mode_too(daemon, tmp_path):
    sleeper = daemon.info('sleeper:sleeper')['pid']
    web = dict((name, daemon.info('web:%s' % name)['pid']) for name in ('web_a', 'web_b'))
    check = run_playbook([
        sv_task('process', 'signal', daemon, name='sleeper', state='signalled', signal='HUP'),
        sv_task('process', 'restart', daemon, name='web:*', state='restarted'),
    ], tmp_path, check=True)
    failed_with(check, 'signal', CANNOT_SIGNAL)
    assert check.task('restart')['status'] == 'changed', check
    run = run_playbook([
        sv_task('process', 'signal', daemon, name='sleeper', state='signalled', signal='HUP'),
        sv_task('process', 'restart', daemon, name='web:*', state='restarted'),
        sv_task('process', 'start', daemon, name=['idle', 'worker:*'], state='started'),
        sv_task('process', 'stop', daemon, name=['idle', 'worker:*'], state='stopped'),
        sv_task('process', 'roll', daemon, name='worker:*', state='restarted', rolling={'size': 2}),
        sv_task('process', 'dier', daemon, name='dier', state='started'),
    ], tmp_path)
    failed_with(run, 'signal', CANNOT_SIGNAL)
    assert daemon.info('sleeper:sleeper')['pid'] == sleeper
    assert [run.task(title)['status'] for title in ('restart', 'start', 'stop', 'roll')] == ['changed'] * 4, run
    assert all(daemon.info('web:%s' % name)['pid'] not in (0, pid) for name, pid in web.items())
    assert [p['statename'] for p in run.result('roll')['processes']] == ['RUNNING'] * 3
    # startProcess(wait=False) never faults ABNORMAL_TERMINATION (only wait=True does, before 3.2.0): the wait
    # and the main log explain the failure as on every release.
    assert run.result('dier')['msg'] == ('dier: failed to start (FATAL); Exited too quickly (process log may have '
                                         'details); exit status 3 (from the main log); stderr: dier-is-broken')


def test_rpc_refuses_what_the_release_lacks_and_reads_what_it_has(daemon, tmp_path):
    nested = [{'methodName': 'supervisor.getState', 'params': []},
              {'methodName': 'supervisor.signalProcess', 'params': ['sleeper', 'HUP']}]
    tasks = [sv_task('rpc', 'signal', daemon, method='supervisor.signalProcess', params=['sleeper', 'HUP']),
             sv_task('rpc', 'nested', daemon, method='system.multicall', params=[nested])]
    check = run_playbook(tasks, tmp_path, check=True)
    run = run_playbook(tasks + [
        sv_task('rpc', 'version', daemon, method='supervisor.getSupervisorVersion'),
        sv_task('rpc', 'wrong type', daemon, method='supervisor.startProcess', params=[123]),
    ], tmp_path)
    for played in (check, run):
        failed_with(played, 'signal', CANNOT_SIGNAL)
        failed_with(played, 'nested', CANNOT_SIGNAL)
    assert run.result('version')['result'] == RELEASE
    # Before 3.2.3 the main log has a bare traceback: its exception is found by the method's frame.
    failed_with(run, 'wrong type', "supervisord at %s failed to run supervisor.startProcess (HTTP 500 Internal Server "
                                   "Error): AttributeError: 'int' object has no attribute 'split', says its main "
                                   "log: check the number and the types of its parameters" % daemon.server_url)


def test_info_stdin_and_the_supvisors_modules(daemon, tmp_path):
    daemon.write_program('echoer', dict(command='cat', startsecs=0))
    daemon.rpc('supervisor.reloadConfig')
    daemon.rpc('supervisor.addProcessGroup', 'echoer')
    daemon.wait_state('echoer:echoer', 'RUNNING')
    try:
        tasks = [
            sv_task('info', 'info', daemon, gather=['config']),
            sv_task('stdin', 'stdin', daemon, name='echoer', chars='hello 3.1'),
            sv_task('application', 'application', daemon, name='web'),
            sv_task('supvisors', 'supvisors', daemon),
        ]
        check = run_playbook(tasks, tmp_path, check=True)
        run = run_playbook(tasks, tmp_path)
        for played in (check, run):
            facts = played.result('info')
            assert (facts['supervisord']['version'], facts['supervisord']['state']) == (RELEASE, 'RUNNING')
            assert facts['groups']['web'] == ['web:web_a', 'web:web_b']
            # What info's RETURN says 3.x gives of a program's configuration.
            assert set(facts['config'][0]) == {'name', 'group', 'inuse', 'autostart', 'group_prio', 'process_prio'}
            failed_with(played, 'application', no_supvisors(daemon, 'supervisor.control.application'))
            failed_with(played, 'supvisors', no_supvisors(daemon, 'supervisor.control.supvisors'))
        assert check.task('stdin')['status'] == 'changed'
        assert run.result('stdin')['sent_to'] == ['echoer']
        wait_for_text(os.path.join(daemon.logdir, 'echoer_0.out'), b'hello 3.1\n')
    finally:
        daemon.rpc('supervisor.stopProcess', 'echoer:echoer', True)
        daemon.rpc('supervisor.removeProcessGroup', 'echoer')


def test_keep_stopped_fails_before_acting_where_it_would_need_a_signal(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.stop_process('sleeper:sleeper')
    daemon.write_program('sleeper', dict(command='sleep 100001', startsecs=0))  # changed on disk
    tasks = [sv_task('group', 'group', daemon, name='sleeper', keep_stopped=True),
             sv_task('daemon', 'daemon', daemon, state='reloaded', keep_stopped=True)]
    check = run_playbook(tasks, tmp_path, check=True)
    run = run_playbook(tasks, tmp_path)
    for played in (check, run):
        failed_with(played, 'group', CANNOT_SIGNAL)
        failed_with(played, 'daemon', CANNOT_SIGNAL)
    # Nothing was replaced: supervisord still has the group's old configuration, and sleeper is still stopped.
    assert daemon.rpc('supervisor.reloadConfig') == [[[], ['sleeper'], []]]
    assert daemon.info('sleeper:sleeper')['statename'] == 'STOPPED'
    # Without keep_stopped, the update works as supervisorctl's does.
    run = run_playbook([sv_task('group', 'group', daemon, name='sleeper')], tmp_path)
    assert run.task('group')['status'] == 'changed' and run.result('group')['groups_updated'] == ['sleeper'], run


@pytest.fixture
def many(tmp_path):
    """A daemon with MANY programs in group many, each of which logs a line when it starts."""
    programs = dict(('p%02d' % i, dict(command="sh -c 'echo up; exec %s'" % SLEEPER, autostart=False, startsecs=0))
                    for i in range(MANY))
    with Supervisord(str(tmp_path / 'many'), programs=programs,
                     groups={'many': sorted(programs)}) as instance:
        yield instance


def test_a_task_on_40_processes_succeeds_and_so_does_the_daemon_module(many, tmp_path):
    # Sent in one multicall, 40 starts took 38 s on 3.1.4 and the task failed at its timeout with changed=false
    # while supervisord started them all; 40 stops took 89 s; clear_logs on 40 processes never answered.
    run = run_playbook([
        sv_task('process', 'start', many, name='many:*', state='started'),
        sv_task('daemon', 'clear logs', many, clear_logs=['processes']),
        sv_task('process', 'stop', many, name='many:*', state='stopped'),
        sv_task('daemon', 'reload', many, state='reloaded'),
        sv_task('daemon', 'restart', many, state='restarted'),
        sv_task('daemon', 'stop daemon', many, state='stopped'),
    ], tmp_path)
    start = run.task('start')
    assert start['status'] == 'changed', run
    assert [p['statename'] for p in start['result']['processes']] == ['RUNNING'] * MANY
    assert len(run.result('clear logs')['logs_cleared']) == MANY
    stop = run.task('stop')
    assert stop['status'] == 'changed', stop
    assert [p['statename'] for p in stop['result']['processes']] == ['STOPPED'] * MANY
    assert run.task('reload')['status'] == 'ok', run
    assert run.result('restart')['supervisord']['state'] == 'RUNNING'
    assert run.task('stop daemon')['status'] == 'changed', run
    many.proc.wait(timeout=10)
