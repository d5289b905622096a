"""Event sources under stress, against real processes.

* a flood of 100,000 messages from a real ZeroMQ PUB socket (another process) to
  the Supvisors source while the consumer is slow: memory stays bounded (RSS of
  this process, which runs the source, is measured and printed), nothing
  escapes, and the drops the source makes are counted and logged;
* a hypothesis-fuzzed stream (random bytes and JSON, wrong frame counts, bodies
  of several MB, invalid UTF-8) through a real PUB socket: the source never
  raises and a valid message after the garbage is still delivered;
* the publisher (a process) SIGKILLed and restarted on the same port 10 times:
  ``lost``/``restored`` each time, and the snapshot after each ``restored``;
* the polling source with three real supervisord daemons, one SIGKILLed: the
  other two keep reporting, the dead one is named in a ``daemon`` event; then
  one of the two hangs (SIGSTOP) and the last one still reports.

Run: ``.venv/bin/python -m pytest tests/integration/event_sources/test_event_stress.py -q`` (about 30 s;
the flood test prints its RSS figures even under ``-q``).
"""

import asyncio
import importlib
import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import threading
from xmlrpc.server import SimpleXMLRPCServer

from hypothesis import HealthCheck, example, given, settings, strategies as st

from tests.support.eda import SourceTask, load_source, run
from tests.support.fake_publishers import Publisher
from tests.support.supervisord import SLEEPER, Supervisord, free_port

supvisors = load_source('supvisors')
events = importlib.import_module('ansible_collections.supervisor.control.plugins.plugin_utils.supvisors_events')
supervisord_source = load_source('supervisord')

PUBLISHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'publisher_process.py')
LOGGER = 'supervisor.control.supvisors'


# ---------------------------------------------------------------------------
# Helpers: a publisher process, the RSS of this process
# ---------------------------------------------------------------------------

