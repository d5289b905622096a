"""Twenty forks change the same daemon at once."""

import os

import yaml

from tests.support.ansible import run_playbook
from tests.support.supervisord import Supervisord

FORKS = 20


def test_twenty_forks_restart_overlapping_processes_while_the_group_is_updated(tmp_path):
    programs = {'pool': dict(command='sleep 100000', numprocs=10, startsecs=1,
                             process_name='%(program_name)s_%(process_num)02d'),
                'solo': dict(command='sleep 100000', startsecs=0)}
    daemon = Supervisord(str(tmp_path / 'd'), programs=programs, groups={})
    os.makedirs(daemon.directory)
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('[forks]\n' + ''.join('fork%02d ansible_connection=local\n' % i for i in range(FORKS)))
    tasks = [
        {'name': 'restart overlapping processes',
         'supervisor.control.process': {
             'server_url': daemon.server_url,
             'name': ['pool:pool_{{ "%02d" | format(idx | int % 10) }}',
                      'pool:pool_{{ "%02d" | format((idx | int + 1) % 10) }}'],
             'state': 'restarted', 'timeout': 120},
         'vars': {'idx': '{{ inventory_hostname[4:] }}'}},
        {'name': 'group present while others restart',
         'supervisor.control.group': {'server_url': daemon.server_url, 'name': ['pool', 'solo'],
                                      'state': 'present', 'timeout': 120},
         'when': 'inventory_hostname in ["fork00", "fork07"]'},
        {'name': 'everything started',
         'supervisor.control.process': {'server_url': daemon.server_url, 'name': ['pool:*', 'solo'],
                                        'state': 'started', 'timeout': 120}},
    ]
    play = [{'hosts': 'forks', 'gather_facts': False, 'tasks': tasks}]
    try:
        daemon.start()
        run = run_playbook(yaml.safe_dump(play), tmp_path, args=['-i', str(inventory), '-f', str(FORKS)])
        failed = [(r['host'], r['task'], r['result'].get('msg')) for r in run.results if r['status'] == 'failed']
        assert not failed, failed
        restarts = run.tasks('restart overlapping processes')
        assert len(restarts) == FORKS and all(r['status'] == 'changed' for r in restarts)
        finals = run.tasks('everything started')
        assert len(finals) == FORKS
        assert set(daemon.statenames().values()) == {'RUNNING'}, daemon.statenames()
    finally:
        daemon.cleanup()
