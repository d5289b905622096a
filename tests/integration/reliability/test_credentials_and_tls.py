"""https:// through a TLS proxy, certificate checks, and credentials that never show."""

import os
import socket

import pytest

from tests.support.ansible import plays_in_process, run_playbook, sv_task
from tests.support.supervisord import Supervisord, free_port
from tests.support.tls_proxy import TLSProxy, make_self_signed

SECRET = 'tls-Pa55-7d1e0c'


@pytest.fixture(params=[True, False], ids=['in-process', 'shipped'])
def execution_path(request):
    """Both paths for the tests that check masking and warnings: the in-process adapter masks on its own."""
    with plays_in_process(request.param) as value:
        yield value


@pytest.fixture(scope='module')
def https_daemon(tmp_path_factory):
    top = tmp_path_factory.mktemp('https')
    daemon = Supervisord(str(top / 'd'), programs={'sleeper': dict(command='sleep 100000', startsecs=0)},
                         username='admin', password=SECRET, inet_port=free_port())
    os.makedirs(daemon.directory)
    cert, key = make_self_signed(str(top))
    try:
        daemon.start()
        with TLSProxy(daemon.inet_port, cert, key) as proxy:
            yield daemon, proxy, cert
    finally:
        daemon.cleanup()


def test_https_verifies_certificates(https_daemon, tmp_path, execution_path):
    daemon, proxy, cert = https_daemon
    url = 'https://127.0.0.1:%d' % proxy.port
    common = dict(server_url=url, username='admin', password='{{ lookup("env", "SV_PW") }}')
    run = run_playbook([
        sv_task('info', 'untrusted', **common),
        sv_task('info', 'with ca_path', ca_path=cert, **common),
        sv_task('info', 'unverified', validate_certs=False, **common),
        sv_task('info', 'missing ca file', ca_path=str(tmp_path / 'nope.pem'), **common),
    ], tmp_path, verbosity=4, extra_env={'SV_PW': SECRET})
    assert run.result('untrusted')['msg'] == (
        'the certificate of %s/RPC2 is not trusted (self-signed certificate): give ca_path, or validate_certs=false '
        'for a self-signed test setup' % url)
    assert run.task('with ca_path')['status'] == 'ok', run
    assert run.result('with ca_path')['supervisord']['state'] == 'RUNNING'
    assert run.task('unverified')['status'] == 'ok'
    assert run.result('unverified')['warnings'] == [
        'validate_certs=false: the certificate of %s/RPC2 is not checked' % url]
    assert run.result('missing ca file')['msg'] == (
        'cannot load ca_path %s: [Errno 2] No such file or directory' % (tmp_path / 'nope.pem'))
    assert SECRET not in run.output


def test_plain_http_credentials_to_a_non_loopback_address_warn(tmp_path, execution_path):
    # The check is on the name in the URL, before any byte is sent: this
    # machine's own host name is not a loopback name, and resolves to this
    # machine, so nothing leaves it.
    url = 'http://%s:%d' % (socket.gethostname(), free_port())
    run = run_playbook([
        sv_task('info', 'remote', server_url=url, username='admin',
                password='{{ lookup("env", "SV_PW") }}', timeout=3),
    ], tmp_path, extra_env={'SV_PW': SECRET})
    assert run.result('remote')['warnings'] == [
        'credentials are sent in clear text to %s/RPC2: use https:// or a unix socket' % url], run
    assert SECRET not in run.output


def test_password_never_shows_in_failures_diff_or_invocation(https_daemon, tmp_path, execution_path):
    daemon, proxy, cert = https_daemon
    url = 'http://admin:%s@127.0.0.1:%d' % ('{{ lookup("env", "SV_PW") }}', daemon.inet_port)
    run = run_playbook([
        sv_task('process', 'embedded ok', server_url=url, name='sleeper', state='restarted'),
        sv_task('process', 'embedded unknown name', server_url=url, name='nope'),
        sv_task('process', 'wrong password', server_url=daemon.http_url, username='admin',
                password='{{ lookup("env", "SV_PW") }}x', name='sleeper'),
    ], tmp_path, verbosity=4, diff=True, extra_env={'SV_PW': SECRET})
    assert run.task('embedded ok')['status'] == 'changed', run
    assert run.result('embedded ok')['server_url'] == 'http://127.0.0.1:%d/RPC2' % daemon.inet_port
    assert run.result('embedded unknown name')['msg'] == "no process matches 'nope'; the daemon has no such name"
    assert run.result('wrong password')['msg'] == (
        'authentication failed for %s/RPC2 (HTTP 401): check username and password' % daemon.http_url)
    assert SECRET not in run.output
    assert SECRET not in str(run.results)


def test_password_is_not_on_any_command_line_while_the_module_runs(tmp_path):
    """community.general.supervisorctl puts it on supervisorctl's command line, visible in ps."""
    import threading
    import time
    daemon = Supervisord(str(tmp_path / 'd'), programs={'slow': dict(command='sleep 100000', startsecs=3,
                                                                     autostart=False)},
                         username='admin', password=SECRET)
    os.makedirs(daemon.directory)
    try:
        daemon.start()
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.update(run=run_playbook([
            sv_task('process', 'slow start', daemon, name='slow', username='admin',
                    password='{{ lookup("env", "SV_PW") }}')], tmp_path, extra_env={'SV_PW': SECRET},
            # shipped: in-process, no module process (nor its command line) exists
            vars={'supervisor_control_in_process': False})))
        worker.start()
        saw_module, leaked = False, []
        while worker.is_alive():
            for entry in os.listdir('/proc'):
                if not entry.isdigit():
                    continue
                try:
                    with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                        cmdline = handle.read().replace(b'\0', b' ').decode('utf-8', 'replace')
                except OSError:
                    continue
                saw_module = saw_module or 'AnsiballZ_process' in cmdline
                if SECRET in cmdline:
                    leaked.append(cmdline)
            time.sleep(0.05)
        worker.join()
        assert outcome['run'].task('slow start')['status'] == 'changed', outcome['run']
        assert saw_module, 'the module process was never seen: the scan proves nothing'
        assert not leaked, leaked
    finally:
        daemon.cleanup()
