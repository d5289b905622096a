# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of the supervisor.control.supvisors event source.

Its options, the translation of Supvisors' messages into events, the count
of skipped messages, the bounded backlog of the ZeroMQ reader and the
heartbeat watch of the link: no socket here, so all of it is unit-tested
without a publisher. The source file keeps the two transports.
"""

import asyncio
import collections
import json
import time

from ansible_collections.supervisor.control.plugins.module_utils.supvisors_plans import host_of
from ansible_collections.supervisor.control.plugins.plugin_utils.event_source import (
    Refused,
    checked_timeout,
    connection_spec,
    read_options,
)

HEADERS = ('supvisors', 'instance', 'application', 'process', 'event', 'hstats', 'pstats')
DEFAULT_TYPES = ('supvisors', 'instance', 'application', 'process', 'event')
LEGACY_HEADERS = {'address': 'instance'}     # Supvisors up to 0.10 published ``address`` messages
SNAPSHOT_CALLS = (('instance', 'supvisors.get_all_instances_info'),
                  ('application', 'supvisors.get_all_applications_info'),
                  ('process', 'supvisors.get_all_process_info'))
MAX_REMEMBERED = 10000
BACKLOG_BYTES = 64 * 1024 * 1024     # bound on the bytes kept for a busy rulebook, whatever the count

BAD_FRAMES = 'message without exactly two frames (header, body)'
BAD_UTF8 = 'message that is not valid UTF-8'
BAD_JSON = 'body that is not JSON'
BAD_OBJECT = 'body that is not a JSON object'
BAD_HEADER = 'message with an unknown header'
BAD_ARRAY = 'WebSocket message that is not a JSON array [header, body]'
BAD_OTHER = 'message that the source could not translate'
PLURALS = {
    BAD_FRAMES: 'messages without exactly two frames (header, body)',
    BAD_UTF8: 'messages that are not valid UTF-8',
    BAD_JSON: 'bodies that are not JSON',
    BAD_OBJECT: 'bodies that are not JSON objects',
    BAD_HEADER: 'messages with an unknown header',
    BAD_ARRAY: 'WebSocket messages that are not JSON arrays [header, body]',
    BAD_OTHER: 'messages that the source could not translate',
}


# The source's arguments: what DOCUMENTATION says (tests/sanity/test_event_source_docs.py checks that both agree).
# The snapshot's connection options are the modules', with a shorter timeout: a snapshot that waits
# holds up the events behind it.
SPEC = dict(
    host=dict(type='str', default='localhost'),
    port=dict(type='int', required=True, hint='the event_port of [rpcinterface:supvisors]',
              check=(lambda port: 0 < port < 65536, '1-65535')),
    link=dict(type='str', default='zmq'),
    types=dict(type='list', elements='str', default=list(DEFAULT_TYPES)),
    heartbeat=dict(type='float', default=15.0, check=(lambda seconds: seconds >= 0, '0 or more')),
    snapshot=dict(type='bool', default=False),
    high_water_mark=dict(type='int', default=1000, check=(lambda count: count >= 0, '0 (no limit) or more')),
    **connection_spec(timeout=10.0)
)
LINKS = {'zmq': 'zmq', 'websocket': 'websocket', 'ws': 'websocket', 'websockets': 'websocket'}


class Options(object):
    """The source's arguments, checked once at start (a wrong one fails the rulebook with its message)."""

    def __init__(self, args):
        options = read_options(SPEC, args)
        self.host = options['host']
        self.port = options['port']
        self.link = LINKS.get(options['link'].lower())
        if self.link is None:
            raise Refused('link must be zmq or websocket, got %r' % options['link'])
        types = options['types']
        unknown = [t for t in types if t not in HEADERS]
        if unknown or not types:
            raise Refused('unknown types %s; choose among %s' % (', '.join(unknown) or '(none)', ', '.join(HEADERS)))
        self.types = list(dict.fromkeys(types))
        self.heartbeat = options['heartbeat']
        self.high_water_mark = options['high_water_mark']
        self.snapshot = options['snapshot']
        checked_timeout(options['timeout'])
        # Resolved as the modules resolve them (server_url, config, the SUPERVISOR_* environment, ...).
        self.connection = options

    @property
    def accepted(self):
        """Headers delivered: the subscribed ones, plus their legacy names."""
        accepted = set(self.types)
        accepted.update(old for old, new in LEGACY_HEADERS.items() if new in accepted)
        return accepted

    @property
    def url(self):
        host = '[%s]' % self.host if ':' in self.host else self.host
        if self.link == 'zmq':
            return 'tcp://%s:%d' % (host, self.port)
        return 'ws://%s:%d/%s' % (host, self.port, '/'.join(self.types))


class Malformed(Exception):
    def __init__(self, kind, detail=''):
        super(Malformed, self).__init__(kind)
        self.kind = kind
        self.detail = detail


