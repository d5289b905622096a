# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supervisor_control_push: a supervisord event listener that POSTs every event as JSON.

Run by supervisord as an ``[eventlistener:...]`` program (standard library only,
any Python 3 the host has). Each event is acknowledged to supervisord only once
it is in the spool (the file of ``--spool``; memory alone without it) or counted
as dropped; a sender thread posts the spool in order to ``--url`` with a bearer
token, retrying with backoff while the receiver is down. Every event supervisord
hands the listener is delivered once, or counted once: the next delivery carries
``dropped`` (the spool was full, the receiver refused it) and ``missing`` (events
supervisord never handed the listener). See docs/eda.md ("Push").

    [eventlistener:supervisor_control_push]
    command=python3 /path/to/supervisor_control_push.py --url https://eda.example.com:5000/
        --host app1 --token-file /path/to/token --spool /path/to/spool.jsonl
    events=PROCESS_STATE,SUPERVISOR_STATE_CHANGE,PROCESS_GROUP_ADDED,PROCESS_GROUP_REMOVED,TICK_60
    buffer_size=1024

Standard output is supervisord's protocol channel: diagnostics go to standard error.
"""

import argparse
import codecs
import collections
import fcntl
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
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
# supervisord's envelope (supervisor/process.py, EventListenerPool._eventEnvelope). The
# identifier (server) may hold spaces; pool names cannot (supervisor/datatypes.py).
HEADER = re.compile(r'ver:(?P<ver>[^ ]*) server:(?P<server>.*) serial:(?P<serial>[0-9]+) pool:(?P<pool>[^ ]*) '
                    r'poolserial:(?P<poolserial>[0-9]+) eventname:(?P<eventname>[^ ]+) len:(?P<len>[0-9]+)\Z')
# The acknowledgement file is rewritten in place, always this long (padded): one write
# within one page, so that a kill never leaves half of it, and a full disk has room for it.
ACK_SIZE = 4096


def log(message, *args):
    sys.stderr.write('supervisor_control_push: %s\n' % (message % args if args else message))
    sys.stderr.flush()


# -- supervisord's event listener protocol ----------------------------------
# Named as supervisor/childutils.py names its steps (EventListenerProtocol's wait, ready, ok, fail; get_headers,
# eventdata), which this file cannot import: it runs under any Python 3 with the standard library alone.

def tokens(text):
    """``key:value key:value`` (supervisord's header and payload lines) to a dict.

    supervisord joins the tokens with ASCII spaces, and forbids them (not other spaces)
    in process and group names: a name may hold a tab, U+00A0 or U+3000, which
    ``str.split()`` would cut.
    """
    fields = {}
    for token in text.rstrip('\n').split(' '):
        if not token:
            continue
        key, sep, value = token.partition(':')
        if not sep:
            raise ValueError('not a key:value token: %r' % token)
        fields[key] = value
    return fields


def get_headers(line):
    """The envelope's header line, as a dict."""
    match = HEADER.match(line)
    return match.groupdict() if match else tokens(line)


def eventdata(eventname, payload):
    """The payload of the events this listener subscribes to, as a dict (ints where numeric; the data after the
    first line, for the events that carry some, in ``data``)."""
    if eventname.startswith('REMOTE_COMMUNICATION'):
        head, dummy, data = payload.partition('\n')
        fields = {'type': head[len('type:'):] if head.startswith('type:') else head, 'data': data}
    elif eventname.startswith('PROCESS_COMMUNICATION') or eventname.startswith('PROCESS_LOG'):
        head, dummy, data = payload.partition('\n')
        fields = tokens(head)
        fields['data'] = data
    else:
        fields = tokens(payload)
    for key in INT_FIELDS:
        if key in fields:
            try:
                fields[key] = int(fields[key])
            except ValueError:
                pass
    return fields


class EventListenerProtocol(object):
    """READY, a header line, ``len`` units of payload, then RESULT; on binary streams.

    supervisord 4 on Python 3 formats the envelope as text, puts ``len(payload)`` in it
    (characters), and writes it encoded as UTF-8 (supervisor/process.py, ``_eventEnvelope``
    and ``_dispatchEvent``): the payload is read as bytes and decoded until it holds ``len``
    characters. supervisord on Python 2 formats a byte string: ``len`` counts bytes
    (``counts_bytes(eventname)``, see ``len_in_bytes``). Nothing is translated either way
    (a log line's CR or CRLF stays as it is).
    """

    def __init__(self, stdin, stdout, counts_bytes=lambda eventname: False):
        self.stdin = stdin
        self.stdout = stdout
        self.counts_bytes = counts_bytes

    def wait(self):
        """READY, then the next event: (headers, payload), or None at end of input."""
        self.ready()
        line = self.stdin.readline()
        if not line.endswith(b'\n'):
            return None
        headers = get_headers(line[:-1].decode('utf-8', 'replace'))
        length = int(headers['len'])
        if self.counts_bytes(headers.get('eventname', '')):
            payload = self.read_bytes(length)
        else:
            payload = self.read_characters(length)
        if payload is None:
            return None
        return headers, payload

    def read_bytes(self, count):
        data = self.stdin.read(count) if count else b''
        return data.decode('utf-8', 'replace') if len(data) == count else None

    def read_characters(self, count):
        decoder = codecs.getincrementaldecoder('utf-8')('replace')
        parts = []
        while count > 0:
            # Every character takes at least one byte: this never reads past the payload.
            data = self.stdin.read(count)
            if not data:
                return None
            text = decoder.decode(data)
            parts.append(text)
            count -= len(text)
        return ''.join(parts)

    def ready(self):
        self.stdout.write(b'READY\n')
        self.stdout.flush()

    def ok(self):
        self.send(b'OK')

    def fail(self):
        self.send(b'FAIL')

    def send(self, data):
        self.stdout.write(b'RESULT %d\n%s' % (len(data), data))
        self.stdout.flush()


# What supervisord's own Python says: its major version, then the supervisor release.
PROBE = ('import sys\nsys.stdout.write(str(sys.version_info[0]))\n'
         'try:\n    from supervisor.options import VERSION\n    sys.stdout.write(" " + VERSION)\n'
         'except Exception:\n    pass\n')


def len_in_bytes(ppid=None):
    """A function of the event name: whether supervisord, our parent, counts ``len`` in bytes.

    On Python 3 (supervisor 4) it counts characters. On Python 2 supervisor 3 formats every
    payload as a byte string (bytes); supervisor 4 too, but for the log and communication
    events, whose data it decodes to text first (characters). The parent's interpreter is
    asked once; when it cannot be, characters, as supervisor 4 on Python 3 counts.
    """
    exe = '/proc/%d/exe' % (os.getppid() if ppid is None else ppid)
    try:
        if not os.path.basename(os.readlink(exe)).startswith('python'):
            return lambda eventname: False
        answer = subprocess.run([exe, '-c', PROBE], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, timeout=60, check=False).stdout.decode('ascii', 'replace')
    except (OSError, subprocess.SubprocessError):
        return lambda eventname: False
    words = answer.split() + ['', '']
    if words[0] != '2':
        return lambda eventname: False
    if not re.match(r'[4-9]\.|[1-9][0-9]+\.', words[1]):
        return lambda eventname: True
    return lambda eventname: not eventname.startswith(('PROCESS_LOG', 'PROCESS_COMMUNICATION'))


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


def make_record(headers, payload, host, boot, now=None, processes=None, listener=None):
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
        'payload': eventdata(eventname, payload),
        'time': time.time() if now is None else now,
    }
    if listener:
        record['listener'] = listener
    if eventname.startswith('TICK_'):
        record['processes'] = running_processes() if processes is None else processes
    return record


