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
     'unknown option colour in listen; valid options are certfile, host, keyfile, max_body, port, token'),
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
