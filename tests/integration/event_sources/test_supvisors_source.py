"""supervisor.control.supvisors against in-process publishers (pyzmq PUB, websockets server).

The fakes (tests/support/fake_publishers.py) speak the Supvisors protocols exactly
and produce what a real Supvisors cannot: malformed messages, silence on demand, a
slow consumer. The real Supvisors is in test_supvisors_integration.py; the option
parsing is unit-tested in tests/unit/test_supvisors_events.py.
"""

import asyncio
import importlib
import json
import logging
import os
import subprocess
import sys
import time

import pytest
import zmq
import zmq.asyncio

from tests.support.eda import SOURCE_DIR, SourceTask, load_source, run
from tests.support.fake_publishers import Publisher, WsPublisher
from tests.support.paths import VENV_BIN

supvisors = load_source('supvisors')
events = importlib.import_module('ansible_collections.supervisor.control.plugins.plugin_utils.supvisors_events')

# Bodies as Supvisors 0.19.1 publishes them (captured from a real one, see docs/eda.md).
INSTANCE = {"identifier": "alpha:60000", "nick_identifier": "alpha", "node_name": "alpha", "port": 60000,
            "statecode": 3, "statename": "RUNNING", "loading": 0, "process_failure": False,
            "remote_sequence_counter": 2, "remote_time": 1795430615, "remote_mtime": 1101.7,
            "local_sequence_counter": 2, "local_time": 1795430615, "local_mtime": 1101.7}
SUPVISORS_STATUS = {"identifier": "alpha:60000", "nick_identifier": "alpha", "now_monotonic": 1741.38,
                    "fsm_statecode": 4, "fsm_statename": "OPERATION", "degraded_mode": False,
                    "discovery_mode": False, "master_identifier": "alpha:60000", "starting_jobs": [],
                    "stopping_jobs": [], "instance_states": {"alpha:60000": "RUNNING", "beta:60000": "FAILED"}}
APPLICATION = {"application_name": "web", "managed": False, "now_monotonic": 1096.7, "statecode": 3,
               "statename": "STOPPING", "major_failure": False, "minor_failure": False}
PROCESS_RUNNING = {"application_name": "web", "process_name": "sleeper", "now_monotonic": 1096.7,
                   "statecode": 20, "statename": "RUNNING", "expected_exit": True, "last_event_mtime": 1096.7,
                   "identifiers": ["alpha:60000"], "extra_args": ""}
PROCESS_STOPPED = dict(PROCESS_RUNNING, statecode=0, statename="STOPPED", identifiers=[])
PROCESS_EVENT = {"identifier": "alpha:60000", "nick_identifier": "alpha", "name": "sleeper", "group": "web",
                 "state": 0, "now": 1795430610.7, "now_monotonic": 1096.7, "pid": 9516, "expected": True,
                 "spawnerr": "", "extra_args": "", "disabled": False, "event_mtime": 1096.7}
HSTATS = {"identifier": "alpha:60000", "now_monotonic": 1200.0, "target_period": 10, "period": [0, 10],
          "cpu": [1.5, 1.0], "mem": 40.2, "net_io": {}, "disk_io": {}, "disk_usage": {}}
PSTATS = {"namespec": "web:sleeper", "identifier": "alpha:60000", "pid": 9516, "now_monotonic": 1200.0,
          "target_period": 10, "period": [0, 10], "cpu": 0.0, "mem": 0.1}
# The format of the original Supvisors event documentation (header ``address``).
OLD_ADDRESS = {"address_name": "cliche01", "statecode": 3, "statename": "RUNNING", "remote_time": 1520520713,
               "local_time": 1520520713, "loading": 0}
OLD_PROCESS = {"application_name": "web", "process_name": "sleeper", "statecode": 20, "statename": "RUNNING",
               "expected_exit": True, "last_event_time": 1520520713, "addresses": ["cliche01"],
               "extra_args": ""}


def with_publisher(test):
    """Run ``test(publisher)`` as a coroutine with a deadline."""
    async def body():
        publisher = Publisher()
        try:
            await test(publisher)
        finally:
            publisher.close()
    run(body())