# -- the spool ----------------------------------------------------------------

class Spool(object):
    """The events acknowledged to supervisord and not delivered yet: in order, bounded, in a file.

    Each pending event is an entry ``[record, dropped, missing]``: the events of the
    pool lost just before it, that its delivery reports. ``dropped``: the listener
    let them go (the spool was full, the receiver refused them, they were
    unreadable); ``missing``: supervisord never handed them to the listener (its
    buffer overflowed while the listener could not take them), seen as a jump in
    ``poolserial``, or in ``serial`` where the pool may be new (``_gap``). Each lost event is counted once, in the entry that follows it,
    and its count never changes once that entry is being posted: a resent event
    says the same as the first time.

    With a path, nothing changes in memory before it is in the file. The file is a
    journal of JSON lines: records (with ``gap``, the missing events before it, and
    ``drops``, the keys of the entries it pushed out), ``{"drop": KEY}`` (refused),
    ``{"carry": [dropped, missing]}`` (counts kept by a compaction, or an unreadable
    event) and ``{"seen": ...}`` (the last event handed to the listener). ``PATH.ack``
    names the last record delivered (written in place), and no record is sent before
    the ack of the one before it is written: after a restart, the first pending entry
    is the only one the receiver may have. Replaying the journal after a restart
    gives the same entries with the same counts. A line is written at the
    end of the last complete one: a kill in the middle of a write, or a full disk,
    leaves at most a partial line, which the next write overwrites and a reload
    ignores. Files are opened only for the time of a write, so that an administrator
    can remount the disk read-only (a mount with a file open for writing cannot be).
    """

    # With nothing pending, a file this large is emptied in place (no room needed: the
    # disk may be full of it), once the ack says all it said.
    truncate_at = 65536

    def __init__(self, path=None, max_events=10000):
        self.path = path
        self.max_events = max(1, int(max_events))
        self.pending = collections.deque()
        self.carry = [0, 0]          # losses after the last pending entry
        self.seen = None             # the last event handed to the listener
        self.fresh = True            # no event seen before: the first one's poolserial is what never came
        self.handed = False          # an event was handed to this process (not replayed): see _gap
        self.inflight = None         # the entry the receiver may have: never pushed out
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._size = 0               # bytes of complete lines in the file
        self._lines = 0
        self._retry_compaction = 0.0
        self._unacked = None         # the record delivered last, while its ack is not written
        if path:
            self._load()

    @staticmethod
    def key(record):
        return [record.get('boot'), record.get('serial')]

    # -- what is handed to the listener

    def put(self, record):
        """Hold ``record``; False if it is one already held (supervisord sends again the event a
        killed listener had not answered). Raises OSError if the file cannot take it: then nothing changed.
        """
        with self.lock:
            gap = self._gap(record)
            if gap is None:
                return False
            start = 1 if self._in_flight() else 0
            victims = list(self.pending)[start:start + max(0, len(self.pending) - start + 1 - self.max_events)]
            line = dict(record)
            if gap:
                line['gap'] = gap
            if victims:
                line['drops'] = [self.key(entry[0]) for entry in victims]
            self._append(line)
            for entry in victims:
                self._drop(entry)
            self.pending.append([record, self.carry[0], self.carry[1] + gap])
            self.carry = [0, 0]
            self._saw(record)
            self.handed = True
            if self._lines >= 2 * self.max_events:
                self._compact()
            self.changed.notify_all()
            return True

    def count_unreadable(self, position=None):
        """An event that cannot become a record: counted as dropped. Raises OSError like put().

        ``position``: its boot, pool, serial and poolserial, when its header gave them.
        """
        with self.lock:
            gap = 0 if position is None else self._gap(position)
            if gap is None:
                return
            self._append({'carry': [1, gap], 'seen': position} if position else {'carry': [1, 0]})
            self.carry = [self.carry[0] + 1, self.carry[1] + gap]
            if position:
                self._saw(position)
                self.handed = True

    def _gap(self, record):
        """How many events of the pool supervisord never handed before ``record``; None: seen already."""
        seen, serial, poolserial = self.seen, record['serial'], record['poolserial']
        if seen is None:
            return poolserial if self.fresh else 0
        if seen.get('boot') == record['boot'] and serial <= seen.get('serial', -1):
            # Sent again, so by the pool seen: a pool made anew gets only events with serials above the old one's.
            self.handed = True
            return None
        if (seen.get('boot'), seen.get('pool')) == (record['boot'], record.get('pool')) \
                and poolserial > seen.get('poolserial', -1):
            if not self.handed:
                # This process's first event: its pool may have been made anew while it was down, and have
                # discarded its first events (its buffer overflowed before this process was READY), so that the
                # poolserial went up from the old pool's and its jump says too little. The jump in serial holds
                # every event of the pool since the one seen (supervisord numbers each event it gives any pool, in
                # order), whichever pool it was: exact with one listener pool (as the role deploys), an upper bound
                # with pools that take events this one does not, as after a reload below.
                return max(poolserial - seen['poolserial'], serial - seen['serial']) - 1
            return poolserial - seen['poolserial'] - 1
        if seen.get('boot') == record['boot']:
            # The pool made anew in the same run (supervisorctl reload, or an update of this pool): its poolserial
            # starts again at 0, and what the old pool still held went with it. supervisord's serial goes on (a
            # global of its process), so the events in between are missing; those that only other pools took
            # are counted too: an upper bound, exact for the events of a daemon whose pools all take the same.
            return serial - seen['serial'] - 1
        # Another run of supervisord: its serials start again at 0.
        return poolserial

    def _saw(self, record):
        self.seen = {'boot': record['boot'], 'pool': record.get('pool'), 'serial': record['serial'],
                     'poolserial': record['poolserial']}
        self.fresh = False

    # -- what the sender does

    def head(self, timeout=None):
        """The oldest pending entry, or None; None too while the ack of the last delivery cannot be written.

        A restarted listener takes only the first pending entry for one that may have reached
        the receiver (with its counts) and pushes the others out for room: one it had sent on
        would then be counted as dropped, with what it reported, although the receiver has it.
        So nothing is sent before the ack says what was delivered: the ack is tried again here,
        after up to ``timeout`` seconds, or at once when an event is spooled (the disk writable).
        """
        with self.lock:
            if not self._acked():
                self.changed.wait(timeout)
                if not self._acked():
                    return None
            if not self.pending:
                self.changed.wait(timeout)
            return self.pending[0] if self.pending else None

    def sending(self, entry):
        """``entry`` is about to reach the receiver: from now on it is never pushed out for room
        (the receiver may have it, with its counts). False if it was pushed out already."""
        with self.lock:
            if self.pending and self.pending[0] is entry:
                self.inflight = entry
                return True
            return False

    @staticmethod
    def body(entry):
        record, dropped, missing = entry
        body = dict(record)
        if dropped:
            body['dropped'] = dropped
        if missing:
            body['missing'] = missing
        return json.dumps(body, sort_keys=True).encode('utf-8')

    def delivered(self, entry):
        """``entry`` reached the receiver (with its counts)."""
        with self.lock:
            if self.pending and self.pending[0] is entry:
                self.pending.popleft()
            self.inflight = None
            if not self.path:
                return
            self._unacked = entry[0]
            try:
                self._ack()
            except OSError as exc:
                # Killed now, the listener sends this record again (a duplicate for the receiver).
                log('cannot write %s.ack: %s: nothing more is sent until it can be', self.path, exc)

    def _acked(self):
        """Whether the ack names the last record delivered, written now if it was not yet."""
        if self._unacked is None:
            return True
        try:
            self._ack()
        except OSError:
            return False
        log('%s.ack written: sending again', self.path)
        return True

    def _ack(self):
        """Write the ack of the last record delivered (OSError: not written), then tidy the file up."""
        self._write_ack(self._unacked)
        self._unacked = None
        if not self.pending and self.carry == [0, 0] and self._size >= self.truncate_at:
            self._truncate()
        elif self._lines > 2 * max(len(self.pending), 500):
            self._compact()

    def rejected(self, entry):
        """The receiver refused ``entry`` for good: dropped and counted. Raises OSError like put()."""
        with self.lock:
            self.inflight = None
            if not any(e is entry for e in self.pending):
                return
            self._append({'drop': self.key(entry[0])})
            self._drop(entry)

    def _in_flight(self):
        return bool(self.pending) and self.pending[0] is self.inflight

    def _drop(self, entry):
        """Forget ``entry``: its own loss and the losses before it go to the entry after it."""
        index = next(i for i, e in enumerate(self.pending) if e is entry)
        del self.pending[index]
        dropped, missing = entry[1] + 1, entry[2]
        if index < len(self.pending):
            self.pending[index][1] += dropped
            self.pending[index][2] += missing
        else:
            self.carry = [self.carry[0] + dropped, self.carry[1] + missing]

    # -- the files

    def _append(self, entry):
        """One journal line, written where the last complete line ends (OSError: nothing written)."""
        if not self.path:
            return
        data = (json.dumps(entry, sort_keys=True) + '\n').encode('utf-8')
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size < self._size:
                # Cut or removed by someone else: go on at its end, on a line of its own.
                self._size = size
                data = b'\n' + data if size else data
            written = 0
            while written < len(data):
                written += os.pwrite(fd, data[written:], self._size + written)
        except OSError:
            try:
                os.ftruncate(fd, self._size)
            except OSError:
                pass        # the next line overwrites it; a reload ignores a partial line
            raise
        finally:
            os.close(fd)
        self._size += len(data)
        self._lines += 1

    def _write_ack(self, record):
        data = json.dumps({'last': self.key(record), 'seen': self.seen}, sort_keys=True).encode('utf-8')
        data = data.ljust(ACK_SIZE - 1) + b'\n'
        fd = os.open(self.path + '.ack', os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)

    def _truncate(self):
        """Nothing pending: the ack says all the file said."""
        try:
            fd = os.open(self.path, os.O_WRONLY)
            try:
                os.ftruncate(fd, 0)
            finally:
                os.close(fd)
        except OSError:
            return
        self._size = self._lines = 0

    def _compact(self):
        """The file anew with only what is pending (atomically); on failure, the old one goes on."""
        if time.monotonic() < self._retry_compaction:
            return
        lines = []
        for record, dropped, missing in self.pending:
            if dropped or missing:
                lines.append({'carry': [dropped, missing]})
            lines.append(record)
        # Last: the event last handed may be after the last record (an unreadable one).
        tail = {'seen': self.seen} if self.seen else {}
        if self.carry != [0, 0]:
            tail['carry'] = list(self.carry)
        if tail:
            lines.append(tail)
        data = ''.join(json.dumps(line, sort_keys=True) + '\n' for line in lines).encode('utf-8')
        temporary = self.path + '.tmp'
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                written = 0
                while written < len(data):
                    written += os.pwrite(fd, data[written:], written)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
        except OSError as exc:
            log('cannot compact %s (it goes on growing): %s', self.path, exc)
            self._retry_compaction = time.monotonic() + 5
            try:
                os.unlink(temporary)
            except OSError:
                pass
            return
        self._size, self._lines = len(data), len(lines)

    def _read_ack(self):
        try:
            with open(self.path + '.ack', encoding='utf-8') as handle:
                ack = json.JSONDecoder().raw_decode(handle.read().lstrip())[0]
        except (OSError, ValueError):
            return {}
        return ack if isinstance(ack, dict) else {}

    def _load(self):
        """Replay the journal after the last record delivered."""
        ack = self._read_ack()
        try:
            with open(self.path, 'rb') as handle:
                data = handle.read()
        except FileNotFoundError:
            data = b''
        complete = data[:data.rfind(b'\n') + 1]
        entries = []
        for line in complete.splitlines():
            try:
                entry = json.loads(line.decode('utf-8'))
            except ValueError:
                continue
            if isinstance(entry, dict) and ('eventname' not in entry or all(
                    isinstance(entry.get(key), int) for key in ('serial', 'poolserial'))):
                entries.append(entry)
        last = ack.get('last')
        start = 0
        for index, entry in enumerate(entries):
            if 'eventname' in entry and self.key(entry) == last:
                start = index + 1
        # An ack of version 1 kept the count of dropped events itself.
        self.carry = [int(ack.get('dropped') or 0), 0]
        previous = None
        for index, entry in enumerate(entries):
            if 'eventname' in entry:
                if previous and previous['boot'] == entry.get('boot') and entry['serial'] <= previous['serial']:
                    continue            # written twice (by a version that could)
                previous = entry
                self._saw(entry)
                if index < start:
                    continue
                for key in entry.get('drops', ()):
                    self._drop_key(key)
                record = dict((k, v) for k, v in entry.items() if k not in ('drops', 'gap'))
                self.pending.append([record, self.carry[0], self.carry[1] + entry.get('gap', 0)])
                self.carry = [0, 0]
                continue
            if isinstance(entry.get('seen'), dict):
                self.seen = entry['seen']
            if index < start:
                continue
            if 'drop' in entry:
                self._drop_key(entry['drop'])
            if 'carry' in entry:
                self.carry = [self.carry[0] + entry['carry'][0], self.carry[1] + entry['carry'][1]]
        if self.seen is None and isinstance(ack.get('seen'), dict):
            self.seen = ack['seen']
        # An ack of version 1 names a delivered record but no seen event: not a first start.
        self.fresh = self.seen is None and not ack.get('last')
        self._size, self._lines = len(complete), len(entries)
        # The first may have been in flight when the listener stopped (it may have arrived,
        # with its counts): it stays in flight, never pushed out. It is the only one: nothing
        # is sent before the ack of the record before it is written.
        while len(self.pending) > self.max_events + 1:
            self._drop(self.pending[1])
        if self.pending:
            self.inflight = self.pending[0]
        if len(data) > len(complete) or start or len(entries) > len(self.pending) + 1:
            self._compact()

    def _drop_key(self, key):
        for entry in self.pending:
            if self.key(entry[0]) == key:
                self._drop(entry)
                return


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

    def post(self, body_of):
        """The HTTP status of one POST; raises OSError/HTTPException when there is no answer.

        ``body_of()`` gives the body once a connection is up (None: nothing to send after all).
        """
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
                if self.connection.sock is None:
                    self.connection.connect()       # refused: nothing sent, the event may go for room
                body = body_of()
                if body is None:
                    return None
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
        entry = self.spool.head(timeout=1.0)
        if entry is None:
            return backoff
        serial = entry[0].get('serial')
        try:
            status = self.post(lambda: self.spool.body(entry) if self.spool.sending(entry) else None)
        except (OSError, http.client.HTTPException) as exc:
            status, reason = None, str(exc) or exc.__class__.__name__
        else:
            if status is None:          # pushed out for room meanwhile: counted, the next one then
                return backoff
            reason = 'HTTP %d' % status
        if status is not None and 200 <= status < 300:
            self.spool.delivered(entry)
            return 0.0
        if status in REJECTED:
            try:
                self.spool.rejected(entry)
            except OSError as exc:
                log('event %s refused by the receiver (%s), and cannot be counted as dropped (%s): '
                    'sending it again', serial, reason, exc)
            else:
                log('event %s refused by the receiver (%s): dropped', serial, reason)
                return backoff
        backoff = min(self.backoff_max, max(0.2, backoff * 2))
        log('cannot deliver event %s (%s): retrying in %.1fs', serial, reason, backoff)
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


