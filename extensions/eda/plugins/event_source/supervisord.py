# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supervisord.py: an ansible-rulebook event source that polls plain supervisord daemons."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
short_description: Poll supervisord daemons and emit an event for every process state change.
description:
  - >-
    For hosts that run plain supervisord (without Supvisors). Every O(interval) seconds, each daemon is asked
    for its own state and the state of all its processes in one C(system.multicall), and an event is emitted
    for every process whose state changed. Each daemon is polled on its own schedule: one that is down or
    hangs (up to O(timeout)) delays no event of the others.
  - >-
    Process events, C({"supervisord": {"type": "process", "host": HOST, "server_url": URL, "data": PROCESS,
    "previous": {"statename": ..., "state": ...}}, "meta": {"hosts": [HOST]}}). C(data) is the process as
    the C(supervisor.control.process) module returns it (C(name), C(group), C(fullname), C(statename),
    C(state), C(pid), C(start), C(stop), C(exitstatus), C(spawnerr), ...). C(meta) is only present when a
    C(host) is configured for the daemon.
  - supervisord restarts a crashed process on its own (C(autorestart)), often faster than one interval, so a
    poll can see a process RUNNING again with another pid. When the pid or the C(stop) time of a process
    that was RUNNING changed between two polls, the exit that happened in between is emitted first, as
    C(statename=EXITED), the old C(pid), the C(stop) time that supervisord reports, and C(inferred=true)
    in the envelope; the event for the current state follows, with C(previous.statename=EXITED).
    A respawn clears the exit status that supervisord reports, so the source reads it from
    supervisord's main log (C(supervisor.readLog)) into C(exitstatus), with the whole reason in
    C(exit_message) (for example V(terminated by SIGKILL; not expected)).
  - Processes that appear or disappear (C(supervisorctl update), C(add), C(remove)) give events whose
    C(data.statename) is V(ADDED) or V(REMOVED) (and C(data.state) is null). An added process that is
    not STOPPED is followed by an ordinary event with C(previous.statename=ADDED).
  - >-
    Daemon events, C({"supervisord": {"type": "daemon", "host": ..., "server_url": ..., "data": {"reachable":
    BOOL, "statename": ..., "state": ..., "error": ...}, "previous": {...}}}), when a daemon becomes
    unreachable, reachable again, or changes its own state (C(RUNNING), C(RESTARTING), C(SHUTDOWN)).
    No exit is inferred across a period where the daemon could not be reached.
  - >-
    With O(listen), the source also (or only) receives the events that supervisord itself publishes,
    pushed by the collection's event listener C(supervisor_control_push.py) (deployed by the
    C(supervisor.control.supervisord) role with C(supervisord_event_push_url)): every transition, however
    fast, in order. Pushed events have the envelope of polled ones (C(type) V(process), V(daemon), V(group)
    or V(memory)), with C(pushed=true), C(serial), C(poolserial), C(boot), the exact C(from_state), and
    C(expected) for exits; C(data) holds what supervisord's event says (C(name), C(group), C(fullname),
    C(statename), C(state), C(pid)), and C(meta.hosts) is the host name the listener was given.
    Duplicates (a resent event) are dropped; events that never arrived are counted in C(missing), and
    events the listener's spool had to drop in C(dropped). See docs/eda.md of the collection.
author:
  - supervisor.control developers (@supervisor-control)
