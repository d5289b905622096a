"""supervisor.control.group against a real supervisord: supervisorctl update NAME semantics."""

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.supervisord import supervisor_version

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases


# the groups of the standard programs (tests/support/supervisord.py)
STANDARD_GROUPS = {'crasher', 'dier', 'idle', 'sleeper', 'web', 'worker'}


def task(title, daemon, **args):
    return sv_task('group', title, daemon, **args)


def test_present_adds_then_is_unchanged_then_updates_a_changed_group(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.write_program('newprog', dict(command='sleep 100000', startsecs=1))
    run = run_playbook([
        task('check add', daemon, name='newprog'),
    ], tmp_path, check=True)
    assert run.task('check add')['status'] == 'changed', run
    assert {i['group'] for i in daemon.rpc('supervisor.getAllProcessInfo')} == STANDARD_GROUPS

    run = run_playbook([
        task('add', daemon, name='newprog'),
        task('again', daemon, name='newprog'),
    ], tmp_path, diff=True)
    add = run.task('add')
    assert add['status'] == 'changed', run
    assert add['result']['groups_added'] == ['newprog']
    assert add['result']['diff'] == {'before': {'groups': []}, 'after': {'groups': ['newprog'], 'updated': []}}
    assert add['result']['processes'][0]['statename'] == 'RUNNING'  # waited past startsecs
    assert run.task('again')['status'] == 'ok'
    assert run.task('again')['result']['groups_added'] == []
    pid = daemon.info('newprog:newprog')['pid']

    daemon.write_program('newprog', dict(command='sleep 100001', startsecs=0))
    run = run_playbook([task('update', daemon, name=['newprog']), task('other', daemon, name=['sleeper'])],
                       tmp_path)
    update = run.task('update')['result']
    assert update['groups_updated'] == ['newprog'], run
    info = daemon.info('newprog:newprog')
    assert info['statename'] == 'RUNNING' and info['pid'] != pid
    assert run.task('other')['status'] == 'ok'


def test_present_only_touches_named_groups(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.write_program('one', dict(command='sleep 100000', startsecs=0))
    daemon.write_program('two', dict(command='sleep 100000', startsecs=0))
    run = run_playbook([task('one', daemon, name='one')], tmp_path)
    assert run.task('one')['result']['groups_added'] == ['one']
    assert {i['group'] for i in daemon.rpc('supervisor.getAllProcessInfo')} == STANDARD_GROUPS | {'one'}


def test_absent_stops_and_removes_and_unknown_fails(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    run = run_playbook([
        task('absent', daemon, name='web', state='absent'),
        task('absent again', daemon, name='web', state='absent'),
        task('unknown present', daemon, name='nope'),
        task('unknown started', daemon, name='nope', state='started'),
    ], tmp_path)
    assert run.task('absent')['result']['groups_removed'] == ['web'], run
    assert run.task('absent again')['status'] == 'ok'
    assert {i['group'] for i in daemon.rpc('supervisor.getAllProcessInfo')} == STANDARD_GROUPS - {'web'}
    assert run.task('unknown present')['result']['msg'] == (
        'group nope is not in the configuration files of supervisord (known: crasher, dier, idle, sleeper, web, '
        'worker)')
    assert run.task('unknown started')['result']['msg'] == (
        'group nope is not loaded in supervisord: add it with state=present first')
    # The file is still on disk: present brings it back, as supervisorctl update would.
    run = run_playbook([task('back', daemon, name='web')], tmp_path)
    assert run.task('back')['result']['groups_added'] == ['web']
    assert daemon.info('web:web_a')['statename'] == 'RUNNING'


def test_started_stopped_restarted(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    pid = daemon.info('web:web_a')['pid']
    run = run_playbook([
        task('stop', daemon, name='web', state='stopped'),
        task('stop again', daemon, name='web', state='stopped'),
        task('start', daemon, name='web', state='started'),
        task('restart', daemon, name='web', state='restarted'),
    ], tmp_path)
    assert [run.task(t)['status'] for t in ('stop', 'stop again', 'start', 'restart')] == [
        'changed', 'ok', 'changed', 'changed'], run
    assert [p['statename'] for p in run.result('stop')['processes']] == ['STOPPED', 'STOPPED']
    info = daemon.info('web:web_a')
    assert info['statename'] == 'RUNNING' and info['pid'] != pid


def test_syntax_error_in_config_fails_with_supervisords_message(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    with open(daemon.confd + '/broken.conf', 'w') as handle:
        handle.write('[program:broken]\ncommand=sleep 1\nnumprocs=notanumber\n')
    run = run_playbook([task('broken', daemon, name='broken')], tmp_path, check=True)
    result = run.task('broken')
    assert result['status'] == 'failed'
    # supervisord's own words: 3.x runs on Python 2 (long()), and names the section and file from 3.2.0 on.
    number = 'long()' if supervisor_version() < (4, 0, 0) else 'int()'
    where = " in section 'program:broken' (file: '%s/broken.conf')" % daemon.confd
    assert result['result']['msg'] == (
        "supervisor.reloadConfig failed with CANT_REREAD: invalid literal for %s with base 10: 'notanumber'%s" % (
            number, where if supervisor_version() >= (3, 2, 0) else '')), result
    assert 'Traceback' not in run.output
