"""keep_stopped: processes stopped on purpose stay stopped when their group is replaced (Supervisor#214)."""

import os
import re

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.netns import require_root
from tests.support.supervisord import SLEEPER, Supervisord

from ansible_collections.supervisor.control.plugins.module_utils.group_controller import (  # noqa: E402
    UNVERIFIED_WARNING,
)

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases


def change_on_disk(daemon, program):
    """A new command for ``program``: reloadConfig then reports its group as changed."""
    daemon.write_program(program, dict(command='sleep 100001', startsecs=0))


def states(daemon, *names):
    return [daemon.info(name)['statename'] for name in names]


def test_group_present_keeps_a_stopped_process_stopped(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.stop_process('web:web_a')
    change_on_disk(daemon, 'web_a')
    run = run_playbook([
        dict(sv_task('group', 'check', daemon, name='web', state='present', keep_stopped=True), check_mode=True),
        sv_task('group', 'update', daemon, name='web', state='present', keep_stopped=True),
    ], tmp_path)
    check = run.result('check')
    assert (check['changed'], check['groups_updated'], check['kept_stopped']) == (True, ['web'], ['web:web_a']), run
    update = run.task('update')
    assert update['status'] == 'changed', run
    assert (update['result']['groups_updated'], update['result']['kept_stopped']) == (['web'], ['web:web_a'])
    assert [(p['fullname'], p['statename']) for p in update['result']['processes']] == [
        ('web:web_a', 'STOPPED'), ('web:web_b', 'RUNNING')]
    assert states(daemon, 'web:web_a', 'web:web_b') == ['STOPPED', 'RUNNING']


def test_without_keep_stopped_the_update_starts_it_again_as_supervisorctl_does(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.stop_process('web:web_a')
    change_on_disk(daemon, 'web_a')
    run = run_playbook([sv_task('group', 'update', daemon, name='web', state='present')], tmp_path)
    assert run.task('update')['status'] == 'changed', run
    assert 'kept_stopped' not in run.result('update')
    assert states(daemon, 'web:web_a', 'web:web_b') == ['RUNNING', 'RUNNING']


def test_daemon_reloaded_keeps_stopped_processes_of_every_replaced_group(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.stop_process('web:web_b')
    daemon.stop_process('sleeper:sleeper')
    change_on_disk(daemon, 'web_a')
    change_on_disk(daemon, 'sleeper')
    run = run_playbook([sv_task('daemon', 'reload', daemon, state='reloaded', keep_stopped=True)], tmp_path)
    result = run.result('reload')
    assert run.task('reload')['status'] == 'changed', run
    assert (result['groups_updated'], result['kept_stopped']) == (['sleeper', 'web'], ['sleeper', 'web:web_b'])
    assert states(daemon, 'sleeper:sleeper', 'web:web_a', 'web:web_b') == ['STOPPED', 'RUNNING', 'STOPPED']


# A kept process must never run its program, or get a stop signal it can act on at once.
# This program runs a second, then leaves a marker: a marker means that the program ran, however it ended.
# stopwaitsecs is longer than the tasks' timeout: a stop signal the program never saw would leave it to
# supervisord's SIGKILL after a minute, and fail the task.
MARKED = "sh -c 'sleep 1; echo ran >> %s; exec sleep %d'"
SIGKILL_AFTER_STOPWAITSECS = re.compile(r"killing '[^']*' \(\d+\) with SIGKILL")


def marked_daemon(tmp_path, **options):
    marker = str(tmp_path / 'marker')
    programs = {
        # Never started at first (so never marked); each version below starts it.
        'marked': dict(command=MARKED % (marker, 100000), autostart=False, startsecs=0, stopwaitsecs=60),
        'peer': dict(command=SLEEPER, startsecs=0),
    }
    return Supervisord(str(tmp_path / 'supervisord'), programs=programs, groups={'pair': ['marked', 'peer']},
                       **options), marker


def keep_rounds(daemon, marker, modules):
    """Per module, a new version of marked on disk (autostart, so replacing its group starts it), then the update."""
    tasks = []
    for number, module in enumerate(modules):
        section = daemon.program_section('marked', dict(command=MARKED % (marker, 100001 + number), startsecs=0,
                                                        stopwaitsecs=60))
        tasks.append({'name': 'version %d' % number,
                      'ansible.builtin.copy': {'dest': os.path.join(daemon.confd, 'marked.conf'), 'content': section}})
        args = dict(name='pair', state='present') if module == 'group' else dict(state='reloaded')
        tasks.append(sv_task(module, 'keep %d' % number, daemon, keep_stopped=True, timeout=10, **args))
    return tasks


def main_log(daemon):
    with open(os.path.join(daemon.directory, 'supervisord.log')) as handle:
        return handle.read()


def test_a_kept_process_never_runs_its_program(tmp_path):
    daemon, marker = marked_daemon(tmp_path)
    modules = ['group', 'daemon', 'group', 'daemon', 'group', 'daemon']
    with daemon:
        run = run_playbook(keep_rounds(daemon, marker, modules), tmp_path)
        assert not os.path.exists(marker), 'the kept program ran: %s' % main_log(daemon)
        assert not SIGKILL_AFTER_STOPWAITSECS.search(main_log(daemon)), main_log(daemon)
        for number in range(len(modules)):
            task = run.task('keep %d' % number)
            assert task['status'] == 'changed', run
            result = task['result']
            assert (result['groups_updated'], result['kept_stopped']) == (['pair'], ['pair:marked']), result
            # Seen in /proc here: frozen before its exec (never ran), or just after it (stopped at once).
            assert list(result['kept_stopped_detail']) == ['pair:marked'], result
            assert result['kept_stopped_detail']['pair:marked'] in ('never_ran', 'stopped_at_once'), result
            assert 'warnings' not in result, result
        assert states(daemon, 'pair:marked', 'pair:peer') == ['STOPPED', 'RUNNING']


def test_where_proc_shows_nothing_the_kept_process_is_killed_and_the_result_says_so(tmp_path):
    """supervisord in a pid namespace of its own: its pids mean nothing in this /proc, as on another host."""
    require_root('pid namespaces')
    daemon, marker = marked_daemon(tmp_path, wrapper=['unshare', '--pid', '--fork', '--kill-child'])
    with daemon:
        assert daemon.rpc('supervisor.getPID') == 1
        run = run_playbook(keep_rounds(daemon, marker, ['group', 'daemon']), tmp_path)
        assert not os.path.exists(marker), 'the kept program ran: %s' % main_log(daemon)
        assert not SIGKILL_AFTER_STOPWAITSECS.search(main_log(daemon)), main_log(daemon)
        for number in range(2):
            task = run.task('keep %d' % number)
            assert task['status'] == 'changed', run
            result = task['result']
            assert (result['kept_stopped'], result['kept_stopped_detail']) == (
                ['pair:marked'], {'pair:marked': 'unverified'}), result
            assert result['warnings'] == [UNVERIFIED_WARNING % ('pair:marked', daemon.server_url)], result
        assert states(daemon, 'pair:marked', 'pair:peer') == ['STOPPED', 'RUNNING']


# kept_stopped (and its detail) is in every result of an update asked to keep stopped processes.
def test_daemon_reloaded_that_only_adds_groups_returns_empty_kept_stopped(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.write_program('added', dict(command=SLEEPER, startsecs=0))
    run = run_playbook([
        dict(sv_task('daemon', 'check', daemon, state='reloaded', keep_stopped=True), check_mode=True),
        sv_task('daemon', 'reload', daemon, state='reloaded', keep_stopped=True),
        sv_task('group', 'unchanged', daemon, name='web', keep_stopped=True),
    ], tmp_path)
    for title in ('check', 'reload'):
        result = run.result(title)
        assert (result['changed'], result['groups_added'], result.get('kept_stopped')) == (True, ['added'], []), title
    for title in ('check', 'reload'):
        assert run.result(title)['kept_stopped_detail'] == {}
    unchanged = run.result('unchanged')
    assert (unchanged['changed'], unchanged['kept_stopped'], unchanged['kept_stopped_detail']) == (False, [], {}), run
    assert states(daemon, 'added') == ['RUNNING']


def test_a_failed_update_says_what_it_kept_stopped(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    daemon.stop_process('web:web_a')
    change_on_disk(daemon, 'web_a')
    daemon.write_program('web_b', dict(command="sh -c 'exit 3'", startsecs=1, startretries=0))
    daemon.write_program('broken', dict(command="sh -c 'exit 3'", startsecs=1, startretries=0))
    run = run_playbook([
        sv_task('group', 'replace', daemon, name='web', keep_stopped=True),
        sv_task('group', 'add', daemon, name='broken', keep_stopped=True),
        sv_task('daemon', 'nothing left', daemon, state='reloaded', keep_stopped=True),
    ], tmp_path)
    replace = run.task('replace')
    assert replace['status'] == 'failed', run
    assert replace['result']['msg'].startswith('web:web_b: failed to start (FATAL)'), replace
    assert (replace['result']['groups_updated'], replace['result']['kept_stopped']) == (['web'], ['web:web_a'])
    add = run.task('add')
    assert add['status'] == 'failed', run
    assert add['result']['msg'].startswith('broken: failed to start (FATAL)'), add
    assert (add['result']['groups_added'], add['result'].get('kept_stopped')) == (['broken'], []), add
    detail = replace['result']['kept_stopped_detail']
    assert list(detail) == ['web:web_a'] and detail['web:web_a'] in ('never_ran', 'stopped_at_once'), detail
    assert add['result']['kept_stopped_detail'] == {}
    nothing = run.result('nothing left')
    assert (nothing['changed'], nothing['kept_stopped'], nothing['kept_stopped_detail']) == (False, [], {}), run
    assert states(daemon, 'web:web_a', 'web:web_b', 'broken') == ['STOPPED', 'FATAL', 'FATAL']
