"""supervisor.control.info, stdin and rpc against a real supervisord."""

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.recording import RecordingClient, RecordingTask
from tests.support.supervisord import config_fields, supervisor_version

from ansible_collections.supervisor.control.plugins.modules import info

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases


def test_info(daemon, tmp_path):
    run = run_playbook([
        sv_task('info', 'facts', daemon),
        sv_task('info', 'with config', daemon, gather=['config']),
    ], tmp_path, check=True)
    facts = run.result('facts')
    assert run.task('facts')['status'] == 'ok', run
    assert facts['supervisord']['state'] == 'RUNNING'
    assert facts['supervisord']['version'] == '.'.join(map(str, supervisor_version()))
    assert facts['supervisord']['identification'] == 'test-supervisor'
    assert facts['supervisord']['pid'] == daemon.proc.pid
    assert facts['supervisord']['server_url'] == daemon.server_url
    assert facts['groups']['web'] == ['web:web_a', 'web:web_b']
    assert facts['groups']['worker'] == ['worker:worker_00', 'worker:worker_01', 'worker:worker_02']
    assert [p['fullname'] for p in facts['processes']] == [
        'crasher', 'dier', 'idle', 'sleeper', 'web:web_a', 'web:web_b', 'worker:worker_00', 'worker:worker_01',
        'worker:worker_02']
    assert 'config' not in facts
    config = run.result('with config')['config']
    assert [c['name'] for c in config] == [
        'crasher', 'dier', 'idle', 'sleeper', 'web_a', 'web_b', 'worker_00', 'worker_01', 'worker_02']
    # What RETURN says each release gives.
    assert set(config[0]) == config_fields()


def test_info_is_one_multicall_with_the_supvisors_facts_in_it(daemon):
    """A plain supervisord answers the supvisors.* calls with faults: info tells it from them, in the same request.

    Before it, the client asks the release, as before any multicall of more than two calls: a supervisord
    before 3.2.0 would answer this one a second per call.
    """
    client = RecordingClient(daemon.client().settings)
    result = info.run(RecordingTask({'gather': ['config'], 'timeout': 30}, client))
    assert client.requests == [
        'getSupervisorVersion',
        'getState getSupervisorVersion getAPIVersion getIdentification getPID getAllProcessInfo getAllConfigInfo '
        'supvisors.get_supvisors_state supvisors.get_all_instances_info supvisors.get_all_applications_info '
        'supvisors.get_conflicts']
    assert sorted(result) == ['changed', 'config', 'groups', 'processes', 'supervisord']


def test_stdin(daemon, tmp_path):
    daemon.write_program('echoer', dict(command='cat', startsecs=0))
    daemon.rpc('supervisor.reloadConfig')
    daemon.rpc('supervisor.addProcessGroup', 'echoer')
    daemon.wait_state('echoer:echoer', 'RUNNING')
    daemon.stop_process('idle:idle')
    try:
        run = run_playbook([
            sv_task('stdin', 'check', daemon, name='echoer', chars='not sent'),
        ], tmp_path, check=True)
        assert run.task('check')['status'] == 'changed'
        run = run_playbook([
            sv_task('stdin', 'send', daemon, name='echoer', chars='hello stdin'),
            sv_task('stdin', 'stopped', daemon, name='idle', chars='x'),
            sv_task('stdin', 'unknown', daemon, name='nope', chars='x'),
        ], tmp_path)
        assert run.result('send')['sent_to'] == ['echoer'], run
        assert run.result('stopped')['msg'] == 'cannot write to the standard input of idle: not running'
        assert run.result('unknown')['msg'] == "no process matches 'nope'; the daemon has no such name"
        log = daemon.rpc('supervisor.readProcessStdoutLog', 'echoer', 0, 0)
        assert log == 'hello stdin\n'
    finally:
        daemon.stop_process('echoer:echoer')
        daemon.rpc('supervisor.removeProcessGroup', 'echoer')
        daemon.remove_program_file('echoer')


