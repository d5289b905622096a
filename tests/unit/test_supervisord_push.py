"""The push path's pure part (plugin_utils/supervisord_push.py): records to events, de-duplication."""

import json

import pytest

from tests.support.push import record

from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_push as push


def test_a_process_record_gives_the_envelope_of_polled_events():
    event, = push.events(record(7))
    assert event == {'meta': {'hosts': ['app1']}, 'supervisord': {
        'type': 'process', 'host': 'app1', 'server_url': None, 'pushed': True,
        'eventname': 'PROCESS_STATE_RUNNING', 'serial': 7, 'poolserial': 7, 'boot': 'b1', 'time': 1.5,
        'data': {'name': 'web_a', 'group': 'web', 'fullname': 'web:web_a', 'statename': 'RUNNING',
                 'state': 20, 'pid': 42},
        'previous': {'statename': 'STARTING', 'state': 10}, 'from_state': 'STARTING'}}


def test_an_exit_says_whether_it_was_expected():
    event, = push.events(record(3, eventname='PROCESS_STATE_EXITED', processname='db', groupname='db',
                                from_state='RUNNING', expected=0, pid=9))
    body = event['supervisord']
    assert (body['expected'], body['data']['expected'], body['data']['fullname']) == (False, False, 'db')
    assert body['data']['statename'] == 'EXITED' and body['previous'] == {'statename': 'RUNNING', 'state': 20}


def test_daemon_group_and_tick_records():
    daemon, = push.events(record(1, eventname='SUPERVISOR_STATE_CHANGE_RUNNING', **{}))
    assert (daemon['supervisord']['type'], daemon['supervisord']['data']) == (
        'daemon', {'reachable': True, 'statename': 'RUNNING', 'state': 1})
    group, = push.events(record(2, eventname='PROCESS_GROUP_REMOVED', groupname='web'))
    assert (group['supervisord']['type'], group['supervisord']['data']) == (
        'group', {'group': 'web', 'statename': 'REMOVED'})
    tick = dict(record(3, eventname='TICK_60', when=60), processes=[
        {'name': 'a', 'group': 'a', 'pid': 5, 'rss': 4096}, {'name': 'b', 'group': 'web', 'pid': 6, 'rss': 8192}])
    memory = push.events(tick)
    assert [(e['supervisord']['type'], e['supervisord']['data'], e['supervisord']['when']) for e in memory] == [
        ('memory', {'name': 'a', 'group': 'a', 'fullname': 'a', 'pid': 5, 'rss': 4096}, 60),
        ('memory', {'name': 'b', 'group': 'web', 'fullname': 'web:b', 'pid': 6, 'rss': 8192}, 60)]


def test_duplicates_are_dropped_and_gaps_counted_per_host_and_run():
    dedup = push.Deduplicator()
    assert dedup.check(record(0)) == (True, 0)
    assert dedup.check(record(1)) == (True, 0)
    assert dedup.check(record(1)) == (False, 0)           # the same event again
    assert dedup.check(record(4)) == (True, 2)            # poolserials 2 and 3 never came
    assert dedup.check(record(5, host='app2')) == (True, 0)
    assert dedup.check(record(0, boot='b2')) == (True, 0)  # supervisord restarted: its serials start again
    # The pool made anew in the same run (a reload): its poolserial starts again, supervisord's serial goes on,
    # and serials 5 to 8 went with the old pool.
    assert dedup.check(record(9, poolserial=0)) == (True, 4)
    assert dedup.check(record(10, poolserial=1)) == (True, 0)
    # The listener counted them already: not twice.
    assert dedup.check(dict(record(15, poolserial=0), missing=4)) == (True, 4)
    assert dedup.check(record(3)) == (False, 0)


def in_pool(pool, serial, poolserial, listener=None):
    return dict(record(serial, poolserial), pool=pool, listener=listener or pool)


def test_each_listener_is_a_stream_of_its_own():
    """Two pools (or two listeners) for one host and run: neither drops the other's records."""
    dedup = push.Deduplicator()
    assert dedup.check(in_pool('push_a', 0, 0)) == (True, 0)
    assert dedup.check(in_pool('push_a', 2, 1)) == (True, 0)
    assert dedup.check(in_pool('push_b', 1, 0)) == (True, 0)     # a lower serial than push_a's last: still new
    assert dedup.check(in_pool('push_b', 2, 1)) == (True, 0)     # the event handed to both pools: each delivers it
    assert dedup.check(in_pool('push_b', 2, 1)) == (False, 0)    # a pool's own resend is a duplicate
    assert dedup.check(in_pool('push_b', 2, 1, listener='push_b_1')) == (True, 0)
    assert dedup.check(in_pool('push_a', 5, 3)) == (True, 1)     # push_a's poolserial 2 never came


def test_a_lost_event_is_counted_once():
    """``dropped`` (the listener let it go) and ``missing`` (never handed, or lost on the way) do not overlap."""
    dedup = push.Deduplicator()
    assert dedup.check(record(0)) == (True, 0)
    # A gap of 3 before poolserial 4: the listener dropped 2 and supervisord never handed it 1.
    assert dedup.check(dict(record(4), dropped=2, missing=1)) == (True, 1)
    # A gap of 3, of which the listener dropped 2: the third never arrived.
    assert dedup.check(dict(record(8), dropped=2)) == (True, 1)
    # The first record of a run that the source sees (it restarted): what the listener counted, alone.
    assert push.Deduplicator().check(dict(record(20), missing=3)) == (True, 3)
    event, = push.events(dict(record(4), dropped=2, missing=1, pool='push'), missing=1)
    assert (event['supervisord']['dropped'], event['supervisord']['missing'], event['supervisord']['pool']) == (
        2, 1, 'push')


@pytest.mark.parametrize('body, message', [
    (b'{"format": ', 'body is not JSON'),
    (b'[1, 2]', 'body is not a JSON object'),
    (b'{"host": "a"}', 'format is not supervisor.control.push/1'),
    (json.dumps(dict(record(1), host='')).encode(), 'host must be a non-empty string'),
    (json.dumps(dict(record(1), serial=-1)).encode(), 'serial must be a non-negative integer'),
    (json.dumps(dict(record(1), poolserial='3')).encode(), 'poolserial must be a non-negative integer'),
    (json.dumps(dict(record(1), payload=[])).encode(), 'payload must be an object'),
    (json.dumps(dict(record(1), missing=True)).encode(), 'missing must be a non-negative integer'),
    (json.dumps(dict(record(1), pool=3)).encode(), 'pool must be a string'),
    (json.dumps(dict(record(1), listener=['a'])).encode(), 'listener must be a string'),
    (json.dumps(dict(record(1), processes=[{'name': 'x'}])).encode(), 'processes must be a list of objects'),
])
def test_malformed_records_are_refused(body, message):
    with pytest.raises(push.BadRecord, match=message):
        push.parse_record(body)
