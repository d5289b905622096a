"""supervisorctl's name semantics, no false success, and a clear answer for every bad input.

Each case runs against a real supervisord through real ansible-playbook, and,
for names, side by side with supervisorctl on the same daemon.
"""

import subprocess
import threading
import time

import pytest

from tests.support.ansible import assert_lookup_failed, run_playbook, sv_task
from tests.support.supervisord import SLEEPER, SUPERVISORCTL, Supervisord

PROGRAMS = {
    'db': dict(command=SLEEPER, startsecs=0),
    'dbworker': dict(command=SLEEPER, startsecs=0),
    'worker': dict(command=SLEEPER, numprocs=2, process_name='%(program_name)s_%(process_num)02d', startsecs=0),
    # A program whose name is also the key the main log once had in daemon's result.
    'main': dict(command="sh -c 'echo main-program-output; exec sleep 100000'", startsecs=0),
    'sleeper': dict(command=SLEEPER, startsecs=0),
    'slow': dict(command=SLEEPER, startsecs=30, autostart=False),
}
GROUPS = {'db': ['db', 'dbworker']}


@pytest.fixture(scope='module')
def daemon(tmp_path_factory):
    instance = Supervisord(str(tmp_path_factory.mktemp('correctness')), programs=PROGRAMS, groups=GROUPS)
    try:
        instance.start()
        yield instance
    finally:
        instance.cleanup()


def task(module, title, daemon, **args):
    return sv_task(module, title, daemon, **args)


def supervisorctl(daemon, *args):
    return subprocess.run([SUPERVISORCTL, '-c', daemon.conf] + list(args),
                          capture_output=True, text=True, timeout=60, check=False)


def start_all(daemon):
    """Every process but ``slow`` (startsecs=30) RUNNING; ``slow`` STOPPED."""
    for name, state in daemon.statenames().items():
        if name != 'slow:slow' and state != 'RUNNING':
            daemon.start_process(name)
    daemon.stop_process('slow:slow')


def stopped(daemon):
    return sorted(name for name, state in daemon.statenames().items() if state == 'STOPPED')


# --- names ---------------------------------------------------------------

def test_a_bare_name_that_is_also_a_group_is_the_homonymous_process_as_in_supervisorctl(daemon, tmp_path):
    start_all(daemon)
    ctl = supervisorctl(daemon, 'stop', 'db')
    assert ctl.returncode == 0, ctl.stdout + ctl.stderr
    by_supervisorctl = stopped(daemon)
    assert by_supervisorctl == ['db:db', 'slow:slow']  # slow has autostart=false and stays stopped
    start_all(daemon)

    run = run_playbook([task('process', 'stop db', daemon, name='db', state='stopped')], tmp_path)
    result = run.task('stop db')
    assert result['status'] == 'changed', run
    assert [(p['fullname'], p['statename']) for p in result['result']['processes']] == [('db', 'STOPPED')]
    assert stopped(daemon) == by_supervisorctl

    # The fullname the module returns selects that one process again, nothing more.
    run = run_playbook([task('process', 'start db', daemon, name=result['result']['processes'][0]['fullname'],
                             state='started')], tmp_path)
    assert [p['fullname'] for p in run.result('start db')['processes']] == ['db']
    assert daemon.statenames()['db:dbworker'] == 'RUNNING'


def test_the_whole_homonymous_group_and_a_numprocs_group(daemon, tmp_path):
    start_all(daemon)
    run = run_playbook([
        task('process', 'db group', daemon, name='db:*', state='stopped'),
        task('process', 'numprocs', daemon, name='worker', state='stopped'),
    ], tmp_path)
    assert [p['fullname'] for p in run.result('db group')['processes']] == ['db', 'db:dbworker']
    assert [p['fullname'] for p in run.result('numprocs')['processes']] == ['worker:worker_00', 'worker:worker_01']
    assert stopped(daemon) == ['db:db', 'db:dbworker', 'slow:slow', 'worker:worker_00', 'worker:worker_01']
    # supervisorctl has no such extension: a numprocs group by its bare name is an error there.
    ctl = supervisorctl(daemon, 'start', 'worker')
    assert ctl.stdout.strip() == 'worker: ERROR (no such process)'
    start_all(daemon)


