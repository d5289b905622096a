# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is a started process ready, not only RUNNING? The checks of ``ready``, as a wait condition.

``Ready`` is a condition of ``ProcessController.settle``: its log reads join each poll's one
multicall (``calls``/``take``), so a poll costs one round trip whatever the checks. A log is read
through supervisord's API, so it works wherever the XML-RPC server is reachable: its size is marked
in the request that starts the process (old lines never count), then it is read forward, a chunk a
poll, never tailed (no line is skipped). Port and URL probes (``Probes``) go from where the module
runs, throttled per process.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import socket

from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorFault
from ansible_collections.supervisor.control.plugins.module_utils.log_reader import (
    ProcessLog,
    SizeChanged,
    TextReader,
    decode_failure,
)
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import Started
from ansible_collections.supervisor.control.plugins.module_utils.states import ProcessStates

# What one poll reads of a log at most: a process that writes faster than this, five times a second,
# during its warm-up, is read behind its writes.
READ_CHUNK = 1024 * 1024
# A process's port or URL is probed at most this often, each probe waiting at most PROBE_TIMEOUT.
PROBE_EVERY = 0.25
PROBE_TIMEOUT = 1.0
# ANSI escape sequences (colours, cursor moves, titles): a ready line is matched without them.
_ANSI = re.compile(u'\x1b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\x07\x1b]*(?:\x07|\x1b\\\\)|[@-Z\\\\-_])')


def _size(answer):
    """The size in a ``tailProcess*Log(name, 0, 0)`` answer, or None for a fault."""
    if isinstance(answer, list) and len(answer) == 3:
        return int(answer[1])
    return None


class LogFollower(object):
    """One log of one process, read forward from a mark through supervisord's API.

    Each poll asks for its size (``tailProcess*Log(name, 0, 0)``) and for the bytes after the point
    read so far (``readProcess*Log(name, offset, READ_CHUNK)``), in the poll's multicall. A size
    below that point means that supervisord rotated the log (or it was cleared): the new file is
    read from its start. A rotation and a regrowth past that point between two polls cannot be told
    from growth; that needs the process to write a whole ``stdout_logfile_maxbytes`` in a poll. Lines
    are matched whole, without ANSI escapes; bytes that are not UTF-8 (supervisord refuses to send
    them) are read again by ``log_reader.TextReader``, which puts U+FFFD in their place, in requests
    of their own.
    """

    def __init__(self, namespec, stream, pattern):
        suffix = 'Stderr' if stream == 'stderr' else 'Stdout'
        self.namespec = namespec
        self.stream = stream
        self.pattern = pattern
        self.size_call = ('supervisor.tailProcess%sLog' % suffix, [namespec, 0, 0])
        self.read_method = 'supervisor.readProcess%sLog' % suffix
        self.offset = 0
        self.carry = u''
        self.line = None
        self.rotations = 0

    def mark(self, answer):
        """Start after what the log holds now (the answer to ``size_call``, sent before the start)."""
        self.offset = _size(answer) or 0

    def calls(self):
        if self.line is not None:
            return []
        return [self.size_call, (self.read_method, [self.namespec, self.offset, READ_CHUNK])]

    def take(self, size_answer, read_answer, client):
        size = _size(size_answer)
        if size is None:
            return  # the process is gone: the info read of the same poll says so
        if size < self.offset:
            self.rotations += 1
            self.offset = 0
            self.carry = u''
            return
        if isinstance(read_answer, SupervisorFault):
            if decode_failure(read_answer) is None:
                if read_answer.is_('NO_FILE', 'BAD_NAME'):
                    return  # no log yet (nothing written), or the process is gone
                raise read_answer
            text, end = self._replacing(client, size)
        else:
            text = read_answer
            # supervisord sent these bytes decoded as UTF-8, carriage returns and control characters
            # kept (client.parse_answer): encoding them again counts them.
            end = self.offset + len(text.encode('utf-8'))
        self.offset = end
        self._scan(text)

    def _replacing(self, client, size):
        """The text after ``offset`` (READ_CHUNK bytes at most) with U+FFFD for bytes that are not UTF-8."""
        end = min(size, self.offset + READ_CHUNK)
        try:
            return TextReader(ProcessLog(client, self.namespec, self.stream), size).text(self.offset, end), end
        except SizeChanged:
            return u'', self.offset  # it grew meanwhile: the next poll reads it

    def _scan(self, text):
        lines = (self.carry + text).split(u'\n')
        self.carry = lines.pop()
        if len(self.carry) > READ_CHUNK:  # no newline in sight: match what there is
            lines.append(self.carry)
            self.carry = u''
        for line in lines:
            clean = _ANSI.sub(u'', line).rstrip(u'\r')
            if self.pattern.search(clean):
                self.line = clean
                return


def where():
    """Where the module runs, as probe failures name it."""
    return socket.gethostname()


def _os_error(exc):
    if isinstance(exc, socket.timeout):
        return 'no answer within %g s' % PROBE_TIMEOUT
    return (getattr(exc, 'strerror', None) or str(exc) or type(exc).__name__).lower()


def tcp_probe(host, port):
    """None when ``host:port`` accepts a TCP connection, else why not."""
    try:
        socket.create_connection((host, port), PROBE_TIMEOUT).close()
        return None
    except (OSError, socket.error) as exc:
        return _os_error(exc)