options:
  servers:
    description:
      - The daemons to poll, each with the connection options of the modules (C(server_url), C(username),
        C(password), C(config), C(timeout), C(validate_certs), C(ca_path)) and an optional C(host), the
        inventory name put in C(meta.hosts) (and in the event's C(host)).
      - Without O(servers), one daemon is polled with the connection options given at the top level.
      - What the modules warn about is logged as a warning at start, once per daemon, namely credentials sent in
        clear text (C(http://) to a host that is not loopback) and C(validate_certs=false).
    type: list
    elements: dict
  server_url:
    description: The daemon to poll when O(servers) is not given. Same forms as the modules accept.
    type: str
  username:
    description: User name, when O(servers) is not given.
    type: str
  password:
    description: Password, when O(servers) is not given.
    type: str
  config:
    description: A supervisord.conf to read the URL and credentials from, when O(servers) is not given.
    type: path
  host:
    description: Inventory name of the daemon's host for C(meta.hosts), when O(servers) is not given.
    type: str
  timeout:
    description: Seconds to wait for a daemon's answer; a daemon that does not answer in time is unreachable.
    type: float
    default: 10
  interval:
    description: Seconds between two polls.
    type: float
    default: 1
  initial:
    description:
      - Emit the whole process table once at start (one event per process, with C(initial=true) in the
        envelope and C(previous) null), and one C(daemon) event per daemon.
    type: bool
    default: false
  listen:
    description:
      - Receive the events pushed by C(supervisor_control_push.py) on an HTTP(S) endpoint. A request
        without the right bearer token is answered 401, a malformed or oversized body 400; neither stops
        the source.
      - Can be combined with O(servers) or O(server_url) (poll for reachability and the initial table,
        listen for transitions), or used alone.
    type: dict
    suboptions:
      host:
        description: Address to listen on.
        type: str
        default: 127.0.0.1
      port:
        description: TCP port to listen on.
        type: int
        required: true
      token:
        description: The bearer token the listeners send (C(supervisord_event_push_token) of the role).
        type: str
        required: true
      certfile:
        description: Certificate (PEM) to serve HTTPS with; without it the endpoint speaks plain HTTP.
        type: path
      keyfile:
        description: Private key of O(listen.certfile), when it is not in the same file.
        type: path
      max_body:
        description: Largest body accepted, in bytes.
        type: int
        default: 1048576
'''

EXAMPLES = r'''
- name: Restart whatever exits unexpectedly on the app servers
  hosts: appservers
  sources:
    - supervisor.control.supervisord:
        servers:
          - host: app1
            server_url: http://app1.example.com:9001
            username: admin
            password: "{{ supervisor_password }}"
          - host: app2
            server_url: http://app2.example.com:9001
            username: admin
            password: "{{ supervisor_password }}"
        interval: 2
  rules:
    - name: restart a process that went FATAL
      condition: event.supervisord.type == "process" and event.supervisord.data.statename == "FATAL"
      action:
        run_module:
          name: supervisor.control.process
          module_args:
            name: "{{ event.supervisord.data.fullname }}"
            state: started
            server_url: http://localhost:9001

- name: Every transition of the app servers, pushed by their event listeners
  hosts: appservers
  sources:
    - supervisor.control.supervisord:
        listen:
          host: 0.0.0.0
          port: 5080
          token: "{{ push_token }}"
          certfile: /etc/eda/tls/cert.pem
          keyfile: /etc/eda/tls/key.pem
  rules:
    - name: restart what exits unexpectedly
      condition: event.supervisord.type == "process" and event.supervisord.expected == false
      action:
        run_module:
          name: supervisor.control.process
          module_args:
            name: "{{ event.supervisord.data.fullname }}"
            state: started

- name: Watch the local daemon
  hosts: localhost
  sources:
    - supervisor.control.supervisord:
        server_url: unix:///var/run/supervisor.sock
        initial: true
  rules:
    - name: show every change
      condition: event.supervisord is defined
      action:
        print_event:
'''

import asyncio
import copy
import hmac
import json
import logging
import os
import ssl
import sys
import time

try:
    from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
except ImportError:  # loaded by file path (ansible-rulebook): the collection's parent is on the path above
    sys.path.insert(0, os.path.abspath(__file__).rsplit(os.sep + 'ansible_collections' + os.sep, 1)[0])
    from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
from ansible_collections.supervisor.control.plugins.module_utils.connection import CONNECTION_OPTIONS, mask_url
from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    SupervisorConnectionError, SupervisorError, SupervisorFault)
from ansible_collections.supervisor.control.plugins.module_utils.main_log import last_exit
from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_events as events
from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_push as push
from ansible_collections.supervisor.control.plugins.plugin_utils.event_source import (
    boolean, log_connection_warnings, number)

LOGGER = logging.getLogger('supervisor.control.supervisord')

WHO = 'supervisor.control.supervisord'
LOG_TAIL = 65536
PROCESS_FIELDS = ('name', 'group', 'statename', 'state')


class Daemon(object):
    """One polled supervisord: its client and what the last poll saw."""

    def __init__(self, options, default_timeout):
        options = dict(options)
        unknown = sorted(set(options) - set(CONNECTION_OPTIONS) - set(('host',)))
        if unknown:
            raise ValueError('supervisor.control.supervisord: unknown server options %s' % ', '.join(unknown))
        self.host = options.pop('host', None)
        if self.host is not None and not isinstance(self.host, str):
            raise ValueError('supervisor.control.supervisord: host must be a string, got %r' % (self.host,))
        options.setdefault('timeout', default_timeout)
        self.client = SupervisorClient.from_options(**options)   # ConfigurationError for a bad URL/config
        self.url = mask_url(self.client.url)
        self.reachable = None        # None before the first poll
        self.daemon_state = None     # {'statename', 'state'}
        self.processes = None        # namespec -> normalized dict, None before the first good poll
        self.error = None
        self.first = True            # before the end of its first poll (good or not)

    def poll(self):
        """One round trip: the daemon's state and every process (runs in a thread)."""
        state, infos = self.client.multicall([('supervisor.getState', []),
                                              ('supervisor.getAllProcessInfo', [])])
        for value in (state, infos):
            if isinstance(value, SupervisorFault):
                raise value
        if not isinstance(state, dict) or not isinstance(infos, list) or not all(
                isinstance(i, dict) and all(k in i for k in PROCESS_FIELDS) for i in infos):
            raise SupervisorConnectionError('unexpected answer from %s to getState/getAllProcessInfo' % self.url)
        return state, infos


class PushEndpoint(object):
    """The ``listen`` side: an HTTP(S) endpoint for what supervisor_control_push POSTs.

    A bad token (401) or a bad body (400) is answered and logged; the source goes on.
    """

    KEYS = ('host', 'port', 'token', 'certfile', 'keyfile', 'max_body')

    def __init__(self, source, options):
        prefix = 'supervisor.control.supervisord: listen'
        if not isinstance(options, dict):
            raise ValueError('%s must be a dict with port and token' % prefix)
        unknown = sorted(set(options) - set(self.KEYS))
        if unknown:
            raise ValueError('%s: unknown options %s' % (prefix, ', '.join(unknown)))
        self.source = source
        self.host = options.get('host') or '127.0.0.1'
        try:
            self.port = int(options.get('port'))
            self.max_body = int(options.get('max_body') or 1048576)
        except (TypeError, ValueError):
            raise ValueError('%s: port (and max_body) must be integers, got %r' % (prefix, options.get('port')))
        if not 0 < self.port < 65536 or self.max_body <= 0:
            raise ValueError('%s: port must be 1-65535 and max_body more than 0' % prefix)
        token = options.get('token')
        if not isinstance(token, str) or not token:
            raise ValueError('%s: token is required (the bearer token the listener sends)' % prefix)
        self.expected = ('Bearer %s' % token).encode('utf-8')
        self.ssl = None
        if options.get('certfile'):
            self.ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            try:
                self.ssl.load_cert_chain(options['certfile'], options.get('keyfile') or None)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError('%s: cannot load certfile/keyfile: %s' % (prefix, exc))
        elif options.get('keyfile'):
            raise ValueError('%s: keyfile needs certfile' % prefix)
        self.dedup = push.Deduplicator()
        self.url = '%s://%s:%d/' % ('https' if self.ssl else 'http', self.host, self.port)

    def _refuse(self, request, status, reason):
        from aiohttp import web
        self.source.logger.warning('supervisor.control.supervisord: refused a push from %s: %s',
                                   request.remote, reason)
        return web.json_response({'error': reason}, status=status)

    async def handle(self, request):
        from aiohttp import web
        if request.method != 'POST':
            return self._refuse(request, 405, 'only POST is accepted')
        if not hmac.compare_digest(request.headers.get('Authorization', '').encode('utf-8'), self.expected):
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
        new, missing = self.dedup.check(record)
        if missing:
            self.source.logger.warning('supervisor.control.supervisord: %d events of %s never arrived',
                                       missing, record['host'])
        if new:
            for event in push.events(record, missing):
                await self.source.queue.put(event)
            await self._drained()
        return web.json_response({'accepted': new})

    async def _drained(self, bound=2.0):
        """Wait (a while) until the rule engine took the events from the queue.

        The listener forgets an event once it is answered: an event still in the
        queue when ansible-rulebook stops would be lost.
        """
        waited = 0.0
        for dummy in range(10):
            if self.source.queue.empty():
                return
            await asyncio.sleep(0)
        while not self.source.queue.empty() and waited < bound:
            await asyncio.sleep(0.005)
            waited += 0.005

    async def serve(self):
        from aiohttp import web   # ansible-rulebook's own dependency; imported only when listening
        app = web.Application(client_max_size=self.max_body + 1)
        app.router.add_route('*', '/{tail:.*}', self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port, ssl_context=self.ssl).start()
            self.source.logger.info('supervisor.control.supervisord: listening on %s', self.url)
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


class SupervisordSource(object):
    def __init__(self, queue, args, logger=LOGGER):
        args = dict(args or {})
        self.queue = queue
        self.logger = logger
        self.interval = number(args, 'interval', 1, float, WHO)
        timeout = number(args, 'timeout', 10, float, WHO) or 10
        if self.interval <= 0:
            raise ValueError('supervisor.control.supervisord: interval must be more than 0')
        self.initial = boolean(args.get('initial', False))
        self.endpoint = None if args.get('listen') is None else PushEndpoint(self, args['listen'])
        servers = args.get('servers')
        if servers is None:
            servers = [dict((k, args[k]) for k in CONNECTION_OPTIONS + ('host',) if args.get(k) is not None)]
            if self.endpoint and servers == [{}]:
                servers = []     # listen only
        if not isinstance(servers, list) or not (servers or self.endpoint) or \
                not all(isinstance(s, dict) for s in servers):
            raise ValueError('supervisor.control.supervisord: servers must be a non-empty list of dicts')
        try:
            self.daemons = [Daemon(server, timeout) for server in servers]
        except SupervisorError as exc:
            raise ValueError('supervisor.control.supervisord: %s' % exc)
        for daemon in self.daemons:
            log_connection_warnings(self.logger, WHO, daemon.client)

    # -- events -----------------------------------------------------------
    def _envelope(self, daemon, kind, data, previous, **extra):
        return events.envelope(daemon.host, daemon.url, kind, data, previous, **extra)

    def _daemon_data(self, daemon):
        return events.daemon_data(daemon.reachable, daemon.daemon_state, daemon.error)

    async def poll_daemon(self, daemon):
        """Poll one daemon and return its events (does not put them on the queue)."""
        before = copy.deepcopy(self._daemon_data(daemon)) if daemon.reachable is not None else None
        was_reachable = daemon.reachable
        try:
            state, infos = await asyncio.get_running_loop().run_in_executor(None, daemon.poll)
        except SupervisorError as exc:
            daemon.error = str(exc)
            daemon.reachable = False
            daemon.daemon_state = None
            if was_reachable is not False:
                self.logger.warning('supervisor.control.supervisord: %s unreachable: %s', daemon.url, exc)
                return [self._envelope(daemon, 'daemon', self._daemon_data(daemon), before)]
            return []
        daemon.error = None
        daemon.reachable = True
        daemon.daemon_state = {'statename': state.get('statename'), 'state': state.get('statecode')}
        found = []
        if was_reachable is None:
            if self.initial:
                found.append(self._envelope(daemon, 'daemon', self._daemon_data(daemon), None, initial=True))
        elif was_reachable is False or before.get('statename') != daemon.daemon_state['statename']:
            if was_reachable is False:
                self.logger.info('supervisor.control.supervisord: %s reachable again', daemon.url)
            found.append(self._envelope(daemon, 'daemon', self._daemon_data(daemon), before))
        changes, daemon.processes = events.process_changes(
            daemon.host, daemon.url, daemon.processes, infos if isinstance(infos, list) else [],
            inferable=was_reachable is True, initial=self.initial and daemon.first)
        found.extend(changes)
        inferred = [e for e in found if e['supervisord'].get('inferred')]
        if inferred:
            await self.explain_exits(daemon, inferred)
        return found

    async def explain_exits(self, daemon, events):
        """Add what supervisord's main log says of inferred exits (``exit_message``).

        A respawn clears the exit status that getProcessInfo reports, so the log line
        ``exited: NAME (exit status 3; not expected)`` is the only record of it.
        """
        try:
            text = await asyncio.get_running_loop().run_in_executor(
                None, daemon.client.call, 'supervisor.readLog', -LOG_TAIL, 0)
        except SupervisorError as exc:
            self.logger.debug('supervisor.control.supervisord: cannot read the main log of %s: %s',
                              daemon.url, exc)
            return
        text = text if isinstance(text, str) else ''
        for event in events:
            data = event['supervisord']['data']
            message, status = last_exit(text, data['name'])
            if message is not None:
                data['exit_message'] = message
                if status is not None:
                    data['exitstatus'] = status

    async def _poll_once(self, daemon):
        try:
            return await self.poll_daemon(daemon)
        finally:
            daemon.first = False

    async def poll_all(self):
        """Poll every daemon concurrently; put their events on the queue, daemon by daemon."""
        results = await asyncio.gather(*(self._poll_once(d) for d in self.daemons))
        for events in results:
            for event in events:
                await self.queue.put(event)

    async def poll_forever(self, daemon):
        """One daemon's loop: a daemon that hangs (up to its timeout) holds up no other."""
        while True:
            started = time.monotonic()
            for event in await self._poll_once(daemon):
                await self.queue.put(event)
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    async def run(self):
        if self.daemons:
            self.logger.info('supervisor.control.supervisord: polling %s every %ss',
                             ', '.join(d.url for d in self.daemons), self.interval)
        loops = [asyncio.ensure_future(self.poll_forever(daemon)) for daemon in self.daemons]
        if self.endpoint:
            loops.append(asyncio.ensure_future(self.endpoint.serve()))
        try:
            await asyncio.gather(*loops)
        finally:
            for task in loops:
                task.cancel()
            await asyncio.wait(loops)


async def main(queue, args):
    """ansible-rulebook entry point: poll until cancelled."""
    await SupervisordSource(queue, args).run()


if __name__ == '__main__':
    # python supervisord.py [SERVER_URL [INTERVAL]]: print the events, one per line.

    class MockQueue(object):
        async def put(self, event):
            print(json.dumps(event, sort_keys=True), flush=True)

    logging.basicConfig(level=logging.INFO)
    ARGS = {'initial': True}
    if len(sys.argv) > 1:
        ARGS['server_url'] = sys.argv[1]
    if len(sys.argv) > 2:
        ARGS['interval'] = float(sys.argv[2])
    try:
        asyncio.run(main(MockQueue(), ARGS))
    except KeyboardInterrupt:
        pass