class PublisherProcess(object):
    """``publisher_process.py`` in a session of its own, always SIGKILLed at the end."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, PUBLISHER] + [str(a) for a in args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True, text=True)

    def readline(self, timeout=30):
        if not select.select([self.proc.stdout], [], [], timeout)[0]:
            raise AssertionError('the publisher said nothing within %ss' % timeout)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError('the publisher ended: %s' % self.proc.stderr.read()[-2000:])
        return line.strip()

    def tell(self, line):
        self.proc.stdin.write(line + '\n')
        self.proc.stdin.flush()

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()


def memory_kib(field='VmRSS'):
    with open('/proc/self/status') as handle:
        for line in handle:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise AssertionError('no %s in /proc/self/status' % field)


def reset_peak():
    """Reset VmHWM (the peak RSS) of this process; False where the kernel does not allow it."""
    try:
        with open('/proc/self/clear_refs', 'w') as handle:
            handle.write('5')
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# 1. 100,000 messages, a slow consumer
# ---------------------------------------------------------------------------

TOTAL = 100000
SIZE = 1024           # bytes per message: keeping all of them would take > 100 MB
SLOW = 0.001          # seconds the "rulebook" spends on each event (1000 events/s at most)
GROWTH_BOUND_MB = 50  # a bound on a leak, not a timing: half of what keeping every message would need


def test_a_flood_with_a_slow_consumer_stays_bounded_and_the_drops_are_logged(caplog, capsys):
    caplog.set_level(logging.INFO, logger=LOGGER)
    publisher = PublisherProcess('burst', 0, TOTAL, SIZE)

    async def test(port):
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': port, 'heartbeat': 1})
        # The subscription has reached the publisher once a probe arrives.
        first = (await source.get_until(lambda e: 'probe' in e['supvisors']['data']))[-1]
        numbers = [first['supvisors']['data']['n']]
        baseline = memory_kib()
        peak_known = reset_peak()
        samples = [baseline]
        publisher.tell('go')
        seqs, stopped = [], False
        while True:
            event = await source.get()
            envelope = event['supvisors']
            if envelope['type'] == 'link':
                # After "stop", silence: ``lost`` comes after everything that the source kept.
                # (Before, only a publisher starved of CPU for a whole heartbeat: not this test's subject.)
                if stopped and envelope['data']['state'] == 'lost':
                    break
                continue
            data = envelope['data']
            numbers.append(data['n'])
            if 'seq' in data:
                seqs.append(data['seq'])
                if len(seqs) % 100 == 0:
                    samples.append(memory_kib())
                await asyncio.sleep(SLOW)          # the rulebook is busy
            elif 'done' in data and not stopped:
                stopped = True
                publisher.tell('stop')             # silence from now on: what is missing stays missing
        peak = memory_kib('VmHWM') if peak_known else max(samples)
        assert not source.task.done()              # nothing escaped
        await source.stop()
        return baseline, peak, numbers, seqs

    try:
        port = int(publisher.readline())
        baseline, peak, numbers, seqs = run(test(port), timeout=120)
        last_sent = int(publisher.readline())      # the publisher's last ``n``
    finally:
        publisher.kill()

    # Delivered in order, without duplicates; most were dropped (the consumer takes 1000/s at most).
    assert numbers == sorted(set(numbers)) and seqs == sorted(set(seqs))
    assert 0 < len(seqs) < TOTAL
    # The source logged its drops: the first, powers of ten, and the total at shutdown.
    warnings = [r.getMessage() for r in caplog.records if 'dropped' in r.getMessage()]
    assert warnings[0] == (
        'supervisor.control.supvisors: dropped 1 message so far: the rulebook takes events more slowly than '
        'tcp://127.0.0.1:%d publishes them (backlog limit: 1000 messages)' % port), warnings
    totals = [int(m.group(1)) for m in (re.search(r'dropped (\d+) messages from \S+ in all', w) for w in warnings)
              if m]
    assert len(totals) == 1, warnings
    logged = totals[0]
    # Every message from the first one delivered to the last one sent was delivered or dropped. The
    # source counts exactly what it dropped itself; what ZeroMQ dropped before the source could read it
    # (the publisher's own high-water mark, when it sends faster than the source reads) no subscriber
    # can count: the logged number is a lower bound of the loss.
    missing = (last_sent - numbers[0] + 1) - len(numbers)
    assert 0 < logged <= missing, (logged, missing)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    growth_mb = (peak - baseline) / 1024.0
    with capsys.disabled():
        print('\n[flood] %d messages of %d bytes, consumer at %d events/s: %d delivered, %d dropped and logged by '
              'the source, %d dropped inside ZeroMQ (not countable by a subscriber); RSS of the process running '
              'the source: %.1f MB before, peak %.1f MB, growth %.1f MB (bound %d MB)' % (
                  TOTAL, SIZE, 1 / SLOW, len(seqs), logged, missing - logged, baseline / 1024.0,
                  peak / 1024.0, growth_mb, GROWTH_BOUND_MB))
    assert growth_mb < GROWTH_BOUND_MB, (baseline, peak)


def test_after_a_burst_of_drops_the_source_says_so_and_reads_a_snapshot(caplog):
    """With ``snapshot: true``, the state that the dropped messages carried is read again."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    server = SnapshotServer()
    where = {}

    async def test(publisher):
        where['url'] = 'tcp://127.0.0.1:%d' % publisher.port
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': publisher.port, 'heartbeat': 0.5,
                                        'high_water_mark': 10, 'snapshot': True, 'server_url': server.url})
        await publisher.sync(source)           # (the snapshot at start goes by meanwhile)
        assert server.snapshots == 1
        for seq in range(200):
            await publisher.send('process', dict(SNAPSHOT['supvisors.get_all_process_info'][0], seq=seq))
        # Silence after the burst: ``lost`` comes after everything that the source kept.
        seen = []

        def after_the_burst(event):
            seen.append(event)
            return (event['supvisors']['type'] == 'link' and event['supvisors']['data']['state'] == 'lost'
                    and any('seq' in e['supvisors']['data'] for e in seen))

        events = await source.get_until(after_the_burst)
        await source.stop()
        return events

    try:
        events = with_publisher_result(test)
    finally:
        server.close()
    seqs = [e['supvisors']['data']['seq'] for e in events if 'seq' in e['supvisors']['data']]
    assert seqs == sorted(set(seqs)) and 0 < len(seqs) < 200, seqs
    kinds = [kind_of(e) for e in events]
    # The burst reaches the source in as many pieces as the load of the machine makes: a piece read
    # after the rulebook had caught up and fitting in the backlog is delivered after that burst's
    # snapshot, and calls for no other. What is promised is that every drop is followed by a snapshot.
    starts = [i for i, k in enumerate(kinds) if k == 'snapshot instance']
    for i in starts:
        assert kinds[i:i + 3] == SNAPSHOT_KINDS and [e['supvisors']['data'] for e in events[i:i + 3]] == [
            SNAPSHOT[method][0] for method in SNAPSHOT_METHODS], kinds
    assert sum(k.startswith('snapshot ') for k in kinds) == 3 * len(starts), kinds
    # (a ``restored`` means a pause longer than the heartbeat before the burst, on a loaded machine: its
    # snapshot follows the message that ended the silence)
    after_restored = [i for i in starts if kinds[i - 2:i] in (['link restored', 'seq'], ['link restored', 'probe'])]
    assert len(after_restored) == kinds.count('link restored'), kinds
    after_bursts = [i for i in starts if i not in after_restored]
    assert all(kinds[i - 1] == 'seq' for i in after_bursts), kinds   # right after the message that emptied it
    # A dropped message belongs to the burst of the last message kept before it (the backlog held that
    # one when it dropped this one): its snapshot is the first after that message. None is left without.
    dropped = [0] * (len(after_bursts) + 1)      # the drops each burst snapshot follows, then those none does
    previous, burst, burst_of_previous = -1, 0, 0
    for i, kind in enumerate(kinds):
        if i in after_bursts:
            burst += 1
        elif kind == 'seq':
            seq = events[i]['supvisors']['data']['seq']
            dropped[burst_of_previous] += seq - previous - 1
            previous, burst_of_previous = seq, burst
    dropped[burst_of_previous] += 199 - previous
    messages = [r.getMessage() for r in caplog.records]
    caught_up = [m for m in messages if 'has caught up' in m]
    one_burst = re.compile(r'supervisor\.control\.supvisors: the rulebook has caught up; (\d+) (message from %s was|'
                           r'messages from %s were) dropped meanwhile \((\d+) in all\); reading a snapshot'
                           % (re.escape(where['url']), re.escape(where['url'])))
    matches = [one_burst.fullmatch(m) for m in caught_up]
    assert matches and all(matches), messages
    counts = [int(m.group(1)) for m in matches]
    assert [m.group(2).startswith('message ') for m in matches] == [n == 1 for n in counts], messages
    # Every message was read (200 fit in the publisher's high-water mark): each count is exact.
    assert counts + [0] == dropped, (messages, kinds)
    assert [int(m.group(3)) for m in matches] == [sum(counts[:n + 1]) for n in range(len(counts))], messages
    assert server.snapshots == 1 + len(starts)
    assert ('supervisor.control.supvisors: dropped %d messages from %s in all, that the rulebook could not take in '
            'time' % (sum(counts), where['url'])) in messages, messages


