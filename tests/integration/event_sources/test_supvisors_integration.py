"""supervisor.control.supvisors against a real Supvisors (supervisord + supvisors 0.19, event_link = ZMQ).

Supvisors needs a host whose non-loopback address resolves to its name: the
cluster runs in a network namespace (tests.support.supvisors), which needs root.
The source runs in-process (it reaches the namespace through the test bridge),
and the example rulebook runs in a real ansible-rulebook on the Supvisors host.
"""

import asyncio
import logging
import os
import subprocess
import sys

import pytest
import yaml

from tests.support.eda import RULEBOOKS, Rulebook, SourceTask, load_source, run
from tests.support.paths import SUPVISORS_VENV_BIN as DEFAULT_SUPVISORS_VENV_BIN
from tests.support.supvisors import running_cluster
from tests.support.tls_proxy import TLSProxy, make_self_signed

supvisors = load_source('supvisors')

HOST = 'svhost'
# Another Supvisors installation can be tried with EDA_SUPVISORS_VENV_BIN=/path/to/venv/bin.
SUPVISORS_VENV_BIN = os.environ.get('EDA_SUPVISORS_VENV_BIN') or DEFAULT_SUPVISORS_VENV_BIN
SLEEPER = 'sleep 100000'
HOG_MB = 150
HOG = "python3 -c \"import time; hog = b'x' * (%d * 1024 * 1024); time.sleep(100000)\"" % HOG_MB


def supvisors_has_psutil():
    """Process statistics (pstats) need psutil next to supvisors."""
    return subprocess.run([os.path.join(SUPVISORS_VENV_BIN, 'python'), '-c', 'import psutil'],
                          capture_output=True, check=False).returncode == 0


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('supvisors'))
    flag = os.path.join(directory, 'crash-on-next-start')
    programs = {
        'sleeper': dict(command=SLEEPER, startsecs=0),
        # Started with the flag present, it removes it and dies within startsecs: FATAL.
        # (startsecs leaves room for a loaded machine: supervisord checks on its 1 s tick.)
        'crashy': dict(command="sh -c 'if [ -e %s ]; then rm -f %s; exit 1; fi; exec %s'" % (flag, flag, SLEEPER),
                       startsecs=3, startretries=0, autorestart=True),
    }
    programs['hog'] = dict(command=HOG, startsecs=0)
    with running_cluster([HOST], programs=programs, groups={'web': ['sleeper', 'crashy', 'hog']},
                         options={'stats_collecting_period': 1, 'stats_periods': 2}, timeout=90,
                         directory=os.path.join(directory, 'cluster'), venv_bin=SUPVISORS_VENV_BIN) as instance:
        instance.flag = flag
        yield instance


def test_snapshot_and_live_events_from_a_real_supvisors(cluster):
    async def test():
        source = SourceTask(supvisors, {
            'host': cluster.address(HOST), 'port': cluster.event_port, 'heartbeat': 0,
            'snapshot': True, 'server_url': cluster.server_url(HOST)})
        # The snapshot: every instance, application and process, flagged, with its host.
        snapshot = await source.get_until(
            lambda e: e['supvisors'].get('snapshot') and e['supvisors']['type'] == 'process'
            and e['supvisors']['data']['process_name'] == 'sleeper')
        flagged = [e for e in snapshot if e['supvisors'].get('snapshot')]
        kinds = set(e['supvisors']['type'] for e in flagged)
        assert kinds == {'instance', 'application', 'process'}, snapshot
        instance = [e for e in flagged if e['supvisors']['type'] == 'instance'][0]
        assert instance['supvisors']['data']['node_name'] == HOST
        assert instance['supvisors']['data']['statename'] == 'RUNNING'
        assert instance['meta'] == {'hosts': [HOST]}
        assert snapshot[-1]['meta'] == {'hosts': [HOST]}
        assert snapshot[-1]['supvisors']['data']['statename'] == 'RUNNING'

        # PUB/SUB drops what is published before the subscription reaches the publisher: a live
        # message (Supvisors sends an instance status every ~5 s) proves that it has.
        await source.get_until(lambda e: e['supvisors']['type'] == 'instance' and not e['supvisors'].get('snapshot'))
        # Live: stop a process; Supvisors sends event, process, application.
        await asyncio.get_running_loop().run_in_executor(
            None, cluster.rpc, HOST, 'supervisor.stopProcess', 'web:sleeper', True)
        events = await source.get_until(
            lambda e: e['supvisors']['type'] == 'process' and e['supvisors']['data']['statename'] == 'STOPPED')
        stopped = events[-1]
        assert 'snapshot' not in stopped['supvisors']
        assert stopped['supvisors']['data']['identifiers'] == []
        assert stopped['meta'] == {'hosts': [HOST]}     # remembered: it ran there
        raw = [e for e in events if e['supvisors']['type'] == 'event']
        assert raw and raw[-1]['supvisors']['data']['identifier'] == cluster.identifier(HOST)
        assert raw[-1]['meta'] == {'hosts': [HOST]}
        application = await source.get_until(lambda e: e['supvisors']['type'] == 'application')
        assert application[-1]['supvisors']['data']['application_name'] == 'web'
        assert 'meta' not in application[-1]
        await asyncio.get_running_loop().run_in_executor(
            None, cluster.rpc, HOST, 'supervisor.startProcess', 'web:sleeper', True)
        await source.get_until(
            lambda e: e['supvisors']['type'] == 'process' and e['supvisors']['data']['statename'] == 'RUNNING')
        await source.stop()
    run(test(), timeout=120)


