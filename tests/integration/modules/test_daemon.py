"""supervisor.control.daemon against a real supervisord."""

import os

from tests.support.ansible import run_playbook, sv_task


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
