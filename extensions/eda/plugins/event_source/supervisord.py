# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supervisord.py: an ansible-rulebook event source that polls plain supervisord daemons."""

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
  - >-
    The main log's order (never its clock) says which line ended that run: the last C(exited:) or C(stopped:)
    line of the process before C(spawned: 'NAME' with pid NEW) (and after the old pid's C(spawned:) line when
    the tail holds it). A process stopped and started between two polls (C(supervisorctl restart),
    C(supervisor.control.process) with O(supervisor.control.process#module:state=restarted)) was stopped, not
    exited: it is emitted as C(statename=STOPPED) (C(state=0)), the old C(pid), C(inferred=true) and a
    C(description) that says so, then the current state with C(previous.statename=STOPPED). When the tail read
    does not show that run's end (a C(loglevel) above C(info) leaves out the C(spawned:) lines), the exit stays
    EXITED with no C(exit_message), its C(description) says so, and no status of another run is attached.
  - A process that supervisord replaced between two polls (it restarted, by C(supervisorctl reload) or a stop
    and start, or the process's group was removed and added again, as C(supervisorctl update) does with a
    changed program) was stopped by supervisord, not exited. It is emitted as C(statename=STOPPED) (C(state=0)),
    the old C(pid), C(inferred=true) and that reason in C(description), then the current state with
    C(previous.statename=STOPPED). The source knows it from the poll itself, as supervisord gives a process's
    C(stop) time only once it has seen that process end, and a replaced one reads C(stop=0) with a new C(pid).
  - Processes that appear or disappear (C(supervisorctl update), C(add), C(remove)) give events whose
    C(data.statename) is V(ADDED) or V(REMOVED) (and C(data.state) is null). An added process that is
    not STOPPED is followed by an ordinary event with C(previous.statename=ADDED).
  - >-
    Daemon events, C({"supervisord": {"type": "daemon", "host": ..., "server_url": ..., "data": {"reachable":
    BOOL, "statename": ..., "state": ..., "error": ...}, "previous": {...}}}), when a daemon becomes
    unreachable (also at start) or reachable again. A reachable daemon is C(statename=RUNNING), C(state=1);
    an unreachable one has C(statename) and C(state) null and the reason in C(error) (only there).
    supervisord answers every call with the C(SHUTDOWN_STATE) fault from the moment it is asked to restart
    or to shut down until it has stopped its processes, so a poll never sees its C(RESTARTING) or
    C(SHUTDOWN) state: a daemon restarting or shutting down is unreachable, and C(error) says so.
    A restart shorter than one O(interval) gives no C(daemon) event (no answer says that supervisord restarted);
    the processes it restarted give the C(STOPPED) events above. O(listen) hears supervisord's own
    C(STOPPING) and C(RUNNING).
    No exit is inferred across a period where the daemon could not be reached.
  - >-
    With O(listen), the source also (or only) receives the events that supervisord itself publishes,
    pushed by the collection's event listener C(supervisor_control_push.py) (deployed by the
    C(supervisor.control.supervisord) role with C(supervisord_event_push_url)): every transition, however
    fast, in order. Pushed events have the envelope of polled ones (C(type) V(process), V(daemon), V(group)
    or V(memory)), with C(pushed=true), C(serial), C(poolserial), C(boot), the exact C(from_state), and
    C(expected) for exits; C(data) holds what supervisord's event says (C(name), C(group), C(fullname),
    C(statename), C(state), C(pid)), and C(meta.hosts) is the host name the listener was given.
    Pushed daemon events are supervisord's own: C(statename=RUNNING) when it has started (also after a
    restart), C(statename=STOPPING) (C(state) null) when it begins to restart or to shut down; it publishes
    no event that tells which, and none at all when it is killed.
    Duplicates (a resent event) are dropped; events that never arrived are counted in C(missing), and
    events the listener's spool had to drop in C(dropped). A reload of supervisord loses what it had queued
    for the listener's pool; they are counted in C(missing) of the first event after it (from supervisord's
    C(serial), which goes on while C(poolserial) starts again). The events of the end of a run that stops
    (shutdown, or stop and start) cannot be counted. See docs/eda.md of the collection.
