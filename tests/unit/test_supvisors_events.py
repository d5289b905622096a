"""The Supvisors source's options and names (plugin_utils/supvisors_events.py), without a publisher."""

import asyncio
import importlib

import pytest

from tests.support.eda import load_source, run

supvisors = load_source('supvisors')
events = importlib.import_module('ansible_collections.supervisor.control.plugins.plugin_utils.supvisors_events')


@pytest.mark.parametrize('args, message', [
    ({}, 'port is required (the event_port of [rpcinterface:supvisors])'),
    ({'port': 'x'}, "port must be an integer, got 'x'"),
    ({'port': 70000}, 'port must be 1-65535, got 70000'),
    ({'port': 1, 'link': 'carrier-pigeon'}, "link must be zmq or websocket, got 'carrier-pigeon'"),
    ({'port': 1, 'types': ['process', 'bogus']},
     'unknown types bogus; choose among supvisors, instance, application, process, event, hstats, pstats'),
    ({'port': 1, 'types': []},
     'unknown types (none); choose among supvisors, instance, application, process, event, hstats, pstats'),
    ({'port': 1, 'heartbeat': -1}, 'heartbeat must be 0 or more, got -1'),
    ({'port': 1, 'heartbeat': 'soon'}, "heartbeat must be a number, got 'soon'"),
    ({'port': 1, 'high_water_mark': -1}, 'high_water_mark must be 0 (no limit) or more, got -1'),
    ({'port': 1, 'heartbeet': 5}, 'unknown option heartbeet (did you mean heartbeat?)'),
    ({'port': 1, 'snapshot': 'maybe'}, "snapshot must be a boolean (true or false), got 'maybe'"),
    ({'port': 1, 'snapshot': True, 'server_url': 'https://x', 'validate_certs': 'maybe'},
     "validate_certs must be a boolean (true or false), got 'maybe'"),
    ({'port': 1, 'snapshot': True, 'server_url': 'https://x', 'ca_paht': '/ca.pem'},
     'unknown option ca_paht (did you mean ca_path?)'),
    # The modules' own checks and words, not a default in their place.
    ({'port': 1, 'snapshot': True, 'server_url': 'http://x', 'timeout': 0},
     'timeout must be a number of seconds more than 0 and at most 86400 (one day), got 0.0'),
    ({'port': 1, 'snapshot': True, 'server_url': 'gopher://x'},
     "snapshot: malformed server_url 'gopher://x': expected unix:///path/to/supervisor.sock, http://host:port or "
     "https://host:port"),
    ({'port': 1, 'snapshot': True, 'config': '/nonexistent/supervisord.conf'},
     'snapshot: supervisord config file /nonexistent/supervisord.conf does not exist'),
])
def test_bad_options_fail_at_start_with_a_message(args, message):
    with pytest.raises(ValueError) as err:
        run(supvisors.main(asyncio.Queue(), args))
    assert str(err.value) == 'supervisor.control.supvisors: ' + message


def test_options_defaults():
    options = events.Options({'port': '60002', 'eda_feedback_queue': object()})  # ansible-rulebook's own
    assert (options.host, options.port, options.link, options.heartbeat) == ('localhost', 60002, 'zmq', 15.0)
    assert options.types == ['supvisors', 'instance', 'application', 'process', 'event']
    assert options.accepted == {'supvisors', 'instance', 'application', 'process', 'event', 'address'}
    assert options.url == 'tcp://localhost:60002'
    ws = events.Options({'port': 7, 'host': 'h', 'link': 'websocket', 'types': 'process,pstats'})
    assert ws.url == 'ws://h:7/process/pstats'


def test_host_of_identifiers():
    assert events.host_of('alpha:60000') == 'alpha'
    assert events.host_of('10.0.0.1:60000') == '10.0.0.1'
    assert events.host_of('[fd00::1]:60000') == 'fd00::1'
    assert events.host_of('alpha') == 'alpha'
    assert events.host_of('') is None and events.host_of(None) is None and events.host_of(3) is None