def test_one_unknown_name_in_a_list_changes_nothing(daemon, tmp_path):
    start_all(daemon)
    run = run_playbook([task('process', 'partly wrong', daemon, name=['sleeper', 'nosuch'], state='stopped')],
                       tmp_path)
    result = run.task('partly wrong')
    assert result['status'] == 'failed', run
    assert result['result']['changed'] is False
    assert result['result']['msg'] == "no process matches 'nosuch'; the daemon has no such name"
    assert daemon.statenames()['sleeper:sleeper'] == 'RUNNING'


def test_an_empty_name_list_does_nothing(daemon, tmp_path):
    start_all(daemon)
    run = run_playbook([
        task('process', 'empty', daemon, name=[], state='stopped'),
        task('stdin', 'empty stdin', daemon, name=[], chars='x'),
    ], tmp_path)
    assert run.task('empty')['status'] == 'ok', run
    assert run.result('empty')['processes'] == []
    assert run.task('empty stdin')['status'] == 'ok', run
    assert run.result('empty stdin')['sent_to'] == []
    assert stopped(daemon) == ['slow:slow']


# --- false success and wrong waits ------------------------------------------

@pytest.mark.releases  # what supervisord answers differs between releases
def test_a_process_removed_during_the_wait_fails_at_once_naming_it(daemon, tmp_path):
    daemon.stop_process('slow:slow')
    remover_done = threading.Event()

    def remove_when_starting():
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if daemon.info('slow:slow')['statename'] == 'STARTING':
                    daemon.rpc('supervisor.stopProcess', 'slow:slow', True)
                    daemon.rpc('supervisor.removeProcessGroup', 'slow')
                    return
                time.sleep(0.05)
        finally:
            remover_done.set()
    remover = threading.Thread(target=remove_when_starting)
    remover.start()
    try:
        run = run_playbook([task('process', 'start slow', daemon, name='slow', state='started', timeout=120)],
                           tmp_path)
    finally:
        remover.join(timeout=90)
        try:
            daemon.rpc('supervisor.addProcessGroup', 'slow')
        except Exception as exc:
            assert 'ALREADY_ADDED' in str(exc)
    result = run.task('start slow')
    assert result['status'] == 'failed', run
    assert result['result']['msg'] == ('slow: was removed from supervisord while waiting (another client removed '
                                       'its group)')
    # Not the timeout: the wait ended within a poll of the removal, far from timeout=120.
    assert 'after 120 seconds' not in result['result']['msg']


# --- options that silently did something else -----------------------------

def test_an_explicit_config_wins_over_the_environment_in_modules_and_lookups(daemon, tmp_path):
    bogus = 'unix://%s' % (tmp_path / 'no-daemon-here.sock')
    run = run_playbook([
        {'name': 'module', 'supervisor.control.info': {'config': daemon.conf}, 'ignore_errors': True},
        {'name': 'lookup', 'ansible.builtin.set_fact': {
            'url_seen': "{{ lookup('supervisor.control.state', what='supervisord', config='%s').server_url }}"
                        % daemon.conf}, 'ignore_errors': True},
    ], tmp_path, extra_env={'SUPERVISOR_SERVER_URL': bogus})
    assert run.task('module')['status'] == 'ok', run
    assert run.result('module')['server_url'] == daemon.server_url
    assert run.result('lookup')['ansible_facts']['url_seen'] == daemon.server_url