def several_in_pool(environ):
    """Why this listener must not run, when supervisord runs it as one of several in its pool."""
    name, pool = environ.get('SUPERVISOR_PROCESS_NAME'), environ.get('SUPERVISOR_GROUP_NAME')
    if name and pool and name != pool:
        # numprocs > 1 needs a process_name with %(process_num)s: the names then differ from the pool's.
        return ('this listener is process %s of pool %s; supervisord hands each event to one listener of a pool, '
                'so several would each deliver part of the events, in no common order: set numprocs=1 and no '
                'process_name' % (name, pool))
    return None


def lock(path):
    """Hold PATH.lock for as long as this process lives: two listeners on one spool would mix it up.

    The lock file is only read: a descriptor open for writing would stop the disk from being
    remounted read-only. None when the file cannot even be made (a read-only disk): no lock then.
    """
    name = path + '.lock'
    try:
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        pass
    try:
        fd = os.open(name, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise OSError('%s is in use by another listener (each listener needs a --spool of its own)' % path)
    return fd


def position(headers, boot):
    """Where an event is in its pool's stream, from its header; None when the header does not say."""
    try:
        return {'boot': boot, 'pool': headers.get('pool'), 'serial': int(headers['serial']),
                'poolserial': int(headers['poolserial'])}
    except (KeyError, ValueError):
        return None


def handle(spool, protocol, event, host, boot, listener):
    """Spool one event and answer it: OK once it is spooled or counted as dropped, FAIL otherwise."""
    headers, payload = event
    try:
        record = make_record(headers, payload, host, boot, listener=listener)
    except (KeyError, ValueError) as exc:
        try:
            spool.count_unreadable(position(headers, boot))
        except OSError as error:
            log('unreadable event %s (%s), and cannot be counted as dropped: %s', headers.get('serial'), exc, error)
            protocol.fail()
            time.sleep(1)
            return
        # OK: FAIL would make supervisord send the same bytes again, for ever.
        log('unreadable event %s: %s: dropped and counted', headers.get('serial'), exc)
        protocol.ok()
        return
    try:
        spool.put(record)
    except OSError as exc:
        # Not held, so not acknowledged: supervisord keeps the event and sends it again.
        log('cannot spool event %s: %s', headers.get('serial'), exc)
        protocol.fail()
        time.sleep(1)
        return
    protocol.ok()


def main(argv=None, stdin=None, stdout=None):
    args = options(sys.argv[1:] if argv is None else argv)
    try:
        refusal = several_in_pool(os.environ)
        if refusal:
            raise ValueError(refusal)
        token = read_token(args)
        held = lock(args.spool) if args.spool else None
        spool = Spool(args.spool, args.max_events)
        sender = Sender(spool, args.url, token, args.timeout, args.cafile, args.backoff_max, args.token_header)
    except (OSError, ValueError) as exc:
        log('cannot start: %s', exc)
        return 2
    if spool.pending:
        log('%d undelivered events from the spool', len(spool.pending))
    thread = threading.Thread(target=sender.run, name='sender', daemon=True)
    thread.start()
    protocol = EventListenerProtocol(stdin or sys.stdin.buffer, stdout or sys.stdout.buffer, len_in_bytes())
    boot = boot_id()
    listener = os.environ.get('SUPERVISOR_PROCESS_NAME')
    try:
        while True:
            try:
                event = protocol.wait()
            except (KeyError, ValueError) as exc:
                # Without a valid len the stream cannot be resynchronised: supervisord restarts us.
                log('unreadable event header: %s', exc)
                return 1
            if event is None:
                return 0
            handle(spool, protocol, event, args.host, boot, listener)
    finally:
        if held is not None:
            os.close(held)


if __name__ == '__main__':
    sys.exit(main())