# ---------------------------------------------------------------------------
# ZeroMQ: every header, host names, the old format
# ---------------------------------------------------------------------------

def test_every_header_is_delivered_with_its_hosts(caplog):
    caplog.set_level(logging.INFO, logger='supervisor.control.supvisors')

    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0,
                                        'types': list(events.HEADERS)})
        await publisher.sync(source)
        expected = [
            ('supvisors', SUPVISORS_STATUS, None),
            ('instance', INSTANCE, ['alpha']),
            ('application', APPLICATION, None),
            ('process', PROCESS_RUNNING, ['alpha']),
            ('event', PROCESS_EVENT, ['alpha']),
            ('hstats', HSTATS, ['alpha']),
            ('pstats', PSTATS, ['alpha']),
        ]
        for header, body, _snapshot in expected:
            await publisher.send(header, body)
        assert 'supervisor.control.supvisors: connected to tcp://127.0.0.1:%d' % publisher.port in caplog.text
        for header, body, hosts in expected:
            event = await source.get()
            assert event['supvisors'] == {'type': header, 'data': body}
            if hosts is None:
                assert 'meta' not in event
            else:
                assert event['meta'] == {'hosts': hosts}
        await source.stop()
    with_publisher(test)


def test_statistics_are_not_received_unless_asked():
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0})
        await publisher.sync(source)
        await publisher.send('pstats', PSTATS)
        await publisher.send('hstats', HSTATS)
        await publisher.send('application', APPLICATION)
        event = await source.get()
        assert event['supvisors']['type'] == 'application'
        await source.stop()
    with_publisher(test)


def test_only_the_subscribed_types_arrive():
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0,
                                        'types': ['process', 'supvisors']})
        await publisher.sync(source)
        await publisher.send('instance', INSTANCE)
        await publisher.send('event', PROCESS_EVENT)
        await publisher.send('application', APPLICATION)
        await publisher.send('process', PROCESS_RUNNING)
        event = await source.get()
        assert event['supvisors']['type'] == 'process'
        await source.stop()
    with_publisher(test)


def test_a_stopped_process_names_the_host_it_last_ran_on():
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0})
        await publisher.sync(source)
        # Known from an earlier process status...
        await publisher.send('process', PROCESS_RUNNING)
        await publisher.send('process', PROCESS_STOPPED)
        assert (await source.get())['meta'] == {'hosts': ['alpha']}
        stopped = await source.get()
        assert stopped['supvisors']['data']['identifiers'] == []
        assert stopped['meta'] == {'hosts': ['alpha']}
        # ...or from the ``event`` message that precedes it.
        other = dict(PROCESS_STOPPED, process_name='other')
        await publisher.send('event', dict(PROCESS_EVENT, name='other', identifier='beta:60000'))
        await publisher.send('process', other)
        assert (await source.get())['meta'] == {'hosts': ['beta']}
        assert (await source.get())['meta'] == {'hosts': ['beta']}
        # Never seen anywhere: no meta at all (an empty list would fail run_playbook).
        await publisher.send('process', dict(PROCESS_STOPPED, process_name='unknown'))
        assert 'meta' not in await source.get()
        await source.stop()
    with_publisher(test)


def test_node_names_come_from_instance_messages():
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0})
        await publisher.sync(source)
        await publisher.send('instance', dict(INSTANCE, identifier='10.0.0.7:60000', node_name='gamma'))
        await publisher.send('process', dict(PROCESS_RUNNING, identifiers=['10.0.0.7:60000', 'alpha:60000']))
        assert (await source.get())['meta'] == {'hosts': ['gamma']}
        assert (await source.get())['meta'] == {'hosts': ['gamma', 'alpha']}
        await source.stop()
    with_publisher(test)


