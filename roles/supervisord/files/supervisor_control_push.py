# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supervisor_control_push: a supervisord event listener that POSTs every event as JSON.

Run by supervisord as an ``[eventlistener:...]`` program (standard library only,
any Python 3 the host has). Each event is acknowledged to supervisord only once
it is in the spool (memory, and a file with ``--spool``); a sender thread posts
the spool in order to ``--url`` with a bearer token, retrying with backoff while
the receiver is down. When the spool is full the oldest events go, and the next
delivery carries ``dropped``: how many. See docs/eda.md ("Push").

    [eventlistener:supervisor_control_push]
    command=python3 /path/to/supervisor_control_push.py --url https://eda.example.com:5000/
        --host app1 --token-file /path/to/token --spool /path/to/spool.jsonl
    events=PROCESS_STATE,SUPERVISOR_STATE_CHANGE,PROCESS_GROUP_ADDED,PROCESS_GROUP_REMOVED,TICK_60
    buffer_size=1024

Standard output is supervisord's protocol channel: diagnostics go to standard error.
"""

import argparse
import collections
import http.client
import io
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

FORMAT = 'supervisor.control.push/1'
TOKEN_ENV = 'SUPERVISOR_CONTROL_PUSH_TOKEN'
INT_FIELDS = ('pid', 'expected', 'tries', 'when')
# Statuses after which a retry cannot help: the event is dropped (and counted),
# not retried forever in front of all the others. 401/403 are retried: a token
# being rolled out on the receiver must not lose events.
REJECTED = (400, 413, 422)


def log(message, *args):
    sys.stderr.write('supervisor_control_push: %s\n' % (message % args if args else message))
    sys.stderr.flush()


# -- supervisord's event listener protocol ----------------------------------

def parse_tokens(text):
    """``key:value key:value`` (supervisord's header and payload lines) to a dict."""
    fields = {}
    for token in text.split():
        key, sep, value = token.partition(':')
        if not sep:
            raise ValueError('not a key:value token: %r' % token)
        fields[key] = value
    return fields


def parse_payload(eventname, payload):
    """The payload of the events this listener subscribes to, as a dict (ints where numeric)."""
    if eventname.startswith('PROCESS_COMMUNICATION') or eventname.startswith('PROCESS_LOG') \
            or eventname.startswith('REMOTE_COMMUNICATION'):
        head, dummy, data = payload.partition('\n')
        fields = parse_tokens(head)
        fields['data'] = data
    else:
        fields = parse_tokens(payload)
    for key in INT_FIELDS:
        if key in fields:
            try:
                fields[key] = int(fields[key])
            except ValueError:
                pass
    return fields


class Protocol(object):
    """READY, a header line, ``len`` characters of payload, then RESULT.

    supervisord counts ``len`` in characters of the decoded payload (it formats a
    str and encodes it as UTF-8), so both streams are UTF-8 text.
    """

    def __init__(self, stdin, stdout):
        self.stdin = stdin
        self.stdout = stdout

    def ready(self):
        self.stdout.write('READY\n')
        self.stdout.flush()

    def read_event(self):
        """(headers, payload), or None at end of input."""
        line = self.stdin.readline()
        if not line:
            return None
        headers = parse_tokens(line)
        length = int(headers['len'])
        payload = self.stdin.read(length) if length else ''
        if len(payload) != length:
            return None
        return headers, payload

    def result(self, ok):
        body = 'OK' if ok else 'FAIL'
        self.stdout.write('RESULT %d\n%s' % (len(body), body))
        self.stdout.flush()


# -- what the listener knows about its host ---------------------------------

def boot_id(ppid=None):
    """Identifies this run of supervisord (our parent): its serials start again at each run."""
    ppid = os.getppid() if ppid is None else ppid
    parts = []
    for path in ('/proc/sys/kernel/random/boot_id',):
        try:
            with open(path) as handle:
                parts.append(handle.read().strip()[:8])
        except OSError:
            pass
    parts.append(str(ppid))
    try:
        with open('/proc/%d/stat' % ppid) as handle:
            parts.append(handle.read().rsplit(')', 1)[1].split()[19])   # starttime
    except (OSError, IndexError):
        pass
    return '-'.join(parts)


def running_processes(parent=None, proc='/proc'):
    """supervisord's children with their resident memory, named from their environment.

    supervisord puts SUPERVISOR_PROCESS_NAME and SUPERVISOR_GROUP_NAME in the
    environment of every child it spawns, so no XML-RPC call is needed.
    """
    parent = os.getppid() if parent is None else parent
    page = os.sysconf('SC_PAGE_SIZE') if hasattr(os, 'sysconf') else 4096
    found = []
    try:
        entries = os.listdir(proc)
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        base = os.path.join(proc, entry)
        try:
            with open(os.path.join(base, 'stat')) as handle:
                if int(handle.read().rsplit(')', 1)[1].split()[1]) != parent:
                    continue
            with open(os.path.join(base, 'environ'), 'rb') as handle:
                environ = dict(item.split(b'=', 1) for item in handle.read().split(b'\0') if b'=' in item)
            with open(os.path.join(base, 'statm')) as handle:
                rss = int(handle.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
        name = environ.get(b'SUPERVISOR_PROCESS_NAME')
        if name is None:
            continue
        group = environ.get(b'SUPERVISOR_GROUP_NAME', name)
        found.append({'name': name.decode('utf-8', 'replace'), 'group': group.decode('utf-8', 'replace'),
                      'pid': int(entry), 'rss': rss})
    found.sort(key=lambda p: (p['group'], p['name']))
    return found


def make_record(headers, payload, host, boot, now=None, processes=None):
    eventname = headers.get('eventname', '')
    record = {
        'format': FORMAT,
        'host': host,
        'boot': boot,
        'server': headers.get('server'),
        'serial': int(headers['serial']),
        'pool': headers.get('pool'),
        'poolserial': int(headers['poolserial']),
        'eventname': eventname,
        'payload': parse_payload(eventname, payload),
        'time': time.time() if now is None else now,
    }
    if eventname.startswith('TICK_'):
        record['processes'] = running_processes() if processes is None else processes
    return record


# -- the spool ----------------------------------------------------------------

class Spool(object):
    """Pending events in order, bounded; mirrored in an append-only file when a path is given.

    The file holds one JSON record per line; ``PATH.ack`` names the last record
    delivered, so after a restart the records after it are pending. A partly
    written last line (a kill in the middle of a write) is skipped.
    """

    def __init__(self, path=None, max_events=10000):
        self.path = path
        self.max_events = max(1, int(max_events))
        self.pending = collections.deque()
        self.dropped = 0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._handle = None
        self._lines = 0
        if path:
            self._load()

    @staticmethod
    def key(record):
        return [record.get('boot'), record.get('serial')]

    def _read_ack(self):
        try:
            with open(self.path + '.ack') as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def _load(self):
        ack = self._read_ack()
        self.dropped = int(ack.get('dropped') or 0)
        records = []
        try:
            with open(self.path, encoding='utf-8') as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(record, dict):
                        records.append(record)
        except FileNotFoundError:
            pass
        last = ack.get('last')
        for index, record in enumerate(records):
            if self.key(record) == last:
                records = records[index + 1:]
                break
        if len(records) > self.max_events:
            self.dropped += len(records) - self.max_events
            records = records[-self.max_events:]
        self.pending.extend(records)
        self._rewrite()

    def _rewrite(self):
        """Only the pending records, replaced atomically (the ack's key is then absent: all pending)."""
        if self._handle:
            self._handle.close()
        temporary = self.path + '.tmp'
        with open(temporary, 'w', encoding='utf-8') as handle:
            for record in self.pending:
                handle.write(json.dumps(record, sort_keys=True) + '\n')
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)
        self._handle = open(self.path, 'a', encoding='utf-8')
        self._lines = len(self.pending)

    def put(self, record):
        """Hold ``record``; raises OSError if the file cannot take it (then nothing is held)."""
        with self.lock:
            if self._handle:
                self._handle.write(json.dumps(record, sort_keys=True) + '\n')
                self._handle.flush()
                self._lines += 1
            self.pending.append(record)
            while len(self.pending) > self.max_events:
                self.pending.popleft()
                self.dropped += 1
            if self._handle and self._lines >= 2 * self.max_events:
                self._rewrite()
            self.changed.notify_all()

    def head(self, timeout=None):
        """The oldest pending record with the drop count to report, or (None, 0)."""
        with self.lock:
            if not self.pending:
                self.changed.wait(timeout)
            if not self.pending:
                return None, 0
            return self.pending[0], self.dropped

    def delivered(self, record, reported):
        """``record`` reached the receiver, which was told of ``reported`` drops."""
        with self.lock:
            if self.pending and self.pending[0] is record:
                self.pending.popleft()
            else:   # dropped by an overflow while it was being posted: it was not lost after all
                self.dropped = max(0, self.dropped - 1)
            self.dropped = max(0, self.dropped - reported)
            if self.path:
                temporary = self.path + '.ack.tmp'
                with open(temporary, 'w') as handle:
                    json.dump({'last': self.key(record), 'dropped': self.dropped}, handle)
                os.replace(temporary, self.path + '.ack')
                if not self.pending and self._lines > 1000:
                    self._rewrite()

    def rejected(self, record):
        """The receiver refused ``record`` for good: count it with the dropped ones."""
        with self.lock:
            if self.pending and self.pending[0] is record:
                self.pending.popleft()
                self.dropped += 1


# -- the sender ---------------------------------------------------------------

class Sender(object):
    """Posts the spool's records in order, one at a time, on a kept-alive connection."""

    def __init__(self, spool, url, token, timeout=10.0, cafile=None, backoff_max=5.0, token_header='Authorization'):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ('http', 'https') or not parsed.hostname:
            raise ValueError('--url must be an http:// or https:// URL, got %r' % url)
        self.spool = spool
        self.parsed = parsed
        self.path = (parsed.path or '/') + ('?' + parsed.query if parsed.query else '')
        self.token = token
        self.token_header = token_header
        self.timeout = timeout
        self.backoff_max = backoff_max
        self.context = ssl.create_default_context(cafile=cafile) if parsed.scheme == 'https' else None
        self.connection = None
        self.stopped = threading.Event()

    def _connect(self):
        port = self.parsed.port
        if self.context is not None:
            return http.client.HTTPSConnection(self.parsed.hostname, port, timeout=self.timeout,
                                               context=self.context)
        return http.client.HTTPConnection(self.parsed.hostname, port, timeout=self.timeout)

    def post(self, body):
        """The HTTP status of one POST; raises OSError/HTTPException when there is no answer."""
        headers = {'Content-Type': 'application/json', 'User-Agent': 'supervisor_control_push'}
        if self.token:
            bearer = self.token_header.lower() == 'authorization'
            headers[self.token_header] = 'Bearer %s' % self.token if bearer else self.token
        # A kept-alive connection may have been closed by the receiver while idle: one
        # more try on a new one (a resent event is dropped as a duplicate by the source).
        reused = self.connection is not None
        while True:
            if self.connection is None:
                self.connection = self._connect()
            try:
                self.connection.request('POST', self.path, body=body, headers=headers)
                response = self.connection.getresponse()
                response.read()
                break
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if not reused:
                    raise
                reused = False
        if response.will_close:
            self.connection.close()
            self.connection = None
        return response.status

    def run(self):
        backoff = 0.0
        while not self.stopped.is_set():
            try:
                backoff = self.send_one(backoff)
            except Exception as exc:  # pylint: disable=broad-except
                # This thread must not die: the main thread would go on acknowledging events.
                backoff = min(self.backoff_max, max(0.2, backoff * 2))
                log('sender: %s: %s', exc.__class__.__name__, exc)
                self.stopped.wait(backoff)

    def send_one(self, backoff):
        """Try to deliver the oldest pending event; the backoff to use next."""
        record, dropped = self.spool.head(timeout=1.0)
        if record is not None:
            body = dict(record)
            if dropped:
                body['dropped'] = dropped
            try:
                status = self.post(json.dumps(body, sort_keys=True).encode('utf-8'))
            except (OSError, http.client.HTTPException) as exc:
                status, reason = None, str(exc) or exc.__class__.__name__
            else:
                reason = 'HTTP %d' % status
            if status is not None and 200 <= status < 300:
                self.spool.delivered(record, dropped)
                return 0.0
            if status in REJECTED:
                log('event %s refused by the receiver (%s): dropped', record.get('serial'), reason)
                self.spool.rejected(record)
                return backoff
            backoff = min(self.backoff_max, max(0.2, backoff * 2))
            log('cannot deliver event %s (%s): retrying in %.1fs', record.get('serial'), reason, backoff)
            self.stopped.wait(backoff)
        return backoff


# -- main -------------------------------------------------------------------------

def read_token(args):
    if args.token_file:
        with open(args.token_file, encoding='utf-8') as handle:
            return handle.read().strip()
    return os.environ.get(TOKEN_ENV, '').strip()


def options(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--url', required=True, help='where to POST each event (http:// or https://)')
    parser.add_argument('--host', default=socket.gethostname(),
                        help='host name put in every event (the inventory name; default: the host name)')
    parser.add_argument('--token-file', help='file holding the bearer token (else $%s)' % TOKEN_ENV)
    parser.add_argument('--token-header', default='Authorization',
                        help='header that carries the token: Authorization (the default) sends "Bearer TOKEN", '
                             'any other header the bare token')
    parser.add_argument('--spool', help='file that keeps undelivered events across restarts')
    parser.add_argument('--max-events', type=int, default=10000, help='spool bound (default 10000)')
    parser.add_argument('--timeout', type=float, default=10.0, help='seconds to wait for the receiver')
    parser.add_argument('--backoff-max', type=float, default=5.0, help='longest wait between retries')
    parser.add_argument('--cafile', help='CA bundle to check an https receiver with')
    return parser.parse_args(argv)


def main(argv=None, stdin=None, stdout=None):
    args = options(sys.argv[1:] if argv is None else argv)
    try:
        token = read_token(args)
        spool = Spool(args.spool, args.max_events)
        sender = Sender(spool, args.url, token, args.timeout, args.cafile, args.backoff_max, args.token_header)
    except (OSError, ValueError) as exc:
        log('cannot start: %s', exc)
        return 2
    if spool.pending:
        log('%d undelivered events from the spool', len(spool.pending))
    thread = threading.Thread(target=sender.run, name='sender', daemon=True)
    thread.start()
    protocol = Protocol(stdin or io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', errors='replace'),
                        stdout or io.TextIOWrapper(sys.stdout.buffer, encoding='utf-8'))
    boot = boot_id()
    while True:
        protocol.ready()
        try:
            event = protocol.read_event()
        except (KeyError, ValueError) as exc:
            # Without a valid len the stream cannot be resynchronised: supervisord restarts us.
            log('unreadable event header: %s', exc)
            return 1
        if event is None:
            return 0
        headers, payload = event
        try:
            spool.put(make_record(headers, payload, args.host, boot))
        except (KeyError, ValueError) as exc:
            log('unreadable event %s: %s', headers.get('serial'), exc)
            protocol.result(True)    # FAIL would make supervisord send the same bytes again
            continue
        except OSError as exc:
            # Not held, so not acknowledged: supervisord keeps the event and sends it again.
            log('cannot spool event %s: %s', headers.get('serial'), exc)
            protocol.result(False)
            time.sleep(1)
            continue
        protocol.result(True)


if __name__ == '__main__':
    sys.exit(main())
