"""Booleans of the program role given with -e, on ansible-core 2.19 and 2.16.

``-e var=false`` makes the string "false"; a role's argument check accepts it for a bool without
converting the variable, so the role itself must read it as a boolean: a bare ``when: var`` takes a
non-empty string as true on 2.16 (and deleted undeclared programs) and refuses it on 2.19 (the role
failed half-way). Each value is given as the command line gives it: key=value strings and JSON.
"""

import json
import os
import re

import pytest

from tests.support.ansible import REPO, run_playbook
from tests.support.paths import VENV_BIN

SLEEP = 'sleep 100000'
ANSIBLE_BINS = [pytest.param(VENV_BIN, id='ansible-core-2.19'),
                pytest.param(os.path.join(REPO, '.venv-ansible-2.16', 'bin'), id='ansible-core-2.16')]
BOOLEANS = ('supervisor_programs_exclusive', 'supervisor_no_log')
FALSE_VALUES = ['false', 'no', '0', False]  # False: given as JSON
TRUE_VALUES = ['true', 'yes', '1', True]
ALPHA = {'name': 'alpha', 'command': SLEEP, 'startsecs': 0}
BETA = {'name': 'beta', 'command': SLEEP, 'startsecs': 0}


def role_play(daemon, **role_vars):
    """A play that applies the program role to ``daemon`` with ``role_vars`` (which -e overrides)."""
    return [{'name': 'apply the program role', 'ansible.builtin.include_role': {'name': 'supervisor.control.program'},
             'vars': dict({'supervisor_include_dir': daemon.confd, 'supervisor_config': daemon.conf,
                           'supervisor_timeout': 30}, **role_vars)}]


def apply_role(daemon, tmp_path, ansible_bin, programs, value=None):
    """Run the program role declaring ``programs``, with every boolean of BOOLEANS given ``value`` by -e."""
    play = role_play(daemon, supervisor_programs=programs)
    args = []
    for name in BOOLEANS if value is not None else ():
        args += ['-e', json.dumps({name: value}) if isinstance(value, bool) else '%s=%s' % (name, value)]
    run = run_playbook(play, tmp_path, args=args, ansible_bin=ansible_bin)
    assert run.returncode == 0, (value, run)
    return run


def program_files_hidden(run):
    """Whether the results of the task that writes the program files were hidden (no_log)."""
    writes = run.task('Write the program files')['result']
    return [item.get('censored') is not None for item in writes['results']] if 'results' in writes else [
        writes.get('censored') is not None]


def stale_tasks(run):
    """The statuses of the tasks that only supervisor_programs_exclusive runs."""
    return [r['status'] for r in run.results if r['task'] in (
        'Find the files this role wrote', 'Remove the files of programs and groups that are no longer declared')]


@pytest.mark.parametrize('ansible_bin', ANSIBLE_BINS)
def test_booleans_from_the_command_line(fresh_daemon, tmp_path, ansible_bin):
    daemon = fresh_daemon
    apply_role(daemon, tmp_path, ansible_bin, [ALPHA, BETA])
    beta_file = os.path.join(daemon.confd, 'program_beta.conf')
    for value in FALSE_VALUES:
        run = apply_role(daemon, tmp_path, ansible_bin, [ALPHA], value)
        assert stale_tasks(run) == ['skipped', 'skipped'], value
        assert os.path.exists(beta_file), value
        assert daemon.statenames()['beta:beta'] == 'RUNNING', value
        assert program_files_hidden(run) == [False], value
    for value in TRUE_VALUES:
        run = apply_role(daemon, tmp_path, ansible_bin, [ALPHA], value)
        assert program_files_hidden(run) == [True], value
    assert not os.path.exists(beta_file)
    assert 'beta:beta' not in daemon.statenames()
    assert daemon.statenames()['alpha:alpha'] == 'RUNNING'


