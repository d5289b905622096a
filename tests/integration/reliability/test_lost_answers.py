"""supervisord carries out a request whose answer never comes back.

Before 3.2.0 a multicall of 40 starts took 38 s and the task failed at its socket timeout with
changed=false while supervisord went on starting them all. The client no longer sends it so, but an
answer can still be lost after the daemon acted (a busy host, a cut connection): a proxy in front of
a real daemon passes every request on and drops the answers to those that start or stop.
"""

import os
import socket

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.supervisord import SLEEPER, Supervisord
from tests.support.tls_proxy import Listener


class AnswerDropper(Listener):
    """A unix-socket proxy to ``backend`` that passes requests on and drops the answers to those holding ``trigger``."""

    def __init__(self, path, backend, trigger):
        self.backend, self.trigger = backend, trigger
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(16)
        self.held = []
        super(AnswerDropper, self).__init__(listener)

    def __exit__(self, *exc):
        super(AnswerDropper, self).__exit__(*exc)
        for sock in self.held:
            sock.close()

    def _handle(self, client):
        backend = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        backend.connect(self.backend)
        request = b''
        while b'\r\n\r\n' not in request:
            request += client.recv(65536)
        head, body = request.split(b'\r\n\r\n', 1)
        length = int([line.split(b':')[1] for line in head.split(b'\r\n') if line.lower().startswith(b'content-length')][0])
        while len(body) < length:
            body += client.recv(65536)
        backend.sendall(head + b'\r\n\r\n' + body)
        answer = b''
        while not answer.rstrip().endswith(b'</methodResponse>'):  # supervisord keeps an HTTP/1.1 connection open
            chunk = backend.recv(65536)
            if not chunk:
                break
            answer += chunk
        backend.close()
        if self.trigger in body:
            self.held.append(client)  # never answered: the client times out
            return
        try:
            client.sendall(answer)
        except OSError:
            pass  # the client gave up
        client.close()


def assert_failed_as_sent(run, proxy_path, what):
    """The task ``act`` failed with changed=true, saying that its request to ``what`` was sent."""
    result = run.task('act')
    assert result['status'] == 'failed', run
    assert result['result']['changed'] is True, result
    assert result['result']['msg'] == (
        'no answer from unix://%s within 3 seconds: the daemon is busy or hung, or the address is wrong; the request '
        'to %s was sent, so supervisord may have carried it out' % (proxy_path, what))


@pytest.fixture
def daemon(tmp_path):
    programs = {'idle': dict(command=SLEEPER, autostart=False, startsecs=0),
                'idle2': dict(command=SLEEPER, autostart=False, startsecs=0)}
    with Supervisord(str(tmp_path / 'd'), programs=programs) as instance:
        yield instance


@pytest.mark.parametrize('trigger, state, first, verb', [
    (b'supervisor.startProcess', 'started', 'STOPPED', 'start'),
    (b'supervisor.stopProcess', 'stopped', 'RUNNING', 'stop'),
])
def test_a_start_or_stop_whose_answer_is_lost_fails_as_changed_and_says_it_may_have_been_done(
        daemon, tmp_path, trigger, state, first, verb):
    if first == 'RUNNING':
        daemon.start_process('idle:idle')
        daemon.start_process('idle2:idle2')
    proxy_path = os.path.join(str(tmp_path), 'proxy.sock')
    with AnswerDropper(proxy_path, daemon.socket, trigger):
        run = run_playbook([sv_task('process', 'act', name=['idle', 'idle2'], state=state, timeout=3,
                                    server_url='unix://%s' % proxy_path)], tmp_path)
    assert_failed_as_sent(run, proxy_path, '%s idle, idle2' % verb)
    # It did: what the task could not confirm happened.
    wanted = 'RUNNING' if state == 'started' else 'STOPPED'
    daemon.wait_state('idle:idle', wanted)
    daemon.wait_state('idle2:idle2', wanted)


@pytest.fixture
def talker(tmp_path):
    programs = {'talker': dict(command="sh -c 'echo hello; exec %s'" % SLEEPER, startsecs=0),
                'talker2': dict(command="sh -c 'echo hello; exec %s'" % SLEEPER, startsecs=0)}
    with Supervisord(str(tmp_path / 'd'), programs=programs) as instance:
        instance.wait_state('talker:talker', 'RUNNING')
        instance.wait_state('talker2:talker2', 'RUNNING')
        yield instance


@pytest.mark.parametrize('trigger, module, args, what', [
    (b'supervisor.sendProcessStdin', 'stdin', dict(name=['talker', 'talker2'], chars='x'),
     'write to the standard input of talker, talker2'),
    (b'supervisor.clearProcessLogs', 'daemon', dict(state='running', clear_logs=['processes']), 'clear the logs'),
])
def test_a_write_or_clear_whose_answer_is_lost_fails_as_changed_and_says_it_may_have_been_done(
        talker, tmp_path, trigger, module, args, what):
    """The modules that act without a controller (stdin, daemon's clear_logs) say it too, with changed=true."""
    proxy_path = os.path.join(str(tmp_path), 'proxy.sock')
    with AnswerDropper(proxy_path, talker.socket, trigger):
        run = run_playbook([sv_task(module, 'act', server_url='unix://%s' % proxy_path, timeout=3, **args)], tmp_path)
    assert_failed_as_sent(run, proxy_path, what)
