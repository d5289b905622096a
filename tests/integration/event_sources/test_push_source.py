"""supervisor.control.supervisord with ``listen``: pushed events from a real supervisord's listener.

The source's endpoint, fed by the real listener run by a real supervisord; the pure
part (records to events, de-duplication, options) is in tests/unit/test_supervisord_push.py.
"""

import asyncio
import http.client
import json
import logging
import os
import signal
import socket
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.support.eda import SourceTask, load_source, run
from tests.support.faults import FaultProxy, SpoolDisk
from tests.support.push import (NO_TICKS, TOKEN, assert_accounted, last_spooled, listener_section, record, spooled,
                                wait_until)
from tests.support.supervisord import SLEEPER, Supervisord, free_port

source_module = load_source('supervisord')


# ---------------------------------------------------------------------------
# The endpoint, fed by the real listener of a real supervisord
# ---------------------------------------------------------------------------

def answer_of(body):
    """The JSON answer, or the text of one that is not JSON (aiohttp's own 500 page)."""
    try:
        return json.loads(body)
    except ValueError:
        return body.decode('utf-8', 'replace')


def post(url, body, token=TOKEN, context=None):
    """(status, JSON answer) of one POST."""
    headers = {'Content-Type': 'application/json'}
    if token:
        headers['Authorization'] = 'Bearer %s' % token
    request = urllib.request.Request(url, data=body, headers=headers, method='POST')
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as answer:
            return answer.status, answer_of(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, answer_of(error.read())


async def in_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def listening(task):
    """Wait until the source's endpoint accepts connections."""
    port = task.port
    for dummy in range(600):
        if task.task.done():
            task.task.result()
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError('the source does not listen on %d' % port)


def source_task(port, engine=True, maxsize=100, **extra):
    """The source listening on ``port``; with ``engine``, its events are taken as ansible-rulebook takes them."""
    task = SourceTask(source_module, dict({'listen': {'port': port, 'token': TOKEN}}, **extra), maxsize=maxsize,
                      engine=engine)
    task.port = port
    return task


@pytest.fixture
def pushing_daemon(tmp_path):
    """A supervisord (not started) whose listener posts to a port of its own, host ``app1``."""
    port = free_port()
    directory = str(tmp_path / 'svd')
    os.makedirs(directory)
    daemon = Supervisord(directory, programs={
        'sleeper': dict(command=SLEEPER, startsecs=0), 'bouncer': dict(command=SLEEPER, startsecs=0, autorestart=True)},
        extra_sections=listener_section('http://127.0.0.1:%d/' % port, directory, events=NO_TICKS))
    daemon.push_port = port
    try:
        yield daemon
    finally:
        daemon.cleanup()


def is_process(fullname, statename):
    return lambda e: (e['supervisord']['type'] == 'process' and e['supervisord']['data']['fullname'] == fullname
                      and e['supervisord']['data']['statename'] == statename)


def test_pushed_events_reach_the_source_and_kill_9_is_an_unexpected_exit(pushing_daemon):
    async def test():
        task = source_task(pushing_daemon.push_port)
        try:
            await listening(task)
            await in_thread(pushing_daemon.start)
            seen = await task.get_until(is_process('bouncer', 'RUNNING'))
            assert {e['meta']['hosts'] == ['app1'] for e in seen} == {True}
            pid = seen[-1]['supervisord']['data']['pid']
            os.kill(pid, signal.SIGKILL)
            seen = await task.get_until(is_process('bouncer', 'EXITED'))
            exited = seen[-1]['supervisord']
            assert (exited['expected'], exited['from_state'], exited['data']['pid']) == (False, 'RUNNING', pid)
            await task.get_until(is_process('bouncer', 'RUNNING'))      # autorestart, pushed too
            # A stop that was asked for: STOPPING then STOPPED, no exit.
            await in_thread(pushing_daemon.stop_process, 'sleeper')
            seen = await task.get_until(is_process('sleeper', 'STOPPED'))
            assert [e['supervisord']['data']['statename'] for e in seen] == ['STOPPING', 'STOPPED']
        finally:
            await task.stop()
    run(test(), timeout=120)


def test_bad_pushes_are_refused_and_the_source_goes_on(pushing_daemon):
    url = 'http://127.0.0.1:%d/' % pushing_daemon.push_port
    good = json.dumps(record(0, host='intruder')).encode()

    async def test():
        task = source_task(pushing_daemon.push_port)
        try:
            await listening(task)
            assert await in_thread(post, url, good, 'wrong-token') == (401, {'error': 'missing or wrong bearer token'})
            assert await in_thread(post, url, good, None) == (401, {'error': 'missing or wrong bearer token'})
            assert await in_thread(post, url, b'{"format": ') == (400, {
                'error': 'body is not JSON: Expecting value: line 1 column 12 (char 11)'})
            big = json.dumps(dict(record(1, host='intruder'), padding='x' * (10 * 1024 * 1024))).encode()
            assert await in_thread(post, url, big) == (400, {'error': 'body larger than 1048576 bytes'})
            await task.no_event(1)
            # Still running, and it still takes the real listener's events.
            assert not task.task.done()
            await in_thread(pushing_daemon.start)
            seen = await task.get_until(is_process('sleeper', 'RUNNING'))
            assert {e['supervisord']['host'] for e in seen} == {'app1'}
            # The right token, once: accepted; the same record again: a duplicate, not delivered.
            assert await in_thread(post, url, good) == (200, {'accepted': True})
            assert (await task.get())['supervisord']['host'] == 'intruder'
            assert await in_thread(post, url, good) == (200, {'accepted': False})
            await task.no_event(1)
        finally:
            await task.stop()
    run(test(), timeout=120)


def raw_post(port, body, authorization):
    """(status, JSON answer) of one POST whose Authorization header is sent as these exact bytes."""
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        connection.putrequest('POST', '/')
        connection.putheader('Content-Type', 'application/json')
        connection.putheader('Content-Length', str(len(body)))
        connection.putheader('Authorization', authorization)
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, answer_of(answer.read())
    finally:
        connection.close()


def refusals(caplog):
    """What the source and aiohttp logged at WARNING or above, one line each."""
    return [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]


def test_hostile_requests_get_401_or_400_and_one_line_and_the_source_goes_on(caplog):
    """A header that is not UTF-8 (no token needed to send it), JSON nested beyond Python's recursion limit."""
    port = free_port()
    url = 'http://127.0.0.1:%d/' % port
    nested = b'[' * 100000 + b']' * 100000

    async def test():
        task = source_task(port)
        try:
            await listening(task)
            caplog.clear()
            assert await in_thread(raw_post, port, b'{}', b'Bearer \xff\xfe\x80') == (
                401, {'error': 'missing or wrong bearer token'})
            assert refusals(caplog) == [('supervisor.control.supervisord', 'WARNING',
                                         'supervisor.control.supervisord: refused a push from 127.0.0.1: '
                                         'missing or wrong bearer token')]
            caplog.clear()
            assert await in_thread(post, url, nested) == (400, {
                'error': 'body is not JSON: nested more deeply than Python can read'})
            assert refusals(caplog) == [('supervisor.control.supervisord', 'WARNING',
                                         'supervisor.control.supervisord: refused a push from 127.0.0.1: '
                                         'body is not JSON: nested more deeply than Python can read')]
            # Still running, and a good record after them is delivered.
            assert not task.task.done()
            assert await in_thread(post, url, json.dumps(record(0, host='after')).encode()) == (
                200, {'accepted': True})
            assert (await task.get())['supervisord']['host'] == 'after'
        finally:
            await task.stop()
    with caplog.at_level(logging.INFO):
        run(test(), timeout=120)


def test_a_numeric_token_is_the_token(caplog):
    """ansible-rulebook renders "{{ push_token }}" natively: a token of digits reaches the source as an int."""
    port = free_port()
    url = 'http://127.0.0.1:%d/' % port

    async def test():
        task = SourceTask(source_module, {'listen': {'port': port, 'token': 12345}}, maxsize=100, engine=True)
        task.port = port
        try:
            await listening(task)
            assert await in_thread(post, url, json.dumps(record(0)).encode(), '1234') == (
                401, {'error': 'missing or wrong bearer token'})
            assert await in_thread(post, url, json.dumps(record(0)).encode(), '12345') == (200, {'accepted': True})
            assert (await task.get())['supervisord']['serial'] == 0
        finally:
            await task.stop()
    run(test(), timeout=60)


NOT_TAKEN = {'error': 'the rule engine has not taken the events of this record yet: send it again'}


def test_a_record_is_acknowledged_only_once_the_rule_engine_has_taken_its_events():
    """The listener forgets what is answered 2xx: an event still queued when ansible-rulebook stops would be lost."""
    port = free_port()
    url = 'http://127.0.0.1:%d/' % port
    body = json.dumps(record(0)).encode()

    async def test():
        task = source_task(port, engine=False, maxsize=1)     # ansible-rulebook's one slot, no engine taking
        try:
            await listening(task)
            assert await in_thread(post, url, body) == (503, NOT_TAKEN)
            assert await in_thread(post, url, body) == (503, NOT_TAKEN)      # resent: still not taken
            assert (await task.get())['supervisord']['serial'] == 0          # the engine takes it, once
            assert await in_thread(post, url, body) == (200, {'accepted': False})
            await task.no_event(0.5)
        finally:
            await task.stop()
    run(test(), timeout=60)


def test_a_push_in_flight_when_the_source_stops_gets_an_answer():
    """ansible-rulebook cancels its sources: a request waiting for the engine is answered, not cut."""
    port = free_port()
    url = 'http://127.0.0.1:%d/' % port

    async def test():
        before = asyncio.all_tasks()
        task = source_task(port, engine=False, maxsize=1)
        await listening(task)
        answer = asyncio.get_running_loop().run_in_executor(None, post, url, json.dumps(record(0)).encode())
        await asyncio.sleep(0.5)                   # the endpoint is waiting for the engine
        await task.stop()
        # Then ansible-rulebook's loop ends, and every task left in it with it: the answer must be out.
        for other in asyncio.all_tasks() - before:
            other.cancel()
        assert await answer == (503, NOT_TAKEN)
    run(test(), timeout=60)


@pytest.mark.parametrize('state_file', [True, False], ids=['state_file', 'memory'])
def test_a_record_resent_to_the_next_run_is_emitted_once_with_a_state_file(tmp_path, state_file):
    """A record taken and answered, whose answer the listener did not get (lost, or cut by a stop), comes again."""
    port = free_port()
    url = 'http://127.0.0.1:%d/' % port
    body = json.dumps(record(7)).encode()
    extra = {'state_file': str(tmp_path / 'push-state.json')} if state_file else {}

    async def test():
        first = source_task(port, listen=dict({'port': port, 'token': TOKEN}, **extra))
        try:
            await listening(first)
            assert await in_thread(post, url, body) == (200, {'accepted': True})
            assert (await first.get())['supervisord']['serial'] == 7
        finally:
            await first.stop()
        second = source_task(port, listen=dict({'port': port, 'token': TOKEN}, **extra))
        try:
            await listening(second)
            if state_file:
                assert await in_thread(post, url, body) == (200, {'accepted': False})
                await second.no_event(0.5)
            else:       # the documented limit without a state file: emitted again
                assert await in_thread(post, url, body) == (200, {'accepted': True})
                assert (await second.get())['supervisord']['serial'] == 7
        finally:
            await second.stop()
    run(test(), timeout=60)


def test_a_record_acknowledged_only_when_resent_is_remembered_in_the_state_file(tmp_path):
    """First answered 503 (not taken yet), then 200 as a duplicate: the next run must know it, or it counts it missing."""
    port = free_port()
    url = 'http://127.0.0.1:%d/' % port
    listen = {'port': port, 'token': TOKEN, 'state_file': str(tmp_path / 'push-state.json')}

    async def test():
        first = source_task(port, engine=False, maxsize=1, listen=listen)
        try:
            await listening(first)
            taken = asyncio.ensure_future(first.get())      # the engine takes record 0 at once
            assert await in_thread(post, url, json.dumps(record(0, poolserial=0)).encode()) == (
                200, {'accepted': True})
            assert (await taken)['supervisord']['serial'] == 0
            body = json.dumps(record(1, poolserial=1)).encode()
            assert await in_thread(post, url, body) == (503, NOT_TAKEN)
            assert (await first.get())['supervisord']['serial'] == 1
            assert await in_thread(post, url, body) == (200, {'accepted': False})
        finally:
            await first.stop()
        second = source_task(port, listen=listen)
        try:
            await listening(second)
            assert await in_thread(post, url, json.dumps(record(2, poolserial=2)).encode()) == (200, {'accepted': True})
            assert 'missing' not in (await second.get())['supervisord']
        finally:
            await second.stop()
    run(test(), timeout=60)


def test_polling_and_listening_together(pushing_daemon):
    async def test():
        await in_thread(pushing_daemon.start)
        await in_thread(pushing_daemon.wait_state, 'bouncer', 'RUNNING')
        task = source_task(pushing_daemon.push_port, server_url=pushing_daemon.server_url, host='app1',
                           initial=True, interval=30)
        try:
            # The poll gives the initial table...
            seen = await task.get_until(lambda e: e['supervisord'].get('initial')
                                        and e['supervisord']['type'] == 'process'
                                        and e['supervisord']['data']['fullname'] == 'sleeper')
            assert all('pushed' not in e['supervisord'] for e in seen)
            await listening(task)
            # ...and the push every transition long before the next poll.
            await in_thread(pushing_daemon.stop_process, 'sleeper')
            seen = await task.get_until(is_process('sleeper', 'STOPPED'), timeout=20)
            assert seen[-1]['supervisord']['pushed'] is True
            assert seen[-1]['meta'] == {'hosts': ['app1']}
        finally:
            await task.stop()
    run(test(), timeout=120)


def test_tls_with_the_real_listener(tmp_path):
    cert, key = str(tmp_path / 'cert.pem'), str(tmp_path / 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True)
    port = free_port()
    url = 'https://127.0.0.1:%d/' % port
    directory = str(tmp_path / 'svd')
    os.makedirs(directory)
    daemon = Supervisord(directory, programs={'sleeper': dict(command=SLEEPER, startsecs=0)},
                         extra_sections=listener_section(url, directory, events=NO_TICKS,
                                                         extra_args='--cafile %s' % cert))

    async def test():
        task = source_task(port, listen={'port': port, 'token': TOKEN, 'certfile': cert, 'keyfile': key})
        try:
            await listening(task)
            context = ssl.create_default_context(cafile=cert)
            assert await in_thread(post, url, json.dumps(record(0, host='by-hand')).encode(), TOKEN, context) == (
                200, {'accepted': True})
            assert (await task.get())['supervisord']['host'] == 'by-hand'
            await in_thread(daemon.start)
            seen = await task.get_until(is_process('sleeper', 'RUNNING'))
            assert seen[-1]['meta'] == {'hosts': ['app1']}
        finally:
            await task.stop()
    try:
        run(test(), timeout=60)
    finally:
        daemon.cleanup()


def test_a_spool_overflow_is_reported_in_the_next_event(tmp_path):
    """Nobody listens for a while and the listener keeps only 3 events: the first delivered says how many went."""
    port = free_port()
    directory = str(tmp_path / 'svd')
    os.makedirs(directory)
    daemon = Supervisord(directory, programs={'sleeper': dict(command=SLEEPER, startsecs=0)},
                         extra_sections=listener_section('http://127.0.0.1:%d/' % port, directory, events=NO_TICKS,
                                                         extra_args='--max-events 3'))
    spool = os.path.join(directory, 'push-spool.jsonl')

    def text():
        if not os.path.exists(spool):       # the listener may not have started yet
            return ''
        with open(spool) as handle:
            return handle.read()

    async def test():
        task = source_task(port)
        try:
            await listening(task)
            events = [await task.get()]
            while events[-1]['supervisord']['poolserial'] < last:
                events.append(await task.get())
        finally:
            await task.stop()
        return events

    try:
        daemon.start()
        for dummy in range(2):
            daemon.stop_process('sleeper')
            daemon.start_process('sleeper')
        # The last event is the sleeper's last RUNNING: once it is spooled, all are.
        wait_until(lambda: last_spooled(text(), daemon, 'sleeper'), what='the last event spooled')
        last = spooled(text())[-1]['poolserial']
        events = run(test(), timeout=60)
    finally:
        daemon.cleanup()
    bodies = [e['supervisord'] for e in events]
    assert [b['poolserial'] for b in bodies] == [last - 2, last - 1, last]
    assert bodies[0]['dropped'] == last - 2           # poolserials 0 .. last-3 never left the listener
    assert ['dropped' in b for b in bodies[1:]] == [False, False]
    assert ['missing' in b for b in bodies] == [False, False, False]     # they are dropped, not missing too
    assert (bodies[-1]['data']['fullname'], bodies[-1]['data']['statename']) == ('sleeper', 'RUNNING')


def as_records(events):
    """The source's process events as the records assert_accounted reads."""
    return [dict(e['supervisord'], payload={}) for e in events]


def test_two_listener_pools_for_one_host_each_deliver_every_event(tmp_path):
    """Each pool is a stream of its own: neither drops the other's events as duplicates."""
    port = free_port()
    url = 'http://127.0.0.1:%d/' % port
    directory = str(tmp_path / 'svd')
    os.makedirs(directory)
    sections = listener_section(url, directory, events=NO_TICKS, name='push_a')
    sections.update(listener_section(url, directory, events=NO_TICKS, name='push_b'))
    daemon = Supervisord(directory, programs={'sleeper': dict(command=SLEEPER, startsecs=0)}, extra_sections=sections)

    def runs(events, pool):
        return sum(1 for e in events if is_process('sleeper', 'RUNNING')(e) and e['supervisord'].get('pool') == pool)

    async def test():
        task = source_task(port)
        try:
            await listening(task)
            await in_thread(daemon.start)
            for dummy in range(3):
                await in_thread(daemon.stop_process, 'sleeper')
                await in_thread(daemon.start_process, 'sleeper')
            seen = []
            while runs(seen, 'push_a') < 4 or runs(seen, 'push_b') < 4:     # the first start, and 3 more
                seen.append(await task.get())
            return seen
        finally:
            await task.stop()
    try:
        events = run(test(), timeout=120)
    finally:
        daemon.cleanup()
    by_pool = dict((pool, [e for e in events if e['supervisord'].get('pool') == pool]) for pool in ('push_a', 'push_b'))
    for pool, pooled in by_pool.items():
        assert_accounted(as_records(pooled))
        assert {e['supervisord']['listener'] for e in pooled} == {pool}
    # Both pools subscribe to the same events: each delivered all of the sleeper's, with supervisord's serials.
    sleeper = dict((pool, [e['supervisord']['serial'] for e in pooled if e['supervisord']['type'] == 'process'
                           and e['supervisord']['data']['fullname'] == 'sleeper']) for pool, pooled in by_pool.items())
    assert len(sleeper['push_a']) == 2 + 3 * 4
    assert sleeper['push_a'] == sleeper['push_b']


def test_events_supervisord_discarded_are_missing_once_also_across_a_source_restart(tmp_path):
    """The listener cannot spool (read-only disk) and supervisord's buffer of 3 overflows; the source restarts."""
    port = free_port()
    directory = str(tmp_path / 'svd')
    spool_dir = os.path.join(directory, 'spool')
    os.makedirs(directory)
    daemon = SpoolDisk(directory, spool_dir, programs={
        'sleeper': dict(command=SLEEPER, startsecs=0), 'sentinel': dict(command=SLEEPER, startsecs=0, autostart=False)},
        extra_sections=listener_section('http://127.0.0.1:%d/' % port, directory, spool=spool_dir, events=NO_TICKS,
                                        buffer_size=3))

    async def test():
        delivered = []
        task = source_task(port)
        try:
            await listening(task)
            await in_thread(daemon.start)
            delivered += await task.get_until(is_process('sleeper', 'RUNNING'))
            await in_thread(daemon.readonly, True)
            for dummy in range(3):
                await in_thread(daemon.stop_process, 'sleeper')
                await in_thread(daemon.start_process, 'sleeper')
        finally:
            await task.stop()
        await in_thread(daemon.readonly, False)
        task = source_task(port)
        try:
            await listening(task)
            await in_thread(daemon.start_process, 'sentinel')
            delivered += await task.get_until(is_process('sentinel', 'RUNNING'))
        finally:
            await task.stop()
        return delivered
    try:
        events = run(test(), timeout=120)
        discarded = daemon.rpc('supervisor.readLog', 0, 0).count('pool push event buffer overflowed, discarding event')
    finally:
        daemon.cleanup()
    dropped, missing = assert_accounted(as_records(events))
    assert (dropped, missing, discarded > 0) == (0, discarded, True)


@pytest.mark.parametrize('engine', [True, False], ids=['events taken at once', 'rule engine busy during the reload'])
def test_events_lost_in_a_reload_are_missing_once_and_none_comes_twice(pushing_daemon, engine):
    """supervisorctl reload: supervisord stops the listener with its processes, and what it queued for the pool
    by then (the processes' STOPPING and STOPPED, the listener's own) goes with the old pool; the new pool's
    poolserial starts again at 0 in the same run (same ``boot``), while supervisord's global serial goes on.

    With one pool, every serial of the daemon is an event of this pool: each is emitted once, or counted once
    in the ``missing`` of the next event. A rule engine that does not take events while supervisord reloads
    holds the listener's POST of STOPPING until supervisord stops the listener: it sends it again afterwards.
    """
    def restarted(events):
        running = [i for i, e in enumerate(events) if e['supervisord']['type'] == 'daemon'
                   and e['supervisord']['data']['statename'] == 'RUNNING']
        after = events[running[1]:] if len(running) == 2 else []
        return any(is_process('sleeper', 'RUNNING')(e) for e in after) and any(
            is_process('bouncer', 'RUNNING')(e) for e in after)

    async def test():
        task = source_task(pushing_daemon.push_port, engine=engine, maxsize=100 if engine else 1)
        seen = []
        try:
            await listening(task)
            await in_thread(pushing_daemon.start)
            for name in ('sleeper', 'bouncer'):
                await in_thread(pushing_daemon.wait_state, name, 'RUNNING')
            seen += await task.get_until(lambda e: e['supervisord']['type'] == 'daemon')   # RUNNING
            await in_thread(pushing_daemon.rpc, 'supervisor.restart')
            await in_thread(pushing_daemon.wait_running)
            while not restarted(seen):
                seen.append(await task.get())
            await task.no_event(1.5)
        finally:
            await task.stop()
        return seen
    events = [e['supervisord'] for e in run(test(), timeout=120)]
    assert len({e['boot'] for e in events}) == 1          # a reload: the same run of supervisord
    serials = [e['serial'] for e in events]
    assert serials == sorted(set(serials)), 'twice or out of order: %s' % serials
    gaps = [(e['serial'], e['serial'] - before - 1, e.get('missing', 0) + e.get('dropped', 0))
            for before, e in zip([-1] + serials, events)]
    assert [gap for gap in gaps if gap[1] != gap[2]] == []
    # What went with the old pool: at least the listener's own STOPPING and STOPPED.
    assert sum(e.get('missing', 0) for e in events) >= 2


def test_an_event_the_spool_dropped_is_dropped_not_missing_too(tmp_path):
    """The source answers 500 (through a proxy) while the listener keeps 3 events: each lost event counts once."""
    port, proxy_port = free_port(), free_port()
    proxy = FaultProxy(('127.0.0.1', port), proxy_port)
    directory = str(tmp_path / 'svd')
    os.makedirs(directory)
    daemon = Supervisord(directory, programs={
        'sleeper': dict(command=SLEEPER, startsecs=0), 'sentinel': dict(command=SLEEPER, startsecs=0, autostart=False)},
        extra_sections=listener_section(proxy.url, directory, events=NO_TICKS, extra_args='--max-events 3'))

    async def test():
        task = source_task(port)
        try:
            await listening(task)
            await in_thread(daemon.start)
            delivered = await task.get_until(is_process('sleeper', 'RUNNING'))
            proxy.set('error')
            for dummy in range(2):
                await in_thread(daemon.stop_process, 'sleeper')
                await in_thread(daemon.start_process, 'sleeper')
            proxy.set('pass')
            await in_thread(daemon.start_process, 'sentinel')
            return delivered + await task.get_until(is_process('sentinel', 'RUNNING'))
        finally:
            await task.stop()
    try:
        events = run(test(), timeout=120)
    finally:
        daemon.cleanup()
        proxy.close()
    dropped, missing = assert_accounted(as_records(events))
    assert (dropped > 0, missing) == (True, 0)