def test_rpc(daemon, tmp_path):
    multicall = [{'methodName': 'supervisor.getState', 'params': []},
                 {'methodName': 'supervisor.getProcessInfo', 'params': ['nope']}]
    run = run_playbook([
        sv_task('rpc', 'state', daemon, method='supervisor.getState'),
        sv_task('rpc', 'help', daemon, method='system.methodHelp', params=['supervisor.getState']),
        sv_task('rpc', 'multicall', daemon, method='system.multicall', params=[multicall]),
        sv_task('rpc', 'event', daemon, method='supervisor.sendRemoteCommEvent', params=['deploy', 'v1']),
        sv_task('rpc', 'fault', daemon, method='supervisor.getProcessInfo', params=['nope']),
        sv_task('rpc', 'unknown method', daemon, method='supervisor.nope'),
    ], tmp_path)
    assert run.task('state')['status'] == 'ok'
    assert run.result('state')['result'] == {'statecode': 1, 'statename': 'RUNNING'}
    assert run.result('help')['result'] == (
        ' Return current state of supervisord as a struct\n\n'
        '        @return struct A struct with keys int statecode, string statename\n        ')
    answer = run.result('multicall')['result']
    assert answer == [{'statecode': 1, 'statename': 'RUNNING'}, {'faultCode': 10, 'faultString': 'BAD_NAME: nope'}]
    assert run.task('multicall')['status'] == 'ok'
    assert run.task('event')['status'] == 'changed'
    assert run.result('fault')['msg'] == 'supervisor.getProcessInfo failed with BAD_NAME: nope'
    assert run.result('unknown method')['msg'] == 'supervisor.nope failed with UNKNOWN_METHOD'


def test_rpc_check_mode_refuses_writes(daemon, tmp_path):
    daemon.stop_process('idle:idle')
    run = run_playbook([
        sv_task('rpc', 'write', daemon, method='supervisor.startProcess', params=['idle']),
        sv_task('rpc', 'read', daemon, method='supervisor.getProcessInfo', params=['idle']),
    ], tmp_path, check=True)
    assert run.task('write')['status'] == 'changed'
    assert run.result('write')['msg'] == 'check mode: supervisor.startProcess changes state and was not called'
    assert run.result('read')['result']['statename'] == 'STOPPED'
    assert daemon.info('idle:idle')['statename'] == 'STOPPED'


def test_rpc_reads_a_deferred_answer_that_names_a_process_outside_ascii(fresh_daemon, tmp_path):
    # supervisord 4.x gives a deferred answer's Content-Length in characters, not bytes: a name
    # outside ASCII made the body look cut short.
    fresh_daemon.write_program('café', dict(command='sleep 100000', autostart=False, startsecs=0))
    fresh_daemon.rpc('supervisor.reloadConfig')
    if supervisor_version() < (4, 0, 0):
        # supervisord 3.x (Python 2) holds the config's names as bytes and the request's as text: it cannot
        # address a name outside ASCII at all, and says so (the README's table of releases).
        run = run_playbook([sv_task('rpc', 'add', fresh_daemon, method='supervisor.addProcessGroup',
                                    params=['café'])], tmp_path)
        assert run.result('add')['msg'] == 'supervisor.addProcessGroup failed with BAD_NAME: café', run
        return
    fresh_daemon.rpc('supervisor.addProcessGroup', 'café')
    run = run_playbook([
        sv_task('rpc', 'start group', fresh_daemon, method='supervisor.startProcessGroup', params=['café', True]),
        sv_task('rpc', 'stop group', fresh_daemon, method='supervisor.stopProcessGroup', params=['café', True]),
    ], tmp_path)
    expected = [{'name': 'café', 'group': 'café', 'status': 80, 'description': 'OK'}]
    assert run.result('start group')['result'] == expected, run
    assert run.result('stop group')['result'] == expected, run
    assert fresh_daemon.info('café:café')['statename'] == 'STOPPED'
