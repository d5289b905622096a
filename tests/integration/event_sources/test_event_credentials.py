"""Event sources never log or emit the password."""

import logging

from tests.support.eda import SourceTask, load_source, run
from tests.support.supervisord import AUTH_PASSWORD as SECRET


def test_supervisord_source_keeps_the_password_out_of_logs_and_events(auth_daemon, caplog):
    source = load_source('supervisord')
    good = 'http://admin:%s@127.0.0.1:%d' % (SECRET, auth_daemon.inet_port)
    wrong = 'http://admin:%s-wrong@127.0.0.1:%d' % (SECRET, auth_daemon.inet_port)
    args = {'servers': [{'server_url': good, 'host': 'good'},
                        {'server_url': wrong, 'host': 'wrong'},
                        {'server_url': auth_daemon.http_url, 'username': 'admin', 'password': SECRET,
                         'host': 'separate'}],
            'interval': 0.2, 'initial': True}

    async def scenario():
        task = SourceTask(source, args)
        try:
            seen = await task.get_until(lambda e: e['supervisord'].get('host') == 'wrong'
                                        and e['supervisord']['type'] == 'daemon')
            auth_daemon.start_process('idle:idle')
            # echo is RUNNING in the initial table: wait for idle's live change.
            seen += await task.get_until(lambda e: e['supervisord']['type'] == 'process'
                                         and e['supervisord']['data'].get('fullname') == 'idle'
                                         and e['supervisord']['data'].get('statename') == 'RUNNING')
            return seen
        finally:
            await task.stop()

    with caplog.at_level(logging.DEBUG):
        events = run(scenario())
    wrong_events = [e for e in events if e['supervisord'].get('host') == 'wrong']
    assert [(e['supervisord']['type'], e['supervisord']['data']) for e in wrong_events] == [
        ('daemon', {'reachable': False, 'statename': None, 'state': None,
                    'error': 'authentication failed for http://127.0.0.1:%d/RPC2 (HTTP 401): check username and '
                             'password' % auth_daemon.inet_port})], events
    assert SECRET not in str(events)
    assert SECRET not in caplog.text
    assert '127.0.0.1:%d' % auth_daemon.inet_port in caplog.text, caplog.text  # the logs do name the daemons
