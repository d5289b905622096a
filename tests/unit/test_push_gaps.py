"""How many events supervisord never handed the push listener: counted by the listener (Spool, in
roles/supervisord/files/supervisor_control_push.py) once, and taken by the source (Deduplicator) without counting
them again.

supervisord numbers each event with ``serial`` when a first pool takes it (one count for all pools) and with
``poolserial`` in each pool that takes it (supervisor/process.py, EventListenerPool._acceptEvent, new_serial); a
pool made anew starts its poolserial at 0, and a full buffer discards its oldest event, numbered already.
"""

import importlib.util
import json

from tests.support.push import LISTENER, record

from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_push as push

spec = importlib.util.spec_from_file_location('supervisor_control_push', LISTENER)
listener = importlib.util.module_from_spec(spec)
spec.loader.exec_module(listener)


def spooled(spool, serial, poolserial):
    """Hand the listener an event; what it counts as missing before it (None: a duplicate)."""
    if not spool.put(record(serial, poolserial)):
        return None
    return spool.pending[-1][2]


def restarted(tmp_path, serial=10, poolserial=3):
    """A listener that was handed (serial, poolserial), then restarted from its spool file."""
    path = str(tmp_path / 'spool.jsonl')
    assert spooled(listener.Spool(path), serial, poolserial) == poolserial   # its first event ever
    return listener.Spool(path)


def test_a_renewed_pool_whose_first_events_were_discarded_counts_every_serial_in_between(tmp_path):
    # The pool was made anew while the listener was down (an update, a reload) and its buffer overflowed before
    # the new listener was READY: its poolserials 0 to 5 were discarded, and 6 is above the old pool's 3. The
    # serials 11 to 18 (the old pool's last, the new pool's first) never came; one pool: exactly those.
    spool = restarted(tmp_path)
    assert spooled(spool, 19, 6) == 8
    assert spooled(spool, 20, 7) == 0


def test_the_next_event_of_a_running_listener_counts_its_pool_s_own_jump(tmp_path):
    # Serials 11 to 18 went to other pools, or were discarded by this one: poolserials 4 and 5 never came.
    spool = listener.Spool(str(tmp_path / 'spool.jsonl'))
    spooled(spool, 10, 3)
    assert spooled(spool, 19, 6) == 2
    memory = listener.Spool(None)
    spooled(memory, 10, 3)
    assert spooled(memory, 11, 4) == 0


def test_a_listener_restarted_in_the_same_pool_counts_exactly(tmp_path):
    # The pool hands the new process again the event the old one had not answered: a duplicate, which shows that
    # the pool is the same (a new pool's serials are all above the old one's), so its poolserial jump is exact.
    spool = restarted(tmp_path)
    assert spooled(spool, 10, 3) is None
    assert spooled(spool, 19, 6) == 2
    # Nothing lost while it was down: the next event, in both counts.
    (tmp_path / 'other').mkdir()
    spool = restarted(tmp_path / 'other', 30, 7)
    assert spooled(spool, 31, 8) == 0


def test_a_renewed_pool_s_first_event_counted_by_the_listener_is_not_counted_again_by_the_source(tmp_path):
    spool = restarted(tmp_path)
    spooled(spool, 19, 6)
    dedup = push.Deduplicator()
    counts = []
    while spool.pending:
        entry = spool.head(timeout=0)
        counts.append(dedup.check(json.loads(spool.body(entry))))
        spool.delivered(entry)
    # (10, 3): the listener's first event ever counts poolserials 0 to 2; (19, 6): serials 11 to 18, once.
    assert counts == [(True, 3), (True, 8)]


def test_the_source_takes_the_listener_s_count_and_adds_only_what_its_own_jump_holds_beyond():
    dedup = push.Deduplicator()
    assert dedup.check(record(10, 3)) == (True, 0)
    # The listener counted the renewed pool's serials: the source's jump in poolserial (2) is within them.
    assert dedup.check(dict(record(19, 6), missing=8)) == (True, 8)
    # The ordinary next event: poolserials 7 and 8 counted by the listener, or by the source for one that does not.
    assert dedup.check(dict(record(25, 9), missing=2)) == (True, 2)
    assert dedup.check(record(30, 12)) == (True, 2)
    assert dedup.check(dict(record(31, 14), dropped=1)) == (True, 0)
