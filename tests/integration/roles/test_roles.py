"""The roles supervisor.control.supervisord and supervisor.control.program, for real.

- The Molecule scenarios (extensions/molecule/supervisord, .../program and
  .../push, the event listener) run in full: converge, idempotence, verify, destroy. Each gets a prefix of its own,
  and whatever a failed run leaves behind is killed and removed here.
- Wrong variables fail at once, before anything is installed.
- An inet_http_server on a non-loopback address without a password is refused.
- playbooks/site.yml (both roles, then the process module) works, and never
  prints the HTTP password, even at -vvv with --diff.
- The Supvisors sections are rendered (in check mode, which touches nothing:
  Supvisors itself cannot start without a network namespace).
- ansible-lint's production profile passes on the roles, playbooks, scenarios
  and rulebooks.

Wall time: about 3.5 minutes on 2 cores (the three scenarios take most of it).
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

from tests.support.ansible import REPO, ansible_env, run_playbook
from tests.support.paths import VENV_BIN
from tests.support.supervisord import free_port, kill_session

MOLECULE = os.path.join(VENV_BIN, 'molecule')
SITE = os.path.join(REPO, 'playbooks', 'site.yml')


def supervisords_under(prefix):
    """Pids of the supervisord daemons whose command line mentions ``prefix``."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                argv = handle.read().decode('utf-8', 'replace').split('\0')
        except OSError:
            continue
        if any(os.path.basename(a) == 'supervisord' for a in argv[:2]) and any(prefix in a for a in argv):
            pids.append(int(entry))
    return pids


@pytest.fixture
def workdir():
    """A short temporary directory (unix socket paths are limited to 107 bytes).

    Afterwards, any supervisord started under it is killed with its programs
    (the daemon calls setsid, so they all share its session), and it is removed.
    """
    path = tempfile.mkdtemp(prefix='roles-')
    try:
        yield path
    finally:
        for pid in supervisords_under(path):
            kill_session(pid)
        shutil.rmtree(path, ignore_errors=True)


def molecule_env(workdir, extra=None):
    env = ansible_env(extra)
    # Molecule runs its own ansible-playbook: no recording callback there.
    for key in ('ANSIBLE_CALLBACK_PLUGINS', 'ANSIBLE_CALLBACKS_ENABLED', 'ANSIBLE_PYTHON_INTERPRETER'):
        env.pop(key, None)
    env['MOLECULE_EPHEMERAL_DIRECTORY'] = os.path.join(workdir, 'molecule')
    env['NO_COLOR'] = '1'
    return env


@pytest.mark.slow
@pytest.mark.parametrize('scenario', ['supervisord', 'program', 'push'])
def test_molecule_scenario(scenario, workdir):
    prefix = os.path.join(workdir, 'p')
    env = molecule_env(workdir, {
        'SUPERVISOR_MOLECULE_PREFIX': prefix,
        'SUPERVISOR_MOLECULE_PASSWORD': 'pw-%s' % os.urandom(6).hex(),
        'SUPERVISOR_MOLECULE_PUSH_PORT': str(free_port()),
        'SUPERVISOR_MOLECULE_PUSH_TOKEN': 'tk-%s' % os.urandom(6).hex(),
    })
    proc = subprocess.run([MOLECULE, 'test', '-s', scenario], cwd=REPO, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-8000:]
    for step in ('converge', 'idempotence', 'verify', 'destroy'):
        assert '%s: Executed: Successful' % step in output, output[-8000:]
    # destroy stopped the daemon and removed the prefix
    assert supervisords_under(prefix) == []
    assert not os.path.exists(prefix)


# --- wrong variables --------------------------------------------------------

# ansible's argument-spec validation words the first line of most messages
INVALID = 'Validation of arguments failed:\n'

PUSH_REFUSED = ('supervisord_event_push_url must be an http:// or https:// URL, and needs '
                'supervisord_event_push_token and supervisord_event_push_host.')