def test_the_environment_ranks_the_same_in_modules_and_lookups(daemon, tmp_path):
    other = tmp_path / 'other.conf'
    other.write_text('[supervisorctl]\nserverurl=unix://%s\n' % (tmp_path / 'other.sock'))
    run = run_playbook([
        {'name': 'module', 'supervisor.control.info': {}, 'ignore_errors': True},
        {'name': 'lookup', 'ansible.builtin.set_fact': {
            'url_seen': "{{ lookup('supervisor.control.state', what='supervisord').server_url }}"},
         'ignore_errors': True},
    ], tmp_path, extra_env={'SUPERVISOR_SERVER_URL': daemon.server_url, 'SUPERVISOR_CONFIG': str(other)})
    assert run.result('module')['server_url'] == daemon.server_url, run
    assert run.result('lookup')['ansible_facts']['url_seen'] == daemon.server_url


@pytest.mark.releases  # what supervisord answers differs between releases
def test_clear_logs_keeps_the_main_log_and_a_program_called_main_apart(daemon, tmp_path):
    daemon.start_process('main:main')
    daemon.rpc('supervisor.clearProcessLogs', 'main:main')
    daemon.rpc('supervisor.stopProcess', 'main:main', True)
    daemon.rpc('supervisor.startProcess', 'main:main', True)
    deadline = time.monotonic() + 10
    while daemon.rpc('supervisor.readProcessStdoutLog', 'main:main', 0, 0) == '' and time.monotonic() < deadline:
        time.sleep(0.05)
    assert daemon.rpc('supervisor.readLog', 0, 0) != ''
    run = run_playbook([task('daemon', 'processes', daemon, clear_logs=['processes'])], tmp_path)
    result = run.result('processes')
    assert result['logs_cleared'] == ['main'], run
    assert result['main_log_cleared'] is False
    assert daemon.rpc('supervisor.readLog', 0, 0) != ''  # supervisord's own log untouched
    assert daemon.rpc('supervisor.readProcessStdoutLog', 'main:main', 0, 0) == ''

    daemon.rpc('supervisor.stopProcess', 'main:main', True)
    daemon.rpc('supervisor.startProcess', 'main:main', True)
    deadline = time.monotonic() + 10
    while daemon.rpc('supervisor.readProcessStdoutLog', 'main:main', 0, 0) == '' and time.monotonic() < deadline:
        time.sleep(0.05)
    run = run_playbook([task('daemon', 'main', daemon, clear_logs=['main'])], tmp_path)
    result = run.result('main')
    assert (result['main_log_cleared'], result['logs_cleared']) == (True, []), run
    assert daemon.rpc('supervisor.readProcessStdoutLog', 'main:main', 0, 0) == 'main-program-output\n'


def test_a_lookup_refuses_an_unknown_option(daemon, tmp_path):
    run = run_playbook([{'name': 'typo', 'ansible.builtin.debug': {
        'msg': "{{ lookup('supervisor.control.state', 'sleeper', server_ur='%s') }}" % daemon.server_url},
        'ignore_errors': True}], tmp_path)
    assert_lookup_failed(run.result('typo')['msg'], 'supervisor.control.state',
                         'unknown option server_ur for lookup supervisor.control.state: valid options are ca_path, '
                         'config, password, server_url, timeout, username, validate_certs, what')


# --- bad input: a one-line error naming the option, no change ---------------

@pytest.mark.parametrize('value', [0, -5, 1e12, 'nan'])
def test_timeout_out_of_range(daemon, tmp_path, value):
    run = run_playbook([
        task('process', 'module', daemon, name='sleeper', state='restarted', timeout=value),
        {'name': 'lookup', 'ansible.builtin.debug': {
            'msg': "{{ lookup('supervisor.control.state', 'sleeper', server_url='%s', timeout=%r) }}" % (
                daemon.server_url, value)}, 'ignore_errors': True},
    ], tmp_path)
    pid = daemon.info('sleeper:sleeper')['pid']
    expected = ('timeout must be a number of seconds more than 0 and at most 86400 (one day), got %r'
                % float(value))
    module = run.task('module')
    assert (module['status'], module['result']['msg'], module['result']['changed']) == ('failed', expected, False)
    assert_lookup_failed(run.result('lookup')['msg'], 'supervisor.control.state', expected)
    assert daemon.info('sleeper:sleeper')['pid'] == pid


