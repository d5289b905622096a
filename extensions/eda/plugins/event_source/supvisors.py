# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supvisors.py: an ansible-rulebook event source for the Supvisors event publisher."""

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
      - Uses the connection options of the modules, O(server_url), O(username), O(password), O(config),
        O(timeout), O(validate_certs) and O(ca_path), with their fallbacks. What the modules warn about
        (a password sent in clear text, C(http://) to a host that is not loopback; C(validate_certs=false))
        is logged as a warning at start.
    type: bool
    default: false
  server_url:
    description:
      - The XML-RPC URL of the Supvisors instance, for O(snapshot). Same forms as the modules accept.
      - As for the modules, without O(server_url) nor O(config) the daemon is the one that the environment
        variable E(SUPERVISOR_SERVER_URL) names, else E(SUPERVISOR_CONFIG), else the configuration file
        discovered as C(supervisorctl) does, else C(unix:///var/run/supervisor.sock) if it exists, else
        C(http://localhost:9001). The environment is the one of ansible-rulebook.
    type: str
  username:
    description: User name for O(server_url) (falls back to E(SUPERVISOR_USERNAME)).
    type: str
  password:
    description: Password for O(server_url) (falls back to E(SUPERVISOR_PASSWORD)). Never logged.
    type: str
  config:
    description: A supervisord.conf to read the XML-RPC URL and credentials from, for O(snapshot).
    type: path
  timeout:
    description:
      - Seconds to wait for the XML-RPC answers of O(snapshot).
      - More than 0 and at most 86400, as for the modules (whose default is 30).
    type: float
    default: 10
  validate_certs:
    description: Verify the certificate of an C(https://) O(server_url). Disabling it logs a warning at start.
    type: bool
    default: true
  ca_path:
    description: A PEM file of CA certificates to verify an C(https://) O(server_url) with.
    type: path
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
notes:
  - An option that the source does not have is refused at start, with the closest valid name; so is a
    value of the wrong type (a boolean is V(true)/V(false), V(yes)/V(no), V(on)/V(off) or V(1)/V(0), as for the
    modules). The message names the option and the value given (never a password).
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
import json
import logging
import os
import sys
import time
from typing import Any, Dict

try:
    from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError
except ImportError:  # loaded by file path (ansible-rulebook): the collection's parent is on the path above
    sys.path.insert(0, os.path.abspath(__file__).rsplit(os.sep + 'ansible_collections' + os.sep, 1)[0])
    from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError
from ansible_collections.supervisor.control.plugins.plugin_utils.event_source import connect, started
from ansible_collections.supervisor.control.plugins.plugin_utils.supvisors_events import (
    BAD_OTHER,
    SNAPSHOT_CALLS,
    Backlog,
    Counter,
    LinkWatch,
    Malformed,
    Options,
    Translator,
    power_of_ten,
)

WHO = 'supervisor.control.supvisors'
LOGGER = logging.getLogger(WHO)
RECONNECT_DELAY = (0.2, 5.0)
YIELD_EVERY = 32  # messages read in a row before the ZeroMQ reader lets the event loop run


class SupvisorsSource(object):
    """One link to a Supvisors publisher (ZeroMQ or WebSocket), its heartbeat, and optional snapshots."""

    def __init__(self, queue, args, logger=LOGGER):
        self.queue = queue
        self.options = started(WHO, lambda: Options(args))
        self.logger = logger
        self.translator = Translator(self.options.accepted)
        self.counter = Counter(logger)
        self.link = LinkWatch(self.options.url, self.options.heartbeat, logger)
        self.snapshot_due = self.options.snapshot
        self.snapshot_retry_at = 0.0
        self.backlog = None             # ZeroMQ only, created in the running loop
        self.client = None
        if self.options.snapshot:
            self.client = started(WHO, lambda: connect(self.options.connection, WHO, logger, where='snapshot'))

    # -- what both transports do --------------------------------------------
    async def link_event(self, data):
        await self.queue.put({'supvisors': {'type': 'link', 'data': data}})
        if data['state'] == 'restored' and self.options.snapshot:
            self.snapshot_due = True  # what changed while the link was down is unknown

    async def deliver(self, decode, message):
        """Translate ``message`` and put its event on the queue; a message that does not translate is counted.

        A snapshot that is due follows the message even when it was skipped: it may
        be the one that ended a burst or a silence, and the next may never come.
        """
        try:
            event = self.translator.event(*decode(message))
        except Malformed as problem:
            self.counter.skip(problem)
        except Exception as exc:  # one odd message must never stop the source
            self.counter.skip(Malformed(BAD_OTHER, '%s: %s' % (type(exc).__name__, exc)))
        else:
            await self.queue.put(event)
        await self.snapshot_if_due()

    async def snapshot_if_due(self):
        if self.snapshot_due and time.monotonic() >= self.snapshot_retry_at:
            await self.snapshot()

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
            results = await asyncio.get_running_loop().run_in_executor(
                None, self.client.multicall, [(method, []) for dummy, method in calls])
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
        for (kind, dummy), result in zip(calls, results):
            if isinstance(result, list):
                for body in result:
                    if isinstance(body, dict):
                        await self.queue.put(self.translator.event(kind, body, snapshot=True))

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
        """Socket to backlog, with the heartbeat watch. Never waits for the rulebook."""
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
                budget = self.link.budget()
                if not await sock.poll(None if budget is None else int(budget * 1000) + 1):
                    backlog.add_link(self.link.silent())
                continue
            restored = self.link.heard()
            if restored:
                backlog.add_link(restored)
            if not backlog.add_message(frames) and power_of_ten(backlog.dropped):
                self.logger.warning(
                    'supervisor.control.supvisors: dropped %d message%s so far: the rulebook takes events more '
                    'slowly than %s publishes them (backlog limit: %d messages)', backlog.dropped,
                    '' if backlog.dropped == 1 else 's', self.options.url, self.options.high_water_mark)
            in_a_row += 1
            if in_a_row >= YIELD_EVERY:   # a flood must not starve the emitter
                in_a_row = 0
                await asyncio.sleep(0)

    async def _emit_zmq(self):
        """Backlog to the rulebook's queue."""
        backlog = self.backlog
        await self.snapshot_if_due()
        while True:
            kind, value = await backlog.take()
            burst = backlog.end_of_burst()
            if burst:
                self.logger.warning(
                    'supervisor.control.supvisors: the rulebook has caught up; %d message%s from %s %s dropped '
                    'meanwhile (%d in all)%s', burst, '' if burst == 1 else 's', self.options.url,
                    'was' if burst == 1 else 'were', backlog.dropped,
                    '; reading a snapshot' if self.options.snapshot else '')
                self.snapshot_due = self.snapshot_due or self.options.snapshot
            if kind == 'link':
                await self.link_event(value)
            else:
                await self.deliver(self.translator.decode_frames, value)

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
                    await self.snapshot_if_due()
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
                budget = self.link.budget()
                if budget is not None and budget <= left:
                    await asyncio.sleep(budget)
                    await self.link_event(self.link.silent())
                    continue
                if left > 0:
                    await asyncio.sleep(left)
                break

    async def _receive_websocket(self, ws):
        while True:
            budget = self.link.budget()
            try:
                # (a little time even when the budget is spent: a message may be waiting already)
                message = await asyncio.wait_for(ws.recv(), max(budget, 0.05)) if budget is not None \
                    else await ws.recv()
            except asyncio.TimeoutError:
                await self.link_event(self.link.silent())
                continue
            restored = self.link.heard()
            if restored:
                await self.link_event(restored)
            await self.deliver(self.translator.decode_text, message)

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


async def main(queue: asyncio.Queue, args: Dict[str, Any]) -> None:
    """ansible-rulebook entry point: run until cancelled."""
    await SupvisorsSource(queue, args).run()


if __name__ == '__main__':
    # python supvisors.py PORT [HOST [LINK [TYPES]]]: print the events, one per line.

    class MockQueue(object):
        async def put(self, event):
            print(json.dumps(event, sort_keys=True), flush=True)

    logging.basicConfig(level=logging.INFO)
    ARGS = {'port': int(sys.argv[1]) if len(sys.argv) > 1 else 60002}
    for index, key in enumerate(('host', 'link', 'types'), start=2):
        if len(sys.argv) > index:
            ARGS[key] = sys.argv[index].split(',') if key == 'types' else sys.argv[index]
    asyncio.run(main(MockQueue(), ARGS))
