"""The ``listen`` options of the supervisord source (plugin_utils/push_endpoint.py), checked at start.

What the endpoint answers is tested with real requests in
tests/integration/event_sources/test_push_source.py.
"""

import asyncio

import pytest

from tests.support.eda import load_source, run

source_module = load_source('supervisord')


@pytest.mark.parametrize('listen, message', [
    ('5000', "listen must be a mapping, got '5000'"),
    ({'port': 5000, 'token': 't', 'colour': 1},
     'unknown option colour in listen; valid options are certfile, host, keyfile, max_body, port, state_file, token'),
    ({'port': 5000, 'token': 't', 'max_bdy': 10}, 'unknown option max_bdy in listen (did you mean max_body?)'),
    ({'port': 'high', 'token': 't'}, "listen.port must be an integer, got 'high'"),
    ({'port': 70000, 'token': 't'}, 'listen.port must be 1-65535, got 70000'),
    ({'port': 5000}, 'listen.token is required (the bearer token the listener sends)'),
    ({'port': 5000, 'token': ''}, "listen.token is required (the bearer token the listener sends)"),
    ({'port': 5000, 'token': ['t']}, 'listen.token must be a string, got a list (not shown: the option is secret)'),
    ({'port': 5000, 'token': 1.5e3}, 'listen.token must be a string, got a number (not shown: the option is secret)'),
    # Not silently 1 MiB, and the message is about max_body, with its value.
    ({'port': 5000, 'token': 't', 'max_body': 0}, 'listen.max_body must be more than 0, got 0'),
    ({'port': 5000, 'token': 't', 'max_body': 'big'}, "listen.max_body must be an integer, got 'big'"),
    ({'port': 5000, 'token': 't', 'keyfile': '/k'}, "listen.keyfile needs listen.certfile, got keyfile '/k' alone"),
    ({'port': 5000, 'token': 't', 'certfile': '/nonexistent.pem'},
     "listen: cannot load certfile '/nonexistent.pem': [Errno 2] No such file or directory"),
])
def test_bad_listen_options_fail_at_start(listen, message):
    with pytest.raises(ValueError) as err:
        run(source_module.main(asyncio.Queue(), {'listen': listen}))
    assert str(err.value) == 'supervisor.control.supervisord: ' + message


def test_the_engine_queue_is_seen_through_ansible_rulebooks_filtered_queue():
    # Not an API of ansible-rulebook: this fails when a release hides the queue its engine reads.
    from ansible_rulebook.engine import FilteredQueue
    from ansible_collections.supervisor.control.plugins.plugin_utils.push_endpoint import engine_queue
    inner = asyncio.Queue(1)
    assert engine_queue(FilteredQueue([], inner)) is inner
    assert engine_queue(inner) is inner


def test_the_engine_view_tells_a_taken_event_by_identity_through_a_filter_and_beside_others():
    # asyncio.Queue's deque is not an API either: this fails when Python changes it.
    from ansible_rulebook.engine import FilteredQueue
    from ansible_collections.supervisor.control.plugins.plugin_utils.push_endpoint import EngineView

    async def test():
        inner = asyncio.Queue(2)
        queue = FilteredQueue([(lambda event: dict(event, filtered=True), None)], inner)   # a new object
        view = EngineView(queue)
        await queue.put({'n': 1})
        mark = view.mark()
        assert mark == {'n': 1, 'filtered': True} and view.holds(mark)
        await inner.put('shutdown marker')          # ansible-rulebook's own, beside ours
        assert view.holds(mark)
        assert await inner.get() is mark
        assert not view.holds(mark)                  # taken, though the queue is not empty
    run(test())


def test_a_queue_that_cannot_be_seen_is_said_at_start_and_records_are_acknowledged_once_queued(caplog):
    import logging
    from ansible_collections.supervisor.control.plugins.plugin_utils.push_endpoint import PushEndpoint, engine_queue

    class Opaque(object):
        async def put(self, item):
            pass
    assert engine_queue(Opaque()) is None
    with caplog.at_level(logging.WARNING):
        PushEndpoint({'certfile': None, 'keyfile': None, 'token': 't', 'max_body': 10, 'host': 'h', 'port': 1},
                     Opaque(), logging.getLogger('t'), 'who')
    assert [r.getMessage() for r in caplog.records] == [
        'who: cannot see when the rule engine takes events (a queue without qsize): a pushed record is '
        'acknowledged once its events are queued, and an event still queued when ansible-rulebook stops is lost']


@pytest.mark.parametrize('content, reason', [
    ('not json', "cannot be read: Expecting value: line 1 column 1 (char 0)"),
    ('{"format": "other", "streams": []}', 'is not a state file of this source (supervisor.control.push-state/1)'),
    ('{"format": "supervisor.control.push-state/1", "streams": [[1, 2]]}',
     'is not a state file of this source (supervisor.control.push-state/1)'),
])
def test_a_state_file_that_cannot_be_read_stops_the_source_at_start(tmp_path, content, reason):
    path = tmp_path / 'state.json'
    path.write_text(content)
    with pytest.raises(ValueError) as err:
        run(source_module.main(asyncio.Queue(), {'listen': {'port': 5000, 'token': 't', 'state_file': str(path)}}))
    assert str(err.value) == 'supervisor.control.supervisord: listen.state_file %r %s' % (str(path), reason)