@pytest.mark.parametrize('signal', ['NOPE', '99999', 'SIG_IGN'])
def test_an_unknown_signal_is_refused_before_anything_is_sent(daemon, tmp_path, signal):
    start_all(daemon)
    pid = daemon.info('sleeper:sleeper')['pid']
    run = run_playbook([task('process', 'bad', daemon, name='sleeper', state='signalled', signal=signal)], tmp_path)
    result = run.task('bad')
    assert result['status'] == 'failed', run
    assert result['result']['changed'] is False
    assert result['result']['msg'] == ('invalid signal %r: give a signal name such as HUP, TERM or USR1 (SIG '
                                       'prefix optional) or the number of one, such as 1' % signal)
    assert daemon.info('sleeper:sleeper')['pid'] == pid


@pytest.mark.releases  # what supervisord answers differs between releases
def test_rpc_bad_parameters_get_supervisords_own_answer(daemon, tmp_path):
    run = run_playbook([
        task('rpc', 'wrong type', daemon, method='supervisor.startProcess', params=[123]),
        task('rpc', 'empty method', daemon, method=' '),
        task('rpc', 'null', daemon, method='supervisor.sendRemoteCommEvent', params=['x', None]),
        task('rpc', 'huge int', daemon, method='supervisor.readLog', params=[0, 2 ** 40]),
        task('rpc', 'control char', daemon, method='supervisor.sendRemoteCommEvent', params=['x', 'a\u0003b']),
        task('rpc', 'nested', daemon, method='system.multicall',
             params=[[{'methodName': 'supervisor.readLog', 'params': [None]}]]),
    ], tmp_path)
    url = daemon.server_url
    expected = {
        'wrong type': ("supervisord at %s failed to run supervisor.startProcess (HTTP 500 Internal Server Error): "
                       "AttributeError: 'int' object has no attribute 'split', says its main log: check the number "
                       "and the types of its parameters" % url),
        'empty method': 'method is empty: give a method name such as supervisor.getState or system.listMethods',
        'null': 'params[1] is null: XML-RPC has no null value, and supervisord accepts none: supervisord cannot '
                'receive it',
        'huge int': ('params[1] is 1099511627776, outside the 32-bit integer range of XML-RPC (-2147483648 to '
                     '2147483647): supervisord cannot receive it'),
        'control char': ('params[1] holds the character U+0003 at position 2 (counting from 1), which XML 1.0, and so '
                         'XML-RPC, cannot carry: supervisord cannot receive it'),
        'nested': 'params[0][0].params[0] is null: XML-RPC has no null value, and supervisord accepts none: '
                  'supervisord cannot receive it',
    }
    for title, msg in expected.items():
        result = run.task(title)
        assert (result['status'], result['result']['msg'], result['result']['changed']) == ('failed', msg, False), \
            (title, result)


def test_stdin_refuses_characters_that_xml_cannot_carry(daemon, tmp_path):
    start_all(daemon)
    run = run_playbook([task('stdin', 'ctrl-c', daemon, name='sleeper', chars='abc\u0003')], tmp_path)
    result = run.task('ctrl-c')
    assert (result['status'], result['result']['changed']) == ('failed', False), run
    assert result['result']['msg'] == ('chars holds the character U+0003 at position 4 (counting from 1), which '
                                       'XML 1.0, and so XML-RPC, cannot carry: supervisord cannot receive it')


def test_supvisors_stopped_with_the_socket_already_gone_is_stopped(tmp_path):
    gone = 'unix://%s' % (tmp_path / 'run' / 'supervisor.sock')
    run = run_playbook([
        sv_task('supvisors', 'unix', None, server_url=gone, state='stopped'),
        dict(sv_task('supvisors', 'unix, check mode', None, server_url=gone, state='stopped'), check_mode=True),
    ], tmp_path)
    for title in ('unix', 'unix, check mode'):
        result = run.task(title)
        assert result['status'] == 'ok', run
        assert result['result']['msg'] == 'no daemon answers at %s: the cluster is taken as stopped' % gone
        assert result['result']['supvisors'] == {'state': None}
