"""readiness.py: a log read forward from a mark, the throttled probes, the probes on real sockets.

The log is a real file read with supervisor's own readFile/tailFile (test_log_reader.FakeClient,
which fails as supervisord 4.3 does on bytes that are not UTF-8): rotation, lines cut between two
reads, colours and bad bytes are set up exactly here; they are also met on a real daemon in
tests/integration/modules/test_rolling.py.
"""

import os
import re
import socket
import threading

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import readiness  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorFault  # noqa: E402
from tests.unit.test_log_reader import FakeClient  # noqa: E402


class LogClient(FakeClient):
    """test_log_reader's fake, and supervisord's NO_FILE for a configured log not written yet."""

    def _value(self, method, params):
        if method.startswith('supervisor.readProcess') and not os.path.exists(self.path):
            return SupervisorFault(20, 'NO_FILE: %s' % self.path, method)
        return super(LogClient, self)._value(method, params)


class Log(object):
    """A log file and a follower of it, polled as a roll polls."""

    def __init__(self, tmp_path, pattern='ready on \\d+$'):
        self.path = tmp_path / 'p.out'
        self.path.write_bytes(b'')
        self.client = LogClient(str(self.path))
        self.follower = readiness.LogFollower('g:p', 'stdout', re.compile(pattern))

    def write(self, data):
        with open(str(self.path), 'ab') as handle:
            handle.write(data)

    def mark(self):
        self.follower.mark(self.client.multicall([self.follower.size_call])[0])

    def poll(self):
        calls = self.follower.calls()
        if calls:
            self.follower.take(*self.client.multicall(calls, lenient=True), client=self.client)
        return self.follower.line


def test_lines_before_the_mark_never_count(tmp_path):
    log = Log(tmp_path)
    log.write(b'ready on 1\n')
    log.mark()
    assert log.poll() is None
    log.write(b'warming up\nready on 2\n')
    assert log.poll() == 'ready on 2'


def test_a_line_counts_once_it_ends_even_when_cut_between_two_reads(tmp_path):
    log = Log(tmp_path)
    log.mark()
    log.write(b'rea')
    assert log.poll() is None
    log.write(b'dy on 7')
    assert log.poll() is None  # no newline yet: "ready on 7" might become "ready on 71"
    log.write(b'1\n')
    assert log.poll() == 'ready on 71'


def test_a_log_longer_than_a_read_is_read_forward_without_skipping(tmp_path, monkeypatch):
    monkeypatch.setattr(readiness, 'READ_CHUNK', 64)
    log = Log(tmp_path, pattern='^line 017$')
    log.mark()
    log.write(b''.join(b'line %03d\n' % n for n in range(40)))  # 360 bytes: a tail of 64 would skip line 017
    offsets = []
    while log.poll() is None:
        offsets.append(log.follower.offset)
    assert log.follower.line == 'line 017' and offsets == [64, 128]


def test_colours_are_removed_before_matching(tmp_path):
    log = Log(tmp_path)
    log.mark()
    log.write(b'\x1b[1;32mready on 3\x1b[0m\r\n')
    assert log.poll() == 'ready on 3'


def test_bytes_that_are_not_utf8_read_as_replacement_characters(tmp_path):
    log = Log(tmp_path, pattern='^\ufffd\ufffd ready on 4$')
    log.mark()
    log.write(b'caf\xc3\xa9\n\xff\xfe ready on 4\n')
    assert log.poll() == '\ufffd\ufffd ready on 4'
    assert log.follower.offset == len(b'caf\xc3\xa9\n\xff\xfe ready on 4\n')


def test_a_rotated_log_is_read_again_from_its_start(tmp_path):
    log = Log(tmp_path)
    log.write(b'x' * 500)
    log.mark()
    log.write(b'starting\n')
    assert log.poll() is None
    log.path.write_bytes(b'ready on 5\n')  # supervisord renamed the full file and opened a new one
    assert log.poll() is None and log.follower.rotations == 1
    assert log.poll() == 'ready on 5'


def test_a_log_that_does_not_exist_yet_is_waited_for(tmp_path):
    log = Log(tmp_path)
    log.path.unlink()
    log.mark()
    assert log.poll() is None
    log.write(b'ready on 6\n')
    assert log.poll() == 'ready on 6'


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_probes_are_throttled_per_target_and_say_where_they_ran(monkeypatch):
    clock = Clock()
    tried = []

    def refused(host, port):
        tried.append((clock.now, port))
        return 'connection refused'
    monkeypatch.setattr(readiness, 'where', lambda: 'ctl.example')
    probes = readiness.Probes(clock, tcp=refused)
    for step in range(11):
        clock.now = step * 0.1
        assert probes.port('10.0.0.5', 8001) == ('port 8001 on 10.0.0.5: connection refused (probed from '
                                                 'ctl.example, where the module runs)')
        probes.port('10.0.0.5', 8002)
    assert [round(t, 1) for t, port in tried if port == 8001] == [0.0, 0.3, 0.6, 0.9]


def serve(status):
    """A one-shot HTTP server on 127.0.0.1 answering ``status``; its port."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(1)

    def answer():
        conn, dummy = sock.accept()
        try:
            if conn.recv(4096):
                conn.sendall(b'HTTP/1.0 %d X\r\nContent-Length: 0\r\n\r\n' % status)
        finally:
            conn.close()
            sock.close()
    threading.Thread(target=answer, daemon=True).start()
    return sock.getsockname()[1]


def test_the_real_probes_on_real_sockets():
    closed = socket.socket()
    closed.bind(('127.0.0.1', 0))
    port = closed.getsockname()[1]
    closed.close()
    assert readiness.tcp_probe('127.0.0.1', port) == 'connection refused'
    assert readiness.http_probe('http://127.0.0.1:%d/health' % port, (200,)) == 'connection refused'
    assert readiness.http_probe('http://127.0.0.1:%d/health' % serve(503), (200, 204)) == \
        'answered HTTP 503, expected 200 or 204'
    assert readiness.http_probe('http://127.0.0.1:%d/health' % serve(204), (200, 204)) is None
    assert readiness.tcp_probe('127.0.0.1', serve(204)) is None
