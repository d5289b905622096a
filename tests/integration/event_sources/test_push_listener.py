"""The push listener (roles/supervisord/files/supervisor_control_push.py).

First its parts (protocol, payloads, spool), then the listener run by a real
supervisord, posting to a bare HTTP receiver.
"""

import errno
import importlib.util
import io
import json
import os
import re
import subprocess
import time

import pytest
from hypothesis import example, given, settings, strategies as st

from tests.support.faults import SpoolDisk
from tests.support.push import (LISTENER, NO_TICKS, SYSTEM_PYTHON, TOKEN, Receiver, assert_accounted, is_running,
                                kill_listener, last_spooled, listener_section, of_process, sentinel_accounted,
                                wait_until)
from tests.support.supervisord import SLEEPER, Supervisord

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases

spec = importlib.util.spec_from_file_location('supervisor_control_push', LISTENER)
listener = importlib.util.module_from_spec(spec)
spec.loader.exec_module(listener)


def header(serial, eventname, payload, poolserial=None):
    return 'ver:3.0 server:supervisor serial:%d pool:push poolserial:%d eventname:%s len:%d\n' % (
        serial, serial if poolserial is None else poolserial, eventname, len(payload))


def record(serial, boot='b1'):
    return {'format': listener.FORMAT, 'host': 'h', 'boot': boot, 'serial': serial, 'poolserial': serial,
            'eventname': 'PROCESS_STATE_RUNNING', 'payload': {'processname': 'p', 'groupname': 'p'}}


# ---------------------------------------------------------------------------
# Parts
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('eventname, payload, expected', [
    ('PROCESS_STATE_EXITED', 'processname:cat groupname:web from_state:RUNNING expected:0 pid:2766',
     {'processname': 'cat', 'groupname': 'web', 'from_state': 'RUNNING', 'expected': 0, 'pid': 2766}),
    ('PROCESS_STATE_STARTING', 'processname:cat groupname:cat from_state:BACKOFF tries:2',
     {'processname': 'cat', 'groupname': 'cat', 'from_state': 'BACKOFF', 'tries': 2}),
    ('PROCESS_GROUP_ADDED', 'groupname:web\n', {'groupname': 'web'}),
    ('SUPERVISOR_STATE_CHANGE_RUNNING', '', {}),
    ('TICK_60', 'when:1201063880', {'when': 1201063880}),
    ('PROCESS_COMMUNICATION_STDOUT', 'processname:cat groupname:cat pid:7\nhello\nworld',
     {'processname': 'cat', 'groupname': 'cat', 'pid': 7, 'data': 'hello\nworld'}),
])
def test_payloads(eventname, payload, expected):
    assert listener.eventdata(eventname, payload) == expected


def test_a_payload_that_is_not_key_value_tokens_is_refused():
    with pytest.raises(ValueError, match="not a key:value token: 'garbage'"):
        listener.eventdata('PROCESS_STATE_RUNNING', 'processname:x garbage')


def test_the_protocol_exactly(tmp_path):
    """READY, then for each event exactly RESULT 2\\nOK and READY again; len counts characters."""
    payloads = [('PROCESS_STATE_RUNNING', 'processname:caf\u00e9 groupname:caf\u00e9 from_state:STARTING pid:42'),
                ('SUPERVISOR_STATE_CHANGE_RUNNING', ''),
                ('PROCESS_GROUP_REMOVED', 'groupname:web\n')]
    stream = ''.join(header(i, name, payload) + payload for i, (name, payload) in enumerate(payloads))
    receiver = Receiver()
    spool = tmp_path / 'spool.jsonl'
    token = tmp_path / 'token'
    token.write_text(TOKEN + '\n')
    try:
        proc = subprocess.run(
            [SYSTEM_PYTHON, LISTENER, '--url', receiver.url, '--host', 'app1', '--token-file', str(token),
             '--spool', str(spool)],
            input=stream.encode('utf-8'), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, check=False)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == b'READY\n' + b'RESULT 2\nOKREADY\n' * 3
        # Spooled before the acknowledgement, so all three are in the file even if none was posted yet.
        lines = [json.loads(line) for line in spool.read_text().splitlines()]
        assert [r['serial'] for r in lines[-3:]] == [0, 1, 2]
        first = lines[-3]
        assert first['payload'] == {'processname': 'caf\u00e9', 'groupname': 'caf\u00e9',
                                    'from_state': 'STARTING', 'pid': 42}
        assert (first['host'], first['server'], first['pool'], first['format']) == (
            'app1', 'supervisor', 'push', 'supervisor.control.push/1')
    finally:
        receiver.close()