def http_probe(url, status_codes):
    """None when a GET of ``url`` answers one of ``status_codes``, else why not.

    http.client rather than urllib: no proxy from the environment, no redirect followed, so the
    answer is the process's own.
    """
    from http import client as http_client
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    if parts.scheme == 'https':
        import ssl
        connection = http_client.HTTPSConnection(parts.hostname, parts.port, timeout=PROBE_TIMEOUT,
                                                 context=ssl.create_default_context())
    else:
        connection = http_client.HTTPConnection(parts.hostname, parts.port, timeout=PROBE_TIMEOUT)
    try:
        connection.request('GET', (parts.path or '/') + ('?' + parts.query if parts.query else ''))
        status = connection.getresponse().status
    except (OSError, socket.error, http_client.HTTPException) as exc:
        return _os_error(exc)
    finally:
        connection.close()
    if status in status_codes:
        return None
    return 'answered HTTP %d, expected %s' % (status, ' or '.join(str(code) for code in status_codes))


class Probes(object):
    """The port and URL probes of a roll, from where the module runs, each target at most every PROBE_EVERY s.

    ``tcp`` and ``http`` are injectable, so that the roll is unit-tested without a network.
    """

    def __init__(self, clock, tcp=tcp_probe, http=http_probe, every=PROBE_EVERY):
        self.clock = clock
        self.tcp_probe = tcp
        self.http_probe = http
        self.every = every
        self.last = {}  # target: (when, why not or None)

    def _throttled(self, target, probe):
        now = self.clock()
        seen = self.last.get(target)
        if seen is None or now - seen[0] >= self.every:
            seen = (now, probe())
            self.last[target] = seen
        return seen[1]

    def port(self, host, port):
        """None when the port accepts connections, else what the failure says."""
        why = self._throttled(('tcp', host, port), lambda: self.tcp_probe(host, port))
        if why is None:
            return None
        return 'port %d on %s: %s (probed from %s, where the module runs)' % (port, host, why, where())

    def url(self, url, status_codes):
        why = self._throttled(('http', url), lambda: self.http_probe(url, status_codes))
        if why is None:
            return None
        return 'GET %s: %s (probed from %s, where the module runs)' % (url, why, where())


class Ready(Started):
    """Started, then ready: RUNNING, and every check of ``ready`` (a ``rolling_plans.ReadyCheck``) holds.

    The checks are tried in the order of their cost: the log (read with the poll), the uptime (from
    the info), then the probes. A process that exits fails; one that supervisord restarts (a crash
    after startsecs, autorestart) is waited for again under its new pid.
    """

    def __init__(self, check, clock, probes, client):
        super(Ready, self).__init__(clock)
        self.check = check
        self.probes = probes
        self.client = client
        self.followers = [LogFollower(check.namespec, stream, check.pattern)
                          for stream in (check.streams if check.pattern is not None else ())]
        self.asked = []
        self.pid = None
        self.pid_seen = None
        self.pids = 0
        self.unmet = None  # the first check that did not hold, at the last poll that found it RUNNING

    def mark_calls(self):
        """Calls to send just before the start, in its request: the sizes of the logs."""
        return [follower.size_call for follower in self.followers]

    def marked(self, answers):
        for follower, answer in zip(self.followers, answers):
            follower.mark(answer)

    def calls(self, pending):
        # A line in either log is enough: once one matched, neither is read again.
        found = any(f.line is not None for f in self.followers)
        self.asked = [f for f in self.followers if f.namespec in pending and not found]
        return [call for follower in self.asked for call in follower.calls()]

    def take(self, answers):
        for index, follower in enumerate(self.asked):
            follower.take(answers[2 * index], answers[2 * index + 1], self.client)

    def done(self, info):
        if info.get('pid') and info.get('pid') != self.pid:
            self.pid, self.pid_seen = info['pid'], self.clock()
            self.pids += 1
        if info['statename'] != ProcessStates.RUNNING:
            return False
        self.unmet = self._first_unmet(info)
        return self.unmet is None

    def _first_unmet(self, info):
        if self.followers and all(f.line is None for f in self.followers):
            rotated = sum(f.rotations for f in self.followers)
            return 'no line matching %r since its start%s' % (
                self.check.pattern.pattern, ' (its log was rotated %d times meanwhile)' % rotated if rotated else '')
        if self.check.uptime is not None:
            # supervisord's start and now are whole seconds: their difference less one is an uptime it has
            # surely reached; the time since this pid was first seen is one too, on the module's clock.
            up = max(info.get('now', 0) - info.get('start', 0) - 1, self.clock() - self.pid_seen)
            if up < self.check.uptime:
                return 'up %d s with pid %s, needs uptime %g s%s' % (
                    up, info.get('pid'), self.check.uptime,
                    ' (restarted %d times while waiting)' % (self.pids - 1) if self.pids > 1 else '')
        if self.check.port is not None:
            why = self.probes.port(self.check.host, self.check.port)
            if why:
                return why
        if self.check.url is not None:
            return self.probes.url(self.check.url, self.check.status_code)
        return None

    def failed(self, info):
        return info['statename'] == ProcessStates.EXITED or super(Ready, self).failed(info)

    def failure(self, info):
        if info['statename'] == ProcessStates.EXITED:
            # its exit status follows in the failure's summary (spawnerr, main log)
            return 'exited before it was ready%s' % (': %s' % self.unmet if self.unmet else '')
        return super(Ready, self).failure(info)

    def pending_reason(self, info, timeout):
        running = info['statename'] == ProcessStates.RUNNING and self.unmet
        return 'not ready after %g s: %s' % (timeout, self.unmet if running else 'still %s' % info['statename'])
