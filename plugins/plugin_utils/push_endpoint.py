# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``listen`` endpoint of the supervisor.control.supervisord source (I/O: an aiohttp server).

It receives what roles/supervisord/files/supervisor_control_push.py POSTs,
checks the bearer token, and hands each record to ``supervisord_push`` (pure:
checks, de-duplication, events), whose events it puts on the queue it is
given. Whatever a client sends, the answer is one status and one log line:
401 for a missing or wrong token, 400 for a body that is not a record, and the
endpoint goes on. aiohttp is ansible-rulebook's own dependency, imported only
when the source listens.
"""

import asyncio
import hmac
import itertools
import json
import logging
import os
import ssl
from typing import Any, Dict

from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_push as push
from ansible_collections.supervisor.control.plugins.plugin_utils.event_source import Refused

# The suboptions of ``listen``, as the source's DOCUMENTATION says them.
SPEC = dict(
    host=dict(type='str', default='127.0.0.1'),
    port=dict(type='int', required=True, check=(lambda port: 0 < port < 65536, '1-65535')),
    token=dict(type='str', required=True, no_log=True, hint='the bearer token the listener sends'),
    certfile=dict(type='path'),
    keyfile=dict(type='path'),
    max_body=dict(type='int', default=1048576, check=(lambda size: size > 0, 'more than 0')),
    state_file=dict(type='path'),
)
TOO_DEEP = 'body is not JSON: nested more deeply than Python can read'
# Listener streams whose last record the endpoint remembers the last event of.
STREAMS_WATCHED = 1024
PUTTING = object()


STATE_FORMAT = 'supervisor.control.push-state/1'


def read_state(path: str):
    """The rows of a state file (``Deduplicator(rows)``), none when it does not exist yet; Refused if unreadable."""
    try:
        with open(path) as handle:
            state = json.load(handle)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise Refused('listen.state_file %r cannot be read: %s' % (path, exc))
    rows = state.get('streams') if isinstance(state, dict) and state.get('format') == STATE_FORMAT else None
    if not isinstance(rows, list) or not all(isinstance(row, list) and len(row) == 6 for row in rows):
        raise Refused('listen.state_file %r is not a state file of this source (%s)' % (path, STATE_FORMAT))
    return rows


def engine_queue(queue):
    """The asyncio.Queue that the rule engine takes this source's events from, or None when it cannot be seen.

    ansible-rulebook hands a source a ``FilteredQueue`` (ansible_rulebook/engine.py), which has
    only ``put`` and ``put_nowait``; the queue the engine reads is its ``queue`` attribute. That
    is not an API: tests/unit/test_push_endpoint.py fails when a release of ansible-rulebook
    changes it.
    """
    for candidate in (queue, getattr(queue, 'queue', None)):
        if callable(getattr(candidate, 'qsize', None)):
            return candidate
    return None


class EngineView(object):
    """Whether the rule engine has taken an event from the queue, the event told by identity.

    ``mark()``, called right after a put (nothing else runs in between), names the item the
    put left last in the engine's queue; ``holds(mark)`` whether it is still there. The items
    are those of asyncio.Queue's deque (``_queue``: not an API either, tested with the real
    class): filters of ansible-rulebook may have replaced the event by another object, and
    other sources, and ansible-rulebook's own shutdown marker, share the queue, so neither
    the event itself nor the queue's size would say it. Without the deque, an empty queue
    does; without even a queue to look at, nothing does, and every event counts as taken.
    """

    def __init__(self, queue):
        self.queue = engine_queue(queue)
        self.items = getattr(self.queue, '_queue', None)

    @property
    def visible(self) -> bool:
        return self.queue is not None

    def mark(self):
        if self.queue is None:
            return None                     # nothing to look at: counts as taken
        if self.items is None:
            return True if self.queue.qsize() else None
        return self.items[-1] if self.items else None

    def holds(self, mark) -> bool:
        if mark is None:
            return False
        if self.items is None:
            return self.queue.qsize() > 0   # an empty queue: everything put before was taken
        return any(item is mark for item in self.items)


def server_context(options: Dict[str, Any]):
    """The TLS context of ``certfile``/``keyfile``, or None for plain HTTP; Refused when they cannot serve."""
    if not options['certfile']:
        if options['keyfile']:
            raise Refused('listen.keyfile needs listen.certfile, got keyfile %r alone' % options['keyfile'])
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(options['certfile'], options['keyfile'] or None)
    except (OSError, ssl.SSLError) as exc:
        raise Refused('listen: cannot load certfile %r%s: %s' % (
            options['certfile'], ' and keyfile %r' % options['keyfile'] if options['keyfile'] else '', exc))
    return context


def authorization(request) -> bytes:
    """The Authorization header as sent: bytes, whatever their encoding (no decoding to fail)."""
    for name, value in request.raw_headers:
        if name.lower() == b'authorization':
            return value
    return b''


class PushEndpoint(object):
    """An HTTP(S) endpoint that puts the events of every new pushed record on ``queue``."""

    def __init__(self, options: Dict[str, Any], queue: asyncio.Queue, logger: logging.Logger, who: str):
        self.options = options
        self.queue = queue
        self.engine = EngineView(queue)
        if not self.engine.visible:
            logger.warning('%s: cannot see when the rule engine takes events (a queue without qsize): a pushed '
                           'record is acknowledged once its events are queued, and an event still queued when '
                           'ansible-rulebook stops is lost', who)
        self.last_put = {}          # stream -> the engine's mark of the last event of its last record
        # With state_file, what the rule engine took outlives the source: a record whose answer was
        # lost (or cut by a stop) and that comes again to the next run is a duplicate there too.
        self.state_file = options.get('state_file')
        self.taken = push.Deduplicator(read_state(self.state_file) if self.state_file else ())
        self.dedup = push.Deduplicator(self.taken.rows())
        self.logger = logger
        self.who = who
        self.ssl = server_context(options)
        self.expected = ('Bearer %s' % options['token']).encode('utf-8')
        self.max_body = options['max_body']
        self.url = '%s://%s:%d/' % ('https' if self.ssl else 'http', options['host'], options['port'])

    def _refuse(self, request, status: int, reason: str):
        from aiohttp import web
        self.logger.warning('%s: refused a push from %s: %s', self.who, request.remote, reason)
        return web.json_response({'error': reason}, status=status)

    async def handle(self, request):
        """One request, one answer, one log line: a fault of the endpoint itself is no exception."""
        try:
            return await self._take(request)
        except (asyncio.CancelledError, ConnectionError):
            raise                  # the client went away: aiohttp's business
        except Exception as exc:   # a bug: said in one line (the traceback at debug), answered 500, retried
            self.logger.debug('%s: traceback of the failed push', self.who, exc_info=True)
            return self._refuse(request, 500, 'the endpoint failed: %s: %s' % (type(exc).__name__, exc))

    async def _take(self, request):
        from aiohttp import web
        if request.method != 'POST':
            return self._refuse(request, 405, 'only POST is accepted')
        if not hmac.compare_digest(authorization(request), self.expected):
            return self._refuse(request, 401, 'missing or wrong bearer token')
        if (request.content_length or 0) > self.max_body:
            return self._refuse(request, 400, 'body larger than %d bytes' % self.max_body)
        body = bytearray()
        while True:
            chunk = await request.content.read(65536)
            if not chunk:
                break
            body += chunk
            if len(body) > self.max_body:
                return self._refuse(request, 400, 'body larger than %d bytes' % self.max_body)
        try:
            record = push.parse_record(bytes(body))
        except push.BadRecord as exc:
            return self._refuse(request, 400, str(exc))
        except RecursionError:     # json.loads of [[[[...: the body is refused, the endpoint goes on
            return self._refuse(request, 400, TOO_DEEP)
        new, missing = self.dedup.check(record)
        if missing:
            self.logger.warning('%s: %d events of %s never arrived', self.who, missing, record['host'])
        stream = push.stream_of(record)
        if new:
            self.last_put[stream] = PUTTING     # a resent copy must not be answered before these are queued
            for event in push.events(record, missing):
                await self.queue.put(event)
                mark = self.engine.mark()
            self.last_put[stream] = mark
            while len(self.last_put) > STREAMS_WATCHED:
                del self.last_put[next(iter(self.last_put))]
        if not await self._taken(stream):
            # Not acknowledged, so the listener keeps the record and sends it again: the copy is a
            # duplicate, answered once the rule engine has taken the events of the first.
            return self._refuse(request, 503, 'the rule engine has not taken the events of this record yet: '
                                              'send it again')
        # Taken: remembered, new or not (a copy resent after a 503 is the first one answered 2xx).
        if self.state_file and self.taken.check(record)[0]:
            self._save_state()
        return web.json_response({'accepted': new})

    def _save_state(self) -> None:
        """Write what the engine took, replacing the file whole; a failure costs a duplicate, never an event."""
        temporary = self.state_file + '.tmp'
        try:
            with open(temporary, 'w') as handle:
                json.dump({'format': STATE_FORMAT, 'streams': self.taken.rows()}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.state_file)
        except OSError as exc:
            self.logger.warning('%s: cannot write listen.state_file %s (%s): a record sent again to the next run '
                                'may be emitted twice', self.who, self.state_file, exc.strerror or exc)

    async def _taken(self, stream, bound: float = 2.0) -> bool:
        """Whether the rule engine took the events of the last record of ``stream``, waiting up to ``bound`` s.

        The listener forgets a record once it is answered 2xx, so an event still in the
        queue when ansible-rulebook stops would be lost: the answer waits until the engine
        has taken the record's last event (first in, first out: then it has them all). One
        that lags for ``bound`` seconds gets 503 and the listener backs off: back-pressure.
        A stream not watched any more was taken long ago.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + bound
        for attempt in itertools.count():
            mark = self.last_put.get(stream)
            if mark is not PUTTING and not self.engine.holds(mark):
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0 if attempt < 10 else 0.005)
        return False  # pragma: no cover

    async def serve(self) -> None:
        """Answer until cancelled."""
        from aiohttp import web
        app = web.Application(client_max_size=self.max_body + 1)
        app.router.add_route('*', '/{tail:.*}', self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.options['host'], self.options['port'], ssl_context=self.ssl).start()
            self.logger.info('%s: listening on %s', self.who, self.url)
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
