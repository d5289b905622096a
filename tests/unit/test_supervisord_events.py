"""The polled supervisord source's options and events (plugin_utils/supervisord_events.py): what two polls differ by."""

import asyncio

import pytest

from tests.support.eda import load_source, run

from ansible_collections.supervisor.control.plugins.module_utils.process_names import normalize
from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_events as E

source_module = load_source('supervisord')

URL = 'unix:///run/supervisor.sock'


def proc(name, statename, pid=0, stop=0, group=None, start=1):
    codes = {'STOPPED': 0, 'STARTING': 10, 'RUNNING': 20, 'BACKOFF': 30, 'EXITED': 100, 'FATAL': 200,
             'UNKNOWN': 1000}
    return {'group': group or name, 'name': name, 'statename': statename, 'state': codes[statename], 'pid': pid,
            'stop': stop, 'start': start}


def changes(previous_infos, infos, inferable=True, initial=False, host='app1'):
    previous = None if previous_infos is None else E.process_changes(host, URL, None, previous_infos, False)[1]
    return E.process_changes(host, URL, previous, infos, inferable, initial)


def kinds(events):
    return [(e['supervisord']['data']['fullname'], e['supervisord']['data']['statename'],
             (e['supervisord']['previous'] or {}).get('statename'), e['supervisord'].get('inferred', False))
            for e in events]


def test_the_first_poll_emits_nothing_unless_initial():
    assert changes(None, [proc('a', 'RUNNING', 5)])[0] == []
    (event,) = changes(None, [proc('a', 'RUNNING', 5)], initial=True)[0]
    assert event == {'supervisord': {'type': 'process', 'host': 'app1', 'server_url': URL, 'previous': None,
                                     'initial': True, 'data': normalize(proc('a', 'RUNNING', 5))},
                     'meta': {'hosts': ['app1']}}


def test_an_exit_hidden_by_autorestart_is_inferred_first():
    events, current = changes([proc('a', 'RUNNING', 5, stop=10)], [proc('a', 'RUNNING', 6, stop=20)])
    assert kinds(events) == [('a', 'EXITED', 'RUNNING', True), ('a', 'RUNNING', 'EXITED', False)]
    assert events[0]['supervisord']['data']['pid'] == 5 and current['a:a']['pid'] == 6
    # Not across a period where the daemon did not answer: no exit is inferred then.
    assert kinds(changes([proc('a', 'RUNNING', 5)], [proc('a', 'RUNNING', 6)], inferable=False)[0]) == []


@pytest.mark.parametrize('before, after', [
    (proc('a', 'RUNNING', 5), proc('a', 'RUNNING', 6)),                          # never seen to end: new object
    (proc('a', 'RUNNING', 5, stop=10), proc('a', 'RUNNING', 6)),                 # stop back to 0
    (proc('a', 'RUNNING', 5, stop=10), proc('a', 'STARTING', 6, start=0)),       # start back to 0
])
def test_a_process_that_supervisord_replaced_was_stopped_not_exited(before, after):
    events, current = changes([before], [after])
    assert kinds(events) == [('a', 'STOPPED', 'RUNNING', True), ('a', after['statename'], 'STOPPED', False)]
    assert events[0]['supervisord']['data']['pid'] == 5 and events[0]['supervisord']['data']['state'] == 0
    assert events[0]['supervisord']['data']['description'] == E.REPLACED
    assert current['a:a']['pid'] == 6


def test_an_exit_in_the_same_second_as_the_last_one_is_still_an_exit():
    # stop is whole seconds: an equal stop with another pid is the same object after another exit.
    events = changes([proc('a', 'RUNNING', 5, stop=10)], [proc('a', 'RUNNING', 6, stop=10)])[0]
    assert kinds(events) == [('a', 'EXITED', 'RUNNING', True), ('a', 'RUNNING', 'EXITED', False)]


def test_a_failed_kill_is_neither_a_replacement_nor_an_exit():
    # 3.1.4 to 4.2.1: a kill or signal that fails sets pid 0 and UNKNOWN without finish; the child may still run.
    for stop in (0, 10):
        events = changes([proc('a', 'RUNNING', 5, stop=stop)], [proc('a', 'UNKNOWN', 0, stop=stop)])[0]
        assert kinds(events) == [('a', 'UNKNOWN', 'RUNNING', False)]
    # A new object that could not spawn (pid 0, not UNKNOWN) is still a replacement.
    events = changes([proc('a', 'RUNNING', 5)], [proc('a', 'BACKOFF', 0)])[0]
    assert kinds(events) == [('a', 'STOPPED', 'RUNNING', True), ('a', 'BACKOFF', 'STOPPED', False)]


LOG = """2026-12-05 05:00:00,100 INFO spawned: 'a' with pid 5
2026-12-05 05:00:00,110 WARN exited: a (exit status 3; not expected)
2026-12-05 05:00:01,000 INFO spawned: 'a' with pid 6
2026-12-05 05:00:03,010 WARN stopped: a (terminated by SIGTERM)
2026-12-05 05:00:03,020 INFO spawned: 'a' with pid 7
2026-12-05 05:00:04,000 WARN exited: a (exit status 9; not expected)
2026-12-05 05:00:04,100 INFO spawned: 'a' with pid 8"""


def explained(old, new, text, statename='RUNNING'):
    events = changes([proc('a', 'RUNNING', old, stop=10)], [proc('a', statename, new, stop=20)])[0]
    E.explain_exit(events[0], events[1], text)
    return events