SNAPSHOT_KINDS = ['snapshot instance', 'snapshot application', 'snapshot process']
SNAPSHOT_METHODS = ('supvisors.get_all_instances_info', 'supvisors.get_all_applications_info',
                    'supvisors.get_all_process_info')


def kind_of(event):
    envelope = event['supvisors']
    if envelope['type'] == 'link':
        return 'link ' + envelope['data']['state']
    if envelope.get('snapshot'):
        return 'snapshot ' + envelope['type']
    if 'seq' in envelope['data']:
        return 'seq'
    return 'probe' if 'probe' in envelope['data'] else envelope['type']


def with_publisher_result(test):
    """``test(publisher)`` with an in-process PUB socket; returns its result."""
    async def body():
        publisher = Publisher()
        try:
            return await test(publisher)
        finally:
            publisher.close()
    return run(body())


def test_the_backlog_is_bounded_by_count_and_by_bytes():
    async def test():
        backlog = events.Backlog(3, max_bytes=100)
        assert [backlog.add_message([b'h', b'x' * 10]) for dummy in range(5)] == [True, True, True, False, False]
        backlog.add_link({'state': 'lost'})            # never dropped
        assert (backlog.messages, backlog.size, backlog.dropped) == (3, 33, 2)
        by_bytes = events.Backlog(0, max_bytes=100)
        assert [by_bytes.add_message([b'h', b'x' * 40]) for dummy in range(3)] == [True, True, False]
        huge = events.Backlog(0, max_bytes=100)
        assert huge.add_message([b'h', b'x' * 1000])   # one message larger than the bound still passes
        kinds = [(await backlog.take())[0] for dummy in range(4)]
        assert kinds == ['message', 'message', 'message', 'link']
        assert backlog.end_of_burst() == 2 and backlog.end_of_burst() == 0
        assert (backlog.messages, backlog.size) == (0, 0)
    run(test())


