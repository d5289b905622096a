# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the supervisord event source does with a pushed record: check it, drop duplicates, make events.

A record is what roles/supervisord/files/supervisor_control_push.py POSTs for
one supervisord event. Pure functions and one small class: no I/O.
"""

import json

from ansible_collections.supervisor.control.plugins.module_utils.process_names import fullname
from ansible_collections.supervisor.control.plugins.module_utils.states import (
    ProcessStates,
    SupervisorStates,
    process_state_code,
    supervisor_state_code,
)
from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_events

FORMAT = 'supervisor.control.push/1'
PROCESS_PREFIX = 'PROCESS_STATE_'
GROUP_EVENTS = {'PROCESS_GROUP_ADDED': 'ADDED', 'PROCESS_GROUP_REMOVED': 'REMOVED'}
# supervisord sends SUPERVISOR_STATE_CHANGE_STOPPING as it begins to shut down or to restart: none of its states
# has that name (it is then in SHUTDOWN or RESTARTING), so the event has no code.
DAEMON_EVENTS = {'SUPERVISOR_STATE_CHANGE_RUNNING': (SupervisorStates.RUNNING,
                                                     supervisor_state_code(SupervisorStates.RUNNING)),
                 'SUPERVISOR_STATE_CHANGE_STOPPING': ('STOPPING', None)}
# How many listener streams (a run of supervisord, a pool, a listener) per host the
# de-duplication remembers: the newest.
STREAMS_KEPT = 8


class BadRecord(ValueError):
    """The body is not a record of the listener (answered 400)."""


def _int(record, key):
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRecord('%s must be a non-negative integer' % key)
    return value


def parse_record(body):
    """The record in a POST body (bytes), checked; BadRecord with a one-line reason otherwise."""
    try:
        record = json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRecord('body is not JSON: %s' % exc)
    if not isinstance(record, dict):
        raise BadRecord('body is not a JSON object')
    if record.get('format') != FORMAT:
        raise BadRecord('format is not %s' % FORMAT)
    for key in ('host', 'boot', 'eventname'):
        if not isinstance(record.get(key), str) or not record[key]:
            raise BadRecord('%s must be a non-empty string' % key)
    for key in ('serial', 'poolserial'):
        _int(record, key)
    for key in ('dropped', 'missing'):
        if key in record:
            _int(record, key)
    for key in ('pool', 'listener'):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise BadRecord('%s must be a string' % key)
    if not isinstance(record.get('payload'), dict):
        raise BadRecord('payload must be an object')
    if 'processes' in record and not (isinstance(record['processes'], list) and all(
            isinstance(p, dict) and isinstance(p.get('name'), str) and isinstance(p.get('group'), str)
            for p in record['processes'])):
        raise BadRecord('processes must be a list of objects with name and group')
    return record


def stream_of(record):
    """What one listener delivers in order: its host, the run of supervisord, its pool, its process."""
    return record['host'], record['boot'], record.get('pool'), record.get('listener')


class Deduplicator(object):
    """Per listener stream: drops what was seen, counts what is missing.

    A stream is what one listener delivers: one host, one run of supervisord
    (``boot``), one pool, one listener process of that pool. supervisord hands each
    event of a pool to one of its listeners, with ``serial`` (shared by all pools,
    so other pools make holes in it) and ``poolserial`` (this pool's own count,
    without holes); the listener delivers them in that order. A resent record has
    a serial already seen in its stream: a duplicate. Two pools that subscribe to
    the same event both deliver it (same serial, another ``pool``), and neither is
    a duplicate of the other.

    Each lost event is counted once: the listener reports in a record the events it
    let go before it (``dropped``) and those supervisord never handed it
    (``missing``); the jump in poolserial from the previous record of the stream
    is their sum. Whatever the jump holds beyond that never arrived either (a
    listener that does not count them, or a loss on the way): it is added to
    ``missing``. A pool made anew within the same run (``supervisorctl reload``, or
    ``update`` of the pool) starts its poolserial again at 0, and the events the old
    pool still held are lost with it; supervisord's ``serial`` goes on across that,
    so the jump in ``serial`` is what is missing there (at most: events that only
    other pools took in between are in it too). A new pool that discarded its first
    events (its buffer overflowed before the listener was ready) can start above the
    old pool's poolserial: nothing in the records tells that jump from one of the
    same pool, and the listener counts it (the jump in serial, at the first event
    after its own start), so its ``missing`` is what stands.
    """

    def __init__(self, rows=()):
        self.hosts = {}     # host -> {(boot, pool, listener): (serial, poolserial)}, oldest first
        for host, boot, pool, listener, serial, poolserial in rows:
            self.hosts.setdefault(host, {})[(boot, pool, listener)] = (serial, poolserial)

    def rows(self):
        """What it remembers, as JSON can carry it: ``Deduplicator(rows)`` remembers the same."""
        return [[host, boot, pool, listener, serial, poolserial]
                for host, streams in self.hosts.items()
                for (boot, pool, listener), (serial, poolserial) in streams.items()]

    def check(self, record):
        """(is_new, missing): missing is how many events of this stream never arrived before it."""
        streams = self.hosts.setdefault(record['host'], {})
        stream = stream_of(record)[1:]
        serial, poolserial = record['serial'], record['poolserial']
        last = streams.get(stream)
        if last is not None and serial <= last[0]:
            return False, 0
        counted = record.get('dropped', 0) + record.get('missing', 0)
        if last is None:
            jump = 0
        elif poolserial > last[1]:
            jump = poolserial - last[1] - 1
        else:       # the pool made anew in the same run: supervisord's serial went on
            jump = serial - last[0] - 1
        streams.pop(stream, None)
        streams[stream] = (serial, poolserial)
        while len(streams) > STREAMS_KEPT:
            del streams[next(iter(streams))]
        return True, record.get('missing', 0) + max(0, jump - counted)


def _process_data(payload):
    data = {'name': payload.get('processname'), 'group': payload.get('groupname')}
    if isinstance(data['name'], str) and isinstance(data['group'], str):
        data['fullname'] = fullname(data)
    return data


def events(record, missing=0):
    """The rulebook events for one record, in the envelope of the polled ones."""
    host, eventname, payload = record['host'], record['eventname'], record['payload']
    common = {'pushed': True, 'eventname': eventname, 'serial': record['serial'],
              'poolserial': record['poolserial'], 'boot': record['boot'], 'time': record.get('time')}
    for key in ('pool', 'listener'):
        if record.get(key) is not None:
            common[key] = record[key]
    if record.get('dropped'):
        common['dropped'] = record['dropped']
    if missing:
        common['missing'] = missing

    def envelope(kind, data, previous=None, **extra):
        # A pushed record has no server_url: the listener knows its daemon by host name.
        return supervisord_events.envelope(host, None, kind, data, previous, **dict(common, **extra))

    if eventname.startswith(PROCESS_PREFIX):
        statename = eventname[len(PROCESS_PREFIX):]
        data = _process_data(payload)
        data.update(statename=statename, state=process_state_code(statename), pid=payload.get('pid'))
        if 'tries' in payload:
            data['tries'] = payload['tries']
        from_state = payload.get('from_state')
        extra = {'from_state': from_state}
        if statename == ProcessStates.EXITED:
            extra['expected'] = bool(payload.get('expected'))
            data['expected'] = extra['expected']
        previous = {'statename': from_state, 'state': process_state_code(from_state)} if from_state else None
        return [envelope('process', data, previous, **extra)]
    if eventname in GROUP_EVENTS:
        return [envelope('group', {'group': payload.get('groupname'), 'statename': GROUP_EVENTS[eventname]})]
    if eventname in DAEMON_EVENTS:
        statename, state = DAEMON_EVENTS[eventname]
        return [envelope('daemon', {'reachable': True, 'statename': statename, 'state': state})]
    if eventname.startswith('TICK_') and 'processes' in record:
        # One event per process, so that a rule's condition and throttle work on one process.
        found = []
        for proc in record['processes']:
            data = dict(proc)
            data['fullname'] = fullname(data)
            found.append(envelope('memory', data, when=payload.get('when')))
        return found
    return [envelope('event', dict(payload))]