def test_a_restart_between_two_polls_is_a_stop_by_the_main_log_not_an_older_crash():
    events = explained(6, 7, LOG)
    assert kinds(events) == [('a', 'STOPPED', 'RUNNING', True), ('a', 'RUNNING', 'STOPPED', False)]
    data = events[0]['supervisord']['data']
    assert data['state'] == 0 and data['pid'] == 6 and 'exitstatus' not in data and 'exit_message' not in data
    assert data['description'] == 'stopped between two polls, then started again (main log: terminated by SIGTERM)'
    assert events[1]['supervisord']['previous'] == {'statename': 'STOPPED', 'state': 0}


def test_an_exit_takes_the_status_of_the_line_that_ended_its_run():
    events = explained(5, 6, LOG)
    assert kinds(events) == [('a', 'EXITED', 'RUNNING', True), ('a', 'RUNNING', 'EXITED', False)]
    assert events[0]['supervisord']['data']['exitstatus'] == 3
    assert events[0]['supervisord']['data']['exit_message'] == 'exit status 3; not expected'
    assert events[0]['supervisord']['data']['description'] == 'exit inferred between two polls'
    # A restart, then the new run's crash before the next poll: the crash that ended the last run.
    events = explained(6, 8, LOG)
    assert kinds(events) == [('a', 'EXITED', 'RUNNING', True), ('a', 'RUNNING', 'EXITED', False)]
    assert events[0]['supervisord']['data']['exitstatus'] == 9


def test_an_exit_whose_run_the_log_does_not_show_takes_no_other_status():
    for text in (LOG, LOG.split('\n', 4)[4], ''):   # the new run's spawn is not in the tail; or no log at all
        events = explained(6, 9, text)
        assert kinds(events) == [('a', 'EXITED', 'RUNNING', True), ('a', 'RUNNING', 'EXITED', False)]
        data = events[0]['supervisord']['data']
        assert 'exitstatus' not in data and 'exit_message' not in data
        assert data['description'] == E.UNEXPLAINED


def test_added_and_removed_processes_and_plain_changes():
    events = changes([proc('a', 'RUNNING', 5), proc('gone', 'STOPPED')],
                     [proc('a', 'BACKOFF', 5), proc('new', 'RUNNING', 7), proc('idle', 'STOPPED')])[0]
    assert kinds(events) == [('a', 'BACKOFF', 'RUNNING', False), ('new', 'ADDED', None, False),
                             ('new', 'RUNNING', 'ADDED', False), ('idle', 'ADDED', None, False),
                             ('gone', 'REMOVED', 'STOPPED', False)]


def test_no_meta_without_a_host():
    (event,) = changes(None, [proc('a', 'RUNNING', 5)], initial=True, host=None)[0]
    assert 'meta' not in event and event['supervisord']['host'] is None
    assert E.daemon_data(False, None, 'refused') == {'reachable': False, 'statename': None, 'state': None,
                                                     'error': 'refused'}


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('args, message', [
    ({'server_url': 'ftp://x'}, "malformed server_url 'ftp://x': expected unix:///path/to/supervisor.sock, "
                                "http://host:port or https://host:port"),
    ({'servers': 'unix:///x'}, "servers must be a list of mappings, got 'unix:///x'"),
    ({'servers': []}, 'servers must be a non-empty list of mappings, got []'),
    ({'servers': ['unix:///x']}, "servers[0] must be a mapping, got 'unix:///x'"),
    ({'servers': [{'server_url': 'unix:///x', 'colour': 'red'}]},
     'unknown option colour in servers[0]; valid options are ca_path, config, host, password, server_url, timeout, '
     'username, validate_certs'),
    ({'servers': [{'server_url': 'unix:///x', 'host': ['a']}]}, "servers[0].host must be a string, got ['a']"),
    ({'servers': [{'server_url': 'unix:///x'}, {'server_url': 'gopher://y'}]},
     "servers[1]: malformed server_url 'gopher://y': expected unix:///path/to/supervisor.sock, http://host:port or "
     "https://host:port"),
    ({'servers': [{'server_url': 'unix:///x', 'validate_certs': 'maybe'}]},
     "servers[0].validate_certs must be a boolean (true or false), got 'maybe'"),
    ({'servers': [{'server_url': 'unix:///x'}], 'server_url': 'unix:///y'},
     'server_url names one daemon: with servers, give it in the entry of servers it belongs to'),
    ({'server_url': 'unix:///x', 'interval': 0}, 'interval must be more than 0, got 0'),
    ({'server_url': 'unix:///x', 'interval': 'often'}, "interval must be a number, got 'often'"),
    ({'server_url': 'unix:///x', 'interval': True}, 'interval must be a number, got True'),
    ({'server_url': 'unix:///x', 'intervall': 2}, 'unknown option intervall (did you mean interval?)'),
    ({'server_url': 'unix:///x', 'initial': 'maybe'}, "initial must be a boolean (true or false), got 'maybe'"),
    # The modules' own checks and words, not a default in their place.
    ({'server_url': 'unix:///x', 'timeout': 0},
     'timeout must be a number of seconds more than 0 and at most 86400 (one day), got 0.0'),
    ({'server_url': 'unix:///x', 'validate_certs': 'sometimes'},
     "validate_certs must be a boolean (true or false), got 'sometimes'"),
    ({'server_url': 'unix:///x', 'password': ['a']},
     'password must be a string, got a list (not shown: the option is secret)'),
])
def test_bad_options_fail_at_start(args, message):
    with pytest.raises(ValueError) as err:
        run(source_module.main(asyncio.Queue(), args))
    assert str(err.value) == 'supervisor.control.supervisord: ' + message
