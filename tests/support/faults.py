"""Faults for the push listener: its spool's disk full or read-only, its receiver down, failing or hanging.

``SpoolDisk`` is a real supervisord started in a private mount namespace where
the spool directory is a small tmpfs of its own, so that its listener (a child,
in the same namespace) sees the faults the test makes there: the disk full
(``fill``) or read-only (``readonly``). As root, chmod does not stop a write,
and a mount that a process holds a file open for writing on cannot be made
read-only (EBUSY): see /work/shared/notes/faults-on-this-machine.md. The test
reaches the tmpfs through ``/proc/PID/root``, which resolves paths in the
daemon's mount namespace; the namespace and its tmpfs go away with the daemon.

``FaultProxy`` stands between the listener and its receiver (the real source's
endpoint): it forwards, refuses connections, answers 500, holds a request
without answering, or forwards it and loses the answer.
"""

import errno
import http.client
import http.server
import os
import socket
import subprocess
import threading
import time

from tests.support.paths import VENV_BIN
from tests.support.supervisord import Supervisord


class SpoolDisk(Supervisord):
    """A Supervisord whose ``spool_dir`` is a tmpfs of ``size`` in the daemon's own mount namespace."""

    def __init__(self, directory, spool_dir, size='1m', **options):
        super(SpoolDisk, self).__init__(directory, **options)
        self.spool_dir = spool_dir
        self.size = size
        self.filler = 0

    def start(self, timeout=20):
        self.write_config()
        os.makedirs(self.spool_dir, exist_ok=True)
        script = 'mount -t tmpfs -o size="$1",mode=0700 tmpfs "$2" && exec "$3" -c "$4"'
        log = open(os.path.join(self.directory, 'supervisord.stdout'), 'wb')
        self.proc = subprocess.Popen(
            ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', self.size, self.spool_dir,
             os.path.join(VENV_BIN, 'supervisord'), self.conf],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.directory,
            start_new_session=True)
        log.close()
        self.wait_running(timeout)
        return self

    def path(self, name=''):
        """``name`` in the spool directory as the daemon and its listener see it."""
        return '/proc/%d/root%s' % (self.proc.pid, os.path.join(self.spool_dir, name))

    def read(self, name, default=''):
        try:
            with open(self.path(name), encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except FileNotFoundError:
            return default

    def fill(self):
        """Take every free block of the tmpfs: the next write that needs a new block fails with ENOSPC."""
        self.filler += 1
        with open(self.path('filler-%d' % self.filler), 'wb', buffering=0) as handle:
            block = b'\0' * 4096
            try:
                while True:
                    handle.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise

    def free(self):
        for index in range(1, self.filler + 1):
            try:
                os.unlink(self.path('filler-%d' % index))
            except FileNotFoundError:
                pass
        self.filler = 0

    def readonly(self, flag, timeout=10):
        """Remount the tmpfs read-only (or writable again).

        A remount to read-only fails with EBUSY while a process holds a file of it open for
        writing: the listener opens its files only for the time of a write, so a retry gets in.
        """
        mode = 'remount,ro' if flag else 'remount,rw'
        deadline = time.monotonic() + timeout
        while True:
            proc = subprocess.run(['nsenter', '-t', str(self.proc.pid), '-m', '--', 'mount', '-o', mode,
                                   self.spool_dir], capture_output=True, text=True, check=False)
            if proc.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError('mount -o %s %s: %s' % (mode, self.spool_dir, proc.stderr.strip()))
            time.sleep(0.01)


class FaultProxy(object):
    """An HTTP proxy on loopback in front of ``target`` (host, port), in one of these modes.

    ``pass`` forwards; ``down`` refuses connections (nothing listens); ``error`` answers 500;
    ``hang`` reads the request and never answers (until the mode changes, then closes);
    ``lose`` forwards the request, then closes the connection without the answer.
    """

    MODES = ('pass', 'down', 'error', 'hang', 'lose')

    def __init__(self, target, port):
        self.target = target
        self.port = port
        self.mode = 'pass'
        self.changed = threading.Condition()
        self.server = None
        self.forwarded = 0
        self.thread = None
        self._listen()

    def _listen(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                mode = proxy.mode
                if mode == 'error':
                    self.answer(500, b'{"error": "injected"}')
                    return
                if mode == 'hang':
                    with proxy.changed:
                        proxy.changed.wait_for(lambda: proxy.mode != 'hang', timeout=120)
                    self.close_connection = True
                    return
                try:
                    status, answer = proxy.forward(self.headers, body)
                except (OSError, http.client.HTTPException):
                    self.answer(502, b'{"error": "the source does not answer"}')
                    return
                if mode == 'lose':
                    self.close_connection = True
                    return
                self.answer(status, answer)

            def answer(self, status, body):
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, client_address: None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return 'http://127.0.0.1:%d/' % self.port

    def forward(self, headers, body):
        connection = http.client.HTTPConnection(*self.target, timeout=60)
        try:
            connection.request('POST', '/', body=body, headers={
                'Content-Type': 'application/json', 'Authorization': headers.get('Authorization', '')})
            response = connection.getresponse()
            answer = response.read()
            self.forwarded += 1
            return response.status, answer
        finally:
            connection.close()

    def set(self, mode):
        assert mode in self.MODES, mode
        if mode == 'down' and self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        with self.changed:
            self.mode = mode
            self.changed.notify_all()
        if mode != 'down' and self.server is None:
            for dummy in range(100):
                try:
                    self._listen()
                    break
                except OSError:       # the port in TIME_WAIT or taken for a moment: try again
                    time.sleep(0.05)
            else:
                raise AssertionError('the proxy cannot listen on %d again' % self.port)

    def close(self):
        with self.changed:
            self.mode = 'pass'
            self.changed.notify_all()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def port_open(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False