# Every form Ansible's bool accepts, as -e JSON carries it: supervisord itself knows only
# yes/no, true/false, on/off and 1/0, so the role must write what it read, not the text it was given.
AUTOSTART_FALSE = ['n', 'f', 'No', 'OFF', '0', 0, 0.0, False]
AUTOSTART_TRUE = ['y', 't', 'Yes', 'on', '1', 1, 1.0, True]


# The bool options of a program (meta/argument_specs.yml); getAllConfigInfo reports all but stopasgroup.
PROGRAM_BOOLEANS = ('autostart', 'stopasgroup', 'killasgroup', 'redirect_stderr', 'stdout_events_enabled',
                    'stdout_syslog', 'stderr_events_enabled', 'stderr_syslog')


def written(daemon, name):
    """The key=value lines of the program file the role wrote."""
    with open(os.path.join(daemon.confd, 'program_%s.conf' % name)) as handle:
        return dict(line.rstrip('\n').split('=', 1) for line in handle if '=' in line and not line.startswith(';'))


@pytest.mark.parametrize('ansible_bin', ANSIBLE_BINS)
def test_program_booleans_in_every_form_ansible_accepts(fresh_daemon, tmp_path, ansible_bin):
    daemon = fresh_daemon
    programs = []
    for prefix, values in (('off', AUTOSTART_FALSE), ('on', AUTOSTART_TRUE)):
        for i, value in enumerate(values):
            program = dict(name='%s_%d' % (prefix, i), command=SLEEP, startsecs=0, autorestart=value)
            program.update((key, value) for key in PROGRAM_BOOLEANS)
            programs.append(program)
    programs.append(dict(name='unexpected', command=SLEEP, startsecs=0, autorestart='Unexpected'))
    run = run_playbook(role_play(daemon), tmp_path, args=['-e', json.dumps({'supervisor_programs': programs})],
                       ansible_bin=ansible_bin)
    assert run.returncode == 0, [r for r in run.results if r['status'] == 'failed']
    config = dict((c['name'], c) for c in daemon.rpc('supervisor.getAllConfigInfo'))
    states = daemon.statenames()
    for program in programs[:-1]:
        name, wanted = program['name'], program['name'].startswith('on_')
        lines = written(daemon, name)
        assert [lines[key] for key in PROGRAM_BOOLEANS + ('autorestart',)] == [str(wanted).lower()] * 9, program
        assert [config[name][key] for key in PROGRAM_BOOLEANS if key != 'stopasgroup'] == [wanted] * 7, program
        assert states['%s:%s' % (name, name)] == ('RUNNING' if wanted else 'STOPPED'), program
    assert written(daemon, 'unexpected')['autorestart'] == 'Unexpected'  # as given: supervisord lowercases it


@pytest.mark.parametrize('ansible_bin', ANSIBLE_BINS)
def test_a_value_that_is_no_boolean_is_refused_before_anything_is_written(fresh_daemon, tmp_path, ansible_bin):
    daemon = fresh_daemon
    before = sorted(os.listdir(daemon.confd))
    run = run_playbook(role_play(daemon, supervisor_programs=[ALPHA]), tmp_path,
                       args=['-e', 'supervisor_programs_exclusive=maybe'], ansible_bin=ansible_bin)
    failed = [r for r in run.results if r['status'] == 'failed']
    assert [r['task'] for r in failed] == ["Validating arguments against arg spec 'main' - Deploy supervisord "
                                           "programs and groups"], run
    assert failed[0]['result']['changed'] is False
    # Ansible's own message, worded differently by 2.16 and 2.19 (and the order of its list is a set's)
    assert re.match(r"Validation of arguments failed:\nargument 'supervisor_programs_exclusive' is of type (str|<class "
                    r"'str'>) and we were unable to convert to bool: The value 'maybe' is not a valid boolean\.",
                    failed[0]['result']['msg']), failed[0]['result']['msg']
    assert sorted(os.listdir(daemon.confd)) == before
