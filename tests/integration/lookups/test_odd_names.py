"""The state and log lookups, in a real play, on names that look like syntax (tests/support/odd_names.py).

An exact name always wins over a glob reading, and no term means every process, even on a daemon with
a program called ``all``.
"""

import pytest

from tests.support.ansible import assert_lookup_failed, run_playbook
from tests.support.odd_names import NBSP_NAME, ODD_NAMESPECS, TAB_NAME, odd_names_daemon, stop_all

NAMES = {'bracket': 'a[1]', 'question': 'q?', 'star': 'g[x]:x*', 'group': 'g[x]', 'nbsp': NBSP_NAME,
         'tab': TAB_NAME, 'all': 'all'}


@pytest.fixture(scope='module')
def odd_run(tmp_path_factory):
    with odd_names_daemon(str(tmp_path_factory.mktemp('odd'))) as daemon:
        daemon.client().multicall([('supervisor.startProcess', [spec, False]) for spec in ('a[1]:a[1]', 'a1:a1')])
        daemon.wait_state('a[1]:a[1]', 'RUNNING')
        daemon.wait_state('a1:a1', 'RUNNING')
        daemon.client().call('supervisor.sendProcessStdin', 'a[1]:a[1]', 'in a[1]\n')
        daemon.client().call('supervisor.sendProcessStdin', 'a1:a1', 'in a1\n')
        facts = dict(('state_%s' % key, "{{ query('supervisor.control.state', names.%s) }}" % key) for key in NAMES)
        facts.update({
            'everything': "{{ query('supervisor.control.state') }}",
            'config': "{{ query('supervisor.control.state', 'a[1]', what='config') }}",
            'log': "{{ lookup('supervisor.control.log', 'a[1]', lines=5) }}",
        })
        tasks = [
            {'name': 'read', 'ansible.builtin.set_fact': facts},
            {'name': 'typo', 'ansible.builtin.debug': {'msg': "{{ query('supervisor.control.state', 'a[2]') }}"},
             'ignore_errors': True},
            {'name': 'log typo', 'ansible.builtin.debug': {'msg': "{{ lookup('supervisor.control.log', 'g[x]:x') }}"},
             'ignore_errors': True},
            {'name': 'until', 'ansible.builtin.debug': {'msg': 'a[1] runs'}, 'retries': 3, 'delay': 1,
             'until': "(query('supervisor.control.state', 'a[1]') | first).statename == 'RUNNING'"},
        ]
        run = run_playbook(tasks, tmp_path_factory.mktemp('play'), vars={'names': NAMES},
                           extra_env={'SUPERVISOR_SERVER_URL': daemon.server_url})
        stop_all(daemon)
        yield run


def namespecs(processes):
    return ['%s:%s' % (p['group'], p['name']) for p in processes]


@pytest.mark.parametrize('key, expected', [
    ('bracket', ['a[1]:a[1]']),
    ('question', ['q?:q?']),
    ('star', ['g[x]:x*']),
    ('group', ['g[x]:x*', 'g[x]:xy']),
    ('nbsp', ['%s:%s' % (NBSP_NAME, NBSP_NAME)]),
    ('tab', ['%s:%s' % (TAB_NAME, TAB_NAME)]),
    ('all', ['all:all']),
])
def test_state_reads_the_named_processes(odd_run, key, expected):
    assert namespecs(odd_run.result('read')['ansible_facts']['state_%s' % key]) == expected


def test_no_term_is_every_process_even_with_a_program_called_all(odd_run):
    assert namespecs(odd_run.result('read')['ansible_facts']['everything']) == ODD_NAMESPECS


def test_config_and_log_of_a_bracketed_name(odd_run):
    got = odd_run.result('read')['ansible_facts']
    assert [(c['fullname'], c['group'], c['name']) for c in got['config']] == [('a[1]', 'a[1]', 'a[1]')]
    assert got['log'] == 'in a[1]\n'


def test_until_and_typo(odd_run):
    assert odd_run.task('until')['status'] == 'ok'
    assert odd_run.task('typo')['status'] == 'failed'
    assert_lookup_failed(odd_run.result('typo')['msg'], 'supervisor.control.state',
                         "no process matches 'a[2]'; closest names: a[1], a[1]:*")


def test_the_log_lookup_suggests_single_processes_only(odd_run):
    """It reads one process per term: a group's name would fail it again (matches 2 processes)."""
    assert_lookup_failed(odd_run.result('log typo')['msg'], 'supervisor.control.log',
                         "no process matches 'g[x]:x'; closest names: g[x]:x*, g[x]:xy, gx:x1")
