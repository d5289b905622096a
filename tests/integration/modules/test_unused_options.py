"""An option that a state does not use fails the task before anything is done, naming the option and the state.

Against a real supervisord, on both execution paths (conftest.py). Each task would act on a module that ignored
the option (restart, stop or remove a group, restart or stop the daemon): the tests check that nothing moved.
"""

import pytest

from tests.support.ansible import run_playbook, sv_task


def refused(run, title):
    """The message of a task that failed and changed nothing."""
    result = run.task(title)
    assert (result['status'], result['result']['changed']) == ('failed', False), (title, run)
    assert 'failures' not in result['result'], (title, result)
    return result['result']['msg']


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
def test_group_keep_stopped_with_a_state_that_replaces_no_group(daemon, tmp_path, check_mode):
    before = dict((i['name'], (i['group'], i['statename'], i['pid']))
                  for i in daemon.rpc('supervisor.getAllProcessInfo'))
    states = ('absent', 'started', 'stopped', 'restarted')
    run = run_playbook([dict(sv_task('group', state, daemon, name='web', state=state, keep_stopped=True),
                             check_mode=check_mode) for state in states], tmp_path)
    for state in states:
        assert refused(run, state) == (
            'keep_stopped is only used with state=present (groups that an update replaces), not with state=%s'
            % state)
    after = dict((i['name'], (i['group'], i['statename'], i['pid']))
                 for i in daemon.rpc('supervisor.getAllProcessInfo'))
    assert after == before


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
def test_daemon_options_a_state_does_not_use(daemon, tmp_path, check_mode):
    pid = daemon.rpc('supervisor.getPID')
    before = dict((i['name'], i['pid']) for i in daemon.rpc('supervisor.getAllProcessInfo'))
    tasks = []
    for state in ('running', 'restarted', 'stopped'):
        tasks.append(sv_task('daemon', 'keep_stopped %s' % state, daemon, state=state, keep_stopped=True))
        tasks.append(sv_task('daemon', 'wait %s' % state, daemon, state=state, wait=False))
    run = run_playbook([dict(task, check_mode=check_mode) for task in tasks], tmp_path)
    for state in ('running', 'restarted', 'stopped'):
        assert refused(run, 'keep_stopped %s' % state) == (
            'keep_stopped is only used with state=reloaded (groups that an update replaces), not with state=%s'
            % state)
    assert refused(run, 'wait running') == (
        'wait=false is only used with state=reloaded (the processes it starts), not with state=running, which '
        'starts nothing')
    assert refused(run, 'wait restarted') == (
        'wait=false is only used with state=reloaded (the processes it starts), not with state=restarted, which '
        'always waits until supervisord is RUNNING again')
    assert refused(run, 'wait stopped') == (
        'wait=false is only used with state=reloaded (the processes it starts), not with state=stopped, which '
        'always waits until supervisord is gone')
    # Neither restarted (a soft restart keeps the pid, but starts every process again) nor stopped.
    assert daemon.rpc('supervisor.getPID') == pid
    assert dict((i['name'], i['pid']) for i in daemon.rpc('supervisor.getAllProcessInfo')) == before


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
def test_stdin_with_nothing_to_send(daemon, tmp_path, check_mode):
    """chars '' and newline=false would send nothing: a task that said changed and sent_to would claim a write."""
    run = run_playbook([dict(sv_task('stdin', 'nothing', daemon, name='sleeper', chars='', newline=False),
                             check_mode=check_mode)], tmp_path)
    assert refused(run, 'nothing') == 'chars is empty and newline=false: there is nothing to send'
