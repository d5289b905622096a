"""group numprocs= on a real Supvisors (Supervisor#177): more or fewer processes, the others keep running."""

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.supvisors import running_cluster

SCALED = {'command': 'sleep 100000', 'numprocs': 2, 'process_name': '%(program_name)s_%(process_num)d',
          'startsecs': 0, 'autostart': True}


@pytest.fixture(scope='module')
def solo():
    with running_cluster(['solo'], programs={'scaled': SCALED, 'single': {'command': 'sleep 100000'}},
                         running=[('solo', 'scaled:scaled_1')]) as cluster:
        yield cluster


def pids(cluster):
    return dict((i['name'], i['pid']) for i in cluster.rpc('solo', 'supervisor.getAllProcessInfo')
                if i['group'] == 'scaled')


def task(title, cluster, **args):
    return sv_task('group', title, server_url=cluster.server_url('solo'), **args)


def test_numprocs_up_and_down_without_restarting_the_others(solo, tmp_path):
    before = pids(solo)
    assert sorted(before) == ['scaled_0', 'scaled_1']
    run = run_playbook([
        dict(task('check', solo, name='scaled', numprocs=3), check_mode=True),
        task('up', solo, name='scaled', numprocs=3),
        task('again', solo, name='scaled', numprocs=3),
    ], tmp_path, diff=True)
    check = run.task('check')
    assert (check['status'], check['result']['numprocs']) == ('changed', {'before': 2, 'after': 3}), run
    assert check['result']['diff'] == {'before': {'numprocs': 2}, 'after': {'numprocs': 3}}
    up = run.task('up')
    assert (up['status'], up['result']['numprocs']) == ('changed', {'before': 2, 'after': 3}), run
    assert [p['namespec'] for p in up['result']['processes']] == [
        'scaled:scaled_0', 'scaled:scaled_1', 'scaled:scaled_2']
    assert run.task('again')['status'] == 'ok'
    solo.wait_process('solo', 'scaled:scaled_2', 'RUNNING', timeout=30)  # autostart: Supvisors starts it
    after = pids(solo)
    assert (after['scaled_0'], after['scaled_1']) == (before['scaled_0'], before['scaled_1'])

    run = run_playbook([task('down', solo, name='scaled', numprocs=1)], tmp_path)
    down = run.task('down')
    assert (down['status'], down['result']['numprocs']) == ('changed', {'before': 3, 'after': 1}), run
    assert pids(solo) == {'scaled_0': before['scaled_0']}


def test_numprocs_refusals(solo, daemon, tmp_path):
    run = run_playbook([
        task('two names', solo, name=['scaled', 'single'], numprocs=2),
        task('zero', solo, name='scaled', numprocs=0),
        task('unknown', solo, name='nosuch', numprocs=2),
        task('not numbered', solo, name='single', numprocs=2),
        sv_task('group', 'plain supervisord', daemon, name='worker', numprocs=4),
    ], tmp_path)
    expected = {
        'two names': 'numprocs needs exactly one program name and state=present, got name=scaled, single '
                     'state=present',
        'zero': 'numprocs must be 1 or more, got 0',
        'unknown': 'numprocs: no program nosuch on %s/RPC2 (programs: scaled, single)' % solo.server_url('solo'),
        'not numbered': 'numprocs: single: its process_name must hold %(process_num)s for supervisord to number its '
                        'processes (supvisors.update_numprocs failed with NOT_APPLICABLE: numprocs not applicable to '
                        'program=single)',
        'plain supervisord': 'numprocs: %s has no Supvisors, and plain supervisord cannot change the number of '
                             "processes of a program without restarting its group (Supervisor#177): set numprocs=4 "
                             "in the program's file and apply it with supervisor.control.group state=present"
                             % daemon.server_url,
    }
    for title, msg in expected.items():
        result = run.task(title)
        assert (result['status'], result['result']['changed']) == ('failed', False), (title, result)
        assert result['result']['msg'] == msg, (title, result['result']['msg'])