PUSH = {'supervisord_event_push_url': 'http://127.0.0.1:5080/', 'supervisord_event_push_token': 't'}
PUSH_PYTHON = ('supervisord_event_push_python %s does not run a Python 3 on this host: the event listener needs '
               'Python 3, whatever Python supervisord runs on (supervisor 3.x runs on Python 2). Install python3, or '
               'set supervisord_event_push_python to one.')
PYTHON2 = os.path.join(REPO, '.venv-supervisor-3.4.0', 'bin', 'python')

SUPERVISORD_CASES = {
    'install_method': ({'supervisord_install_method': 'conda'},
                       INVALID + 'value of supervisord_install_method must be one of: pip, package, got: conda'),
    'inet_port_not_int': ({'supervisord_inet': {'port': 'http'}},
                          INVALID + "argument 'port' is of type str found in 'supervisord_inet'. and we were unable "
                                    "to convert to int: \"'http'\" cannot be converted to an int"),
    'inet_unknown_key': ({'supervisord_inet': {'port': 9001, 'adress': '127.0.0.1'}},
                         INVALID + 'supervisord_inet.adress. Supported parameters include: address, password, port, '
                                   'username.'),
    'inet_username_only': ({'supervisord_inet': {'port': 9001, 'username': 'admin'}},
                           INVALID + 'parameters are required together: username, password found in supervisord_inet'),
    'inet_no_port': ({'supervisord_inet': {'address': '127.0.0.1'}},
                     'supervisord_inet needs a port (or leave supervisord_inet empty for no HTTP server)'),
    'socket_mode': ({'supervisord_socket_mode': 'rwx'},
                    'supervisord_socket_mode must be an octal mode such as "0700" or "0770" (quoted), not rwx'),
    'service_manager': ({'supervisord_service_manager': 'upstart'},
                        INVALID + 'value of supervisord_service_manager must be one of: auto, systemd, none, got: '
                                  'upstart'),
    'systemd_not_running': ({'supervisord_service_manager': 'systemd'},
                            'supervisord_service_manager is systemd, but systemd is not running on this host '
                            '(no /run/systemd/system): use auto or none.'),
    'push_no_token': ({'supervisord_event_push_url': 'http://127.0.0.1:5080/'}, PUSH_REFUSED),
    'push_bad_url': ({'supervisord_event_push_url': 'ftp://eda.example.com/', 'supervisord_event_push_token': 't'},
                     PUSH_REFUSED),
    'push_max_events': ({'supervisord_event_push_max_events': 'many'},
                        INVALID + "argument 'supervisord_event_push_max_events' is of type str and we were unable "
                                  "to convert to int: \"'many'\" cannot be converted to an int"),
    'pip_python2_release': ({'supervisord_version': '3.4.0'},
                            'supervisord_version 3.4.0: Supervisor before 4.0 runs on Python 2 only, and the pip method '
                            'installs into a Python 3 virtual environment. Install 4.0 or later, or the distribution\'s '
                            'package (supervisord_install_method: package).'),
    'push_python_missing': (dict(PUSH, supervisord_event_push_python='/nonexistent/python3'),
                            PUSH_PYTHON % '/nonexistent/python3'),
    # supervisord 3.x's own Python (bootstrap's --with-supervisor-releases)
    'push_python_2': (dict(PUSH, supervisord_event_push_python=PYTHON2), PUSH_PYTHON % PYTHON2),
    'supvisors_link': ({'supervisord_supvisors': {'event_link': 'UDP'}},
                       INVALID + 'value of event_link must be one of: NONE, ZMQ, WS, got: UDP found in '
                                 'supervisord_supvisors'),
}

PROGRAM_PARAMETERS = (
    'autorestart, autostart, command, directory, environment, exitcodes, extra, killasgroup, name, numprocs, '
    'numprocs_start, priority, process_name, redirect_stderr, serverurl, startretries, startsecs, state, '
    'stderr_capture_maxbytes, stderr_events_enabled, stderr_logfile, stderr_logfile_backups, stderr_logfile_maxbytes, '
    'stderr_syslog, stdout_capture_maxbytes, stdout_events_enabled, stdout_logfile, stdout_logfile_backups, '
    'stdout_logfile_maxbytes, stdout_syslog, stopasgroup, stopsignal, stopwaitsecs, umask, user')