@pytest.mark.parametrize('counts_bytes', [False, True], ids=['characters (Python 3)', 'bytes (Python 2)'])
def test_len_is_read_in_what_supervisord_counts(counts_bytes):
    """A payload with CR, CRLF and characters of 2 to 4 bytes: read whole, and not one byte more."""
    payload = 'processname:x groupname:x pid:1 channel:stdout\nnb\u00a0sp\r\n\u20ac \U0001F600 end\r'
    length = len(payload.encode('utf-8')) if counts_bytes else len(payload)
    after = b'ver:3.0 server:supervisor serial:2'
    stream = io.BytesIO(('ver:3.0 server:supervisor serial:1 pool:push poolserial:1 eventname:PROCESS_LOG_STDOUT '
                         'len:%d\n' % length).encode('utf-8') + payload.encode('utf-8') + after)
    headers, read = listener.EventListenerProtocol(stream, io.BytesIO(), lambda eventname: counts_bytes).wait()
    assert (headers['eventname'], read) == ('PROCESS_LOG_STDOUT', payload)
    assert stream.read() == after


def test_supervisord_on_python_3_counts_characters():
    """len_in_bytes asks the parent's interpreter: this test's own Python stands for it."""
    assert listener.len_in_bytes(os.getpid())('PROCESS_LOG_STDOUT') is False


