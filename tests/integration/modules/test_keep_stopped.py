"""keep_stopped: processes stopped on purpose stay stopped when their group is replaced (Supervisor#214)."""

from tests.support.ansible import run_playbook, sv_task


def change_on_disk(daemon, program):
    """A new command for ``program``: reloadConfig then reports its group as changed."""
    daemon.write_program(program, dict(command='sleep 100001', startsecs=0))


def states(daemon, *names):
    return [daemon.info(name)['statename'] for name in names]


def test_group_present_keeps_a_stopped_process_stopped(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.stop_process('web:web_a')
    change_on_disk(daemon, 'web_a')
    run = run_playbook([
        dict(sv_task('group', 'check', daemon, name='web', state='present', keep_stopped=True), check_mode=True),
        sv_task('group', 'update', daemon, name='web', state='present', keep_stopped=True),
    ], tmp_path)
    check = run.result('check')
    assert (check['changed'], check['groups_updated'], check['kept_stopped']) == (True, ['web'], ['web:web_a']), run
    update = run.task('update')
    assert update['status'] == 'changed', run
    assert (update['result']['groups_updated'], update['result']['kept_stopped']) == (['web'], ['web:web_a'])
    assert [(p['fullname'], p['statename']) for p in update['result']['processes']] == [
        ('web:web_a', 'STOPPED'), ('web:web_b', 'RUNNING')]
    assert states(daemon, 'web:web_a', 'web:web_b') == ['STOPPED', 'RUNNING']


def test_without_keep_stopped_the_update_starts_it_again_as_supervisorctl_does(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.stop_process('web:web_a')
    change_on_disk(daemon, 'web_a')
    run = run_playbook([sv_task('group', 'update', daemon, name='web', state='present')], tmp_path)
    assert run.task('update')['status'] == 'changed', run
    assert 'kept_stopped' not in run.result('update')
    assert states(daemon, 'web:web_a', 'web:web_b') == ['RUNNING', 'RUNNING']


def test_daemon_reloaded_keeps_stopped_processes_of_every_replaced_group(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.stop_process('web:web_b')
    daemon.stop_process('sleeper:sleeper')
    change_on_disk(daemon, 'web_a')
    change_on_disk(daemon, 'sleeper')
    run = run_playbook([sv_task('daemon', 'reload', daemon, state='reloaded', keep_stopped=True)], tmp_path)
    result = run.result('reload')
    assert run.task('reload')['status'] == 'changed', run
    assert (result['groups_updated'], result['kept_stopped']) == (['sleeper', 'web'], ['sleeper', 'web:web_b'])
    assert states(daemon, 'sleeper:sleeper', 'web:web_a', 'web:web_b') == ['STOPPED', 'RUNNING', 'STOPPED']