# ---------------------------------------------------------------------------
# 2. A fuzzed stream
# ---------------------------------------------------------------------------

# Headers that pass ZeroMQ's prefix filter (so that the garbage reaches the source), mostly exact,
# sometimes with a random tail (an unknown header, invalid UTF-8).
EXACT = st.sampled_from(events.HEADERS + ('address',)).map(lambda h: h.encode())
HEADER = st.one_of(EXACT, EXACT, EXACT, st.tuples(EXACT, st.binary(min_size=1, max_size=6)).map(b''.join))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
# Objects with the keys that the source reads (host names, process keys), holding any JSON.
KEYS = st.sampled_from(['identifier', 'identifiers', 'node_name', 'nick_identifier', 'address', 'addresses',
                        'address_name', 'application_name', 'process_name', 'group', 'name', 'state',
                        'statename', 'statecode'])
OBJECT = st.one_of(st.dictionaries(KEYS, JSON, min_size=1, max_size=8),
                   st.dictionaries(KEYS | st.text(max_size=8), JSON, max_size=6))
BAD_UTF8 = st.sampled_from([b'\xff', b'\xc3\x28', b'\xed\xa0\x80', b'\x80', b'\xf8\x88\x80\x80\x80', b'\xc0\xaf'])
MB = 1024 * 1024


def _body(value):
    return json.dumps(value).encode()


def _bad_utf8(args):
    body, bad, where = args
    cut = where % (len(body) + 1)
    return body[:cut] + bad + body[cut:]


def _huge(args):
    """Several MB: a valid object, cut short, invalid UTF-8 at the end, or nested too deep."""
    megabytes, kind = args
    size = megabytes * MB
    if kind == 'object':
        return b'{"padding": "' + b'x' * size + b'", "identifiers": ["alpha:1"]}'
    if kind == 'cut':
        return b'{"padding": "' + b'x' * size
    if kind == 'utf8':
        return b'{"padding": "' + b'x' * size + b'\xff"}'
    return b'[' * size


