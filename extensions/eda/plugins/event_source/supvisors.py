# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supvisors.py: an ansible-rulebook event source for the Supvisors event publisher."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
short_description: Receive the state changes that a Supvisors cluster publishes.
description:
  - Subscribes to the event publisher of one Supvisors instance (the C(event_link) and C(event_port)
    of its C([rpcinterface:supvisors]) section) and turns every message into an event.
  - >-
    Every event has the same shape, C({"supvisors": {"type": HEADER, "data": BODY}, "meta": {"hosts": [...]}}).
    C(type) is the message header (V(supvisors), V(instance), V(application), V(process), V(event),
    V(hstats), V(pstats)) and C(data) its JSON body, unchanged.
  - C(meta.hosts) names the nodes that the message concerns, when its body says so (the C(node_name) of an
    instance, the host part of C(identifier) or C(identifiers)), so that C(run_playbook) and C(run_module)
    run on those hosts; the inventory must know the Supvisors nodes by these names. A process status for a
    process that stopped names the host it last ran on. When no host is known, C(meta.hosts) is left out.
  - Messages in the format of Supvisors 0.10 and older (header C(address), body with C(address_name);
    process statuses with C(addresses)), which Supvisors 0.11 renamed C(instance), C(identifier) and
    C(identifiers), are delivered as type V(instance) with C(identifier), C(node_name) and C(statename)
    filled in.
  - Malformed messages (wrong number of frames, invalid UTF-8, a body that is not a JSON object,
    an unknown header) are skipped and counted; the first of each kind is logged, then every power of ten.
  - >-
    After O(heartbeat) seconds without any message, the source emits
    C({"supvisors": {"type": "link", "data": {"state": "lost", "since": EPOCH}}}), and
    C({"state": "restored"}) when messages come back. Supvisors sends an C(instance) message about every
    5 seconds for every instance, so silence means that the publisher is gone.
  - PUB/SUB (and the WebSocket publisher) drop messages for a subscriber that is not connected yet,
    reconnecting, or too slow. Use O(snapshot) to receive the current state at start and after every
    C(restored) event.
author:
  - supervisor.control developers (@supervisor-control)
requirements:
  - pyzmq (for O(link=zmq))
  - websockets (for O(link=websocket))