PROGRAM_CASES = {
    'no_command': ({'supervisor_programs': [{'name': 'x'}]},
                   INVALID + 'state is present but all of the following are missing: command found in '
                             'supervisor_programs'),
    'typo_key': ({'supervisor_programs': [{'name': 'x', 'command': 'true', 'comand': 'true'}]},
                 INVALID + 'supervisor_programs.comand. Supported parameters include: %s.' % PROGRAM_PARAMETERS),
    'bool_type': ({'supervisor_programs': [{'name': 'x', 'command': 'true', 'autostart': 'perhaps'}]},
                  INVALID + "argument 'autostart' is of type str found in 'supervisor_programs'. and we were unable "
                            "to convert to bool: The value 'perhaps' is not a valid boolean. Valid booleans include: "
                            "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes', 0, 1"),
    'group_without_programs': ({'supervisor_groups': [{'name': 'g'}]},
                               INVALID + 'missing required arguments: programs found in supervisor_groups'),
    'duplicate_names': ({'supervisor_programs': [{'name': 'x', 'command': 'true'},
                                                 {'name': 'x', 'command': 'false'}]},
                        'names must be unique in supervisor_programs (x, x) and in supervisor_groups ()'),
    'group_of_absent_program': ({'supervisor_programs': [{'name': 'x', 'state': 'absent'}],
                                 'supervisor_groups': [{'name': 'g', 'programs': ['x']}]},
                                'supervisor_groups: a present group cannot list an absent program (x); supervisord '
                                'would refuse the group'),
    'bad_state': ({'supervisor_groups': [{'name': 'g', 'programs': ['x'], 'state': 'stopped'}]},
                  INVALID + 'value of state must be one of: present, absent, got: stopped found in supervisor_groups'),
}

REFUSED = {
    'all_interfaces': {'address': '0.0.0.0', 'port': 9001},
    'star': {'address': '*', 'port': 9001},
    'empty_address': {'address': '', 'port': 9001},
    'public_address': {'address': '192.0.2.10', 'port': 9001},
}


def _case_tasks(role, cases, prefix):
    """One block per case: the role with the case's variables, the failure caught."""
    tasks = []
    for name, variables in cases:
        tasks.append({
            'name': 'case %s' % name,
            'block': [
                {'name': 'apply %s' % name,
                 'ansible.builtin.include_role': {'name': 'supervisor.control.%s' % role},
                 'vars': dict(variables, supervisord_prefix=os.path.join(prefix, name),
                              supervisor_include_dir=os.path.join(prefix, name, 'conf.d'))},
                {'name': 'passed %s' % name, 'ansible.builtin.debug': {'msg': 'not refused'}},
            ],
            'rescue': [
                {'name': 'refused %s' % name, 'ansible.builtin.debug': {'msg': '{{ ansible_failed_result.msg }}'}},
            ],
        })
    return tasks


@pytest.fixture(scope='module')
def refusals(tmp_path_factory):
    """Every wrong-variable and refused case, in one playbook run (one Ansible start-up)."""
    tmp = tmp_path_factory.mktemp('refusals')
    prefix = tempfile.mkdtemp(prefix='refused-')
    try:
        tasks = (_case_tasks('supervisord', [(k, v[0]) for k, v in SUPERVISORD_CASES.items()], prefix)
                 + _case_tasks('program', [(k, v[0]) for k, v in PROGRAM_CASES.items()], prefix)
                 + _case_tasks('supervisord', [('refused_' + k, {'supervisord_inet': v})
                                               for k, v in REFUSED.items()], prefix))
        run = run_playbook(tasks, tmp)
        created = sorted(os.listdir(prefix))
        yield run, created
    finally:
        for pid in supervisords_under(prefix):
            kill_session(pid)
        shutil.rmtree(prefix, ignore_errors=True)