class Translator(object):
    """Turns (header, body) into events; remembers where processes ran. No I/O."""

    def __init__(self, accepted=None):
        self.accepted = set(accepted) if accepted is not None else set(HEADERS) | set(LEGACY_HEADERS)
        self.node_names = {}                          # identifier -> node_name (from instance messages)
        self.process_hosts = collections.OrderedDict()  # (group, name) -> [hosts]

    # -- decoding ---------------------------------------------------------
    def decode_frames(self, frames):
        """ZeroMQ: two frames, a header string and a JSON object."""
        if len(frames) != 2:
            raise Malformed(BAD_FRAMES, '%d frames' % len(frames))
        try:
            header = bytes(frames[0]).decode('utf-8')
            text = bytes(frames[1]).decode('utf-8')
        except UnicodeDecodeError as exc:
            raise Malformed(BAD_UTF8, str(exc))
        return self.check(header, self.parse_body(text))

    def decode_text(self, message):
        """WebSocket: one JSON array ``[header, body]``."""
        if isinstance(message, (bytes, bytearray, memoryview)):
            try:
                message = bytes(message).decode('utf-8')
            except UnicodeDecodeError as exc:
                raise Malformed(BAD_UTF8, str(exc))
        try:
            value = json.loads(message)
        except (ValueError, RecursionError) as exc:
            raise Malformed(BAD_JSON, str(exc) or type(exc).__name__)
        if not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], str):
            raise Malformed(BAD_ARRAY, _preview(message))
        if not isinstance(value[1], dict):
            raise Malformed(BAD_OBJECT, _preview(message))
        return self.check(value[0], value[1])

    @staticmethod
    def parse_body(text):
        try:
            body = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise Malformed(BAD_JSON, '%s: %s' % (str(exc) or type(exc).__name__, _preview(text)))
        if not isinstance(body, dict):
            raise Malformed(BAD_OBJECT, _preview(text))
        return body

    def check(self, header, body):
        if header not in self.accepted:
            raise Malformed(BAD_HEADER, repr(header[:40]))
        return header, body

    # -- events -------------------------------------------------------
    def event(self, header, body, snapshot=False):
        kind = LEGACY_HEADERS.get(header, header)
        if header == 'address':
            body = self.legacy_address(body)
        hosts = self.hosts(kind, body)
        envelope = {'type': kind, 'data': body}
        if snapshot:
            envelope['snapshot'] = True
        event = {'supvisors': envelope}
        if hosts:
            event['meta'] = {'hosts': hosts}
        return event

    @staticmethod
    def legacy_address(body):
        body = dict(body)
        name = body.get('address_name')
        if isinstance(name, str):
            body.setdefault('identifier', name)
            body.setdefault('node_name', name)
        if 'statename' not in body and isinstance(body.get('state'), str):
            body['statename'] = body['state']
        return body

    def _node(self, identifier):
        if not isinstance(identifier, str):
            return None
        return self.node_names.get(identifier) or host_of(identifier)

    def _remember(self, key, hosts):
        if key is None:
            return
        self.process_hosts[key] = hosts
        self.process_hosts.move_to_end(key)
        while len(self.process_hosts) > MAX_REMEMBERED:
            self.process_hosts.popitem(last=False)

    def hosts(self, kind, body):
        """The node names that the body concerns, or None."""
        if kind == 'instance':
            identifier = body.get('identifier')
            node = body.get('node_name')
            if isinstance(identifier, str) and isinstance(node, str) and node:
                self.node_names[identifier] = node
                if len(self.node_names) > MAX_REMEMBERED:
                    self.node_names.pop(next(iter(self.node_names)))
            node = node if isinstance(node, str) and node else self._node(identifier)
            return [node] if node else None
        if kind == 'process':
            key = _process_key(body.get('application_name'), body.get('process_name'))
            ids = body.get('identifiers', body.get('addresses'))
            hosts = []
            if isinstance(ids, list):
                for identifier in ids:
                    node = self._node(identifier)
                    if node and node not in hosts:
                        hosts.append(node)
            if hosts:
                self._remember(key, hosts)
                return hosts
            remembered = self.process_hosts.get(key) if key is not None else None
            return list(remembered) if remembered else None
        if kind == 'event':
            node = self._node(body.get('identifier', body.get('address')))
            if node:
                key = _process_key(body.get('group'), body.get('name'))
                # The ``event`` that precedes a ``process`` status names the host
                # even when the process stopped and ``identifiers`` is empty.
                self._remember(key, [node])
                return [node]
            return None
        if kind in ('hstats', 'pstats'):
            node = self._node(body.get('identifier', body.get('address')))
            return [node] if node else None
        return None