author:
  - supervisor.control developers (@supervisor-control)
options:
  servers:
    description:
      - The daemons to poll, each with the connection options of the modules (C(server_url), C(username),
        C(password), C(config), C(timeout), C(validate_certs), C(ca_path)) and an optional C(host), the
        inventory name put in C(meta.hosts) (and in the event's C(host)).
      - The connection options given at the top level apply to every entry that does not give its own,
        except O(server_url), O(config) and O(host), which name one daemon and are refused beside O(servers).
      - Without O(servers), one daemon is polled with the connection options given at the top level.
      - What the modules warn about is logged as a warning at start, once per daemon, namely credentials sent in
        clear text (C(http://) to a host that is not loopback) and C(validate_certs=false).
    type: list
    elements: dict
  server_url:
    description:
      - The daemon to poll when O(servers) is not given. Same forms as the modules accept.
      - As for the modules, without O(server_url) nor O(config) the daemon is the one that the environment
        variable E(SUPERVISOR_SERVER_URL) names, else E(SUPERVISOR_CONFIG), else the configuration file
        discovered as C(supervisorctl) does, else C(unix:///var/run/supervisor.sock) if it exists, else
        C(http://localhost:9001). The environment is the one of ansible-rulebook.
    type: str
  username:
    description: User name, as for the modules (falls back to E(SUPERVISOR_USERNAME)).
    type: str
  password:
    description: Password, as for the modules (falls back to E(SUPERVISOR_PASSWORD)). Never logged.
    type: str
  config:
    description: A supervisord.conf to read the URL and credentials from, as C(supervisorctl -c) does.
    type: path
  validate_certs:
    description: Verify the certificate of an C(https://) daemon. Disabling it logs a warning at start.
    type: bool
    default: true
  ca_path:
    description: A PEM file of CA certificates to verify an C(https://) daemon with.
    type: path
  host:
    description: Inventory name of the daemon's host for C(meta.hosts), when O(servers) is not given.
    type: str
  timeout:
    description:
      - Seconds to wait for a daemon's answer; a daemon that does not answer in time is unreachable.
      - More than 0 and at most 86400, as for the modules (whose default is 30).
    type: float
    default: 10
  interval:
    description: Seconds between two polls.
    type: float
    default: 1
  initial:
    description:
      - Emit the whole process table once at start (one event per process, with C(initial=true) in the
        envelope and C(previous) null), and one C(daemon) event per daemon reachable at start.
      - A daemon unreachable at start is reported so with or without O(initial) (without C(initial=true)); when it
        first answers, the C(daemon) event that it is reachable comes (without C(initial=true)), then its table,
        one event per process with C(initial=true), and its processes' changes from then on.
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
        description: Largest body accepted, in bytes (more than 0).
        type: int
        default: 1048576
      state_file:
        description:
          - A file where the source keeps, per listener, the last record whose events the rule engine took
            (written whole after each such record, and fsynced). With it, a record sent again to the next run
            of the rulebook (its answer was lost, or cut by the stop) is a duplicate there too, and its events
            are emitted once. Without it, the source's memory does not outlive it, and such a record's events
            are emitted a second time.
          - A file that cannot be read at start stops the source with a message; one that cannot be written
            is said in the log, and costs only a possible duplicate.
        type: path
notes:
  - An option that the source does not have is refused at start, with the closest valid name; so is a
    value of the wrong type (a boolean is V(true)/V(false), V(yes)/V(no), V(on)/V(off) or V(1)/V(0), as for the
    modules). The message names the option and the value given (never a password or token).
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
import json
import logging
import os
import sys
import time
from typing import Any, Dict, List, Tuple

try:
    from ansible_collections.supervisor.control.plugins.module_utils.connection import CONNECTION_OPTIONS, mask_url
except ImportError:  # loaded by file path (ansible-rulebook): the collection's parent is on the path above
    sys.path.insert(0, os.path.abspath(__file__).rsplit(os.sep + 'ansible_collections' + os.sep, 1)[0])
    from ansible_collections.supervisor.control.plugins.module_utils.connection import CONNECTION_OPTIONS, mask_url
from ansible_collections.supervisor.control.plugins.module_utils.client import raise_first_fault
from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    SupervisorConnectionError, SupervisorError)
from ansible_collections.supervisor.control.plugins.plugin_utils import push_endpoint
from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_events as events
from ansible_collections.supervisor.control.plugins.plugin_utils.event_source import (
    Refused, checked_timeout, connect, connection_spec, read_options, started)

WHO = 'supervisor.control.supervisord'
LOGGER = logging.getLogger(WHO)
LOG_TAIL = 65536
PROCESS_FIELDS = ('name', 'group', 'statename', 'state')

# One daemon: the modules' connection options (a shorter timeout: a daemon that does not
# answer a poll in time is unreachable) and its inventory name. Without servers, the
# top-level options are that one daemon; with servers, the top-level connection options
# are what each entry does not say, except those that name one daemon.
SERVER_SPEC = dict(connection_spec(timeout=10.0), host=dict(type='str'))
SPEC = dict(
    SERVER_SPEC,
    servers=dict(type='list', elements='dict'),
    interval=dict(type='float', default=1.0, check=(lambda seconds: seconds > 0, 'more than 0')),
    initial=dict(type='bool', default=False),
    listen=dict(type='dict'),
)
ONE_DAEMON = ('server_url', 'config', 'host')


class Daemon(object):
    """One polled supervisord: its client and what the last poll saw."""

    def __init__(self, options: Dict[str, Any], logger: logging.Logger, where: str = ''):
        self.host = options['host']
        self.client = connect(options, WHO, logger, where)
        self.url = mask_url(self.client.url)
        self.reachable = None        # None before the first poll
        self.daemon_state = None     # {'statename', 'state'}
        self.processes = None        # namespec -> normalized dict, None before the first good poll
        self.error = None

    def poll(self):
        """One round trip: the daemon's state and every process (runs in a thread)."""
        state, infos = raise_first_fault(self.client.multicall([('supervisor.getState', []),
                                                                ('supervisor.getAllProcessInfo', [])]))
        if not isinstance(state, dict) or not isinstance(infos, list) or not all(
                isinstance(i, dict) and all(k in i for k in PROCESS_FIELDS) for i in infos):
            raise SupervisorConnectionError('unexpected answer from %s to getState/getAllProcessInfo' % self.url)
        return state, infos


def servers_of(options: Dict[str, Any], args: Dict[str, Any]) -> List[Tuple[str, Dict[str, Any]]]:
    """The options of each daemon to poll, with where they were given (for messages)."""
    servers = options['servers']
    if servers is None:
        given = [name for name in SERVER_SPEC if args.get(name) is not None]
        return [('', options)] if given or options['listen'] is None else []    # listen only
    for name in ONE_DAEMON:
        if args.get(name) is not None:
            raise Refused('%s names one daemon: with servers, give it in the entry of servers it belongs to' % name)
    if not servers and options['listen'] is None:
        raise Refused('servers must be a non-empty list of mappings, got []')
    shared = dict((name, args[name]) for name in CONNECTION_OPTIONS if args.get(name) is not None)
    found = []
    for index, server in enumerate(servers):
        where = 'servers[%d]' % index
        entry = dict(shared)
        entry.update(server)
        found.append((where, read_options(SERVER_SPEC, entry, where)))
    return found


class SupervisordSource(object):
    """The daemons to poll, each on its own schedule, and the push endpoint, all feeding ``queue``."""

    def __init__(self, queue, args, logger=LOGGER):
        self.queue = queue
        self.logger = logger
        started(WHO, lambda: self._configure(args))

    def _configure(self, args):
        args = args or {}
        options = read_options(SPEC, args)
        checked_timeout(options['timeout'])
        self.interval = options['interval']
        self.initial = options['initial']
        self.endpoint = None
        if options['listen'] is not None:
            self.endpoint = push_endpoint.PushEndpoint(
                read_options(push_endpoint.SPEC, options['listen'], 'listen'), self.queue, self.logger, WHO)
        self.daemons = [Daemon(server, self.logger, where) for where, server in servers_of(options, args)]

    # -- polling ----------------------------------------------------------
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
                self.logger.warning('%s: %s unreachable: %s', WHO, daemon.url, exc)
                return [self._envelope(daemon, 'daemon', self._daemon_data(daemon), before)]
            return []
        daemon.error = None
        daemon.reachable = True
        daemon.daemon_state = {'statename': state.get('statename'), 'state': state.get('statecode')}
        found = []
        if was_reachable is None:
            if self.initial:
                found.append(self._envelope(daemon, 'daemon', self._daemon_data(daemon), None, initial=True))
        elif was_reachable is False:
            # A daemon that answers is RUNNING (supervisord answers SHUTDOWN_STATE to any call in its other
            # states): reachability is the only change of a daemon that a poll can see.
            self.logger.info('%s: %s reachable again', WHO, daemon.url)
            found.append(self._envelope(daemon, 'daemon', self._daemon_data(daemon), before))
        # The table once, at the first poll that reads it: a daemon unreachable at start gives it when it answers.
        changes, daemon.processes = events.process_changes(
            daemon.host, daemon.url, daemon.processes, infos,
            inferable=was_reachable is True, initial=self.initial and daemon.processes is None)
        found.extend(changes)
        # An inferred exit is followed by its process's current state (process_changes emits them so).
        inferred = [(event, found[index + 1]) for index, event in enumerate(found)
                    if event['supervisord'].get('inferred')
                    and event['supervisord']['data']['state'] == events.EXITED_CODE]
        if inferred:
            await self.explain_exits(daemon, inferred)
        return found

    async def explain_exits(self, daemon, inferred):
        """Set each inferred exit (and the event after it) to what supervisord's main log says ended that run.

        A respawn clears the exit status that getProcessInfo reports, so the log line
        ``exited: NAME (exit status 3; not expected)`` is the only record of it; and a restart between two
        polls (``stopped: NAME (...)``) looks like an exit to the poll.
        """
        try:
            text = await asyncio.get_running_loop().run_in_executor(
                None, daemon.client.call, 'supervisor.readLog', -LOG_TAIL, 0)
        except SupervisorError as exc:
            self.logger.debug('%s: cannot read the main log of %s: %s', WHO, daemon.url, exc)
            text = ''
        text = text if isinstance(text, str) else ''
        for exited, following in inferred:
            events.explain_exit(exited, following, text)

    async def poll_all(self):
        """Poll every daemon concurrently; put their events on the queue, daemon by daemon."""
        results = await asyncio.gather(*(self.poll_daemon(d) for d in self.daemons))
        for found in results:
            for event in found:
                await self.queue.put(event)

    async def poll_forever(self, daemon):
        """One daemon's loop: a daemon that hangs (up to its timeout) holds up no other."""
        while True:
            started_at = time.monotonic()
            for event in await self.poll_daemon(daemon):
                await self.queue.put(event)
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started_at)))

    async def run(self):
        if self.daemons:
            self.logger.info('%s: polling %s every %ss', WHO, ', '.join(d.url for d in self.daemons), self.interval)
        loops = [asyncio.ensure_future(self.poll_forever(daemon)) for daemon in self.daemons]
        if self.endpoint:
            loops.append(asyncio.ensure_future(self.endpoint.serve()))
        try:
            await asyncio.gather(*loops)
        finally:
            # A cancelled source: gather has cancelled every loop once. A loop that failed: the others
            # still run. Each loop is cancelled once only: a second cancel would cut short the
            # endpoint's graceful stop, and a push in flight would get no answer.
            for task in loops:
                if not task.done() and not (hasattr(task, 'cancelling') and task.cancelling()):
                    task.cancel()
            await asyncio.wait(loops)


async def main(queue: asyncio.Queue, args: Dict[str, Any]) -> None:
    """ansible-rulebook entry point: poll and listen until cancelled."""
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