def test_the_old_address_format_is_delivered_as_instance():
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0})
        await publisher.sync(source)
        await publisher.send('address', OLD_ADDRESS)
        await publisher.send('process', OLD_PROCESS)
        event = await source.get()
        assert event['supvisors']['type'] == 'instance'
        data = event['supvisors']['data']
        assert data['identifier'] == data['node_name'] == 'cliche01'
        assert data['statename'] == 'RUNNING'
        assert all(data[key] == value for key, value in OLD_ADDRESS.items())
        assert event['meta'] == {'hosts': ['cliche01']}
        process = await source.get()
        assert process['supvisors']['data'] == OLD_PROCESS
        assert process['meta'] == {'hosts': ['cliche01']}
        await source.stop()
    with_publisher(test)


def test_address_is_not_delivered_without_instance():
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0,
                                        'types': ['supvisors', 'application']})
        await publisher.sync(source)
        await publisher.send('address', OLD_ADDRESS)
        await publisher.send('application', APPLICATION)
        assert (await source.get())['supvisors']['type'] == 'application'
        await source.stop()
    with_publisher(test)


# ---------------------------------------------------------------------------
# Malformed messages
# ---------------------------------------------------------------------------

MALFORMED = [
    ('one frame', [b'process'], events.BAD_FRAMES),
    ('three frames', [b'process', b'{}', b'{}'], events.BAD_FRAMES),
    ('header not UTF-8', [b'process\xff', b'{}'], events.BAD_UTF8),
    ('body not UTF-8', [b'process', b'{"a": "\xc3\x28"}'], events.BAD_UTF8),
    ('body not JSON', [b'process', b'{not json'], events.BAD_JSON),
    ('body nested too deep', [b'process', b'[' * 200000], events.BAD_JSON),
    ('body with a huge number', [b'process', b'{"n": 1' + b'0' * 10000 + b'}'], events.BAD_JSON),
    ('empty body', [b'process', b''], events.BAD_JSON),
    ('body is a list', [b'process', b'[1, 2]'], events.BAD_OBJECT),
    ('body is a string', [b'process', b'"RUNNING"'], events.BAD_OBJECT),
    ('body is null', [b'process', b'null'], events.BAD_OBJECT),
    ('unknown header', [b'supvisorsX', b'{}'], events.BAD_HEADER),   # matches the 'supvisors' prefix
    ('statistics header not asked for', [b'pstats', b'{}'], None),       # not subscribed: never arrives
]
# What each warning shows as the latest bad message (the JSON errors are CPython 3.11's words)
LATEST = {
    'one frame': '1 frames',
    'three frames': '3 frames',
    'header not UTF-8': "'utf-8' codec can't decode byte 0xff in position 7: invalid start byte",
    'body not UTF-8': "'utf-8' codec can't decode byte 0xc3 in position 7: invalid continuation byte",
    'body not JSON': 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1): {not json',
    'body nested too deep': 'maximum recursion depth exceeded while decoding a JSON array from a unicode string: '
                            + '[' * 60 + '...',
    'body with a huge number': 'Exceeds the limit (4300 digits) for integer string conversion: value has 10001 '
                               'digits; use sys.set_int_max_str_digits() to increase the limit: {"n": 1' + '0' * 53
                               + '...',
    'empty body': 'Expecting value: line 1 column 1 (char 0): ',
    'body is a list': '[1, 2]',
    'body is a string': '"RUNNING"',
    'body is null': 'null',
    'unknown header': "'supvisorsX'",
}


@pytest.mark.parametrize('name, frames, kind', MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_message_is_skipped_and_logged(name, frames, kind, caplog):
    caplog.set_level(logging.INFO, logger='supervisor.control.supvisors')

    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0})
        await publisher.sync(source)
        await publisher.send_frames(frames)
        await publisher.send('process', PROCESS_RUNNING)
        event = await source.get()
        assert event['supvisors'] == {'type': 'process', 'data': PROCESS_RUNNING}
        await source.stop()
    with_publisher(test)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    if kind is None:
        assert warnings == []
    else:
        assert warnings == ['supervisor.control.supvisors: skipped 1 %s so far (latest: %s)' % (kind, LATEST[name])]
        summary = [r.getMessage() for r in caplog.records if 'skipped messages' in r.getMessage()]
        assert summary == ['supervisor.control.supvisors: skipped messages: 1 %s' % kind]


