"""Event sources log the connection warnings that modules and lookups show, once per server at start.

A rulebook runs for days and nobody reads a task's output: the source's log is
where clear-text credentials (http:// to a host that is not loopback) and
unchecked certificates (validate_certs=false) must be said.
"""

import logging
import socket

from tests.support.eda import SourceTask, load_source, run
from tests.support.supervisord import AUTH_PASSWORD as SECRET
from tests.support.supervisord import free_port
from tests.support.tls_proxy import TLSProxy, make_self_signed


def warnings_of(caplog, logger):
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno == logging.WARNING]


def test_supervisord_source_warns_once_per_server_at_start(auth_daemon, tmp_path, caplog):
    source = load_source('supervisord')
    cert, key = make_self_signed(str(tmp_path))
    # Checked on the name in the URL, before any byte is sent: this machine's
    # host name is not a loopback name, and nothing listens at that port.
    remote = 'http://%s:%d' % (socket.gethostname(), free_port())
    with TLSProxy(auth_daemon.inet_port, cert, key) as proxy:
        unverified = 'https://127.0.0.1:%d' % proxy.port
        args = {'servers': [
            {'server_url': unverified, 'validate_certs': False, 'username': 'admin', 'password': SECRET,
             'host': 'unverified'},
            {'server_url': remote, 'username': 'admin', 'password': SECRET, 'timeout': 3, 'host': 'remote'},
            # Credentials to loopback and a checked certificate: nothing to warn about.
            {'server_url': auth_daemon.http_url, 'username': 'admin', 'password': SECRET, 'host': 'loopback'},
            {'server_url': 'https://127.0.0.1:%d' % proxy.port, 'ca_path': cert, 'username': 'admin',
             'password': SECRET, 'host': 'verified'},
        ], 'interval': 0.2, 'initial': True}

        async def scenario():
            task = SourceTask(source, args)
            try:
                await task.get_until(lambda e: e['supervisord'].get('host') == 'unverified'
                                     and e['supervisord']['type'] == 'daemon')
                # A change seen by a later poll: the source has polled several times since its start.
                auth_daemon.start_process('idle:idle')
                return await task.get_until(lambda e: e['supervisord'].get('host') == 'unverified'
                                            and e['supervisord']['data'].get('fullname') == 'idle'
                                            and e['supervisord']['data'].get('statename') == 'RUNNING')
            finally:
                await task.stop()
                auth_daemon.stop_process('idle:idle')

        with caplog.at_level(logging.INFO):
            last = run(scenario())[-1]
    assert last['supervisord']['data']['statename'] == 'RUNNING'   # the unverified https connection works
    logged = warnings_of(caplog, 'supervisor.control.supervisord')
    assert logged[:2] == [
        'supervisor.control.supervisord: servers[0]: validate_certs=false: the certificate of %s/RPC2 is not '
        'checked' % unverified,
        'supervisor.control.supervisord: servers[1]: credentials are sent in clear text to %s/RPC2: use https:// or '
        'a unix socket' % remote,
    ], logged
    # The rest is the remote daemon being unreachable, said once too.
    assert len(logged) == 3 and logged[2].startswith(
        'supervisor.control.supervisord: %s/RPC2 unreachable: ' % remote), logged
    assert SECRET not in caplog.text


def test_supvisors_source_warns_about_its_snapshot_client_at_start(caplog):
    source = load_source('supvisors')
    remote = 'http://%s:%d' % (socket.gethostname(), free_port())
    port = free_port()   # no publisher: the heartbeat declares the link lost, the source keeps running
    args = {'port': port, 'heartbeat': 0.3, 'snapshot': True, 'server_url': remote,
            'username': 'admin', 'password': SECRET}

    async def scenario():
        task = SourceTask(source, args)
        try:
            return await task.get()
        finally:
            await task.stop()

    with caplog.at_level(logging.INFO):
        event = run(scenario())
    assert event['supvisors']['type'] == 'link' and event['supvisors']['data']['state'] == 'lost'
    logged = warnings_of(caplog, 'supervisor.control.supvisors')
    assert logged[0] == (
        'supervisor.control.supvisors: snapshot: credentials are sent in clear text to %s/RPC2: use https:// or a '
        'unix socket' % remote), logged
    # The first snapshot, tried as the source starts, and the heartbeat run side by side: either may log first.
    assert sorted(logged[1:]) == sorted([
        'supervisor.control.supvisors: snapshot: connection refused by %s/RPC2: is supervisord running with an '
        '[inet_http_server] on that address and port? (tried again later)' % remote,
        'supervisor.control.supvisors: no message from tcp://localhost:%d for 0.3s: link lost' % port,
    ]), logged
    assert SECRET not in caplog.text


def test_supvisors_source_without_snapshot_has_no_client_to_warn_about(caplog):
    # Without snapshot the source never calls XML-RPC: the credentials are not used, nothing is sent.
    source = load_source('supvisors')
    remote = 'http://%s:%d' % (socket.gethostname(), free_port())
    with caplog.at_level(logging.INFO):
        instance = source.SupvisorsSource(None, {'port': free_port(), 'server_url': remote,
                                                 'username': 'admin', 'password': SECRET})
    assert instance.client is None
    assert warnings_of(caplog, 'supervisor.control.supvisors') == []
