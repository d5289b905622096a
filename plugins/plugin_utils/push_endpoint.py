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
import logging
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
)
TOO_DEEP = 'body is not JSON: nested more deeply than Python can read'
# Listener streams whose last record the endpoint remembers the queue position of.
STREAMS_WATCHED = 1024


def engine_queue(queue):
    """The asyncio.Queue that the rule engine takes this source's events from, or None when it cannot be seen.

    ansible-rulebook hands a source a ``FilteredQueue`` (ansible_rulebook/engine.py), which has
    only ``put`` and ``put_nowait``; the queue the engine reads is its ``queue`` attribute. That
    is not an API: tests/integration/event_sources/test_push_rulebooks.py fails when a release
    of ansible-rulebook changes it.
    """
    for candidate in (queue, getattr(queue, 'queue', None)):
        if callable(getattr(candidate, 'qsize', None)):
            return candidate
    return None


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
        self.engine = engine_queue(queue)
        if self.engine is None:
            logger.warning('%s: cannot see when the rule engine takes events (a queue without qsize): a pushed '
                           'record is acknowledged once its events are queued, and an event still queued when '
                           'ansible-rulebook stops is lost', who)
        self.putting = {}           # stream -> whether the events of its last record are still being put
        self.logger = logger
        self.who = who
        self.ssl = server_context(options)
        self.expected = ('Bearer %s' % options['token']).encode('utf-8')
        self.max_body = options['max_body']
        self.dedup = push.Deduplicator()
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
            self.putting[stream] = True     # a resent copy must not be answered before these are queued
            for event in push.events(record, missing):
                await self.queue.put(event)
            self.putting[stream] = False
            while len(self.putting) > STREAMS_WATCHED:
                del self.putting[next(iter(self.putting))]
        if not await self._taken(stream):
            # Not acknowledged, so the listener keeps the record and sends it again: the copy is a
            # duplicate, answered once the rule engine has taken the events of the first.
            return self._refuse(request, 503, 'the rule engine has not taken the events of this record yet: '
                                              'send it again')
        return web.json_response({'accepted': new})

    async def _taken(self, stream, bound: float = 2.0) -> bool:
        """Whether the rule engine took the events of the last record of ``stream``, waiting up to ``bound`` s.

        The listener forgets a record once it is answered 2xx, so an event still in the
        queue when ansible-rulebook stops would be lost: the answer waits until the queue
        has been empty since the record's events were put (first in, first out: then
        the engine has them). A queue that stays busy for ``bound`` seconds gets 503 and the
        listener backs off: back-pressure from a rule engine that lags.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + bound
        for attempt in itertools.count():
            if not self.putting.get(stream) and (self.engine is None or self.engine.qsize() == 0):
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
