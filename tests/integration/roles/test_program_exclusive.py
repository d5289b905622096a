"""supervisor.control.program with supervisor_programs_exclusive (puppet-supervisord#125), on a real supervisord."""

import os

from tests.support.ansible import run_playbook

SLEEP = 'sleep 100000'


def play(daemon, programs, groups=(), exclusive=True):
    return [{'name': 'apply the program role', 'ansible.builtin.include_role': {'name': 'supervisor.control.program'},
             'vars': {'supervisor_programs': list(programs), 'supervisor_groups': list(groups),
                      'supervisor_programs_exclusive': exclusive, 'supervisor_include_dir': daemon.confd,
                      'supervisor_config': daemon.conf, 'supervisor_timeout': 30}}]


def test_programs_no_longer_declared_go_with_their_files_and_hand_written_ones_stay(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    hand_written = os.path.join(daemon.confd, 'program_manual.conf')
    with open(hand_written, 'w') as handle:  # named like the role's files, but without its marker
        handle.write('[program:manual]\ncommand=%s\n' % SLEEP)
    daemon.rpc('supervisor.reloadConfig')
    daemon.rpc('supervisor.addProcessGroup', 'manual')
    programs = [{'name': 'alpha', 'command': SLEEP, 'startsecs': 0}, {'name': 'beta', 'command': SLEEP, 'startsecs': 0},
                {'name': 'one', 'command': SLEEP, 'startsecs': 0}]
    groups = [{'name': 'pair', 'programs': ['one']}]
    first = run_playbook(play(daemon, programs, groups), tmp_path)
    assert first.returncode == 0, first
    states = daemon.statenames()
    assert [states.get(name) for name in ('alpha:alpha', 'beta:beta', 'pair:one', 'manual:manual')] == [
        'RUNNING'] * 4

    # beta and the group pair (with its program one) are no longer declared.
    second = run_playbook(play(daemon, programs[:1]), tmp_path)
    assert second.returncode == 0, second
    # group_web.conf is the test daemon's own, hand-written: it stays too.
    assert sorted(name for name in os.listdir(daemon.confd) if name.startswith(('program_', 'group_'))) == [
        'group_web.conf', 'program_alpha.conf', 'program_manual.conf']
    remaining = daemon.statenames()
    assert [name for name in ('alpha:alpha', 'beta:beta', 'pair:one', 'manual:manual') if name in remaining] == [
        'alpha:alpha', 'manual:manual']

    third = run_playbook(play(daemon, programs[:1]), tmp_path)
    assert third.returncode == 0, third
    removed = [r for r in third.results if r['task'] == 'Remove absent groups from supervisord']
    assert [r['status'] for r in removed] == ['skipped'], third  # nothing left to remove: idempotent
    assert [r['task'] for r in third.results if r['status'] == 'changed'] == []


def test_without_exclusive_undeclared_programs_stay(fresh_daemon, tmp_path):
    daemon = fresh_daemon
    programs = [{'name': 'alpha', 'command': SLEEP, 'startsecs': 0}, {'name': 'beta', 'command': SLEEP, 'startsecs': 0}]
    assert run_playbook(play(daemon, programs, exclusive=False), tmp_path).returncode == 0
    run = run_playbook(play(daemon, programs[:1], exclusive=False), tmp_path)
    assert run.returncode == 0, run
    assert os.path.exists(os.path.join(daemon.confd, 'program_beta.conf'))
    assert daemon.statenames()['beta:beta'] == 'RUNNING'