FRAMES = st.one_of(
    # random bytes, any number of frames
    st.tuples(HEADER, st.lists(st.binary(max_size=64), max_size=4)).map(lambda t: [t[0]] + t[1]),
    # random JSON (objects or not)
    st.tuples(HEADER, JSON).map(lambda t: [t[0], _body(t[1])]),
    st.tuples(HEADER, OBJECT).map(lambda t: [t[0], _body(t[1])]),
    # invalid UTF-8 in a JSON body
    st.tuples(HEADER, st.tuples(OBJECT.map(_body), BAD_UTF8, st.integers(0, 1000)).map(_bad_utf8)).map(list),
    # wrong frame counts around valid parts
    st.tuples(HEADER, OBJECT, st.integers(0, 3)).map(lambda t: [t[0]] + [_body(t[1])] * (t[2] if t[2] != 1 else 2)),
    # huge bodies
    st.tuples(HEADER, st.tuples(st.integers(2, 6), st.sampled_from(['object', 'cut', 'utf8', 'deep'])).map(_huge))
    .map(list),
)


def test_a_fuzzed_stream_never_stops_the_source(caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    loop = asyncio.new_event_loop()
    state = {'examples': 0, 'messages': 0, 'delivered': 0}

    async def start():
        state['publisher'] = Publisher()
        state['source'] = SourceTask(supvisors, {'host': '127.0.0.1', 'port': state['publisher'].port,
                                                 'heartbeat': 0, 'types': list(events.HEADERS)})
        await state['publisher'].sync(state['source'])

    async def exchange(messages, marker):
        publisher, source = state['publisher'], state['source']
        for frames in messages:
            await publisher.send_frames(frames)
        await publisher.send('supvisors', {'marker': marker})
        events = await source.get_until(lambda e: e['supvisors']['data'].get('marker') == marker)
        for event in events:
            assert set(event) <= {'supvisors', 'meta'} and isinstance(event['supvisors']['data'], dict), event
            json.dumps(event)        # what ansible-rulebook does with it
        state['delivered'] += len(events) - 1

    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(FRAMES, min_size=1, max_size=5))
    # Found by this test: a process key that is a list made the source raise "unhashable type".
    @example([[b'process', b'{"application_name": [1], "process_name": "x", "identifiers": ["alpha:1"]}'],
              [b'event', b'{"group": {"a": 1}, "name": "x", "identifier": "alpha:1"}']])
    @example([[b'process', _huge((5, 'object'))], [b'process', _huge((5, 'utf8'))], [b'event', _huge((3, 'deep'))]])
    def fuzz(messages):
        state['examples'] += 1
        state['messages'] += len(messages)
        loop.run_until_complete(asyncio.wait_for(exchange(messages, 'end-%d' % state['examples']), 60))

    async def stop():
        if 'source' in state:
            await state['source'].stop()
        if 'publisher' in state:
            state['publisher'].close()

    try:
        loop.run_until_complete(asyncio.wait_for(start(), 60))
        fuzz()
        assert not state['source'].task.done()
    finally:
        loop.run_until_complete(stop())
        loop.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    skipped = [r.getMessage() for r in caplog.records if 'skipped' in r.getMessage()]
    assert skipped and state['messages'] > state['delivered']
    # The source's safety net for messages it cannot translate was never needed.
    assert not [m for m in skipped if events.BAD_OTHER in m], skipped


# ---------------------------------------------------------------------------
# 3. The publisher killed and restarted 10 times
# ---------------------------------------------------------------------------

# Recorded from a real Supvisors 0.19.1 (the bodies of docs/eda.md). A real Supvisors restarted
# 10 times would take minutes (about 10 s to reach OPERATION each time): the snapshot's XML-RPC
# is served by this small server, the publisher is a real ZeroMQ PUB process that is SIGKILLed.
SNAPSHOT = {
    'supvisors.get_all_instances_info': [{
        "identifier": "alpha:60000", "nick_identifier": "alpha", "node_name": "alpha", "port": 60000,
        "statecode": 3, "statename": "RUNNING", "loading": 0, "process_failure": False,
        "remote_sequence_counter": 4, "remote_time": 1795431245, "remote_mtime": 1731.338945964,
        "local_sequence_counter": 3, "local_time": 1795431245, "local_mtime": 1731.340417592}],
    'supvisors.get_all_applications_info': [{
        "application_name": "web", "managed": False, "now_monotonic": 1729.298368605,
        "statecode": 2, "statename": "RUNNING", "major_failure": False, "minor_failure": False}],
    'supvisors.get_all_process_info': [{
        "application_name": "web", "process_name": "sleeper", "now_monotonic": 1726.309654776,
        "statecode": 20, "statename": "RUNNING", "expected_exit": True,
        "last_event_mtime": 1716.069219126, "identifiers": ["alpha:60000"], "extra_args": ""}],
}
RESTARTS = 10
HEARTBEAT = 1.0       # the publisher ticks every 0.1 s