def test_repeated_bad_messages_are_logged_once_then_at_powers_of_ten(caplog):
    caplog.set_level(logging.WARNING, logger='supervisor.control.supvisors')

    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0})
        await publisher.sync(source)
        for _attempt in range(25):
            await publisher.send_frames([b'process', b'{oops'])
        await publisher.send_frames([b'process'])
        await publisher.send('process', PROCESS_RUNNING)
        assert (await source.get())['supvisors']['type'] == 'process'
        await source.stop()
    with_publisher(test)
    warnings = [r.getMessage() for r in caplog.records]
    latest = 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1): {oops'
    assert warnings == [
        'supervisor.control.supvisors: skipped 1 body that is not JSON so far (latest: %s)' % latest,
        'supervisor.control.supvisors: skipped 10 bodies that are not JSON so far (latest: %s)' % latest,
        'supervisor.control.supvisors: skipped 1 message without exactly two frames (header, body) so far '
        '(latest: 1 frames)']


# ---------------------------------------------------------------------------
# Heartbeat, cancellation, slow consumer
# ---------------------------------------------------------------------------

def test_silence_gives_link_lost_then_restored():
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0.5})
        await publisher.sync(source)
        before = time.time()
        lost = await source.get()
        assert lost['supvisors']['type'] == 'link'
        assert lost['supvisors']['data']['state'] == 'lost'
        assert lost['supvisors']['data']['since'] <= before + 0.01
        assert 'meta' not in lost
        await publisher.send('instance', INSTANCE)
        restored = await source.get()
        assert restored['supvisors'] == {'type': 'link', 'data': {
            'state': 'restored', 'url': 'tcp://127.0.0.1:%d' % publisher.port}}
        assert (await source.get())['supvisors']['type'] == 'instance'
        # Silence again: lost again, once.
        assert (await source.get())['supvisors']['data']['state'] == 'lost'
        await source.no_event(1.0)
        await source.stop()
    with_publisher(test)


def test_no_publisher_at_all_gives_link_lost():
    async def test(publisher):
        port = publisher.port
        publisher.close()
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': port, 'heartbeat': 0.3})
        event = await source.get()
        assert event['supvisors']['data']['state'] == 'lost'
        await source.stop()
    run(test(Publisher()))


def test_a_publisher_that_comes_back_is_reconnected():
    async def test():
        first = Publisher()
        port = first.port
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': port, 'heartbeat': 0.5})
        try:
            await first.sync(source)
        finally:
            first.close()
        assert (await source.get())['supvisors']['data']['state'] == 'lost'
        second = Publisher.__new__(Publisher)
        second.context = zmq.asyncio.Context()
        second.socket = second.context.socket(zmq.PUB)
        second.socket.setsockopt(zmq.LINGER, 0)
        second.socket.bind('tcp://127.0.0.1:%d' % port)
        second.port = port
        try:
            for attempt in range(400):
                await second.send('instance', INSTANCE)
                try:
                    event = await source.get(timeout=0.05)
                    break
                except AssertionError:
                    continue
            assert event['supvisors']['data'] == {'state': 'restored', 'url': 'tcp://127.0.0.1:%d' % port}
            assert (await source.get())['supvisors']['type'] == 'instance'
            await source.stop()
        finally:
            second.close()
    run(test())


