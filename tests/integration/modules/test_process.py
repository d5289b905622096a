"""supervisor.control.process against a real supervisord, through real ansible-playbook."""

import os
import threading
import time

import pytest

from tests.support.ansible import run_playbook, sv_task

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases


def task(title, daemon, **args):
    return sv_task('process', title, daemon, **args)


def names_states(result):
    return [(p['fullname'], p['statename']) for p in result['processes']]


def test_start_is_idempotent_and_returns_only_matched_processes(daemon, tmp_path):
    daemon.stop_process('idle:idle')
    run = run_playbook([
        task('first', daemon, name=['idle', 'web:*', 'worker'], state='started'),
        task('second', daemon, name=['idle', 'web:*', 'worker'], state='started'),
    ], tmp_path)
    first, second = run.task('first'), run.task('second')
    assert first['status'] == 'changed', run
    assert second['status'] == 'ok', run
    assert names_states(first['result']) == [
        ('idle', 'RUNNING'), ('web:web_a', 'RUNNING'), ('web:web_b', 'RUNNING'),
        ('worker:worker_00', 'RUNNING'), ('worker:worker_01', 'RUNNING'), ('worker:worker_02', 'RUNNING')]
    assert daemon.info('idle:idle')['statename'] == 'RUNNING'
    proc = first['result']['processes'][0]
    assert set(proc) == {'name', 'group', 'fullname', 'statename', 'state', 'pid', 'description', 'start',
                         'stop', 'exitstatus', 'spawnerr', 'stdout_logfile', 'stderr_logfile'}
    assert proc['pid'] == daemon.info('idle:idle')['pid']
    assert first['result']['server_url'] == daemon.server_url


def test_check_mode_changes_nothing_and_diff_shows_states(daemon, tmp_path):
    daemon.stop_process('idle:idle')
    run = run_playbook([task('check', daemon, name='idle', state='started')], tmp_path, check=True, diff=True)
    result = run.task('check')
    assert result['status'] == 'changed', run
    assert result['result']['diff'] == {'before': {'idle': 'STOPPED'}, 'after': {'idle': 'RUNNING'}}
    assert names_states(result['result']) == [('idle', 'RUNNING')]
    assert daemon.info('idle:idle')['statename'] == 'STOPPED'
    # ansible prints the diff between the task's header and its status line: before, then after
    shown = run.stdout.split('TASK [check] ', 1)[1].split('\n', 1)[1].split('changed: [localhost]', 1)[0]
    assert shown == ('--- before\n+++ after\n@@ -1,3 +1,3 @@\n {\n-    "idle": "STOPPED"\n+    "idle": "RUNNING"\n'
                     ' }\n\n'), run.stdout


def test_stop_then_stop_again_is_unchanged(daemon, tmp_path):
    daemon.start_process('idle:idle')
    run = run_playbook([
        task('stop', daemon, name='idle', state='stopped'),
        task('again', daemon, name='idle', state='stopped'),
    ], tmp_path)
    assert run.task('stop')['status'] == 'changed', run
    assert run.task('again')['status'] == 'ok', run
    assert daemon.info('idle:idle')['statename'] == 'STOPPED'


def test_restart_always_changes_and_gives_new_pids(daemon, tmp_path):
    before = daemon.info('web:web_a')['pid']
    run = run_playbook([task('restart', daemon, name='web:web_a', state='restarted')], tmp_path)
    assert run.task('restart')['status'] == 'changed', run
    after = daemon.info('web:web_a')
    assert after['statename'] == 'RUNNING' and after['pid'] != before


def test_glob_matches_numprocs(daemon, tmp_path):
    run = run_playbook([task('glob', daemon, name='worker:worker_0[12]', state='started')], tmp_path)
    assert [p['fullname'] for p in run.result('glob')['processes']] == ['worker:worker_01', 'worker:worker_02']


def test_unknown_name_fails_with_closest_names(daemon, tmp_path):
    run = run_playbook([task('bad', daemon, name=['web:web_c'], state='started')], tmp_path)
    result = run.task('bad')
    assert result['status'] == 'failed'
    assert result['result']['msg'] == "no process matches 'web:web_c'; closest names: web:web_a, web:web_b, web:*"
    assert 'Traceback' not in run.output


