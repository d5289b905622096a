"""Supvisors 0.19 API as options: extra_args, restart_sequence, statistics switches."""

import os
import signal
import time

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.supvisors import managed_application, running_cluster

# auto starts with the cluster; late's group is added by a test, once the cluster runs.
RULES = managed_application('auto', ['ticker']).replace('</root>\n', '') + \
    managed_application('late', ['lateproc']).split('<root>', 1)[1]
PROGRAMS = {
    'ticker': {'command': 'sleep 100000', 'autostart': False, 'startsecs': 0, 'autorestart': False},
    # extra_args complete the command: started with '100000', it runs "sleep 100000".
    'argv': {'command': 'sleep', 'autostart': False, 'startsecs': 0, 'autorestart': False},
    'pool': {'command': 'sleep 100000', 'autostart': False, 'startsecs': 0, 'numprocs': 3,
             'process_name': '%(program_name)s_%(process_num)d'},
}


@pytest.fixture(scope='module')
def solo():
    with running_cluster(['solo'], programs=PROGRAMS, groups={'auto': ['ticker'], 'tools': ['argv', 'pool']},
                         rules=RULES, running=[('solo', 'auto:ticker')]) as cluster:  # the start sequence
        yield cluster


def task(module, title, cluster, **args):
    return sv_task(module, title, server_url=cluster.server_url('solo'), **args)


def cmdline(pid):
    with open('/proc/%d/cmdline' % pid, 'rb') as handle:
        return handle.read().split(b'\0')[:-1]


def test_extra_args_reach_the_command(solo, tmp_path):
    run = run_playbook([
        task('process', 'start with args', solo, name='tools:argv', strategy='CONFIG', extra_args='100000'),
        task('process', 'again', solo, name='tools:argv', strategy='CONFIG', extra_args='100000'),
        task('process', 'without strategy', solo, name='tools:argv', extra_args='1'),
    ], tmp_path)
    start = run.task('start with args')
    assert start['status'] == 'changed', run
    (process,) = start['result']['processes']
    assert (process['statename'], process['extra_args'], process['hosts']) == ('RUNNING', '100000', ['solo'])
    pid = solo.rpc('solo', 'supervisor.getProcessInfo', 'tools:argv')['pid']
    assert cmdline(pid) == [b'sleep', b'100000']
    assert run.task('again')['status'] == 'ok'
    refused = run.task('without strategy')
    assert (refused['status'], refused['result']['changed']) == ('failed', False)
    assert refused['result']['msg'] == ('extra_args needs strategy: Supvisors passes extra arguments to a program it '
                                        'starts (supvisors.start_process), supervisord alone cannot')


def test_statistics_switches_are_idempotent(solo, tmp_path):
    run = run_playbook([
        dict(task('supvisors', 'check off', solo, process_statistics=False), check_mode=True),
        task('supvisors', 'off', solo, process_statistics=False),
        task('supvisors', 'off again', solo, process_statistics=False),
        task('supvisors', 'on', solo, process_statistics=True, host_statistics=True),
        task('supvisors', 'with stopped', solo, state='stopped', host_statistics=True),
    ], tmp_path)
    check = run.task('check off')
    assert (check['status'], check['result']['statistics']['process_stats']) == ('changed', False), run
    assert check['result']['actions'] == ['wait_operation', 'enable_process_statistics']
    off = run.task('off')
    assert (off['status'], off['result']['statistics']['process_stats']) == ('changed', False), run
    assert run.task('off again')['status'] == 'ok'
    on = run.task('on')
    assert (on['status'], on['result']['statistics']['process_stats'], on['result']['statistics']['host_stats']) == (
        'changed', True, True), run
    assert solo.rpc('solo', 'supvisors.get_statistics_status')['process_stats'] is True
    assert run.task('with stopped')['result']['msg'] == 'host_statistics only with state=operational or ' \
                                                        'state=conciliated'
    assert solo.supvisors_state('solo') == 'OPERATION'