def _refusal(run, name):
    assert not run.tasks('passed %s' % name), 'case %s was not refused' % name
    message = run.result('refused %s' % name)['msg']
    # ansible lists the valid booleans from a set: their order follows the hash seed
    head, sep, valid = message.partition('Valid booleans include: ')
    return head + sep + ', '.join(sorted(valid.split(', '))) if sep else message


@pytest.mark.parametrize('name', sorted(SUPERVISORD_CASES))
def test_supervisord_rejects_wrong_variables(refusals, name):
    run, created = refusals
    assert _refusal(run, name) == SUPERVISORD_CASES[name][1]
    assert name not in created  # failed before installing or writing anything


@pytest.mark.parametrize('name', sorted(PROGRAM_CASES))
def test_program_rejects_wrong_variables(refusals, name):
    run, created = refusals
    assert _refusal(run, name) == PROGRAM_CASES[name][1]
    assert name not in created


@pytest.mark.parametrize('name', sorted(REFUSED))
def test_non_loopback_http_server_without_password_is_refused(refusals, name):
    run, created = refusals
    shown = {'all_interfaces': '0.0.0.0', 'star': '*', 'empty_address': 'every interface',
             'public_address': '192.0.2.10'}[name]
    assert _refusal(run, 'refused_' + name) == (
        "supervisord_inet: refusing to listen on %s without a password: anyone who reaches the port could run any "
        "command as supervisord's user. Set supervisord_inet.username and supervisord_inet.password, or listen on "
        "127.0.0.1." % shown)
    assert 'refused_' + name not in created


# --- the example playbook -------------------------------------------------------

@pytest.mark.slow
def test_site_playbook(workdir):
    """Both roles, then the process module; the HTTP password never shows."""
    password = 'site-%s' % os.urandom(8).hex()
    port = free_port()
    prefix = os.path.join(workdir, 'p')
    extra = os.path.join(workdir, 'extra.json')
    with open(extra, 'w') as handle:
        json.dump({'supervisord_prefix': prefix,
                   'supervisord_inet': {'address': '127.0.0.1', 'port': port,
                                        'username': 'admin', 'password': password}}, handle)
    results = os.path.join(workdir, 'results.json')
    env = ansible_env({'RECORD_RESULTS_FILE': results})
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', 'localhost,', SITE, '-e', '@' + extra,
           '--diff', '-vvv']
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert password not in output
    with open(results) as handle:
        recorded = json.load(handle)
    assert password not in json.dumps(recorded)
    started = [r for r in recorded if r['task'] == 'Make sure every program runs'][-1]['result']
    assert sorted((p['fullname'], p['statename']) for p in started['processes']) == [
        ('app:api_00', 'RUNNING'), ('app:api_01', 'RUNNING'), ('app:worker', 'RUNNING'),
        ('clock', 'RUNNING')]
    with open(os.path.join(prefix, 'etc', 'supervisord.conf')) as handle:
        conf = handle.read()
    assert '\n[inet_http_server]\nport=127.0.0.1:%d\nusername=admin\npassword=%s\n\n' % (port, password) in conf
    assert oct(os.stat(os.path.join(prefix, 'etc', 'supervisord.conf')).st_mode & 0o777) == '0o600'
    assert oct(os.stat(os.path.join(prefix, 'run', 'supervisor.sock')).st_mode & 0o777) == '0o700'


