"""The push rulebooks in a real ansible-rulebook, fed by the real listener of a real supervisord."""

import json
import os
import re
import signal
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.support.eda import RULEBOOKS, Rulebook
from tests.support.push import EVENTS, NO_TICKS, TOKEN, last_spooled, listener_section, record, spooled, wait_until
from tests.support.supervisord import SLEEPER, Supervisord, free_port

pytestmark = pytest.mark.slow

HOG = '%s -c "import time; hog = bytearray(64 * 1024 * 1024); time.sleep(100000)"' % sys.executable


@pytest.fixture
def bed(tmp_path):
    """Starts supervisord (with the listener) and ansible-rulebook; both stopped at teardown."""
    started = {'rulebooks': [], 'daemon': None}
    port = free_port()
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'app1': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}))

    class Bed(object):
        def daemon(self, programs, events=EVENTS, extra_args=''):
            directory = str(tmp_path / 'svd')
            os.makedirs(directory)
            daemon = Supervisord(directory, programs=programs, extra_sections=listener_section(
                'http://127.0.0.1:%d/' % port, directory, events=events, extra_args=extra_args))
            started['daemon'] = daemon
            return daemon.start()

        def rulebook(self, path, **variables):
            variables = dict({'push_port': port, 'push_token': TOKEN,
                              'supervisord_url': started['daemon'].server_url}, **variables)
            rulebook = Rulebook(path, str(inventory), str(tmp_path), variables=variables)
            started['rulebooks'].append(rulebook)
            rulebook.wait_for('Waiting for events')
            return rulebook

    try:
        yield Bed()
    finally:
        for rulebook in started['rulebooks']:
            rulebook.stop()
        if started['daemon']:
            started['daemon'].cleanup()


def spawns(daemon, name):
    return daemon.rpc('supervisor.readLog', 0, 0).count("spawned: '%s'" % name)


def test_restart_rulebook_restarts_an_unexpected_exit_once_a_minute(bed):
    daemon = bed.daemon({'victim': dict(command=SLEEPER, startsecs=0, autorestart=False),
                         'marker': dict(command=SLEEPER, startsecs=0, autorestart=False)})
    rulebook = bed.rulebook(os.path.join(RULEBOOKS, 'supervisord_push_restart.yml'))
    first = daemon.info('victim')['pid']
    os.kill(first, signal.SIGKILL)
    rulebook.wait_for('victim (pid %d) exited unexpectedly' % first)
    # autorestart is off: running again means that the rule started it.
    wait_until(lambda: daemon.info('victim')['statename'] == 'RUNNING' and spawns(daemon, 'victim') == 2,
               timeout=60, what='victim started again by the rule')
    second = daemon.info('victim')['pid']
    os.kill(second, signal.SIGKILL)
    rulebook.wait_for('victim (pid %d) exited unexpectedly' % second)
    # Actions run one after another, in the order of the events: once a later exit is
    # reported, a restart of the victim (throttled) would have run.
    marker = daemon.info('marker')['pid']
    os.kill(marker, signal.SIGKILL)
    rulebook.wait_for('marker (pid %d) exited unexpectedly' % marker)
    assert daemon.info('victim')['statename'] == 'EXITED'
    assert spawns(daemon, 'victim') == 2


def test_memmon_rulebook_restarts_a_process_over_the_limit_with_a_cool_down(bed, tmp_path):
    # TICK_5 instead of TICK_60, so that the test does not wait minutes; the listener treats them alike.
    daemon = bed.daemon({'hog': dict(command=HOG, startsecs=0), 'small': dict(command=SLEEPER, startsecs=0)},
                        events=EVENTS.replace('TICK_60', 'TICK_5'))
    bed.rulebook(os.path.join(RULEBOOKS, 'supervisord_push_memmon.yml'), memmon_limit_bytes=32 * 1024 * 1024)
    wait_until(lambda: spawns(daemon, 'hog') == 2 and daemon.info('hog')['statename'] == 'RUNNING',
               timeout=60, what='hog restarted')
    restarted = time.time()
    # Two more ticks reach the source, each with the new hog over the limit: still one restart.
    spool = os.path.join(daemon.directory, 'push-spool.jsonl')

    def ticks_delivered():
        with open(spool) as handle:
            ticks = [r for r in spooled(handle.read()) if r['eventname'] == 'TICK_5']
        later = [t['serial'] for t in ticks if t['time'] > restarted]
        with open(spool + '.ack') as handle:
            return len(later) >= 2 and json.load(handle)['last'][1] >= later[1]
    wait_until(ticks_delivered, timeout=60, what='two ticks after the restart')
    time.sleep(3)    # room for a restart that the throttle should prevent
    assert spawns(daemon, 'hog') == 2
    assert spawns(daemon, 'small') == 1


PRINT_ALL = [{'name': 'print every pushed event', 'hosts': 'all', 'sources': [{
    'supervisor.control.supervisord': {'listen': {'port': '{{ push_port }}', 'token': '{{ push_token }}'}}}],
    'rules': [{'name': 'print', 'condition': 'event.supervisord.pushed == true', 'action': {'debug': {
        'msg': 'PUSHED {{ event.supervisord.boot }} {{ event.supervisord.poolserial }} '
               '{{ event.supervisord.eventname }}'}}}]}]
PUSHED = re.compile(r'PUSHED (\S+) (\d+) (\S+)')


def pushed(rulebooks):
    return [m.groups() for r in rulebooks for m in PUSHED.finditer(r.output)]


