"""supervisor.control.supvisors end_sync, and both modules before OPERATION, on a one-host cluster.

With ``synchro_options = USER`` Supvisors stays in SYNCHRONIZATION until a
user ends it (``supvisors.end_sync``): a cluster that is not in OPERATION
for as long as the test needs.
"""

import time

import pytest

from tests.support import ansible
from tests.support.ansible import run_playbook, sv_task
from tests.support.supvisors import running_cluster

DEADLINE = 90


@pytest.fixture(scope='module')
def solo():
    # Not waiting for OPERATION: with synchro_options USER, only end_sync ends SYNCHRONIZATION.
    with running_cluster(['solo'], programs={'idler': {'command': 'sleep 100000', 'autostart': False}},
                         options={'synchro_options': 'USER'}, wait=False) as cluster:
        deadline = time.monotonic() + DEADLINE
        while True:  # up, and its own instance RUNNING (end_sync needs a RUNNING master)
            try:
                status = cluster.rpc('solo', 'supvisors.get_supvisors_state')
                if status['instance_states'].get(cluster.identifier('solo')) == 'RUNNING':
                    break
            except Exception as exc:  # not answering yet
                status = exc
            assert time.monotonic() < deadline, 'Supvisors on solo never came up: %s\n%s' % (
                status, cluster.log('solo'))
            time.sleep(0.3)
        yield cluster


def test_end_sync_ends_the_synchronization(solo, tmp_path):
    url = solo.server_url('solo')
    assert solo.supvisors_state('solo') == 'SYNCHRONIZATION'
    run = run_playbook([
        sv_task('application', 'application too early', name='idler', server_url=url),
        sv_task('supvisors', 'operational too early', timeout=2, server_url=url),
        sv_task('supvisors', 'master without end_sync', master='solo', server_url=url),
        sv_task('supvisors', 'unknown master', end_sync=True, master='nowhere', server_url=url),
        dict(sv_task('supvisors', 'check end_sync', end_sync=True, server_url=url), check_mode=True),
        sv_task('supvisors', 'end_sync', end_sync=True, master='solo', timeout=DEADLINE, server_url=url),
        sv_task('supvisors', 'end_sync again', end_sync=True, server_url=url),
    ], tmp_path)
    too_early = run.task('application too early')['result']['msg']
    assert too_early == (
        'BAD_SUPVISORS_STATE: Supvisors is in state SYNCHRONIZATION, not OPERATION: cannot make applications '
        'started now (supervisor.control.supvisors state=operational waits for OPERATION)'), run
    assert run.task('operational too early')['result']['msg'] == (
        'Supvisors is not in OPERATION after 2.0s: its state is SYNCHRONIZATION')
    assert run.task('master without end_sync')['result']['msg'] == 'master is only used with end_sync=true'
    unknown = run.task('unknown master')['result']['msg']
    assert unknown == 'supvisors.end_sync failed with BAD_NAME: unknown Supvisors identifier=nowhere', unknown
    check = run.task('check end_sync')
    assert check['status'] == 'changed' and check['result']['actions'] == ['end_sync', 'wait_operation'], run
    done = run.task('end_sync')
    assert done['status'] == 'changed', run
    assert done['result']['supvisors']['state'] == 'OPERATION'
    assert done['result']['supvisors']['master_host'] == 'solo'
    again = run.task('end_sync again')
    assert again['status'] == 'ok' and again['result']['actions'] == ['wait_operation'], run


@pytest.mark.parametrize('in_process', [True, False], ids=['in-process', 'shipped'])
def test_a_master_end_sync_can_no_longer_choose_is_refused(solo, tmp_path, in_process):
    """After test_end_sync_ends_the_synchronization: the cluster is in OPERATION, its master elected."""
    url = solo.server_url('solo')
    with ansible.plays_in_process(in_process):
        run = run_playbook([
            sv_task('supvisors', 'the master by nick', end_sync=True, master='solo', server_url=url),
            sv_task('supvisors', 'the master by identifier', end_sync=True, master='solo:60000', server_url=url),
            dict(sv_task('supvisors', 'check another master', end_sync=True, master='nowhere', server_url=url),
                 check_mode=True),
            sv_task('supvisors', 'another master', end_sync=True, master='nowhere', server_url=url),
        ], tmp_path)
    assert [run.task(t)['status'] for t in ('the master by nick', 'the master by identifier')] == ['ok', 'ok'], run
    for title in ('check another master', 'another master'):
        refused = run.task(title)
        assert (refused['status'], refused['result']['changed']) == ('failed', False), (title, refused)
        assert refused['result']['msg'] == (
            'master=nowhere: the master is solo:60000 already, elected before this task (end_sync chooses it only '
            'during SYNCHRONIZATION)')
