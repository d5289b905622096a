"""supervisor.control.supvisors end_sync, and both modules before OPERATION, on a one-host cluster.

With ``synchro_options = USER`` Supvisors stays in SYNCHRONIZATION until a
user ends it (``supvisors.end_sync``): a cluster that is not in OPERATION
for as long as the test needs.
"""

import time

import pytest

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