def test_fatal_start_reports_exit_status_and_stderr(daemon, tmp_path):
    run = run_playbook([task('dier', daemon, name='dier', state='started')], tmp_path)
    result = run.task('dier')['result']
    assert run.task('dier')['status'] == 'failed'
    assert result['msg'] == ('dier: failed to start (FATAL); Exited too quickly (process log may have details); '
                             'exit status 3 (from the main log); stderr: dier-is-broken')
    failure = result['failures'][0]
    assert failure['exitstatus'] == 3 and failure['statename'] == 'FATAL'
    assert failure['spawnerr'] == 'Exited too quickly (process log may have details)'
    assert daemon.info('dier:dier')['statename'] == 'FATAL'


def failed_start(daemon, tmp_path, name, stderr_printf):
    """The result of starting a program that prints ``stderr_printf`` (printf's format) to stderr and exits 3."""
    daemon.write_program(name, dict(command="sh -c 'printf \"%s\" >&2; exit 3'" % stderr_printf, autostart=False,
                                    startsecs=1, startretries=0))
    daemon.rpc('supervisor.reloadConfig')
    daemon.rpc('supervisor.addProcessGroup', name)
    run = run_playbook([task(name, daemon, name=name, state='started')], tmp_path)
    assert run.task(name)['status'] == 'failed', run
    return run.task(name)['result']


def test_a_failed_start_reports_a_coloured_stderr_as_it_is(fresh_daemon, tmp_path):
    # ANSI colours make supervisord's XML answer invalid: the explanation must still read the stderr tail.
    result = failed_start(fresh_daemon, tmp_path, 'colour', '\\033[31mboom\\033[0m\\n')
    assert result['failures'][0]['stderr_tail'] == '\x1b[31mboom\x1b[0m\n'
    assert result['failures'][0]['exitstatus'] == 3


def test_a_failed_start_whose_stderr_is_not_utf8_keeps_its_exit_status(fresh_daemon, tmp_path):
    # supervisord 3.x sends the byte as it is (its whole answer is then not XML), 4.x faults on the tail: either
    # way the explanation keeps the main log's exit status, and the tail reads as Python decodes it.
    result = failed_start(fresh_daemon, tmp_path, 'badbyte', 'caf\\303\\251 bad \\377 byte\\n')
    assert result['failures'][0]['exitstatus'] == 3
    assert result['failures'][0]['stderr_tail'] == u'caf\u00e9 bad \ufffd byte\n'
    assert result['msg'] == (u'badbyte: failed to start (FATAL); Exited too quickly (process log may have details); '
                             u'exit status 3 (from the main log); stderr: caf\u00e9 bad \ufffd byte')


def test_signal(daemon, tmp_path):
    daemon.stop_process('idle:idle')
    run = run_playbook([
        task('stopped one', daemon, name='idle', state='signalled', signal='HUP'),
        task('bad signal', daemon, name='sleeper', state='signalled', signal='NOPE'),
        task('bad format', daemon, name='sleeper', state='signalled', signal='-9; rm'),
        task('missing', daemon, name='sleeper', state='signalled'),
        task('usr1 by name', daemon, name='sleeper', state='signalled', signal='sigcont'),
    ], tmp_path)
    assert run.task('stopped one')['status'] == 'ok', run
    bad = run.task('bad signal')
    assert bad['status'] == 'failed', bad
    assert bad['result']['msg'] == ("invalid signal 'NOPE': give a signal name such as HUP, TERM or USR1 (SIG "
                                    "prefix optional) or the number of one, such as 1")
    assert bad['result']['changed'] is False
    assert run.task('bad format')['result']['msg'] == (
        "invalid signal '-9; rm': give a signal name such as HUP, TERM or USR1 (SIG prefix optional) or the number "
        "of one, such as 1")
    assert run.task('missing')['result']['msg'] == 'state=signalled needs signal, such as HUP or 10'
    assert run.task('usr1 by name')['status'] == 'changed'
    assert daemon.info('sleeper:sleeper')['statename'] == 'RUNNING'