options:
  host:
    description: Host name or address of the Supvisors instance to subscribe to.
    type: str
    default: localhost
  port:
    description: The C(event_port) of the C([rpcinterface:supvisors]) section.
    type: int
    required: true
  link:
    description:
      - V(zmq) for C(event_link = ZMQ) (a ZeroMQ SUB socket), V(websocket) for C(event_link = WS).
    type: str
    choices: [zmq, websocket]
    default: zmq
  types:
    description:
      - The message headers to subscribe to.
      - V(hstats) and V(pstats) (host and process statistics, published every C(stats_collecting_period))
        are only received when listed here.
    type: list
    elements: str
    choices: [supvisors, instance, application, process, event, hstats, pstats]
    default: [supvisors, instance, application, process, event]
  heartbeat:
    description:
      - Seconds without any message after which a C(link) event with C(state=lost) is emitted.
      - V(0) disables the check.
    type: float
    default: 15
  snapshot:
    description:
      - Read the current state through Supvisors' XML-RPC (C(supvisors.get_all_instances_info),
        C(get_all_applications_info), C(get_all_process_info)) at start and after every C(restored) event,
        and emit it as ordinary events of types V(instance), V(application) and V(process) whose envelope
        carries C(snapshot=true).
      - Uses O(server_url) (default C(http://HOST:9001)), O(username), O(password), O(config), O(timeout).
    type: bool
    default: false
  server_url:
    description: The XML-RPC URL of the Supvisors instance, for O(snapshot). Same forms as the modules accept.
    type: str
  username:
    description: User name for O(server_url).
    type: str
  password:
    description: Password for O(server_url).
    type: str
  config:
    description: A supervisord.conf to read the XML-RPC URL and credentials from, for O(snapshot).
    type: path
  timeout:
    description: Seconds to wait for the XML-RPC answers of O(snapshot).
    type: float
    default: 10
  high_water_mark:
    description:
      - Messages that the source keeps for the rulebook while it is busy (O(link=zmq)). The source reads the
        socket all the time into a backlog of at most this many messages (and at most 64 MiB); a message
        that does not fit is dropped, counted and logged (the first, then every power of ten, and the total
        of each burst when the rulebook has caught up). With O(snapshot), a snapshot follows such a burst.
      - It is also the socket's C(RCVHWM). V(0) means no limit on the count (the 64 MiB bound stays).
      - Messages that ZeroMQ itself drops before the source reads them (the publisher's own high-water
        mark, a reconnection) cannot be counted by a subscriber.
    type: int
    default: 1000
'''

EXAMPLES = r'''
- name: Restart processes that Supvisors reports FATAL
  hosts: all
  sources:
    - supervisor.control.supvisors:
        host: supvisors01.example.com
        port: 60002
        snapshot: true
        server_url: http://supvisors01.example.com:60000
  rules:
    - name: restart a FATAL process where it last ran
      condition: >-
        event.supvisors.type == "process" and event.supvisors.data.statename == "FATAL"
      action:
        run_module:
          name: supervisor.control.process
          module_args:
            name: "{{ event.supvisors.data.application_name }}:{{ event.supvisors.data.process_name }}"
            state: started
            server_url: "http://{{ event.meta.hosts[0] }}:60000"

- name: Process statistics over a WebSocket
  hosts: all
  sources:
    - supervisor.control.supvisors:
        host: supvisors01.example.com
        port: 60002
        link: websocket
        types: [pstats]
  rules:
    - name: a process uses more than 50 % of the memory
      condition: event.supvisors.type == "pstats" and event.supvisors.data.mem > 50
      action:
        print_event:
'''

import asyncio
import collections
import json
import logging
import os
import sys
import time

try:
    from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
    from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError
except ImportError:  # loaded by file (ansible-rulebook runs sources with runpy)
    def _collections_root(path):
        # .../ansible_collections/supervisor/control/extensions/eda/plugins/event_source/supvisors.py
        for candidate in (os.path.abspath(path), os.path.realpath(path)):
            parts = candidate.split(os.sep)
            if 'ansible_collections' in parts:
                index = len(parts) - 1 - parts[::-1].index('ansible_collections')
                return os.sep.join(parts[:index]) or os.sep
        return None

    _ROOT = _collections_root(__file__)
    if _ROOT and _ROOT not in sys.path:
        sys.path.insert(0, _ROOT)
    from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
    from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError

LOGGER = logging.getLogger('supervisor.control.supvisors')

HEADERS = ('supvisors', 'instance', 'application', 'process', 'event', 'hstats', 'pstats')
DEFAULT_TYPES = ('supvisors', 'instance', 'application', 'process', 'event')
LEGACY_HEADERS = {'address': 'instance'}     # Supvisors up to 0.10 published ``address`` messages
SNAPSHOT_CALLS = (('instance', 'supvisors.get_all_instances_info'),
                  ('application', 'supvisors.get_all_applications_info'),
                  ('process', 'supvisors.get_all_process_info'))
MAX_REMEMBERED = 10000
RECONNECT_DELAY = (0.2, 5.0)
BACKLOG_BYTES = 64 * 1024 * 1024     # bound on the bytes kept for a busy rulebook, whatever the count
YIELD_EVERY = 32                     # messages read in a row before the reader lets the event loop run

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


def host_of(identifier):
    """``host`` from a Supvisors identifier ``host:port`` (an identifier without a port is a host)."""
    if not isinstance(identifier, str) or not identifier:
        return None
    host, sep, port = identifier.rpartition(':')
    if sep and port.isdigit() and host:
        return host.strip('[]')
    return identifier


class Options(object):
    """The source's arguments, checked once at start (a wrong one fails the rulebook with its message)."""

    def __init__(self, args):
        args = dict(args or {})
        self.host = str(args.get('host') or 'localhost')
        if args.get('port') in (None, ''):
            raise ValueError('supervisor.control.supvisors: port is required (the event_port of '
                             '[rpcinterface:supvisors])')
        try:
            self.port = int(args['port'])
        except (TypeError, ValueError):
            raise ValueError('supervisor.control.supvisors: port must be a number, got %r' % (args['port'],))
        if not 0 < self.port < 65536:
            raise ValueError('supervisor.control.supvisors: port %d is out of range' % self.port)
        self.link = str(args.get('link') or 'zmq').lower()
        if self.link in ('ws', 'websockets'):
            self.link = 'websocket'
        if self.link not in ('zmq', 'websocket'):
            raise ValueError('supervisor.control.supvisors: link must be zmq or websocket, got %r' % self.link)
        types = args.get('types')
        if types is None:
            types = list(DEFAULT_TYPES)
        elif isinstance(types, str):
            types = [t.strip() for t in types.split(',') if t.strip()]
        unknown = [t for t in types if t not in HEADERS]
        if unknown or not types:
            raise ValueError('supervisor.control.supvisors: unknown types %s; choose among %s' % (
                ', '.join(map(str, unknown)) or '(none)', ', '.join(HEADERS)))
        self.types = list(dict.fromkeys(types))
        try:
            self.heartbeat = float(args.get('heartbeat', 15) or 0)
            self.timeout = float(args.get('timeout', 10) or 10)
            hwm = args.get('high_water_mark')
            self.high_water_mark = 1000 if hwm in (None, '') else int(hwm)
        except (TypeError, ValueError) as exc:
            raise ValueError('supervisor.control.supvisors: %s' % exc)
        if self.heartbeat < 0:
            raise ValueError('supervisor.control.supvisors: heartbeat must be 0 or more')
        if self.high_water_mark < 0:
            raise ValueError('supervisor.control.supvisors: high_water_mark must be 0 (no limit) or more')
        self.snapshot = _boolean(args.get('snapshot', False))
        self.connection = dict(
            server_url=args.get('server_url') or (None if args.get('config') else 'http://%s:9001' % self.host),
            username=args.get('username'), password=args.get('password'),
            config=args.get('config'), timeout=self.timeout)

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


def _boolean(value):
    if isinstance(value, str):
        return value.strip().lower() in ('1', 'true', 'yes', 'on')
    return bool(value)


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
        if count == 1 or _power_of_ten(count):
            self.logger.warning('supervisor.control.supvisors: skipped %d %s so far (latest: %s)',
                                count, problem.kind if count == 1 else PLURALS.get(problem.kind, problem.kind),
                                problem.detail)

    @property
    def total(self):
        return sum(self.counts.values())

    def summary(self):
        if self.counts:
            self.logger.info('supervisor.control.supvisors: skipped messages: %s',
                             ', '.join('%d %s' % (n, k if n == 1 else PLURALS.get(k, k))
                                       for k, n in sorted(self.counts.items())))


def _power_of_ten(number):
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
        """The number of messages dropped since the backlog was last empty, when it just became empty."""
        if self.items or not self.burst:
            return 0
        burst, self.burst = self.burst, 0
        return burst


class SupvisorsSource(object):
    """The receive loop: one connection, a heartbeat watchdog, optional snapshots."""

    def __init__(self, queue, args, logger=LOGGER):
        self.queue = queue
        self.options = Options(args)
        self.logger = logger
        self.translator = Translator(self.options.accepted)
        self.counter = Counter(logger)
        self.last_message = None        # monotonic time of the last message, None before the first
        self.last_message_wall = time.time()
        self.started = time.monotonic()
        self.lost = False
        self.snapshot_due = self.options.snapshot
        self.snapshot_retry_at = 0.0
        self.received = 0
        self.backlog = None             # ZeroMQ only, created in the running loop
        self.client = None
        if self.options.snapshot:
            try:   # a wrong URL or config file fails at start, not at every retry
                self.client = SupervisorClient.from_options(**self.options.connection)
            except SupervisorError as exc:
                raise ValueError('supervisor.control.supvisors: snapshot: %s' % exc)

    # -- shared -----------------------------------------------------------
    def _silence_budget(self):
        """Seconds left before the link counts as lost, or None when the heartbeat is off or lost."""
        if not self.options.heartbeat or self.lost:
            return None
        since = self.last_message if self.last_message is not None else self.started
        return max(0.0, since + self.options.heartbeat - time.monotonic())

    async def _link_lost(self):
        self.lost = True
        self.logger.warning('supervisor.control.supvisors: no message from %s for %ss: link lost',
                            self.options.url, self.options.heartbeat)
        await self.queue.put({'supvisors': {'type': 'link', 'data': {
            'state': 'lost', 'since': self.last_message_wall, 'url': self.options.url}}})

    async def _handle(self, decoded):
        now = time.monotonic()
        self.last_message, self.last_message_wall = now, time.time()
        self.received += 1
        if self.lost:
            self.lost = False
            self.logger.info('supervisor.control.supvisors: messages from %s again: link restored',
                             self.options.url)
            await self.queue.put({'supvisors': {'type': 'link', 'data': {
                'state': 'restored', 'url': self.options.url}}})
            if self.options.snapshot:
                self.snapshot_due = True
        event = self._translate(lambda pair: pair, decoded)
        if event is not None:
            await self.queue.put(event)
        if self.snapshot_due and time.monotonic() >= self.snapshot_retry_at:
            await self.snapshot()

    def _translate(self, decode, message):
        """The event for ``message``, or None when it is skipped (and counted)."""
        try:
            return self.translator.event(*decode(message))
        except Malformed as problem:
            self.skip(problem)
        except Exception as exc:  # one odd message must never stop the source
            self.skip(Malformed(BAD_OTHER, '%s: %s' % (type(exc).__name__, exc)))
        return None

    async def snapshot(self):
        """Read the current state over XML-RPC and emit it as events with ``snapshot: true``.

        When Supvisors cannot answer (unreachable, or not in OPERATION yet),
        the snapshot is tried again with a later message, at most once per
        heartbeat period (or second).
        """
        calls = [(kind, method) for kind, method in SNAPSHOT_CALLS if kind in self.options.types]
        self.snapshot_due = False
        if not calls:
            return
        try:
            results = await asyncio.get_running_loop().run_in_executor(None, self._read_snapshot, calls)
        except SupervisorError as exc:
            results = [exc]
        failed = [r for r in results if isinstance(r, SupervisorError)]
        for problem in failed:
            self.logger.warning('supervisor.control.supvisors: snapshot: %s (tried again later)', problem)
        if failed:
            self.snapshot_due = True
            self.snapshot_retry_at = time.monotonic() + max(self.options.heartbeat, 1.0)
            if len(failed) == len(results):
                return
        for (kind, method), result in zip(calls, results):
            if isinstance(result, list):
                for body in result:
                    if isinstance(body, dict):
                        await self.queue.put(self.translator.event(kind, body, snapshot=True))

    def _read_snapshot(self, calls):
        return self.client.multicall([(method, []) for dummy, method in calls])

    def skip(self, problem):
        self.counter.skip(problem)

    # -- ZeroMQ -----------------------------------------------------------
    async def run_zmq(self):
        try:
            import zmq
            import zmq.asyncio
        except ImportError:
            raise ImportError('supervisor.control.supvisors: link zmq needs pyzmq: pip install pyzmq')
        context = zmq.asyncio.Context()
        sock = context.socket(zmq.SUB)
        monitor = watcher = None
        tasks = []
        try:
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.RCVHWM, self.options.high_water_mark)
            sock.setsockopt(zmq.RECONNECT_IVL, 200)
            sock.setsockopt(zmq.RECONNECT_IVL_MAX, 5000)
            for header in sorted(self.options.accepted):
                sock.setsockopt(zmq.SUBSCRIBE, header.encode('utf-8'))
            monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
            watcher = asyncio.ensure_future(self._watch_zmq(monitor))
            sock.connect(self.options.url)
            self.logger.info('supervisor.control.supvisors: subscribing to %s for %s',
                             self.options.url, ', '.join(self.options.types))
            # The reader drains the socket whatever the rulebook does, so that what is
            # dropped is dropped here, where it can be counted; the emitter feeds the rulebook.
            self.backlog = Backlog(self.options.high_water_mark)
            tasks = [asyncio.ensure_future(self._read_zmq(sock)), asyncio.ensure_future(self._emit_zmq())]
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks)
            if watcher is not None:
                watcher.cancel()
                try:
                    await watcher
                except BaseException:  # cancelled, or the monitor closed under it
                    pass
            if monitor is not None:
                sock.disable_monitor()
                monitor.close(linger=0)
            sock.close(linger=0)
            context.term()

    async def _read_zmq(self, sock):
        """Socket to backlog, with the heartbeat watchdog. Never waits for the rulebook."""
        import zmq
        backlog = self.backlog
        # Under load, messages are taken without a poll (a non-blocking receive on the
        # same socket); the poll, with the heartbeat as its timeout, is for when none waits.
        shadow = zmq.Socket.shadow(sock.underlying)
        in_a_row = 0
        while True:
            try:
                frames = shadow.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                in_a_row = 0
                budget = self._silence_budget()
                timeout = None if budget is None else int(budget * 1000) + 1
                if not await sock.poll(timeout):
                    self.lost = True
                    self.logger.warning('supervisor.control.supvisors: no message from %s for %ss: link lost',
                                        self.options.url, self.options.heartbeat)
                    backlog.add_link({'state': 'lost', 'since': self.last_message_wall, 'url': self.options.url})
                continue
            self.last_message, self.last_message_wall = time.monotonic(), time.time()
            if self.lost:
                self.lost = False
                self.logger.info('supervisor.control.supvisors: messages from %s again: link restored',
                                 self.options.url)
                backlog.add_link({'state': 'restored', 'url': self.options.url})
            if not backlog.add_message(frames) and _power_of_ten(backlog.dropped):
                self.logger.warning(
                    'supervisor.control.supvisors: dropped %d message%s so far: the rulebook takes events more '
                    'slowly than %s publishes them (backlog limit: %d messages)', backlog.dropped,
                    '' if backlog.dropped == 1 else 's', self.options.url, self.options.high_water_mark)
            in_a_row += 1
            if in_a_row >= YIELD_EVERY:   # a flood must not starve the emitter
                in_a_row = 0
                await asyncio.sleep(0)

    async def _emit_zmq(self):
        """Backlog to the rulebook's queue: decode, translate, snapshots."""
        backlog = self.backlog
        if self.snapshot_due:
            await self.snapshot()
        while True:
            kind, value = await backlog.take()
            burst = backlog.end_of_burst()
            if burst:
                self.logger.warning(
                    'supervisor.control.supvisors: the rulebook has caught up; %d message%s from %s were dropped '
                    'meanwhile (%d in all)%s', burst, '' if burst == 1 else 's', self.options.url,
                    backlog.dropped, '; reading a snapshot' if self.options.snapshot else '')
                if self.options.snapshot:
                    self.snapshot_due = True
            if kind == 'link':
                await self.queue.put({'supvisors': {'type': 'link', 'data': value}})
                if value['state'] == 'restored' and self.options.snapshot:
                    self.snapshot_due = True
                continue
            event = self._translate(self.translator.decode_frames, value)
            if event is None:
                continue
            self.received += 1
            await self.queue.put(event)
            if self.snapshot_due and time.monotonic() >= self.snapshot_retry_at:
                await self.snapshot()

    async def _watch_zmq(self, monitor):
        """Log the connections to the publisher: they are when messages can start to arrive."""
        import zmq
        from zmq.utils.monitor import parse_monitor_message
        while True:
            event = parse_monitor_message(await monitor.recv_multipart())
            if event['event'] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.logger.info('supervisor.control.supvisors: connected to %s', self.options.url)
            elif event['event'] == zmq.EVENT_DISCONNECTED:
                self.logger.info('supervisor.control.supvisors: disconnected from %s, reconnecting',
                                 self.options.url)

    # -- WebSocket --------------------------------------------------------
    async def run_websocket(self):
        try:
            from websockets.asyncio.client import connect
            from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
        except ImportError:
            raise ImportError('supervisor.control.supvisors: link websocket needs websockets 13 or later: '
                              'pip install websockets')
        delay = RECONNECT_DELAY[0]
        while True:
            try:
                async with connect(self.options.url, open_timeout=5, max_size=2 ** 24) as ws:
                    self.logger.info('supervisor.control.supvisors: connected to %s', self.options.url)
                    delay = RECONNECT_DELAY[0]
                    if self.snapshot_due and time.monotonic() >= self.snapshot_retry_at:
                        await self.snapshot()
                    await self._receive_websocket(ws)
            except InvalidURI:
                raise
            except (OSError, asyncio.TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                self.logger.debug('supervisor.control.supvisors: %s: %s', self.options.url, exc)
            # Disconnected: wait before reconnecting, still watching the heartbeat.
            wait_until = time.monotonic() + delay
            delay = min(delay * 2, RECONNECT_DELAY[1])
            while True:
                left = wait_until - time.monotonic()
                budget = self._silence_budget()
                if budget is not None and budget <= left:
                    await asyncio.sleep(budget)
                    await self._link_lost()
                    continue
                if left > 0:
                    await asyncio.sleep(left)
                break

    async def _receive_websocket(self, ws):
        while True:
            budget = self._silence_budget()
            try:
                # (a little time even when the budget is spent: a message may be waiting already)
                message = await asyncio.wait_for(ws.recv(), max(budget, 0.05)) if budget is not None \
                    else await ws.recv()
            except asyncio.TimeoutError:
                await self._link_lost()
                continue
            try:
                decoded = self.translator.decode_text(message)
            except Malformed as problem:
                self.last_message, self.last_message_wall = time.monotonic(), time.time()
                self.skip(problem)
                continue
            await self._handle(decoded)

    async def run(self):
        try:
            if self.options.link == 'zmq':
                await self.run_zmq()
            else:
                await self.run_websocket()
        finally:
            self.counter.summary()
            if self.backlog is not None and self.backlog.dropped:
                self.logger.warning('supervisor.control.supvisors: dropped %d messages from %s in all, that the '
                                    'rulebook could not take in time', self.backlog.dropped, self.options.url)


async def main(queue, args):
    """ansible-rulebook entry point: run until cancelled."""
    await SupvisorsSource(queue, args).run()


if __name__ == '__main__':
    # python supvisors.py PORT [HOST [LINK [TYPES]]]: print the events, one per line.

    class MockQueue(object):
        async def put(self, event):
            print(json.dumps(event, sort_keys=True), flush=True)

    logging.basicConfig(level=logging.INFO)
    ARGS = {'port': int(sys.argv[1]) if len(sys.argv) > 1 else 60002}
    if len(sys.argv) > 2:
        ARGS['host'] = sys.argv[2]
    if len(sys.argv) > 3:
        ARGS['link'] = sys.argv[3]
    if len(sys.argv) > 4:
        ARGS['types'] = sys.argv[4].split(',')
    try:
        asyncio.run(main(MockQueue(), ARGS))
    except KeyboardInterrupt:
        pass