def first_snapshot(cluster, **args):
    """The first snapshot ``instance`` event of a source with these connection options."""
    async def test():
        source = SourceTask(supvisors, dict({'host': cluster.address(HOST), 'port': cluster.event_port,
                                             'heartbeat': 0, 'snapshot': True}, **args))
        try:
            seen = await source.get_until(lambda e: e['supvisors'].get('snapshot')
                                          and e['supvisors']['type'] == 'instance')
            return seen[-1]
        finally:
            await source.stop()
    return run(test(), timeout=60)


def test_the_snapshot_checks_certificates_with_the_options_of_the_modules(cluster, tmp_path, caplog):
    """validate_certs and ca_path, for Supvisors behind a TLS proxy with a certificate of its own."""
    cert, key = make_self_signed(str(tmp_path))
    with TLSProxy(cluster.http_port, cert, key, backend_host=cluster.address(HOST)) as proxy:
        url = 'https://127.0.0.1:%d' % proxy.port
        verified = first_snapshot(cluster, server_url=url, ca_path=cert)
        assert (verified['supvisors']['data']['node_name'], verified['meta']) == (HOST, {'hosts': [HOST]})
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            unverified = first_snapshot(cluster, server_url=url, validate_certs='no')
    assert unverified['supvisors']['data']['node_name'] == HOST
    assert [r.getMessage() for r in caplog.records if r.name == 'supervisor.control.supvisors'] == [
        'supervisor.control.supvisors: snapshot: validate_certs=false: the certificate of %s/RPC2 is not checked'
        % url]


def test_the_snapshot_finds_supvisors_as_the_modules_do(cluster, monkeypatch):
    """No server_url nor config: SUPERVISOR_SERVER_URL, as for a module (not http://HOST:9001)."""
    monkeypatch.setenv('SUPERVISOR_SERVER_URL', cluster.server_url(HOST))
    event = first_snapshot(cluster)
    assert event['supvisors']['data']['node_name'] == HOST


def _crash_to_fatal(cluster):
    """Make web:crashy die and fail its automatic restart: Supvisors reports it FATAL."""
    before = cluster.wait_process(HOST, 'web:crashy', 'RUNNING')
    with open(cluster.flag, 'w'):
        pass
    cluster.rpc(HOST, 'supervisor.signalProcess', 'web:crashy', 'KILL')
    return before


def _wait_restarted(cluster, before, rulebook, mark, timeout=90):
    """The rule's run_module finished without failure, and web:crashy runs again (another pid)."""
    recap = rulebook.wait_for(' : ok=', start=mark, timeout=timeout)
    assert 'failed=0' in rulebook.lines[recap], rulebook.output[-5000:]
    info = cluster.rpc(HOST, 'supervisor.getProcessInfo', 'web:crashy')
    assert info['statename'] == 'RUNNING' and info['pid'] != before['pid'], info
    assert not os.path.exists(cluster.flag)
    return info