def test_cancellation_closes_at_once_without_error(caplog):
    caplog.set_level(logging.DEBUG)

    async def test(publisher):
        from zmq.utils.monitor import parse_monitor_message
        monitor = publisher.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0})
        await publisher.sync(source)
        # Cancelled while blocked on the queue (the rulebook is busy) and while waiting for messages.
        await publisher.send('process', PROCESS_RUNNING)
        await publisher.send('process', PROCESS_RUNNING)
        await asyncio.sleep(0.2)
        source.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(source.task, 5)
        assert source.task.cancelled()
        # The publisher sees the subscriber's connection go away.
        event = parse_monitor_message(await asyncio.wait_for(monitor.recv_multipart(), 10))
        assert event['event'] == zmq.EVENT_DISCONNECTED
        publisher.socket.disable_monitor()
        monitor.close(0)
    with_publisher(test)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_slow_consumer_gets_messages_in_order_and_no_false_link_lost():
    """The one-slot queue is the back pressure: ZeroMQ holds (or drops) what the rulebook cannot take."""
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0.3,
                                        'high_water_mark': 50})
        await publisher.sync(source)
        padding = 'x' * 20000
        total = 2000
        for number in range(total):
            await publisher.send('process', dict(PROCESS_RUNNING, seq=number, padding=padding))
        received = []
        # Slow for longer than the heartbeat: messages wait, so the link is not "lost".
        for _attempt in range(10):
            event = await source.get()
            assert event['supvisors']['type'] == 'process', event
            received.append(event['supvisors']['data']['seq'])
            await asyncio.sleep(0.1)
        while True:
            event = await source.get()
            if event['supvisors']['type'] == 'link':
                assert event['supvisors']['data']['state'] == 'lost'
                break
            received.append(event['supvisors']['data']['seq'])
        assert received == sorted(received) and len(set(received)) == len(received)
        # Bounded: the high-water marks dropped what did not fit.
        assert len(received) < total
        await publisher.send('process', dict(PROCESS_RUNNING, seq='last'))
        events = await source.get_until(lambda e: e['supvisors']['data'].get('seq') == 'last')
        assert events[0]['supvisors']['data']['state'] == 'restored'
        await source.stop()
    with_publisher(test)


# ---------------------------------------------------------------------------
# Loading by file, as ansible-rulebook does
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['supvisors', 'supervisord'])
def test_source_loads_by_file_without_the_collection_on_sys_path(name, tmp_path):
    code = ('import runpy, sys; assert not any("collections" in p for p in sys.path), sys.path; '
            'module = runpy.run_path(sys.argv[1]); '
            'print(module["main"].__name__, module["started"].__module__)')
    path = os.path.join(SOURCE_DIR, '%s.py' % name)
    proc = subprocess.run([os.path.join(VENV_BIN, 'python'), '-c', code, path], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=60, check=False,
                          env={'PATH': os.environ.get('PATH', ''), 'HOME': str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['main', 'ansible_collections.supervisor.control.plugins.plugin_utils.event_source']


def test_main_block_prints_events(tmp_path):
    """``python supvisors.py PORT HOST`` prints one JSON event per line."""
    async def test(publisher):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, os.path.join(SOURCE_DIR, 'supvisors.py'), str(publisher.port), '127.0.0.1',
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        try:
            line = b''
            for _attempt in range(600):
                await publisher.send('instance', INSTANCE)
                try:
                    line = await asyncio.wait_for(proc.stdout.readline(), 0.1)
                    break
                except asyncio.TimeoutError:
                    continue
            assert json.loads(line)['supvisors']['type'] == 'instance'
        finally:
            proc.terminate()
            await proc.wait()
    with_publisher(test)


# ---------------------------------------------------------------------------
# WebSocket (Supvisors' event_link = WS)
# ---------------------------------------------------------------------------

def with_ws_publisher(test):
    async def body():
        publisher = await WsPublisher().start()
        try:
            await test(publisher)
        finally:
            await publisher.close()
    run(body())


def test_websocket_subscribes_by_path_and_delivers_every_header():
    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'link': 'websocket',
                                        'heartbeat': 0, 'types': list(events.HEADERS)})
        await publisher.wait_client()
        assert publisher.paths == ['/supvisors/instance/application/process/event/hstats/pstats']
        bodies = [('supvisors', SUPVISORS_STATUS), ('instance', INSTANCE), ('application', APPLICATION),
                  ('process', PROCESS_RUNNING), ('event', PROCESS_EVENT), ('hstats', HSTATS), ('pstats', PSTATS)]
        for header, body in bodies:
            await publisher.send(header, body)
        for header, body in bodies:
            event = await source.get()
            assert event['supvisors'] == {'type': header, 'data': body}
        await publisher.send('process', PROCESS_STOPPED)
        assert (await source.get())['meta'] == {'hosts': ['alpha']}
        await source.stop()
    with_ws_publisher(test)