def test_restart_sequence_starts_an_application_in_failure_again(solo, tmp_path):
    # ticker is required and does not autorestart: killed, auto is in major failure.
    os.kill(solo.rpc('solo', 'supervisor.getProcessInfo', 'auto:ticker')['pid'], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not solo.rpc('solo', 'supvisors.get_application_info', 'auto')['major_failure']:
        assert time.monotonic() < deadline, 'auto never reported a major failure'
        time.sleep(0.2)
    run = run_playbook([
        dict(task('supvisors', 'check', solo, restart_sequence=True), check_mode=True),
        task('supvisors', 'sequence', solo, restart_sequence=True, timeout=60),
    ], tmp_path)
    assert run.task('check')['status'] == 'changed', run
    sequence = run.task('sequence')
    assert (sequence['status'], sequence['result']['actions']) == ('changed', ['wait_operation', 'restart_sequence'])
    assert solo.rpc('solo', 'supvisors.get_application_info', 'auto')['statename'] == 'RUNNING'
    deadline = time.monotonic() + 30
    while solo.rpc('solo', 'supvisors.get_supvisors_state')['starting_jobs'] and time.monotonic() < deadline:
        time.sleep(0.2)
    run = run_playbook([
        dict(task('supvisors', 'check again', solo, restart_sequence=True), check_mode=True),
        task('supvisors', 'again', solo, restart_sequence=True),
    ], tmp_path)
    assert [run.task(t)['status'] for t in ('check again', 'again')] == ['ok', 'ok'], run

    # Stopped on purpose: Supvisors' sequence leaves it stopped, and so the task changes nothing.
    solo.rpc('solo', 'supvisors.stop_application', 'auto', True)
    run = run_playbook([task('supvisors', 'stopped on purpose', solo, restart_sequence=True)], tmp_path)
    assert run.task('stopped on purpose')['status'] == 'ok', run
    assert solo.rpc('solo', 'supvisors.get_application_info', 'auto')['statename'] == 'STOPPED'


def test_any_starts_one_process_of_a_pool_once(solo, tmp_path):
    run = run_playbook([
        dict(task('process', 'check', solo, name='tools:pool_', strategy='CONFIG', any=True), check_mode=True),
        task('process', 'one of the pool', solo, name='tools:pool_', strategy='CONFIG', any=True),
        task('process', 'again', solo, name='tools:pool_', strategy='CONFIG', any=True),
        task('process', 'no match', solo, name='nothing_here', strategy='CONFIG', any=True),
        task('process', 'bad regex', solo, name='tools:(', strategy='CONFIG', any=True),
        task('process', 'without strategy', solo, name='tools:pool_', any=True),
    ], tmp_path)
    assert run.task('check')['status'] == 'changed', run
    one = run.task('one of the pool')
    assert one['status'] == 'changed', run
    (started,) = one['result']['started']
    states = dict((p['namespec'], p['statename']) for p in one['result']['processes'])
    assert sorted(states) == ['tools:pool_0', 'tools:pool_1', 'tools:pool_2']
    assert [name for name, state in states.items() if state == 'RUNNING'] == [started]
    again = run.task('again')
    assert (again['status'], again['result']['started']) == ('ok', [])
    assert run.task('no match')['result']['msg'] == (
        "any: no process matches 'nothing_here' (Supvisors knows auto:ticker, tools:argv, tools:pool_0, tools:pool_1, "
        "tools:pool_2)")
    assert run.task('bad regex')['result']['msg'] == (
        "any: 'tools:(' is not a regular expression: missing ), unterminated subpattern at position 6")
    assert run.task('without strategy')['result']['msg'] == (
        'any needs strategy and state=started: Supvisors starts one process among those a regular expression matches '
        '(supvisors.start_any_process)')


def test_restart_sequence_starts_an_application_never_started(solo, tmp_path):
    """Check mode predicts what Supvisors starts: an application of the rules that never ran.

    late has a start_sequence but no process until its group is added to the running daemon, so
    the sequence at start-up could not start it. (Last in this file: Supvisors then knows late:lateproc.)
    """
    solo.programs['lateproc'] = {'command': 'sleep 100000', 'autostart': False, 'startsecs': 0}
    solo.groups['late'] = ['lateproc']
    solo.write_config('solo')
    solo.rpc('solo', 'supervisor.reloadConfig')
    solo.rpc('solo', 'supervisor.addProcessGroup', 'late')
    deadline = time.monotonic() + 30
    while 'late' not in [a['application_name'] for a in solo.rpc('solo', 'supvisors.get_all_applications_info')]:
        assert time.monotonic() < deadline, 'Supvisors never listed late'
        time.sleep(0.2)
    run = run_playbook([
        dict(task('supvisors', 'check', solo, restart_sequence=True), check_mode=True),
        task('supvisors', 'sequence', solo, restart_sequence=True, timeout=60),
        dict(task('supvisors', 'check again', solo, restart_sequence=True), check_mode=True),
        task('supvisors', 'again', solo, restart_sequence=True),
    ], tmp_path)
    check = run.task('check')
    assert (check['status'], check['result']['actions']) == ('changed', ['wait_operation', 'restart_sequence']), run
    assert run.task('sequence')['status'] == 'changed', run
    assert solo.rpc('solo', 'supervisor.getProcessInfo', 'late:lateproc')['statename'] == 'RUNNING'
    assert [run.task(t)['status'] for t in ('check again', 'again')] == ['ok', 'ok'], run