def test_example_rulebook_restarts_a_fatal_process_and_survives_a_supvisors_restart(cluster, tmp_path):
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {HOST: {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}))
    rulebook = Rulebook(
        os.path.join(RULEBOOKS, 'supvisors_restart_fatal.yml'), str(inventory), str(tmp_path),
        variables={'supvisors_host': HOST, 'supvisors_event_port': cluster.event_port,
                   'supvisors_http_port': cluster.http_port, 'supvisors_heartbeat': 8},
        popen=lambda argv, **kwargs: cluster.popen(HOST, argv, **kwargs))
    try:
        rulebook.wait_for('Waiting for events')
        rulebook.wait_for('supervisor.control.supvisors: connected to')   # PUB/SUB drops before that
        mark = len(rulebook.lines)
        before = _crash_to_fatal(cluster)
        first = _wait_restarted(cluster, before, rulebook, mark)
        fatal_seen = cluster.rpc(HOST, 'supervisor.readLog', 0, 0)
        assert 'crashy entered FATAL state' in fatal_seen

        # Supvisors goes away: the source reports the silence, then the return.
        mark = len(rulebook.lines)
        cluster.stop_instance(HOST)
        rulebook.wait_for('Supvisors event link lost', start=mark, timeout=60)
        mark = len(rulebook.lines)
        cluster.start_instance(HOST, wait=True, timeout=90)
        rulebook.wait_for('Supvisors event link restored', start=mark, timeout=60)

        # Events resume: the same crash is handled again by the same rulebook.
        mark = len(rulebook.lines)
        before = _crash_to_fatal(cluster)
        second = _wait_restarted(cluster, before, rulebook, mark)
        assert second['pid'] != first['pid']
        assert rulebook.proc.poll() is None, rulebook.output[-3000:]
    finally:
        rulebook.stop()


def test_memmon_rulebook_restarts_a_process_over_its_memory_limit(cluster, tmp_path):
    if not supvisors_has_psutil():
        reason = ('process statistics need psutil in .venv-supvisors (add psutil to '
                  'requirements/supvisors.txt and run scripts/bootstrap --with-supvisors)')
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail('CI=true: ' + reason)
        pytest.skip(reason)
    with open('/proc/meminfo') as handle:
        total_kb = int(handle.readline().split()[1])
    # Half of what the hog holds: the hog is over, the sleep processes (a few hundred kB) are far under.
    limit = 100.0 * HOG_MB * 1024 / total_kb / 2
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {HOST: {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}))
    before = cluster.wait_process(HOST, 'web:hog', 'RUNNING')
    others = dict((name, cluster.rpc(HOST, 'supervisor.getProcessInfo', name)['pid'])
                  for name in ('web:sleeper', 'web:crashy'))
    rulebook = Rulebook(
        os.path.join(RULEBOOKS, 'supvisors_memmon.yml'), str(inventory), str(tmp_path),
        variables={'supvisors_host': HOST, 'supvisors_event_port': cluster.event_port,
                   'supvisors_http_port': cluster.http_port, 'memmon_limit_percent': limit},
        popen=lambda argv, **kwargs: cluster.popen(HOST, argv, **kwargs))
    try:
        rulebook.wait_for('Waiting for events')
        rulebook.wait_for('supervisor.control.supvisors: connected to')   # PUB/SUB drops before that
        recap = rulebook.wait_for(' : ok=', timeout=90)
        assert 'failed=0' in rulebook.lines[recap], rulebook.output[-5000:]
        after = cluster.rpc(HOST, 'supervisor.getProcessInfo', 'web:hog')
        assert after['pid'] != before['pid'], after
        for name, pid in others.items():
            assert cluster.rpc(HOST, 'supervisor.getProcessInfo', name)['pid'] == pid, name
    finally:
        rulebook.stop()


def test_ansible_rulebook_shutdown_closes_the_subscription_cleanly(cluster, tmp_path):
    """The ``shutdown`` action cancels the source: ansible-rulebook ends with 0, no error, socket closed."""
    rulebook_file = tmp_path / 'shutdown.yml'
    rulebook_file.write_text(yaml.safe_dump([{
        'name': 'stop at the first instance status', 'hosts': 'all',
        'sources': [{'supervisor.control.supvisors': {'host': HOST, 'port': cluster.event_port,
                                                      'types': ['instance']}}],
        'rules': [{'name': 'first event', 'condition': 'event.supvisors.type == "instance"',
                   'action': {'shutdown': {'delay': 0, 'message': 'seen an instance'}}}],
    }]))
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {HOST: {'ansible_connection': 'local'}}}}))
    rulebook = Rulebook(str(rulebook_file), str(inventory), str(tmp_path),
                        popen=lambda argv, **kwargs: cluster.popen(HOST, argv, **kwargs))
    try:
        assert rulebook.proc.wait(timeout=120) == 0, rulebook.output[-4000:]
    finally:
        rulebook.stop()
    assert 'seen an instance' in rulebook.output
    assert 'Traceback' not in rulebook.output and ' - ERROR - ' not in rulebook.output, rulebook.output[-4000:]