class SnapshotServer(object):
    """``system.multicall`` as supervisord answers it (each result bare), counting the snapshots; and its release."""

    def __init__(self):
        self.snapshots = 0
        self.server = SimpleXMLRPCServer(('127.0.0.1', 0), logRequests=False, allow_none=True)
        self.server.register_function(self.multicall, 'system.multicall')
        # Asked once, before a multicall of more than two calls, as of any supervisord.
        self.server.register_function(lambda: '4.3.0', 'supervisor.getSupervisorVersion')
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]

    def multicall(self, calls, lenient=False):
        self.snapshots += 1
        return [SNAPSHOT[call['methodName']] for call in calls]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_publisher_killed_and_restarted_ten_times(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    port = free_port()
    server = SnapshotServer()
    publishers = []

    def start_publisher(generation):
        publisher = PublisherProcess('ticks', port, 0.1, generation)
        publishers.append(publisher)
        assert publisher.readline() == 'ready'
        return publisher

    def is_snapshot_of(kind):
        return lambda e: e['supvisors'].get('snapshot') and e['supvisors']['type'] == kind

    async def test():
        loop = asyncio.get_running_loop()
        source = SourceTask(supvisors, {'host': '127.0.0.1', 'port': port, 'heartbeat': HEARTBEAT,
                                        'snapshot': True, 'server_url': server.url, 'timeout': 5})
        publisher = start_publisher(0)
        # The snapshot at start, then live messages.
        await source.get_until(is_snapshot_of('process'))
        await source.get_until(lambda e: e['supvisors']['data'].get('generation') == 0)
        for generation in range(1, RESTARTS + 1):
            publisher.kill()
            events = await source.get_until(lambda e: e['supvisors']['type'] == 'link')
            assert events[-1]['supvisors']['data']['state'] == 'lost', events[-1]
            publisher = await loop.run_in_executor(None, start_publisher, generation)
            events = await source.get_until(lambda e: e['supvisors']['type'] == 'link')
            assert events == [{'supvisors': {'type': 'link', 'data': {
                'state': 'restored', 'url': 'tcp://127.0.0.1:%d' % port}}}], events
            # The message that ended the silence, then the snapshot (every kind, flagged), then live ones.
            events = await source.get_until(is_snapshot_of('process'))
            assert events[0]['supvisors']['data']['generation'] == generation
            assert [e['supvisors']['type'] for e in events[1:]] == ['instance', 'application', 'process']
            assert [e['supvisors']['data'] for e in events[1:]] == [
                SNAPSHOT[method][0] for method in ('supvisors.get_all_instances_info',
                                                   'supvisors.get_all_applications_info',
                                                   'supvisors.get_all_process_info')]
            assert events[-1]['meta'] == {'hosts': ['alpha']}
            live = await source.get()
            assert live['supvisors']['data']['generation'] == generation and 'snapshot' not in live['supvisors']
        assert not source.task.done()
        await source.stop()

    try:
        run(test(), timeout=120)
    finally:
        for publisher in publishers:
            publisher.kill()
        server.close()
    assert server.snapshots == RESTARTS + 1
    messages = [r.getMessage() for r in caplog.records]
    assert sum('link lost' in m for m in messages) == RESTARTS
    assert sum('link restored' in m for m in messages) == RESTARTS
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# ---------------------------------------------------------------------------
# 4. The polling source, one of three daemons down
# ---------------------------------------------------------------------------

def test_polling_three_daemons_one_killed_one_hung_the_others_keep_reporting(tmp_path):
    """One daemon SIGKILLed: named in a ``daemon`` event, and the other two keep reporting changes.

    Then one of those two hangs (SIGSTOP, with a timeout far beyond the test's deadlines): the
    last one still reports, since each daemon is polled on its own; after SIGCONT the hung one
    answers and reports again.
    """
    daemons = {}
    for name in ('one', 'two', 'three'):
        daemons[name] = Supervisord(str(tmp_path / name), programs={'solo': dict(command=SLEEPER, startsecs=0)})
        os.makedirs(daemons[name].directory)
    timeouts = {'one': 5, 'two': 600, 'three': 5}

    def process_event(host, statename):
        return lambda e: (e['supervisord']['type'] == 'process' and e['meta'] == {'hosts': [host]}
                          and e['supervisord']['data']['statename'] == statename)

    async def change(source, hosts, rounds=2):
        """Stop and start ``solo`` on each of ``hosts``; each change is seen. Returns every event seen."""
        loop = asyncio.get_running_loop()
        seen = []
        for dummy in range(rounds):
            for host in hosts:
                for method, statename in (('supervisor.stopProcess', 'STOPPED'),
                                          ('supervisor.startProcess', 'RUNNING')):
                    await loop.run_in_executor(None, daemons[host].rpc, method, 'solo', True)
                    seen.extend(await source.get_until(process_event(host, statename)))
        return seen

    async def test():
        loop = asyncio.get_running_loop()
        source = SourceTask(supervisord_source, {'servers': [
            {'host': name, 'server_url': daemon.server_url, 'timeout': timeouts[name]}
            for name, daemon in daemons.items()], 'interval': 0.2, 'initial': True})
        # The table at start (one daemon event each), then "three" is SIGKILLed with its children.
        reachable = set()
        await source.get_until(lambda e: e['supervisord']['type'] == 'daemon'
                               and reachable.add(e['meta']['hosts'][0]) is None and len(reachable) == 3)
        await loop.run_in_executor(None, daemons['three'].kill)
        down = (await source.get_until(lambda e: e['supervisord']['type'] == 'daemon'))[-1]
        assert down['meta'] == {'hosts': ['three']} and down['supervisord']['host'] == 'three'
        assert down['supervisord']['server_url'] == daemons['three'].server_url
        assert down['supervisord']['data']['reachable'] is False and down['supervisord']['data']['error']
        assert down['supervisord']['previous'] == {'reachable': True, 'statename': 'RUNNING', 'state': 1}
        # The other two keep reporting, round after round; "three" is reported once, not at every poll.
        seen = await change(source, ['one', 'two'])
        assert all(e['supervisord']['type'] == 'process' and e['meta']['hosts'] != ['three'] for e in seen), seen
        # "two" hangs: "one" still reports.
        os.kill(daemons['two'].proc.pid, signal.SIGSTOP)
        try:
            seen = await change(source, ['one'])
            assert all(e['meta']['hosts'] == ['one'] for e in seen), seen
        finally:
            os.kill(daemons['two'].proc.pid, signal.SIGCONT)
        seen = await change(source, ['two'], rounds=1)
        assert not [e for e in seen if e['supervisord']['type'] == 'daemon'], seen
        assert not source.task.done()
        await source.stop()

    try:
        for daemon in daemons.values():
            daemon.start()
            daemon.wait_state('solo', 'RUNNING')
        run(test(), timeout=120)
    finally:
        for daemon in daemons.values():
            if daemon.proc is not None and daemon.proc.poll() is None:
                os.kill(daemon.proc.pid, signal.SIGCONT)
            daemon.cleanup()