def test_backoff_is_stopped_and_started_once(daemon, tmp_path):
    """community.general.supervisorctl fails with 'already started' here."""
    marker = os.path.join(daemon.directory, 'flappy.ok')
    go = str(tmp_path / 'go')
    daemon.write_program('flappy', dict(
        command="sh -c 'test -f %s || exit 1; exec sleep 100000'" % marker,
        startsecs=1, startretries=1000, autostart=True))
    daemon.rpc('supervisor.reloadConfig')
    daemon.rpc('supervisor.addProcessGroup', 'flappy')
    outcome = {}
    # ansible-playbook starts first and waits for `go`, so that the module runs
    # within a moment of the test seeing BACKOFF, well inside supervisord's
    # backoff delay (one more second after each failed start).
    worker = threading.Thread(target=lambda: outcome.update(run=run_playbook([
        {'name': 'wait for go', 'ansible.builtin.command': 'sh -c "while [ ! -f %s ]; do sleep 0.05; done"' % go,
         'timeout': 60},
        task('flappy', daemon, name='flappy', state='started')], tmp_path, diff=True)))
    try:
        worker.start()
        failures = 0
        deadline = time.monotonic() + 60
        previous = None
        while failures < 4:  # the fourth BACKOFF lasts four seconds: room for a busy machine
            state = daemon.info('flappy:flappy')['statename']
            if state == 'BACKOFF' and previous != 'BACKOFF':
                failures += 1
            previous = state
            assert time.monotonic() < deadline, 'flappy never reached BACKOFF four times'
            time.sleep(0.02)
        open(marker, 'w').close()
        open(go, 'w').close()
        worker.join(timeout=120)
        run = outcome['run']
        result = run.task('flappy')
        assert result['result']['diff']['before']['flappy'] == 'BACKOFF', run
        assert result['status'] == 'changed', run
        assert daemon.info('flappy:flappy')['statename'] == 'RUNNING'
    finally:
        open(go, 'w').close()  # a failure before go was written must not leave the play waiting for it
        worker.join(timeout=120)
        daemon.stop_process('flappy:flappy')
        daemon.rpc('supervisor.removeProcessGroup', 'flappy')
        daemon.remove_program_file('flappy')


def test_wait_false_and_a_process_that_crashes_later(daemon, tmp_path):
    run = run_playbook([
        task('crasher', daemon, name='crasher', state='started'),
        task('nowait', daemon, name='idle', state='restarted', wait=False),
    ], tmp_path)
    assert run.task('crasher')['status'] == 'changed', run
    assert run.task('crasher')['result']['processes'][0]['statename'] == 'RUNNING'
    assert run.task('nowait')['result']['processes'][0]['statename'] in ('STARTING', 'RUNNING')
    daemon.wait_state('crasher:crasher', 'EXITED', timeout=20)


def test_all_and_bad_arguments(daemon, tmp_path):
    run = run_playbook([
        task('bad state', daemon, name='idle', state='running'),
        task('no name', daemon, state='started'),
        task('signal without signalled', daemon, name='idle', state='started', signal='HUP'),
        task('all', daemon, name='all', state='started'),
    ], tmp_path)
    assert run.task('bad state')['result']['msg'] == (
        'value of state must be one of: started, stopped, restarted, signalled, got: running')
    assert run.task('no name')['result']['msg'] == 'missing required arguments: name'
    assert run.task('signal without signalled')['result']['msg'] == 'signal is only used with state=signalled'
    all_result = run.task('all')
    assert all_result['status'] == 'failed'  # dier cannot start: the others still do
    assert all_result['result']['msg'].startswith('dier: failed to start (FATAL); ')
    # crasher starts too and exits 3 s later: on a busy machine that can be before the task returns
    assert [(p['fullname'], p['statename']) for p in all_result['result']['processes'] if p['name'] != 'crasher'] == [
        ('dier', 'FATAL'), ('idle', 'RUNNING'), ('sleeper', 'RUNNING'), ('web:web_a', 'RUNNING'),
        ('web:web_b', 'RUNNING'), ('worker:worker_00', 'RUNNING'), ('worker:worker_01', 'RUNNING'),
        ('worker:worker_02', 'RUNNING')]
    assert all_result['result']['processes'][0]['fullname'] == 'crasher'
    assert daemon.info('idle:idle')['statename'] == 'RUNNING'