@pytest.mark.slow
def test_a_pinned_release_is_installed_and_a_new_pin_replaces_it(workdir, tmp_path):
    """supervisord_version 4.2.5 (Debian 12's and Ubuntu 24.04's release), then 4.3.0: what runs is what is pinned."""
    prefix = os.path.join(workdir, 'p')
    tasks = [{'name': 'apply', 'ansible.builtin.include_role': {'name': 'supervisor.control.supervisord'}},
             {'name': 'facts', 'supervisor.control.info': {'server_url': '{{ supervisord_server_url }}'}}]
    pids = []
    for version in ('4.2.5', '4.3.0'):
        run = run_playbook(tasks, tmp_path, vars={'supervisord_prefix': prefix, 'supervisord_version': version,
                                                  'supervisord_service_manager': 'none'})
        assert run.returncode == 0, run.output[-5000:]
        assert run.task('Install Supervisor into the virtual environment')['status'] == 'changed', version
        facts = run.result('facts')['supervisord']
        assert (facts['version'], facts['state']) == (version, 'RUNNING')
        pids.append(facts['pid'])
    assert pids[0] != pids[1]  # the new release runs: the role restarted supervisord


def test_a_pinned_package_version_is_what_the_package_manager_is_asked_for(tmp_path):
    """With the package method, supervisord_package_version joins the name as this family's manager spells it
    (check mode: nothing is installed, and apt's answer depends on its lists, not on the role)."""
    if not os.path.exists('/usr/bin/apt-get'):
        pytest.skip('not a Debian-family host: its package manager is not apt')
    prefix = tempfile.mkdtemp(prefix='pkg-')
    os.rmdir(prefix)
    tasks = [{'name': 'apply', 'ansible.builtin.include_role': {'name': 'supervisor.control.supervisord'}}]
    try:
        run = run_playbook(tasks, tmp_path, check=True, vars={
            'supervisord_prefix': prefix, 'supervisord_install_method': 'package',
            'supervisord_package_version': '4.2.5-1', 'supervisord_service_manager': 'none'})
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    asked = run.result('Install the Supervisor package')['invocation']['module_args']['name']
    assert asked == 'supervisor=4.2.5-1'


def test_supvisors_configuration_in_check_mode(tmp_path):
    """With supervisord_supvisors, the plugin sections are written; check mode touches nothing."""
    prefix = tempfile.mkdtemp(prefix='check-')
    os.rmdir(prefix)
    tasks = [{'name': 'apply', 'ansible.builtin.include_role': {'name': 'supervisor.control.supervisord'}}]
    variables = {'supervisord_prefix': prefix,
                 'supervisord_supvisors': {'supvisors_list': ['<sv1>host1:60000', '<sv2>host2:60000'],
                                           'event_port': 60102, 'rules': '<root/>\n',
                                           'options': {'synchro_timeout': 20, 'stereotypes': 'web'}}}
    try:
        run = run_playbook(tasks, tmp_path, check=True, diff=True, vars=variables)
        assert run.returncode == 0, run.output[-5000:]
        conf = run.result('Write supervisord.conf')['diff'][0]['after']
        assert not os.path.exists(prefix)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    assert ('[rpcinterface:supvisors]\n'
            'supervisor.rpcinterface_factory=supvisors.plugin:make_supvisors_rpcinterface\n'
            'supvisors_list=<sv1>host1:60000,<sv2>host2:60000\n'
            'event_link=ZMQ\n'
            'event_port=60102\n'
            'rules_files=%s/etc/supvisors-rules.xml\n'
            'stereotypes=web\n'
            'synchro_timeout=20\n' % prefix) in conf
    assert '[ctlplugin:supvisors]\nsupervisor.ctl_factory=supvisors.supvisorsctl:make_supvisors_controller_plugin\n' in conf
    rules = run.result('Write the Supvisors rules file')
    assert rules['changed'] is True and rules['diff'][0]['after'] == '<root/>\n'


def test_ansible_lint_production_profile():
    """ansible-lint (production profile, .ansible-lint) passes on the roles, playbooks and scenarios."""
    env = ansible_env()
    env.pop('ANSIBLE_CALLBACKS_ENABLED', None)
    env.pop('ANSIBLE_CALLBACK_PLUGINS', None)
    env['NO_COLOR'] = '1'
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-lint'), '--profile', 'production', '--offline',
                           'roles', 'playbooks', 'demo', 'extensions/molecule', 'extensions/eda/rulebooks'],
                          cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