def _process_key(group, name):
    """(group, name) of a process, or None when the body holds something else there (never unhashable)."""
    if isinstance(group, str) and isinstance(name, str):
        return group, name
    return None


def _preview(text, size=60):
    text = text if isinstance(text, str) else repr(text)
    return text if len(text) <= size else text[:size] + '...'


class Counter(object):
    """Counts skipped messages per kind; logs the first, then at every power of ten."""

    def __init__(self, logger):
        self.logger = logger
        self.counts = collections.Counter()

    def skip(self, problem):
        self.counts[problem.kind] += 1
        count = self.counts[problem.kind]
        if count == 1 or power_of_ten(count):
            self.logger.warning('supervisor.control.supvisors: skipped %d %s so far (latest: %s)',
                                count, problem.kind if count == 1 else PLURALS.get(problem.kind, problem.kind),
                                problem.detail)

    def summary(self):
        if self.counts:
            self.logger.info('supervisor.control.supvisors: skipped messages: %s',
                             ', '.join('%d %s' % (n, k if n == 1 else PLURALS.get(k, k))
                                       for k, n in sorted(self.counts.items())))


def power_of_ten(number):
    while number >= 10 and number % 10 == 0:
        number //= 10
    return number == 1


class Backlog(object):
    """What the ZeroMQ reader took from the socket and the rulebook has not taken yet.

    Bounded by a number of messages and by bytes. A message that does not fit is
    dropped (the newest, as ZeroMQ does) and counted: the source knows exactly how
    many it dropped. ``link`` items are never dropped (one per silence at most).
    """

    def __init__(self, limit, max_bytes=BACKLOG_BYTES):
        self.items = collections.deque()
        self.limit = limit              # messages; 0: no limit
        self.max_bytes = max_bytes
        self.messages = 0               # messages held
        self.size = 0                   # bytes of the messages held
        self.dropped = 0                # in all
        self.burst = 0                  # since the backlog was last emptied
        self.ready = asyncio.Event()

    def add_message(self, frames):
        """Keep ``frames``; False when they were dropped."""
        nbytes = sum(len(frame) for frame in frames)
        if self.messages and ((self.limit and self.messages >= self.limit) or self.size + nbytes > self.max_bytes):
            self.dropped += 1
            self.burst += 1
            return False
        self.items.append(('message', frames, nbytes))
        self.messages += 1
        self.size += nbytes
        self.ready.set()
        return True

    def add_link(self, data):
        self.items.append(('link', data, 0))
        self.ready.set()

    async def take(self):
        """The oldest item, as (kind, value); waits for one."""
        while not self.items:
            self.ready.clear()
            await self.ready.wait()
        kind, value, nbytes = self.items.popleft()
        if kind == 'message':
            self.messages -= 1
            self.size -= nbytes
        return kind, value

    def end_of_burst(self):
        """The number of messages dropped since the backlog last held no message, when it just took its last.

        ``link`` items do not count: a ``lost`` queued behind the last kept
        message (the rulebook was busy for a whole heartbeat) would otherwise
        end the burst itself, and a ``link`` event is not followed by a
        snapshot, so the one that the burst calls for would wait for the next
        message, which may never come.
        """
        if self.messages or not self.burst:
            return 0
        burst, self.burst = self.burst, 0
        return burst


class LinkWatch(object):
    """The heartbeat of the link, the same for both transports.

    A link is *lost* after ``heartbeat`` seconds without a message (Supvisors
    publishes an ``instance`` message about every 5 s), and *restored* by the
    next message. ``silent()`` and ``heard()`` return the ``data`` of the
    ``link`` event to emit at each such transition, or None.
    """

    def __init__(self, url, heartbeat, logger, clock=time.monotonic, wall=time.time):
        self.url = url
        self.heartbeat = heartbeat
        self.logger = logger
        self.clock = clock
        self.wall = wall
        self.started = clock()
        self.last = None            # clock() of the last message, None before the first
        self.last_wall = wall()
        self.lost = False

    def budget(self):
        """Seconds left before the link counts as lost, or None when the heartbeat is off or the link lost."""
        if not self.heartbeat or self.lost:
            return None
        since = self.last if self.last is not None else self.started
        return max(0.0, since + self.heartbeat - self.clock())

    def silent(self):
        """No message within the budget: the link is lost."""
        self.lost = True
        self.logger.warning('supervisor.control.supvisors: no message from %s for %ss: link lost',
                            self.url, self.heartbeat)
        return {'state': 'lost', 'since': self.last_wall, 'url': self.url}

    def heard(self):
        """A message came: the link is restored if it was lost."""
        self.last, self.last_wall = self.clock(), self.wall()
        if not self.lost:
            return None
        self.lost = False
        self.logger.info('supervisor.control.supvisors: messages from %s again: link restored', self.url)
        return {'state': 'restored', 'url': self.url}
