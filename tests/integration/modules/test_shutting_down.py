"""A supervisord that is shutting down or restarting: every module and lookup says so in one line, and what asks
for the daemon's state gets it.

supervisord answers every call with SHUTDOWN_STATE, from the moment it is asked to shut down or to restart until it
has stopped its processes, and says neither which nor anything else. A program that ignores SIGTERM holds it there
for its stopwaitsecs. Real supervisord, real ansible-playbook, both execution paths (conftest.py).
"""

import contextlib
import os

import pytest

from tests.support.ansible import assert_lookup_failed, run_playbook, sv_task
from tests.support.supervisord import SLEEPER, Supervisord, wait_for_text

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases

STUBBORN = dict(command="sh -c \"trap '' TERM; echo ready; exec sleep 100000\"", startsecs=0, stopwaitsecs=60)


def shutting_down(url):
    return ('supervisord at %s is shutting down or restarting (it answers every call with SHUTDOWN_STATE until it has '
            'stopped its processes, each within its stopwaitsecs): try again once it is back after a restart, or '
            'start it again after a shutdown' % url)


@contextlib.contextmanager
def held(tmp_path, method):
    """A daemon that ``method`` (supervisor.shutdown or supervisor.restart) keeps in SHUTDOWN_STATE for a minute."""
    programs = {'stubborn': STUBBORN, 'sleeper': dict(command=SLEEPER, startsecs=0)}
    with Supervisord(str(tmp_path / 'supervisord'), programs=programs, groups={'web': ['sleeper']}) as daemon:
        wait_for_text(os.path.join(daemon.logdir, 'stubborn_0.out'), b'ready\n')
        daemon.rpc(method)
        yield daemon


def lookup(title, query):
    return {'name': title, 'ansible.builtin.set_fact': {'found': '{{ %s }}' % query}, 'ignore_errors': True}


def assert_refused(run, title, message):
    result = run.task(title)
    assert (result['status'], result['result']['changed'], result['result']['msg']) == ('failed', False, message), (
        title, run)


@pytest.mark.parametrize('method', ['supervisor.shutdown', 'supervisor.restart'], ids=['shutdown', 'restart'])
def test_one_line_that_says_shutting_down_or_restarting(tmp_path, method):
    with held(tmp_path, method) as daemon:
        url = daemon.server_url
        run = run_playbook([
            sv_task('process', 'process', daemon, name='web:sleeper', state='restarted'),
            sv_task('process', 'process by glob', daemon, name='web:*', state='stopped'),
            sv_task('group', 'group started', daemon, name='web', state='started'),
            sv_task('group', 'group present', daemon, name='web'),
            sv_task('stdin', 'stdin', daemon, name='web:sleeper', chars='x'),
            sv_task('rpc', 'rpc', daemon, method='supervisor.getAllProcessInfo'),
            sv_task('daemon', 'daemon', daemon, state='reloaded'),
            lookup('state lookup', "query('supervisor.control.state', 'web:sleeper', server_url='%s')" % url),
            lookup('config lookup', "query('supervisor.control.state', what='config', server_url='%s')" % url),
        ], tmp_path)
        for title in ('process', 'process by glob', 'group started', 'group present', 'stdin', 'rpc', 'daemon'):
            assert_refused(run, title, shutting_down(url))
        for title in ('state lookup', 'config lookup'):
            assert run.task(title)['status'] == 'failed', run
            assert_lookup_failed(run.result(title)['msg'], 'supervisor.control.state', shutting_down(url))
        # Nothing was done: the processes are as the shutdown or the restart leaves them.
        assert daemon.proc.poll() is None


@pytest.mark.parametrize('method', ['supervisor.shutdown', 'supervisor.restart'], ids=['shutdown', 'restart'])
def test_info_and_the_state_lookup_report_the_state(tmp_path, method):
    with held(tmp_path, method) as daemon:
        url = daemon.server_url
        run = run_playbook([
            sv_task('info', 'info', daemon, gather=['config']),
            lookup('daemon lookup', "lookup('supervisor.control.state', what='supervisord', server_url='%s')" % url),
        ], tmp_path)
        info = run.task('info')
        assert (info['status'], info['result']['changed']) == ('ok', False), run
        facts = {'state': 'SHUTDOWN_STATE', 'statecode': None, 'version': None, 'api_version': None,
                 'identification': None, 'pid': None, 'server_url': url}
        assert info['result']['supervisord'] == facts
        # It answers nothing of its processes: none are listed (an empty list would say it has none).
        assert [key for key in ('processes', 'groups', 'config') if key in info['result']] == []
        assert info['result']['warnings'] == [shutting_down(url)]
        assert run.task('daemon lookup')['status'] == 'ok', run
        assert run.result('daemon lookup')['ansible_facts']['found'] == facts
