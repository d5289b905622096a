"""A Supvisors restart with wait=false always ends with the process started.

The start used to be sent while Supvisors was still stopping the process: it
answered ALREADY_STARTED (swallowed, the task succeeded) or
ABNORMAL_TERMINATION, and the process ended STOPPED. The program here takes
about a second to stop, which made that race likely; each restart is
followed by a check that the process comes back RUNNING on its own, within
the same playbook run.
"""

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.supvisors import managed_application, running_cluster

ROUNDS = 6
# Stops about one second after SIGTERM, so a start sent without waiting for the stop meets STOPPING.
SLOW_STOPPER = "sh -c 'trap \"sleep 1; exit 0\" TERM; while :; do sleep 0.1; done'"
RULES = managed_application('web', ['front'])


@pytest.fixture(scope='module')
def solo():
    front = {'command': SLOW_STOPPER, 'autostart': False, 'startsecs': 0, 'stopwaitsecs': 10}
    with running_cluster(['solo'], programs={'front': front}, groups={'web': ['front']}, rules=RULES,
                         running=[('solo', 'web:front')]) as cluster:  # start_sequence 1: Supvisors starts it
        yield cluster


def comes_back_running(title, url):
    """A task that polls the daemon's own view of web:front until it is RUNNING (fails after 30 s)."""
    return {'name': title, 'ansible.builtin.debug': {
        'msg': "{{ query('supervisor.control.state', 'web:front', server_url='%s')[0].statename }}" % url},
        'register': 'seen', 'until': "seen.msg == 'RUNNING'", 'retries': 30, 'delay': 1, 'ignore_errors': True}


@pytest.mark.parametrize('module, args', [
    ('process', dict(name='web:front', strategy='CONFIG')),
    ('application', dict(name='web')),
], ids=['process-with-strategy', 'application'])
def test_restarted_without_wait_always_ends_started(solo, tmp_path, module, args):
    url = solo.server_url('solo')
    tasks = []
    for round_ in range(ROUNDS):
        tasks.append(sv_task(module, 'restart %d' % round_, state='restarted', wait=False, server_url=url, **args))
        tasks.append(comes_back_running('running %d' % round_, url))
    run = run_playbook(tasks, tmp_path, timeout=600)
    for round_ in range(ROUNDS):
        restart = run.task('restart %d' % round_)
        assert restart['status'] == 'changed', (round_, run)
        running = run.task('running %d' % round_)
        assert (running['status'], running['result']['msg']) == ('ok', 'RUNNING'), (round_, running)
    assert solo.rpc('solo', 'supervisor.getProcessInfo', 'web:front')['statename'] == 'RUNNING'
