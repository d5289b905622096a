"""The order of the Supvisors source's events around a burst of drops, each interleaving made on purpose.

The reader (socket to backlog) and the emitter (backlog to the rulebook) of the
ZeroMQ link run concurrently: which of them runs first depends on the load of
the machine. Here the backlog is filled by hand in the order that a given
interleaving produces, and the real emitter (``_emit_zmq``) turns it into
events, so that each order is checked every time rather than once in a while.
"""

import asyncio
import importlib

from tests.support.eda import run

from ansible_collections.supervisor.control.extensions.eda.plugins.event_source import supvisors

events = importlib.import_module('ansible_collections.supervisor.control.plugins.plugin_utils.supvisors_events')

INSTANCE = {'identifier': 'alpha:60000', 'node_name': 'alpha', 'statename': 'RUNNING'}
APPLICATION = {'application_name': 'web', 'statename': 'RUNNING'}
PROCESS = {'application_name': 'web', 'process_name': 'sleeper', 'statename': 'RUNNING',
           'identifiers': ['alpha:60000']}
LOST = {'state': 'lost', 'since': 1795431111.66, 'url': 'tcp://localhost:60002'}
METHODS = ['supvisors.get_all_instances_info', 'supvisors.get_all_applications_info',
           'supvisors.get_all_process_info']


class SnapshotClient(object):
    """Supvisors' three snapshot answers, counted (the XML-RPC itself is tested against real servers)."""

    def __init__(self):
        self.calls = []

    def multicall(self, calls, lenient=False):
        self.calls.append([method for method, dummy in calls])
        return [[INSTANCE], [APPLICATION], [PROCESS]]


def frames(seq):
    return [b'process', ('{"application_name": "web", "process_name": "sleeper", "seq": %d}' % seq).encode()]


def summary(event):
    envelope = event['supvisors']
    if envelope['type'] == 'link':
        return 'link ' + envelope['data']['state']
    if envelope.get('snapshot'):
        return 'snapshot ' + envelope['type']
    return 'seq %d' % envelope['data']['seq']


SNAPSHOT = ['snapshot instance', 'snapshot application', 'snapshot process']


def emitted(fill, high_water_mark=2):
    """The events that the emitter makes of a backlog filled by ``fill(backlog)``, up to a ``lost``.

    ``fill`` may return a coroutine: the reader's part that runs while the emitter does.
    """
    async def test():
        queue = asyncio.Queue(maxsize=1)
        source = supvisors.SupvisorsSource(queue, {'port': 60002, 'high_water_mark': high_water_mark,
                                                   'snapshot': True, 'server_url': 'http://127.0.0.1:60000'})
        source.client = SnapshotClient()
        source.backlog = events.Backlog(high_water_mark)
        reader = fill(source.backlog)
        tasks = [asyncio.ensure_future(source._emit_zmq())]
        if reader is not None:
            tasks.append(asyncio.ensure_future(reader))
        seen = []
        try:
            while not seen or seen[-1] != 'link lost':
                seen.append(summary(await asyncio.wait_for(queue.get(), 10)))
            if reader is not None:
                await tasks[1]
            # Nothing else was due: the emitter waits for the reader.
            await asyncio.sleep(0.1)
            assert queue.empty() and not tasks[0].done()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return seen, source.client.calls
    return run(test())


def test_a_lost_queued_behind_the_last_kept_message_comes_after_the_snapshot_of_the_burst(caplog):
    """The rulebook was busy for a whole heartbeat: the reader queued ``lost`` behind the kept messages.

    The burst still ends with the last kept message, and its snapshot follows that
    message, before ``lost`` (which used to end the burst, so that the snapshot
    was logged as read but waited for a message that silence never brought).
    """
    def fill(backlog):
        assert [backlog.add_message(frames(seq)) for seq in range(4)] == [True, True, False, False]
        backlog.add_link(LOST)

    seen, calls = emitted(fill)
    assert seen == SNAPSHOT + ['seq 0', 'seq 1'] + SNAPSHOT + ['link lost']
    assert calls == [METHODS, METHODS]      # at start, after the burst
    assert [r.getMessage() for r in caplog.records if 'caught up' in r.getMessage()] == [
        'supervisor.control.supvisors: the rulebook has caught up; 2 messages from tcp://localhost:60002 were '
        'dropped meanwhile (2 in all); reading a snapshot']


def test_a_burst_that_ends_with_a_malformed_message_is_still_followed_by_its_snapshot(caplog):
    """The last kept message of the burst is skipped: the snapshot follows it all the same."""
    def fill(backlog):
        assert [backlog.add_message(message) for message in (frames(0), [b'process', b'not json'], frames(2))] == [
            True, True, False]
        backlog.add_link(LOST)

    seen, calls = emitted(fill)
    assert seen == SNAPSHOT + ['seq 0'] + SNAPSHOT + ['link lost']
    assert calls == [METHODS, METHODS]
    assert [r.getMessage() for r in caplog.records if 'caught up' in r.getMessage() or 'skipped' in r.getMessage()] == [
        'supervisor.control.supvisors: the rulebook has caught up; 1 message from tcp://localhost:60002 was '
        'dropped meanwhile (1 in all); reading a snapshot',
        'supervisor.control.supvisors: skipped 1 body that is not JSON so far (latest: Expecting value: line 1 '
        'column 1 (char 0): not json)']


def test_messages_kept_after_the_snapshot_of_a_burst_call_for_no_other():
    """The reader read the end of a burst after the emitter had caught up: those messages fit.

    Nothing was dropped after the snapshot, so none follows them: the last events
    before the silence are live messages (what a test of the burst must allow).
    """
    async def later(backlog):
        # Once the emitter has taken the last kept message (the burst has ended), the reader reads the rest.
        while backlog.messages:
            await asyncio.sleep(0)
        assert [backlog.add_message(frames(seq)) for seq in (8, 9)] == [True, True]
        backlog.add_link(LOST)

    def fill(backlog):
        assert [backlog.add_message(frames(seq)) for seq in range(8)] == [True, True] + [False] * 6
        return later(backlog)

    seen, calls = emitted(fill)
    assert seen == SNAPSHOT + ['seq 0', 'seq 1'] + SNAPSHOT + ['seq 8', 'seq 9', 'link lost']
    assert calls == [METHODS, METHODS]


def test_a_burst_ends_only_when_the_backlog_holds_no_message():
    backlog = events.Backlog(2)
    assert [backlog.add_message(frames(seq)) for seq in range(3)] == [True, True, False]
    backlog.add_link(LOST)

    async def take_all():
        ends = []
        for dummy in range(3):
            kind = (await backlog.take())[0]
            ends.append((kind, backlog.end_of_burst()))
        return ends

    assert run(take_all()) == [('message', 0), ('message', 1), ('link', 0)]