WS_MALFORMED = [
    ('not JSON', '[oops', events.BAD_JSON),
    ('nested too deep', '[' * 200000, events.BAD_JSON),
    ('binary not UTF-8', b'["process", {"a": "\xc3\x28"}]', events.BAD_UTF8),
    ('an object, not an array', '{"process": {}}', events.BAD_ARRAY),
    ('one element', '["process"]', events.BAD_ARRAY),
    ('three elements', '["process", {}, {}]', events.BAD_ARRAY),
    ('header not a string', '[1, {}]', events.BAD_ARRAY),
    ('body not an object', '["process", [1]]', events.BAD_OBJECT),
    ('unknown header', '["bogus", {}]', events.BAD_HEADER),
    ('header not subscribed', '["pstats", {}]', events.BAD_HEADER),
]


@pytest.mark.parametrize('name, message, kind', WS_MALFORMED, ids=[m[0] for m in WS_MALFORMED])
def test_websocket_malformed_message_is_skipped_and_logged(name, message, kind, caplog):
    caplog.set_level(logging.WARNING, logger='supervisor.control.supvisors')

    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'link': 'websocket',
                                        'heartbeat': 0})
        await publisher.wait_client()
        await publisher.send_raw(message)
        await publisher.send('process', PROCESS_RUNNING)
        assert (await source.get())['supvisors'] == {'type': 'process', 'data': PROCESS_RUNNING}
        await source.stop()
    with_ws_publisher(test)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and 'skipped 1 %s' % kind in warnings[0], warnings


def test_websocket_server_restart_gives_lost_and_restored():
    async def test():
        publisher = await WsPublisher().start()
        port = publisher.port
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': port, 'link': 'websocket',
                                        'heartbeat': 0.5})
        try:
            await publisher.wait_client()
            await publisher.send('instance', INSTANCE)
            assert (await source.get())['supvisors']['type'] == 'instance'
            await publisher.close()
            assert (await source.get())['supvisors']['data']['state'] == 'lost'
            publisher = await WsPublisher().start(port)
            await publisher.wait_client()
            await publisher.send('instance', INSTANCE)
            assert (await source.get())['supvisors']['data']['state'] == 'restored'
            assert (await source.get())['supvisors']['type'] == 'instance'
            await source.stop()
        finally:
            await publisher.close()
    run(test())


def test_websocket_cancellation_is_clean(caplog):
    caplog.set_level(logging.DEBUG)

    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'link': 'websocket'})
        await publisher.wait_client()
        source.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(source.task, 5)
        for _attempt in range(100):
            if not publisher.clients:
                break
            await asyncio.sleep(0.05)
        assert not publisher.clients, 'the source did not close its WebSocket'
    with_ws_publisher(test)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_snapshot_that_fails_is_logged_and_retried_later(caplog):
    caplog.set_level(logging.WARNING, logger='supervisor.control.supvisors')
    from tests.support.supervisord import free_port
    closed = free_port()

    async def test(publisher):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0,
                                        'snapshot': True, 'server_url': 'http://127.0.0.1:%d' % closed,
                                        'timeout': 2})
        await publisher.sync(source)
        await publisher.send('process', PROCESS_RUNNING)
        assert (await source.get())['supvisors'] == {'type': 'process', 'data': PROCESS_RUNNING}
        await source.stop()
    with_publisher(test)
    failures = [r.getMessage() for r in caplog.records if 'snapshot' in r.getMessage()]
    assert failures[0] == (
        'supervisor.control.supvisors: snapshot: connection refused by http://127.0.0.1:%d/RPC2: is supervisord '
        'running with an [inet_http_server] on that address and port? (tried again later)' % closed), failures
    assert set(failures) == {failures[0]}
    # Retried with later messages, at most once per second here (heartbeat 0).
    assert len(failures) <= 3