def test_a_rulebook_down_for_10_s_gets_every_change_once(bed, tmp_path):
    path = tmp_path / 'print.yml'
    path.write_text(yaml.safe_dump(PRINT_ALL))
    # No TICK_60: one at a minute boundary would land among the changes counted here.
    daemon = bed.daemon({'sleeper': dict(command=SLEEPER, startsecs=0),
                         'other': dict(command=SLEEPER, startsecs=0)}, events=NO_TICKS)
    daemon.wait_state('sleeper', 'RUNNING')
    first = bed.rulebook(str(path))
    spool = os.path.join(daemon.directory, 'push-spool.jsonl')

    def idle():
        # Stopped while idle: every event the listener has spooled so far was printed. (What
        # ansible-rulebook took but had not yet processed when it stops is lost with it.)
        with open(spool) as handle:
            return len(pushed([first])) == len(spooled(handle.read()))
    wait_until(lambda: len(pushed([first])) >= 6 and idle(), what='the start-up events printed')
    before = len(pushed([first]))
    first.stop()
    stopped_at = time.monotonic()
    for name in ('sleeper', 'other'):
        daemon.stop_process(name)
        daemon.start_process(name)
    time.sleep(max(0.0, 10 - (time.monotonic() - stopped_at)))     # 10 s down
    second = bed.rulebook(str(path))
    # Two stops and two starts: STOPPING, STOPPED, STARTING, RUNNING each.
    try:
        wait_until(lambda: len(pushed([first, second])) >= before + 8, timeout=60, what='the changes made meanwhile')
    except AssertionError as exc:  # what the second rulebook and the listener said, for the next reader
        with open(os.path.join(daemon.directory, 'push.err')) as handle:
            listener = handle.read()[-4000:]
        raise AssertionError('%s\n--- second rulebook:\n%s\n--- the listener:\n%s' % (
            exc, second.output[-4000:], listener))
    events = pushed([first, second])
    assert [int(event[1]) for event in events] == list(range(len(events)))
    assert len({event[0] for event in events}) == 1
    assert [event[2] for event in events[before:]] == [
        'PROCESS_STATE_STOPPING', 'PROCESS_STATE_STOPPED', 'PROCESS_STATE_STARTING', 'PROCESS_STATE_RUNNING'] * 2


def test_crashmail_rulebook_reports_an_unexpected_exit_not_a_stop(bed):
    daemon = bed.daemon({'victim': dict(command=SLEEPER, startsecs=0, autorestart=False),
                         'stopped': dict(command=SLEEPER, startsecs=0)})
    rulebook = bed.rulebook(os.path.join(RULEBOOKS, 'supervisord_push_crashmail.yml'))
    daemon.stop_process('stopped')
    pid = daemon.info('victim')['pid']
    os.kill(pid, signal.SIGKILL)
    rulebook.wait_for('Process victim (pid %d) on app1 exited unexpectedly (was RUNNING)' % pid)
    assert rulebook.count('exited unexpectedly') == 1      # the stop, pushed before, is no crash


def test_crashmail_rulebook_reports_events_the_spool_dropped(bed):
    """The listener keeps 3 events while no rulebook listens: the first delivered one says how many went."""
    daemon = bed.daemon({'sleeper': dict(command=SLEEPER, startsecs=0)}, events=NO_TICKS,
                        extra_args='--max-events 3')
    for dummy in range(2):
        daemon.stop_process('sleeper')
        daemon.start_process('sleeper')
    spool = os.path.join(daemon.directory, 'push-spool.jsonl')

    def text():
        with open(spool) as handle:
            return handle.read()
    # The last event is the sleeper's last RUNNING: once it is spooled, all are.
    wait_until(lambda: os.path.exists(spool) and last_spooled(text(), daemon, 'sleeper'),
               what='the last event spooled')
    dropped = spooled(text())[-1]['poolserial'] - 2          # poolserials 0 .. last-3
    rulebook = bed.rulebook(os.path.join(RULEBOOKS, 'supervisord_push_crashmail.yml'))
    rulebook.wait_for("app1: %d events dropped by the listener's spool, 0 never arrived" % dropped)
    assert rulebook.count('events dropped') == 1


def test_a_token_of_digits_in_the_rulebook_variables_is_the_token(tmp_path):
    """ansible-rulebook renders ``"{{ push_token }}"`` natively: the string "12345" reaches the source as a number."""
    port = free_port()
    rulebook_file = tmp_path / 'digits.yml'
    rulebook_file.write_text(yaml.safe_dump([{
        'name': 'a token of digits', 'hosts': 'all',
        'sources': [{'supervisor.control.supervisord': {'listen': {'port': port, 'token': '{{ push_token }}'}}}],
        'rules': [{'name': 'pushed', 'condition': 'event.supervisord.pushed == true',
                   'action': {'debug': {'msg': 'pushed by {{ event.supervisord.host }}'}}}],
    }]))
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}))
    rulebook = Rulebook(str(rulebook_file), str(inventory), str(tmp_path), variables={'push_token': '12345'})
    try:
        rulebook.wait_for('Waiting for events')
        body = json.dumps(record(0, host='by-hand')).encode()
        wait_until(lambda: post('http://127.0.0.1:%d/' % port, body, '12345') == 200, what='a 200 for the token 12345')
        rulebook.wait_for('pushed by by-hand')
        assert post('http://127.0.0.1:%d/' % port, body, '1234') == 401
    finally:
        rulebook.stop()


def post(url, body, token):
    """The status of one POST (None while nothing listens)."""
    request = urllib.request.Request(url, data=body, method='POST', headers={
        'Content-Type': 'application/json', 'Authorization': 'Bearer %s' % token})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None
