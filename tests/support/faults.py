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

import asyncio
import collections
import errno
import http.client
import http.server
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from tests.support.eda import load_source
from tests.support.netns import running_as_root
from tests.support.push import NO_TICKS, SYSTEM_PYTHON, TOKEN, listener_section
from tests.support.supervisord import Supervisord, free_port

SOURCE = load_source('supervisord')


def require_root():
    """Skip the calling test unless root (a mount namespace needs it); under ``CI=true`` fail instead."""
    if running_as_root():
        return
    reason = 'a mount namespace of its own (unshare --mount) needs root; run the tests as root'
    if os.environ.get('CI', '').lower() == 'true':
        pytest.fail('CI=true but not root: ' + reason)
    pytest.skip(reason)


class SpoolDisk(Supervisord):
    """A Supervisord whose ``spool_dir`` is a tmpfs of ``size`` in the daemon's own mount namespace."""

    # Run as supervisord's wrapper: "$1" size, "$2" directory, then supervisord's own command line.
    MOUNT = 'mount -t tmpfs -o size="$1",mode=0700 tmpfs "$2" && shift 2 && exec "$@"'

    def __init__(self, directory, spool_dir, size='1m', **options):
        super(SpoolDisk, self).__init__(directory, wrapper=[
            'unshare', '--mount', '--propagation', 'private', 'sh', '-c', self.MOUNT, 'sh', size, spool_dir],
            **options)
        self.spool_dir = spool_dir
        self.filler = 0

    def start(self, timeout=20):
        require_root()
        os.makedirs(self.spool_dir, exist_ok=True)
        return super(SpoolDisk, self).start(timeout)

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

    ``pass`` forwards; ``down`` refuses connections (nothing listens, and the open ones are cut);
    ``error`` answers 500; ``hang`` reads the request and never answers (until the mode changes,
    then closes); ``lose`` forwards the request, then closes the connection without the answer.
    ``unanswered``: the source may have taken an event whose answer did not reach the listener.
    """

    MODES = ('pass', 'down', 'error', 'hang', 'lose')

    def __init__(self, target, port):
        self.target = target
        self.port = port
        self.mode = 'pass'
        self.changed = threading.Condition()
        self.server = None
        self.connections = set()
        self.active = 0                 # requests being forwarded
        self.unanswered = False
        self.thread = None
        self._listen()

    def _listen(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def setup(self):
                super(Handler, self).setup()
                proxy.connections.add(self.connection)

            def finish(self):
                proxy.connections.discard(self.connection)
                super(Handler, self).finish()

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length)
                if len(body) < length:          # cut while it came ('down'): nothing to forward
                    self.close_connection = True
                    return
                mode = proxy.mode
                if mode == 'error':
                    self.answer(500, b'{"error": "injected"}')
                    return
                if mode == 'hang':
                    with proxy.changed:
                        proxy.changed.wait_for(lambda: proxy.mode != 'hang', timeout=120)
                    self.close_connection = True
                    return
                with proxy.changed:
                    proxy.active += 1
                    proxy.unanswered = True
                try:
                    status, answer = proxy.forward(self.headers, body)
                    if mode == 'lose':
                        self.close_connection = True
                    else:
                        self.answer(status, answer)
                        proxy.unanswered = False
                except (OSError, http.client.HTTPException):
                    self.answer(502, b'{"error": "the source does not answer"}')
                finally:
                    with proxy.changed:
                        proxy.active -= 1
                        proxy.changed.notify_all()

            def answer(self, status, body):
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.handle_error = lambda request, client_address: None
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
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
            return response.status, response.read()
        finally:
            connection.close()

    def quiet(self, timeout=30):
        """Wait until no request is being forwarded and the listener has the answer to the last one."""
        with self.changed:
            if not self.changed.wait_for(lambda: not self.active and not self.unanswered, timeout):
                raise AssertionError('the proxy did not come to rest within %ss' % timeout)

    def set(self, mode):
        assert mode in self.MODES, mode
        if mode == 'down':
            self._stop()
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

    def _stop(self):
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.server = None
        for connection in list(self.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        with self.changed:
            self.mode = 'pass'
            self.changed.notify_all()
        self._stop()


def port_open(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# The delivery rule as a property: a flapping daemon, faults at random, an account
# ---------------------------------------------------------------------------

FAULTS = ('kill', 'down', 'error', 'hang', 'lose', 'readonly', 'full', 'restart')
# Processes whose state changes are compared with supervisord's main log: one that flaps
# every ~0.2 s, and three with a Unicode space in their name that flap every second.
FLAPPERS = {'flapper': 0.2, 'nb\u00a0sp': 1, 'tab\tsep': 1, 'ideo\u3000sp': 1}
# What the talker writes (PROCESS_LOG events): CR, CRLF, Unicode spaces, characters of 2 to 4
# bytes, and sometimes 64 KB of text.
TALK = ['cr only\r', 'crlf\r\n', 'nbsp\u00a0tab\tideo\u3000end\n', 'mixed\r\nline\rend\r',
        '\u00e9\u20ac\U0001F600\r\n']
FLAPPER_SCRIPT = '''#!/bin/sh
# Exits 1 after $2 seconds, again and again, until the file $1 exists: then stays up.
[ -e "$1" ] && exec sleep 100000
echo up; sleep "$2"; echo down; exit 1
'''
TALKER_SCRIPT = '''import os, random, sys, time
stop, seed = sys.argv[1], int(sys.argv[2])
talk = %r * 7 + ['x' * 65536 + '\\n']
rng = random.Random(seed)
while not os.path.exists(stop):
    sys.stdout.buffer.write(rng.choice(talk).encode('utf-8'))
    sys.stdout.buffer.flush()
    time.sleep(0.2)
open(stop + '.talker', 'w').close()
time.sleep(100000)
''' % (TALK,)
STATE_LINES = [(re.compile(r"spawned: '(.+)' with pid (\d+)$"), 'STARTING'),
               (re.compile(r'success: (.+) entered RUNNING state'), 'RUNNING'),
               (re.compile(r'exited: (.+) \((?:exit status|terminated by) '), 'EXITED'),
               (re.compile(r'stopped: (.+) \((?:exit status|terminated by) '), 'STOPPED')]


class SourceThread(object):
    """The supervisord source with ``listen``, in an event loop of its own; a consumer keeps every event."""

    def __init__(self, port, state_file=None):
        self.port = port
        self.state_file = state_file
        self.events = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.task = self.consumer = self.queue = None
        self.start()

    def _call(self, coroutine, timeout=90):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self):
        async def begin():
            self.queue = asyncio.Queue(maxsize=1)       # ansible-rulebook's

            async def consume(queue):
                while True:
                    self.events.append(await queue.get())
            self.consumer = asyncio.ensure_future(consume(self.queue))
            listen = {'port': self.port, 'token': TOKEN}
            if self.state_file:
                listen['state_file'] = self.state_file
            self.task = asyncio.ensure_future(SOURCE.main(self.queue, {'listen': listen}))
        self._call(begin())
        deadline = time.monotonic() + 30
        while not port_open(self.port):
            if self.task.done() or time.monotonic() > deadline:
                raise AssertionError('the source does not listen on %d: %r' % (self.port, self.task))
            time.sleep(0.05)

    def stop(self):
        """As ansible-rulebook stops a source: cancelled, after which the rule engine takes what is queued."""
        async def end():
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
            while not self.queue.empty():
                await asyncio.sleep(0.01)
            self.consumer.cancel()
        self._call(end())

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        try:
            self.stop()
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


class FaultRun(object):
    """One seeded run: a supervisord in a mount namespace, its listener, a proxy, the real source.

    ``inject(seconds)`` makes faults at random while the flappers flap and the talker talks;
    ``settle()`` clears them and lets everything come to rest; ``violations()`` compares what
    supervisord's main log says happened with what the source emitted.
    """

    def __init__(self, directory, seed, max_events=100, buffer_size=30, size='2m'):
        self.directory = directory
        self.rng = random.Random(seed)
        self.seed = seed
        self.faults = collections.Counter()
        self.timeline = []              # (seconds since the start, fault, on/off or pid)
        self.started = time.monotonic()
        self.stop_file = os.path.join(directory, 'stop')
        os.makedirs(directory)
        flapper = os.path.join(directory, 'flapper.sh')
        with open(flapper, 'w') as handle:
            handle.write(FLAPPER_SCRIPT)
        talker = os.path.join(directory, 'talker.py')
        with open(talker, 'w') as handle:
            handle.write(TALKER_SCRIPT)
        self.source = self.proxy = self.daemon = None
        try:
            self._make(flapper, talker, seed, max_events, buffer_size, size)
        except BaseException:
            self.close()
            raise

    def _make(self, flapper, talker, seed, max_events, buffer_size, size):
        self.source_port, proxy_port = free_port(), free_port()
        self.source = SourceThread(self.source_port, state_file=os.path.join(self.directory, 'push-state.json'))
        self.proxy = FaultProxy(('127.0.0.1', self.source_port), proxy_port)
        programs = dict((name, dict(command='sh %s %s %s' % (flapper, self.stop_file, period), startsecs=0,
                                    autorestart=True)) for name, period in FLAPPERS.items())
        programs['talker'] = dict(command='%s %s %s %d' % (SYSTEM_PYTHON, talker, self.stop_file, seed),
                                  startsecs=0, stdout_events_enabled=True)
        programs['sentinel'] = dict(command='sleep 100000', startsecs=0, autostart=False)
        svd = os.path.join(self.directory, 'svd')
        spool = os.path.join(svd, 'spool')
        os.makedirs(svd)
        self.daemon = SpoolDisk(svd, spool, size=size, programs=programs, extra_sections=listener_section(
            self.proxy.url, svd, spool=spool, events=NO_TICKS + ',PROCESS_LOG', buffer_size=buffer_size,
            extra_args='--max-events %d --timeout 2' % max_events))

    def __enter__(self):
        try:
            self.daemon.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for part, close in ((self.daemon, 'cleanup'), (self.proxy, 'close'), (self.source, 'close')):
            try:
                if part is not None:
                    getattr(part, close)()
            except Exception:       # the others still go
                pass

    # -- faults

    def kill_listener(self):
        pid = self.daemon.info('push')['pid']
        if pid:
            os.kill(pid, signal.SIGKILL)
        self.faults['kill'] += 1
        self.timeline.append((time.monotonic() - self.started, 'kill', pid))

    def restart_source(self):
        """The source stopped and started again, as ansible-rulebook does, whatever is in flight.

        It keeps a state file (listen.state_file): a record whose answer the stop cut, or the
        proxy lost, comes again to the next run and is a duplicate there too.
        """
        self.source.restart()
        self.faults['restart'] += 1
        self.timeline.append((time.monotonic() - self.started, 'restart', 0))

    def fault(self, name, on):
        if name in ('down', 'error', 'hang', 'lose'):
            self.proxy.set(name if on else 'pass')
        elif name == 'readonly':
            self.daemon.readonly(on)
        elif name == 'full':
            if on:
                self.daemon.fill()
            else:
                self.daemon.free()
        if on:
            self.faults[name] += 1
        self.timeline.append((time.monotonic() - self.started, name, on))

    def inject(self, seconds):
        """Faults one after the other, at random, for ``seconds``; sometimes the listener is killed during one."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            time.sleep(self.rng.uniform(0, 1.5))
            name = self.rng.choice(FAULTS)
            if name == 'kill':
                self.kill_listener()
            elif name == 'restart':
                self.restart_source()
            else:
                hold = self.rng.uniform(0.3, 3)
                self.fault(name, True)
                try:
                    if self.rng.random() < 0.3:
                        time.sleep(hold / 2)
                        self.kill_listener()
                    time.sleep(hold)
                finally:
                    self.fault(name, False)

    def settle(self, timeout=90):
        """Every fault gone, every program at rest, then the sentinel: once its RUNNING arrives, all did."""
        open(self.stop_file, 'w').close()
        wait_for(lambda: os.path.exists(self.stop_file + '.talker') and self._all_sleeping(), timeout,
                 'every program at rest')
        self.daemon.start_process('sentinel')
        wait_for(lambda: any(e['supervisord']['type'] == 'process' and e['supervisord']['data']['name'] == 'sentinel'
                             and e['supervisord']['data']['statename'] == 'RUNNING' for e in list(self.source.events)),
                 timeout, "the sentinel's RUNNING at the source")

    def _all_sleeping(self):
        # The table, not getProcessInfo(name): supervisor 3 (Python 2) cannot find a non-ASCII name.
        pids = dict((i['name'], i['pid']) for i in self.daemon.rpc('supervisor.getAllProcessInfo'))
        for name in FLAPPERS:
            try:
                with open('/proc/%d/cmdline' % pids[name], 'rb') as handle:
                    if not handle.read().startswith(b'sleep\0'):
                        return False
            except OSError:
                return False
        return True

    # -- the account

    def violations(self):
        """What breaks the rule, as lines (none when it holds), and the number of events checked."""
        found = []
        bodies = [e['supervisord'] for e in self.source.events]
        boots = {b['boot'] for b in bodies}
        if len(boots) != 1 or {b.get('pool') for b in bodies} != {'push'}:
            found.append('one run, one pool expected: boots %s, pools %s' % (boots, {b.get('pool') for b in bodies}))
        records = bodies            # one event per record: no TICK here
        serials = [r['serial'] for r in records]
        poolserials = [r['poolserial'] for r in records]
        if len(set(serials)) != len(serials):
            found.append('delivered twice: %s' % sorted(s for s, n in collections.Counter(serials).items() if n > 1))
        if poolserials != sorted(poolserials):
            found.append('out of order: %s' % [(a, b) for a, b in zip(poolserials, poolserials[1:]) if b < a][:5])
        total = poolserials[-1] + 1 if poolserials else 0
        dropped = sum(r.get('dropped', 0) for r in records)
        missing = sum(r.get('missing', 0) for r in records)
        delivered = len(set(poolserials))
        if delivered + dropped + missing != total:
            found.append('%d events, of which %d delivered, %d dropped, %d missing: %d unaccounted' % (
                total, delivered, dropped, missing, total - delivered - dropped - missing))
        log = self.main_log()
        discarded = {int(m) for m in re.findall(r'pool push event buffer overflowed, discarding event (\d+)', log)}
        # supervisord also discards an event the listener had spooled and was killed before answering.
        never_handed = len(discarded - set(serials))
        if not never_handed - dropped <= missing <= never_handed:
            found.append('%d missing reported, %d events discarded by supervisord (%d delivered after all)' % (
                missing, len(discarded), len(discarded) - never_handed))
        found += self._order_per_process(bodies, log)
        found += self._talk(bodies)
        if found:
            found.append('the faults, in seconds from the start: %s' % ', '.join(
                '%.1f %s %s' % entry for entry in self.timeline))
        return found, total

    def main_log(self):
        with open(os.path.join(self.daemon.directory, 'supervisord.log'), encoding='utf-8', errors='replace') as handle:
            return handle.read()

    def _order_per_process(self, bodies, log):
        found = []
        for name in FLAPPERS:
            said, pid = [], None
            # supervisor 3 (Python 2) logs the name of a spawn with %r: its bytes escaped.
            spellings = (name, repr(name.encode('utf-8'))[2:-1])
            for line in log.splitlines():
                for pattern, state in STATE_LINES:
                    match = pattern.search(line)
                    if match and match.group(1) in spellings:
                        pid = int(match.group(2)) if state == 'STARTING' else pid
                        said.append((state, pid))
            got = [(b['data']['statename'], b['data'].get('pid')) for b in bodies
                   if b['type'] == 'process' and b['data']['name'] == name]
            position = 0
            for state, pid in got:
                while position < len(said) and not (said[position][0] == state and pid in (None, said[position][1])):
                    position += 1
                if position == len(said):
                    found.append('%r: %s (pid %s) not in the order of the main log' % (name, state, pid))
                    break
                position += 1
            if not got:
                found.append('%r: no state delivered' % name)
        return found

    def _talk(self, bodies):
        """Each PROCESS_LOG event of the talker is a piece of what it wrote, in order, byte for byte."""
        with open(os.path.join(self.daemon.logdir, 'talker_0.out'), 'rb') as handle:
            written = handle.read()
        position, pieces = 0, [b['data'].get('data', '') for b in bodies if b.get('eventname') == 'PROCESS_LOG_STDOUT']
        for piece in pieces:
            found = written.find(piece.encode('utf-8'), position)
            if found < 0:
                return ['a log event is not what the talker wrote, in order: %r' % piece[:200]]
            position = found + len(piece.encode('utf-8'))
        return [] if pieces else ['no log event delivered']


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError('%s did not come within %ss' % (what, timeout))
        time.sleep(0.05)