def test_the_token_in_a_header_of_its_own(tmp_path, receiver):
    """For an EDA controller token event stream that reads another header: the bare token."""
    token = tmp_path / 'token'
    token.write_text(TOKEN)
    payload = 'processname:x groupname:x from_state:STARTING pid:1'
    listener_process = subprocess.Popen(
        [SYSTEM_PYTHON, LISTENER, '--url', receiver.url, '--token-file', str(token), '--token-header', 'X-Token'],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        listener_process.stdin.write((header(0, 'PROCESS_STATE_RUNNING', payload) + payload).encode())
        listener_process.stdin.flush()
        posted, = receiver.wait_for(lambda rs: rs)
        assert posted['headers']['X-Token'] == TOKEN
        assert posted['authorization'] is None
    finally:
        listener_process.kill()
        listener_process.wait()


def test_a_header_without_len_ends_the_listener_with_a_message(tmp_path):
    proc = subprocess.run([SYSTEM_PYTHON, LISTENER, '--url', 'http://127.0.0.1:9/'],
                          input=b'ver:3.0 serial:1\n', stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, check=False)
    assert proc.returncode == 1
    assert proc.stdout == b'READY\n'
    assert proc.stderr.decode().splitlines()[-1] == "supervisor_control_push: unreadable event header: 'len'"


@pytest.mark.parametrize('argv, message', [
    (['--url', 'ftp://x/'], "cannot start: --url must be an http:// or https:// URL, got 'ftp://x/'"),
    (['--url', 'http://x/', '--token-file', '/nonexistent/token'],
     "cannot start: [Errno 2] No such file or directory: '/nonexistent/token'"),
])
def test_bad_options_end_the_listener_with_one_line(argv, message):
    proc = subprocess.run([SYSTEM_PYTHON, LISTENER] + argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30, check=False)
    assert proc.returncode == 2
    assert proc.stdout == b''    # not even READY: supervisord must not send it events
    assert proc.stderr.decode().strip() == 'supervisor_control_push: %s' % message


def test_the_spool_is_bounded_and_counts_what_it_dropped():
    spool = listener.Spool(None, max_events=3)
    for serial in range(5):
        spool.put(record(serial))
    head = spool.head(timeout=0)
    assert [e[0]['serial'] for e in spool.pending] == [2, 3, 4]
    assert (head[0]['serial'], head[1]) == (2, 2)
    spool.delivered(head)
    assert spool.head(timeout=0)[1] == 0     # reported once, then forgotten
    assert [e[0]['serial'] for e in spool.pending] == [3, 4]


def test_a_pool_made_anew_in_the_same_run_counts_what_the_old_one_held_by_serial(tmp_path):
    """supervisorctl reload: the same boot, poolserial again from 0, supervisord's serial going on; the events the
    old pool held (serials 8 to 11) never came. Counted once, also by a listener restarted from its spool file."""
    path = str(tmp_path / 'spool.jsonl')
    spool = listener.Spool(path)
    for serial in range(8):
        spool.put(record(serial))
    spool = listener.Spool(path)          # the listener itself is restarted by the reload
    spool.put(dict(record(12), poolserial=0))
    spool.put(dict(record(13), poolserial=1))
    assert [(e[0]['serial'], e[2]) for e in spool.pending][-2:] == [(12, 4), (13, 0)]
    assert spool.put(record(7)) is False  # an event of the old pool handed again: seen already


def test_the_event_being_posted_is_not_pushed_out():
    """The receiver may have it, with its counts: the next event goes to make room instead.

    Before it is sent (nothing listens: the connection is refused), the oldest goes.
    """
    spool = listener.Spool(None, max_events=2)
    spool.put(record(0))
    assert spool.head(timeout=0) is spool.pending[0]
    spool.put(record(1))
    spool.put(record(2))
    assert [e[0]['serial'] for e in spool.pending] == [1, 2]
    spool = listener.Spool(None, max_events=2)
    spool.put(record(0))
    posted = spool.head(timeout=0)
    assert spool.sending(posted)
    for serial in range(1, 5):
        spool.put(record(serial))
    assert [e[0]['serial'] for e in spool.pending] == [0, 3, 4]
    spool.delivered(posted)
    assert [(e[0]['serial'], e[1]) for e in spool.pending] == [(3, 2), (4, 0)]
    assert json.loads(spool.body(spool.head(timeout=0)))['dropped'] == 2


def test_the_spool_file_keeps_what_was_not_delivered(tmp_path):
    path = str(tmp_path / 'spool.jsonl')
    spool = listener.Spool(path, max_events=10)
    for serial in range(4):
        spool.put(record(serial))
    spool.delivered(spool.head(timeout=0))
    # A listener killed in the middle of a write leaves half a line.
    with open(path, 'a') as handle:
        handle.write('{"format": "supervisor.con')
    again = listener.Spool(path, max_events=10)
    assert [e[0]['serial'] for e in again.pending] == [1, 2, 3]
    assert os.stat(path).st_mode & 0o777 == 0o600
    # After the reload the file holds only the pending records: a third start sees the same.
    assert [e[0]['serial'] for e in listener.Spool(path, max_events=10).pending] == [1, 2, 3]


def test_a_reloaded_spool_over_its_bound_keeps_the_newest(tmp_path):
    """And the first: it may have been in flight, and have arrived, when the listener stopped."""
    path = str(tmp_path / 'spool.jsonl')
    spool = listener.Spool(path, max_events=10)
    for serial in range(6):
        spool.put(record(serial))
    smaller = listener.Spool(path, max_events=4)
    assert [(e[0]['serial'], e[1]) for e in smaller.pending] == [(0, 0), (2, 1), (3, 0), (4, 0), (5, 0)]
    # Replayed from the file the reload wrote, the same again.
    assert [(e[0]['serial'], e[1]) for e in listener.Spool(path, max_events=4).pending] == [
        (0, 0), (2, 1), (3, 0), (4, 0), (5, 0)]


def read_only(fd, data, offset):
    """os.pwrite on a disk remounted read-only."""
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


def test_nothing_is_sent_past_a_delivery_whose_ack_cannot_be_written(tmp_path, monkeypatch, receiver):
    """A restarted listener takes only the first pending event for one that may have reached the receiver.

    So it must not send the next one before the ack of the last delivery is written: on a disk
    remounted read-only it sent on, and once restarted it pushed out for room events the receiver
    had, and counted them as dropped, with the missing ones they reported, a second time (seed 101
    of the fault property: 13 too many dropped, 75 too many missing).
    """
    path = str(tmp_path / 'spool.jsonl')
    spool = listener.Spool(path, max_events=3)
    for serial in (0, 3, 4):            # 1 and 2 never handed to the listener: 3 reports them missing
        spool.put(record(serial))
    with monkeypatch.context() as patch:
        patch.setattr(listener.os, 'pwrite', read_only)
        sender = listener.Sender(spool, receiver.url, TOKEN)
        for dummy in range(3):
            sender.send_one(0.0)
        assert [r['serial'] for r in receiver.records] == [0]
    spool = listener.Spool(path, max_events=3)      # killed, and started again: the disk is writable
    for serial in (5, 6, 7, 8):                     # none sent yet: the oldest go for room
        spool.put(record(serial))
    sender = listener.Sender(spool, receiver.url, TOKEN)
    while spool.head(timeout=0) is not None:
        sender.send_one(0.0)
    first = {}
    for posted in receiver.records:                 # a record sent again is a duplicate, as at the source
        first.setdefault(posted['serial'], posted)
    dropped = sum(r.get('dropped', 0) for r in first.values())
    missing = sum(r.get('missing', 0) for r in first.values())
    assert (sorted(first), dropped, missing) == ([0, 6, 7, 8], 3, 2)


def test_the_spool_file_stays_bounded(tmp_path):
    path = str(tmp_path / 'spool.jsonl')
    spool = listener.Spool(path, max_events=5)
    for serial in range(23):
        spool.put(record(serial))
    with open(path) as handle:
        assert len(handle.readlines()) < 10
    assert [e[0]['serial'] for e in listener.Spool(path, max_events=5).pending] == [18, 19, 20, 21, 22]


OPERATIONS = st.lists(st.sampled_from(
    ['event', 'event', 'event', 'skip', 'unreadable', 'deliver', 'deliver', 'reject', 'lose_answer', 'restart',
     'disk', 'readonly']), max_size=60)


class FullDisk(object):
    """While ``full``, a write that would make a file longer writes half of what it was given, then fails.

    While ``readonly``, every write fails (the ack's too, which a full disk has room for).
    """

    def __init__(self):
        self.full = False
        self.readonly = False
        self.pwrite = os.pwrite

    def __call__(self, fd, data, offset):
        if self.readonly:
            return read_only(fd, data, offset)
        if self.full and offset + len(data) > os.fstat(fd).st_size:
            self.pwrite(fd, data[:len(data) // 2], offset)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.pwrite(fd, data, offset)


@settings(max_examples=300, deadline=None)
@given(operations=OPERATIONS, max_events=st.integers(1, 4))
# Found by this model: two deliveries while the ack cannot be written, then a restart.
@example(operations=['event', 'lose_answer', 'event', 'readonly', 'deliver', 'deliver', 'restart'], max_events=1)
def test_the_spool_delivers_each_event_once_or_counts_it_once(tmp_path_factory, operations, max_events):
    """The spool's rule, against a model: whatever happens, each event is delivered once or counted once.

    ``skip``: supervisord never hands the listener an event (its buffer overflowed); ``lose_answer``: the
    receiver takes the event but its answer is lost; ``restart``: the listener is killed (whatever it did
    not write is gone) and supervisord sends the event it was handling again; ``disk``: the disk becomes
    full (or has room again): an event that cannot be spooled is sent again by supervisord. The receiver
    drops records it has (by serial), as the source does, and with them what they say.
    """
    path = str(tmp_path_factory.mktemp('spool') / 'spool.jsonl')
    disk = FullDisk()
    listener.os.pwrite = disk
    listener.Spool.truncate_at = 1          # the file emptied in place as soon as nothing is pending
    try:
        spool = listener.Spool(path, max_events=max_events)
        state = {'next': 0, 'last': None}
        received, counted = [], {'dropped': 0, 'missing': 0}

        def receive(entry):
            body = json.loads(spool.body(entry))
            if received and body['serial'] <= received[-1]:
                return
            received.append(body['serial'])
            for key in counted:
                counted[key] += body.get(key, 0)

        for operation in operations + ['room', 'event'] + ['deliver'] * (max_events + 3):
            if operation in ('disk', 'room'):
                disk.full = operation == 'disk' and not disk.full
                disk.readonly = disk.readonly and operation != 'room'
            elif operation == 'readonly':
                disk.readonly = not disk.readonly
            elif operation in ('event', 'unreadable', 'skip'):
                serial = state['next']
                try:
                    if operation == 'event':
                        spool.put(record(serial))
                    elif operation == 'unreadable':
                        spool.count_unreadable({'boot': 'b1', 'pool': None, 'serial': serial, 'poolserial': serial})
                except OSError:
                    continue            # not acknowledged: supervisord sends it again
                state['next'] += 1
                if operation != 'skip':
                    state['last'] = serial
            elif operation == 'restart':
                spool = listener.Spool(path, max_events=max_events)
                if state['last'] is not None:
                    assert spool.put(record(state['last'])) is False      # spooled or counted already: not twice
            else:
                entry = spool.head(timeout=0)
                if entry is None:
                    continue
                assert spool.sending(entry)
                if operation == 'reject' and entry[0]['serial'] not in received:    # not what it took before
                    try:
                        spool.rejected(entry)
                    except OSError:
                        pass            # it will be sent again
                    continue
                receive(entry)
                if operation in ('deliver', 'reject'):
                    spool.delivered(entry)
    finally:
        listener.os.pwrite = disk.pwrite
        del listener.Spool.truncate_at
    assert spool.head(timeout=0) is None
    assert received == sorted(received)
    assert len(received) + counted['dropped'] + counted['missing'] == state['next']
    assert counted['missing'] == operations.count('skip')


# ---------------------------------------------------------------------------
# Run by a real supervisord
# ---------------------------------------------------------------------------

FLAPS = 10
# Exits 1 every 0.2 s, FLAPS times (the count is kept in a file), then stays up.
FLAPPER = ("sh -c 'n=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}; "
           "if [ $n -lt %d ]; then echo up; sleep 0.2; echo down; exit 1; fi; exec %s'" % (FLAPS, SLEEPER))
LOG_STATES = [(re.compile(r"spawned: 'flapper' with pid (\d+)"), 'STARTING'),
              (re.compile(r'success: flapper entered RUNNING state'), 'RUNNING'),
              (re.compile(r'exited: flapper \('), 'EXITED')]


@pytest.fixture
def receiver():
    instance = Receiver()
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def pushing(tmp_path, receiver):
    """Starts a supervisord whose listener posts to ``receiver``; stopped at teardown."""
    started = []

    def start(programs, **section):
        directory = str(tmp_path / 'svd')
        os.makedirs(directory)
        started.append(Supervisord(directory, programs=programs,
                                   extra_sections=listener_section(receiver.url, directory, **section)))
        return started[-1].start()

    try:
        yield start
    finally:
        for daemon in started:
            daemon.cleanup()


def log_sequence(daemon):
    """The flapper's transitions as supervisord's main log tells them."""
    sequence = []
    for line in daemon.rpc('supervisor.readLog', 0, 0).splitlines():
        for pattern, state in LOG_STATES:
            if pattern.search(line):
                sequence.append(state)
    return sequence


def test_a_fast_flapping_process_every_transition_in_order(tmp_path, receiver, pushing):
    count = tmp_path / 'count'
    daemon = pushing({'flapper': dict(command=FLAPPER.format(count=count), startsecs=0, autorestart=True)})
    records = receiver.wait_for(
        lambda rs: len([r for r in of_process(rs, 'flapper') if r['eventname'] == 'PROCESS_STATE_RUNNING'])
        == FLAPS + 1, timeout=60)
    flapper = of_process(records, 'flapper')
    states = [r['eventname'][len('PROCESS_STATE_'):] for r in flapper]
    assert states == log_sequence(daemon)
    assert states == ['STARTING'] + ['RUNNING', 'EXITED', 'STARTING'] * FLAPS + ['RUNNING']
    exits = [r for r in flapper if r['eventname'] == 'PROCESS_STATE_EXITED']
    assert [r['payload']['expected'] for r in exits] == [0] * FLAPS
    # Each exit is of the pid that the RUNNING before it announced.
    running = [r for r in flapper if r['eventname'] == 'PROCESS_STATE_RUNNING']
    assert [r['payload']['pid'] for r in exits] == [r['payload']['pid'] for r in running[:-1]]
    # One pool, nothing lost: poolserials are contiguous from the first event on.
    assert [r['poolserial'] for r in records] == list(range(len(records)))
    assert {r['authorization'] for r in records} == {'Bearer %s' % TOKEN}
    assert {(r['host'], r['boot']) for r in records} == {('app1', records[0]['boot'])}


def test_a_receiver_down_then_up_gets_everything_once(receiver, pushing):
    daemon = pushing({'sleeper': dict(command=SLEEPER, startsecs=0)})
    receiver.wait_for(lambda rs: of_process(rs, 'sleeper'))
    receiver.status = 503
    for dummy in range(3):
        daemon.stop_process('sleeper')
        daemon.start_process('sleeper')
    time.sleep(1)          # some retries get their 503
    receiver.status = 200
    records = receiver.wait_for(lambda rs: len(of_process(rs, 'sleeper')) >= 2 + 3 * 4)
    serials = [r['poolserial'] for r in records]
    assert serials == list(range(len(records)))
    assert [r['eventname'] for r in of_process(records, 'sleeper')][2:] == [
        'PROCESS_STATE_STOPPING', 'PROCESS_STATE_STOPPED', 'PROCESS_STATE_STARTING',
        'PROCESS_STATE_RUNNING'] * 3
    assert 'cannot deliver event' in open(os.path.join(daemon.directory, 'push.err')).read()


def test_a_listener_killed_with_sigkill_is_restarted_and_loses_nothing(receiver, pushing):
    daemon = pushing({'sleeper': dict(command=SLEEPER, startsecs=0)})
    daemon.wait_state('push', 'RUNNING')
    receiver.wait_for(lambda rs: of_process(rs, 'sleeper'))
    receiver.status = 503             # events pile up in the spool
    daemon.stop_process('sleeper')
    spool = os.path.join(daemon.directory, 'push-spool.jsonl')
    wait_until(lambda: 'PROCESS_STATE_STOPPED' in open(spool).read(), what='the stop in the spool')
    first = kill_listener(daemon)
    receiver.status = 200
    daemon.start_process('sleeper')
    records = receiver.wait_for(
        lambda rs: [r['eventname'] for r in of_process(rs, 'sleeper')][-1:] == ['PROCESS_STATE_RUNNING']
        and len(of_process(rs, 'sleeper')) > 2)
    assert [r['eventname'] for r in of_process(records, 'sleeper')][2:] == [
        'PROCESS_STATE_STOPPING', 'PROCESS_STATE_STOPPED', 'PROCESS_STATE_STARTING', 'PROCESS_STATE_RUNNING']
    serials = [r['serial'] for r in records]
    assert sorted(set(serials)) == serials       # none twice, in order
    # The listener's own exit and restart are events too; none is missing.
    assert [r['poolserial'] for r in records] == list(range(len(records)))
    exits = [r for r in of_process(records, 'push') if r['eventname'] == 'PROCESS_STATE_EXITED']
    assert [(r['payload']['pid'], r['payload']['expected']) for r in exits] == [(first, 0)]


def test_a_daemon_restart_loses_nothing_that_was_spooled(tmp_path, receiver):
    """Also the hand-written section of docs/eda.md: command= on indented lines."""
    directory = str(tmp_path / 'svd')
    os.makedirs(directory)
    section = listener_section(receiver.url, directory)
    section['eventlistener:push']['command'] = section['eventlistener:push']['command'].replace(' --', '\n    --')
    daemon = Supervisord(directory, programs={'sleeper': dict(command=SLEEPER, startsecs=0)}, extra_sections=section)
    try:
        daemon.start()
        receiver.wait_for(lambda rs: of_process(rs, 'sleeper'))
        receiver.status = 503
        daemon.stop_process('sleeper')
        spool = os.path.join(directory, 'push-spool.jsonl')
        wait_until(lambda: 'PROCESS_STATE_STOPPED' in open(spool).read(), what='the stop in the spool')
        daemon.stop()
        daemon.start()
        receiver.status = 200
        records = receiver.wait_for(lambda rs: len({r['boot'] for r in rs}) == 2 and [
            r for r in of_process(rs, 'sleeper') if r['eventname'] == 'PROCESS_STATE_RUNNING'][1:])
    finally:
        daemon.cleanup()
    first, second = records[0]['boot'], records[-1]['boot']
    before = [r for r in records if r['boot'] == first]
    after = [r for r in records if r['boot'] == second]
    assert records == before + after                  # the old run's events first, then the new one's
    assert [r['poolserial'] for r in before] == list(range(len(before)))
    assert [r['poolserial'] for r in after] == list(range(len(after)))
    assert [r['eventname'] for r in of_process(before, 'sleeper')][-2:] == [
        'PROCESS_STATE_STOPPING', 'PROCESS_STATE_STOPPED']
    assert after[0]['eventname'] == 'PROCESS_GROUP_ADDED'


def test_a_daemon_restart_pushes_stopping_then_running(receiver, pushing):
    """supervisord's own transitions as the listener sees them: SUPERVISOR_STATE_CHANGE_RUNNING when it runs,
    SUPERVISOR_STATE_CHANGE_STOPPING when it begins to restart (or to shut down); it has no event that says
    which, nor one for its RESTARTING or SHUTDOWN states.

    supervisord may stop the listener before it hands it the STOPPING event: that one is then counted as
    missing by the first record of the new pool (supervisord's serial goes on across a reload, and with one
    pool it numbers that pool's events), never lost silently."""
    daemon = pushing({'sleeper': dict(command=SLEEPER, startsecs=0)}, events=NO_TICKS)
    receiver.wait_for(lambda rs: of_process(rs, 'sleeper'))
    daemon.rpc('supervisor.restart')
    records = receiver.wait_for(lambda rs: [r for r in rs if r['eventname'] == 'SUPERVISOR_STATE_CHANGE_RUNNING'][1:])
    # The STOPPING record may come twice: the listener is stopped before its answer, and sends it again.
    by_serial, serials = {}, []
    for r in records:
        if r['serial'] not in by_serial:
            serials.append(r['serial'])
        assert by_serial.setdefault(r['serial'], r) == r, 'serial %d sent twice, differently' % r['serial']
    assert serials == sorted(serials), 'records out of order: %s' % serials
    missing = sum(by_serial[serial].get('missing', 0) for serial in serials[1:])
    assert (len(serials), missing, len(serials) + missing) == (
        len(serials), missing, serials[-1] - serials[0] + 1), 'every event delivered once or counted: %s' % serials
    supervisor = [by_serial[serial]['eventname'] for serial in serials if by_serial[serial]['eventname'].startswith(
        'SUPERVISOR_')]
    stopping = ['SUPERVISOR_STATE_CHANGE_STOPPING'] if 'SUPERVISOR_STATE_CHANGE_STOPPING' in supervisor else []
    assert supervisor == ['SUPERVISOR_STATE_CHANGE_RUNNING'] + stopping + ['SUPERVISOR_STATE_CHANGE_RUNNING']
    if not stopping:
        assert missing >= 1, 'STOPPING neither delivered nor counted'


def test_tick_carries_the_resident_memory_of_each_process(tmp_path):
    """``running_processes`` against a real daemon: what TICK_60 records carry."""
    daemon = Supervisord(str(tmp_path / 'svd'), programs={
        'sleeper': dict(command=SLEEPER, startsecs=0), 'idle': dict(command=SLEEPER, autostart=False)},
        groups={'web': ['sleeper']})
    os.makedirs(daemon.directory)
    try:
        daemon.start()
        daemon.wait_state('web:sleeper', 'RUNNING')
        pid = daemon.info('web:sleeper')['pid']
        # With startsecs=0 the process is RUNNING as soon as it is forked; its environment (which names it)
        # is the program's only once it has exec'd, which a loaded machine can delay.
        wait_until(lambda: open('/proc/%d/cmdline' % pid, 'rb').read().startswith(b'sleep\0'),
                   what='the sleeper to exec')
        found = listener.running_processes(parent=daemon.proc.pid)
        assert [(p['group'], p['name'], p['pid']) for p in found] == [('web', 'sleeper', pid)]
        with open('/proc/%d/statm' % pid) as handle:
            assert found[0]['rss'] == int(handle.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    finally:
        daemon.cleanup()


# ---------------------------------------------------------------------------
# Nothing acknowledged is lost: each event is delivered once, or counted
# ---------------------------------------------------------------------------

SENTINEL = {'sentinel': dict(command=SLEEPER, startsecs=0, autostart=False)}


@pytest.fixture
def spool_disk(tmp_path, receiver):
    """Starts a supervisord whose listener spools to a small tmpfs of its own (tests/support/faults.py).

    Without TICK_60 unless asked: a tick spooled after the event a test waits for (last_spooled)
    would make it wait for ever, whenever a minute turns at that moment.
    """
    started = []

    def start(programs, size='1m', events=NO_TICKS, **section):
        directory = str(tmp_path / 'svd')
        spool_dir = os.path.join(directory, 'spool')
        os.makedirs(directory)
        daemon = SpoolDisk(directory, spool_dir, size=size, programs=dict(programs, **SENTINEL),
                           extra_sections=listener_section(receiver.url, directory, spool=spool_dir, events=events,
                                                           **section))
        started.append(daemon)
        return daemon.start()

    try:
        yield start
    finally:
        for daemon in started:
            daemon.cleanup()


def listener_log(daemon, name='push'):
    with open(os.path.join(daemon.directory, '%s.err' % name), encoding='utf-8', errors='replace') as handle:
        return handle.read()


def test_a_log_payload_with_cr_and_crlf_is_read_whole_and_the_next_events_follow(tmp_path, receiver, pushing):
    """``len`` counts the characters of the payload, whatever they are: no newline translation."""
    text = 'one\r\ntwo\rthree \u00e9\u20ac\U0001F600\r'
    (tmp_path / 'text').write_bytes(text.encode('utf-8'))
    daemon = pushing({'talker': dict(command="sh -c 'cat %s; exec %s'" % (tmp_path / 'text', SLEEPER), startsecs=0,
                                     stdout_events_enabled=True),
                      'sleeper': dict(command=SLEEPER, startsecs=0)},
                     events=NO_TICKS + ',PROCESS_LOG')
    receiver.wait_for(lambda rs: ''.join(r['payload'].get('data', '') for r in rs
                                         if r['eventname'] == 'PROCESS_LOG_STDOUT') == text, what='the whole text')
    daemon.stop_process('sleeper')
    records = receiver.wait_for(lambda rs: [r['eventname'] for r in of_process(rs, 'sleeper')][-1:] == [
        'PROCESS_STATE_STOPPED'], what='the events after the log event')
    logged = [r for r in records if r['eventname'] == 'PROCESS_LOG_STDOUT']
    assert {(r['payload']['processname'], r['payload']['channel']) for r in logged} == {('talker', 'stdout')}
    assert_accounted(records)


def test_process_names_with_unicode_spaces_are_not_split(receiver, pushing):
    """supervisord separates tokens with ASCII spaces; a name may hold any other space."""
    names = ['nb\u00a0sp', 'tab\tsep', 'ideo\u3000sp']
    daemon = pushing(dict([(name, dict(command=SLEEPER, startsecs=0)) for name in names] + [
        ('sleeper', dict(command=SLEEPER, startsecs=0))]))
    for name in names:
        wait_until(lambda: daemon.statenames()['%s:%s' % (name, name)] == 'RUNNING', what='%r running' % name)
    daemon.stop_process('sleeper')          # and the events after theirs still come
    records = receiver.wait_for(lambda rs: [r['eventname'] for r in of_process(rs, 'sleeper')][-1:] == [
        'PROCESS_STATE_STOPPED'], what='the sleeper stopped')
    for name in names:
        assert [r['eventname'][len('PROCESS_STATE_'):] for r in of_process(records, name)] == ['STARTING', 'RUNNING']
        assert {r['payload']['groupname'] for r in of_process(records, name)} == {name}
    assert_accounted(records)


def test_a_failed_compaction_loses_nothing_and_the_listener_recovers_with_the_disk(receiver, spool_disk):
    """The disk is full when the spool is compacted (every 2 x --max-events lines): nothing acknowledged is lost."""
    receiver.status = 503
    daemon = spool_disk({'sleeper': dict(command=SLEEPER, startsecs=0)}, extra_args='--max-events 3')
    wait_until(lambda: 'sleeper' in daemon.read('push-spool.jsonl'), what='the first events spooled')
    daemon.fill()
    for dummy in range(3):
        daemon.stop_process('sleeper')
        daemon.start_process('sleeper')
    daemon.free()
    receiver.status = 200
    dropped, missing = sentinel_accounted(receiver, daemon)
    assert (dropped > 0, missing) == (True, 0)


def test_the_drop_count_survives_listener_restarts(receiver, pushing):
    """Events dropped beyond --max-events while nobody listens are reported after two SIGKILLs of the listener."""
    receiver.status = 503
    daemon = pushing({'sleeper': dict(command=SLEEPER, startsecs=0), 'sentinel': SENTINEL['sentinel']},
                     extra_args='--max-events 3', events=NO_TICKS)     # a tick would come after the last awaited
    daemon.wait_state('push', 'RUNNING')
    for dummy in range(2):
        daemon.stop_process('sleeper')
        daemon.start_process('sleeper')
    spool = os.path.join(daemon.directory, 'push-spool.jsonl')
    for last in ('sleeper', 'push'):      # then the new listener's own RUNNING
        wait_until(lambda: os.path.exists(spool) and last_spooled(open(spool).read(), daemon, last),
                   what='the last event spooled')
        kill_listener(daemon)
    receiver.status = 200
    dropped, missing = sentinel_accounted(receiver, daemon)
    assert (dropped > 0, missing) == (True, 0)


def test_a_full_disk_during_an_append_writes_the_event_once(receiver, spool_disk):
    """An append that fails with ENOSPC leaves nothing behind to be written again when space returns."""
    receiver.status = 503
    daemon = spool_disk({'sleeper': dict(command=SLEEPER, startsecs=0)})
    wait_until(lambda: 'sleeper' in daemon.read('push-spool.jsonl'), what='the first events spooled')
    daemon.fill()
    for dummy in range(40):
        if 'cannot spool event' in listener_log(daemon):
            break
        daemon.stop_process('sleeper')
        daemon.start_process('sleeper')
    else:
        raise AssertionError('the spool never filled the disk: %s' % listener_log(daemon))
    time.sleep(3)          # supervisord sends the event again, and again
    daemon.free()
    wait_until(lambda: last_spooled(daemon.read('push-spool.jsonl'), daemon, 'sleeper'), what='the last event spooled')
    kill_listener(daemon)       # the new listener reads the spool file back
    receiver.status = 200
    sentinel_accounted(receiver, daemon)


def test_a_delivery_on_a_read_only_disk_holds_back_the_next_until_its_ack_is_written(receiver, spool_disk):
    """Killed then, the listener takes only that event for one the receiver may have, and counts each other once.

    It used to send on while the ack could not be written: once restarted, it pushed out for room
    events the receiver had, and counted them (and what they reported) a second time.
    """
    receiver.status = 503
    daemon = spool_disk({'sleeper': dict(command=SLEEPER, startsecs=0)}, extra_args='--max-events 3')
    daemon.stop_process('sleeper')
    daemon.start_process('sleeper')
    wait_until(lambda: last_spooled(daemon.read('push-spool.jsonl'), daemon, 'sleeper'), what='the last event spooled')
    daemon.readonly(True)
    receiver.status = 200
    wait_until(lambda: receiver.records and 'push-spool.jsonl.ack' in listener_log(daemon),
               what='a delivery whose ack cannot be written')
    receiver.status = 503
    daemon.readonly(False)
    kill_listener(daemon)
    daemon.stop_process('sleeper')          # more than --max-events: what was spooled before goes for room
    daemon.start_process('sleeper')
    wait_until(lambda: last_spooled(daemon.read('push-spool.jsonl'), daemon, 'sleeper'), what='the last event spooled')
    receiver.status = 200
    daemon.start_process('sentinel')
    first = {}
    for posted in receiver.wait_for(is_running('sentinel'), what='the sentinel'):
        first.setdefault(posted['serial'], posted)      # one sent again is a duplicate, as at the source
    dropped, missing = assert_accounted(list(first.values()))
    assert (dropped > 0, missing) == (True, 0)


def test_a_pool_of_several_listeners_is_refused_with_a_message(tmp_path, receiver):
    """supervisord hands each event to one READY listener of a pool: several would split the stream."""
    directory = str(tmp_path / 'svd')
    os.makedirs(directory)
    section = listener_section(receiver.url, directory, numprocs=2, process_name='%(program_name)s_%(process_num)s',
                               startsecs=1, startretries=1,
                               stderr_logfile=os.path.join(directory, 'push_%(process_num)s.err'))
    section['eventlistener:push']['command'] = section['eventlistener:push']['command'].replace(
        'push-spool.jsonl', 'push-spool-%(process_num)s.jsonl')
    with Supervisord(directory, programs={'sleeper': dict(command=SLEEPER, startsecs=0)},
                     extra_sections=section) as daemon:
        for number in (0, 1):
            daemon.wait_state('push:push_%d' % number, 'FATAL', timeout=30)
            assert listener_log(daemon, 'push_%d' % number).strip().splitlines()[-1] == (
                "supervisor_control_push: cannot start: this listener is process push_%d of pool push; supervisord "
                "hands each event to one listener of a pool, so several would each deliver part of the events, in "
                "no common order: set numprocs=1 and no process_name" % number)
