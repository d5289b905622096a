"""The fleet pattern: every daemon on https://HOST:9001, all driven from the controller.

As multivisor and CeSI do, one place talks to every daemon: a play over the fleet's hosts,
``delegate_to: localhost`` and ``server_url: "https://{{ inventory_hostname }}:9001"``,
under ``forks``. The hosts are 20 loopback addresses (127.0.0.2 to 127.0.0.21), each with
a TLS proxy on port 9001 in front of its own supervisord; ssh to them is never tried.
"""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tests.support.ansible import run_playbook
from tests.support.supervisord import SLEEPER, Supervisord, free_port
from tests.support.tls_proxy import TLSProxy

HOSTS = ['127.0.0.%d' % (i + 2) for i in range(20)]
PORT = 9001
IN_PROCESS = 'supervisor.control.process: running in-process on the controller'


def certificate(directory):
    """One self-signed certificate valid for every host of the fleet."""
    cert, key = str(directory / 'cert.pem'), str(directory / 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                    '-days', '1', '-subj', '/CN=fleet',
                    '-addext', 'subjectAltName=' + ','.join('IP:%s' % host for host in HOSTS)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    top = tmp_path_factory.mktemp('fleet')
    cert, key = certificate(top)
    ports = set()
    while len(ports) < len(HOSTS):
        ports.add(free_port())
    daemons = [Supervisord(str(top / ('d%02d' % i)), programs={'app': dict(command=SLEEPER, startsecs=0)},
                           inet_port=port, unix=False) for i, port in enumerate(sorted(ports))]
    proxies = []
    try:
        for daemon in daemons:
            os.makedirs(daemon.directory)
        # All at once: the pool waits for every start, then raises the first failure.
        with ThreadPoolExecutor(len(daemons)) as pool:
            list(pool.map(lambda daemon: daemon.start(timeout=60), daemons))
        for daemon, host in zip(daemons, HOSTS):
            proxy = TLSProxy(daemon.inet_port, cert, key, address=(host, PORT))
            proxies.append(proxy)
            proxy.__enter__()
        yield dict(zip(HOSTS, daemons)), cert
    finally:
        for proxy in proxies:
            proxy.__exit__(None, None, None)
        for daemon in daemons:
            daemon.cleanup()


def app_pid(daemon):
    return daemon.rpc('supervisor.getProcessInfo', 'app')['pid']


def test_twenty_daemons_over_https_from_the_controller_in_process(fleet, tmp_path):
    daemons, cert = fleet
    before = dict((host, app_pid(daemon)) for host, daemon in daemons.items())
    inventory = tmp_path / 'fleet.yml'
    inventory.write_text(yaml.safe_dump({'all': {
        'hosts': {'localhost': {'ansible_connection': 'local'}},
        'children': {'fleet': {'hosts': dict((host, {'ansible_connection': 'ssh'}) for host in HOSTS)}}}}))
    play = [{'hosts': 'fleet', 'gather_facts': False, 'tasks': [{
        'name': 'restart', 'delegate_to': 'localhost',
        'supervisor.control.process': {'name': 'app', 'state': 'restarted', 'ca_path': cert,
                                       'server_url': 'https://{{ inventory_hostname }}:%d' % PORT}}]}]
    run = run_playbook(yaml.safe_dump(play), tmp_path, args=['-i', str(inventory), '-f', str(len(HOSTS))],
                       verbosity=3)
    assert run.returncode == 0, run
    results = dict((r['host'], r) for r in run.tasks('restart'))
    assert sorted(results) == sorted(HOSTS)
    for host, daemon in daemons.items():
        result = results[host]['result']
        assert results[host]['status'] == 'changed', result
        assert result['server_url'] == 'https://%s:%d/RPC2' % (host, PORT)
        assert [p['fullname'] for p in result['processes']] == ['app']
        assert result['processes'][0]['pid'] == app_pid(daemon) != before[host], host
    assert run.output.count(IN_PROCESS) == len(HOSTS), run
    assert 'Using module file ' not in run.output
