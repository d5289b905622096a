"""supervisor.control.supervisord: the polling source against real supervisord daemons.

Polls are driven by hand (``poll_all``) where the test needs to place a change
between two polls; ``main`` runs the real loop elsewhere, and the last test runs
the example rulebook in a real ansible-rulebook.
"""

import asyncio
import os
import signal
import time

import pytest
import yaml

from ansible_collections.supervisor.control.plugins.module_utils.errors import shutting_down_message
from tests.support.eda import RULEBOOKS, Rulebook, SourceTask, load_source, run
from tests.support.push import wait_until
from tests.support.supervisord import SLEEPER, Supervisord

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases

source_module = load_source('supervisord')

PROGRAMS = {
    'sleeper': dict(command=SLEEPER, startsecs=0),
    'web_a': dict(command=SLEEPER, startsecs=0),
    'bouncer': dict(command=SLEEPER, startsecs=0, autorestart=True, startretries=3),
    'idle': dict(command=SLEEPER, autostart=False, startsecs=0),
}
GROUPS = {'web': ['web_a']}


@pytest.fixture
def supervisord(tmp_path):
    instance = Supervisord(str(tmp_path / 'svd'), programs=PROGRAMS, groups=GROUPS)
    os.makedirs(instance.directory)
    try:
        instance.start()
        for name in ('sleeper:sleeper', 'web:web_a', 'bouncer:bouncer'):
            instance.wait_state(name, 'RUNNING')
        yield instance
    finally:
        instance.cleanup()


class ListQueue(object):
    def __init__(self):
        self.events = []

    async def put(self, event):
        self.events.append(event)

    def take(self):
        events, self.events = self.events, []
        return events


def make(args):
    queue = ListQueue()
    return source_module.SupervisordSource(queue, args), queue


def by_name(events, fullname):
    return [e for e in events if e['supervisord']['type'] == 'process'
            and e['supervisord']['data']['fullname'] == fullname]


# ---------------------------------------------------------------------------
# Against a real supervisord
# ---------------------------------------------------------------------------

def test_initial_table_then_changes(supervisord):
    async def test():
        source, queue = make({'server_url': supervisord.server_url, 'initial': True, 'host': 'app1'})
        await source.poll_all()
        events = queue.take()
        daemon = [e for e in events if e['supervisord']['type'] == 'daemon']
        assert len(daemon) == 1
        assert daemon[0]['supervisord']['data'] == {'reachable': True, 'statename': 'RUNNING', 'state': 1}
        processes = [e for e in events if e['supervisord']['type'] == 'process']
        assert sorted(e['supervisord']['data']['fullname'] for e in processes) == [
            'bouncer', 'idle', 'sleeper', 'web:web_a']
        for event in events:
            assert event['meta'] == {'hosts': ['app1']}
            assert event['supervisord']['initial'] is True
            assert event['supervisord']['host'] == 'app1'
            assert event['supervisord']['server_url'] == supervisord.server_url
        # Nothing changed: nothing emitted.
        await source.poll_all()
        assert queue.take() == []
        supervisord.rpc('supervisor.stopProcess', 'sleeper', True)
        supervisord.rpc('supervisor.startProcess', 'idle', True)
        await source.poll_all()
        events = queue.take()
        stopped, = by_name(events, 'sleeper')
        assert stopped['supervisord']['data']['statename'] == 'STOPPED'
        assert stopped['supervisord']['previous'] == {'statename': 'RUNNING', 'state': 20}
        assert 'initial' not in stopped['supervisord'] and 'inferred' not in stopped['supervisord']
        started, = by_name(events, 'idle')
        assert started['supervisord']['data']['statename'] == 'RUNNING'
        assert started['supervisord']['previous'] == {'statename': 'STOPPED', 'state': 0}
        assert set(started['supervisord']['data']) == {'name', 'group', 'fullname', 'statename', 'state', 'pid',
                                                       'description', 'start', 'stop', 'exitstatus', 'spawnerr',
                                                       'stdout_logfile', 'stderr_logfile'}
    run(test())


def test_an_exit_hidden_by_autorestart_is_inferred(supervisord):
    async def test():
        source, queue = make({'server_url': supervisord.server_url})
        await source.poll_all()
        assert queue.take() == []
        before = supervisord.info('bouncer:bouncer')
        os.kill(before['pid'], signal.SIGKILL)  # not signalProcess: supervisord before 3.2.0 has none
        # autorestart brings it back with another pid before the next poll.
        deadline = time.monotonic() + 20
        while True:
            info = supervisord.info('bouncer:bouncer')
            if info['statename'] == 'RUNNING' and info['pid'] not in (0, before['pid']):
                break
            assert time.monotonic() < deadline, info
            await asyncio.sleep(0.05)
        await source.poll_all()
        exited, running = by_name(queue.take(), 'bouncer')
        assert exited['supervisord']['inferred'] is True
        assert exited['supervisord']['data']['statename'] == 'EXITED'
        assert exited['supervisord']['data']['pid'] == before['pid']
        assert exited['supervisord']['data']['stop'] >= before['start']
        assert exited['supervisord']['previous'] == {'statename': 'RUNNING', 'state': 20}
        # The respawn cleared exitstatus; the main log still says why it ended.
        assert exited['supervisord']['data']['exit_message'] == 'terminated by SIGKILL; not expected'
        assert 'inferred' not in running['supervisord']
        assert running['supervisord']['data']['pid'] == info['pid']
        assert running['supervisord']['previous'] == {'statename': 'EXITED', 'state': 100}
        assert 'meta' not in running
    run(test())


def test_an_inferred_exit_takes_its_status_from_the_main_log(tmp_path):
    flag = tmp_path / 'exit-7'
    daemon = Supervisord(str(tmp_path / 'svd'), programs={'sevens': dict(
        command="sh -c 'if [ -e %s ]; then rm -f %s; sleep 0.3; exit 7; fi; exec %s'" % (flag, flag, SLEEPER),
        startsecs=0, autorestart=True)})
    os.makedirs(daemon.directory)

    async def test():
        source, queue = make({'server_url': daemon.server_url})
        daemon.wait_state('sevens', 'RUNNING')
        first = daemon.info('sevens')
        # RUNNING at once (startsecs=0), but the flag must be created after sh has looked for it.
        deadline = time.monotonic() + 20
        while open('/proc/%d/cmdline' % first['pid'], 'rb').read().split(b'\0')[0] != b'sleep':
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        await source.poll_all()
        flag.write_text('')
        os.kill(first['pid'], signal.SIGKILL)
        # Killed, respawned, exits 7 after 0.3 s, respawned again: all between two polls.
        deadline = time.monotonic() + 20
        while flag.exists() or daemon.info('sevens')['statename'] != 'RUNNING' or \
                'exit status 7' not in daemon.rpc('supervisor.readLog', -4096, 0):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await source.poll_all()
        exited, running = queue.take()
        assert exited['supervisord']['inferred'] is True
        assert exited['supervisord']['data']['pid'] == first['pid']
        assert exited['supervisord']['data']['exitstatus'] == 7
        assert exited['supervisord']['data']['exit_message'] == 'exit status 7; not expected'
        assert running['supervisord']['data']['statename'] == 'RUNNING'

    try:
        daemon.start()
        run(test())
    finally:
        daemon.cleanup()


def test_a_stop_between_polls_is_not_an_inferred_exit(supervisord):
    async def test():
        source, queue = make({'server_url': supervisord.server_url})
        await source.poll_all()
        supervisord.rpc('supervisor.stopProcess', 'bouncer:bouncer', True)
        await source.poll_all()
        event, = queue.take()
        assert event['supervisord']['data']['statename'] == 'STOPPED' and 'inferred' not in event['supervisord']
    run(test())


def test_a_restart_between_polls_after_an_older_crash_is_a_stop_not_that_crash(tmp_path):
    """A process restarted (stopProcess and startProcess, as ``state=restarted`` does) between two polls, after
    a crash earlier in the main log: the new pid with a nonzero ``stop`` looks like an exit that autorestart
    hid, but the log says the old run was stopped; the old crash's status must not be attached to it."""
    flag = tmp_path / 'exit-3'
    flag.write_text('')
    daemon = Supervisord(str(tmp_path / 'svd'), programs={'crasher': dict(
        command="sh -c 'if [ -e %s ]; then rm -f %s; exit 3; fi; exec %s'" % (flag, flag, SLEEPER),
        startsecs=0, autorestart=True)})
    os.makedirs(daemon.directory)

    async def test():
        # The first run exits 3 (an unexpected exit: autorestart), the second one runs.
        deadline = time.monotonic() + 20
        while flag.exists() or daemon.info('crasher')['statename'] != 'RUNNING' or \
                'exited: crasher (exit status 3; not expected)' not in daemon.rpc('supervisor.readLog', -4096, 0):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        source, queue = make({'server_url': daemon.server_url, 'interval': 3600})
        await source.poll_all()
        assert queue.take() == []
        before = daemon.info('crasher')
        daemon.rpc('supervisor.stopProcess', 'crasher', True)
        daemon.rpc('supervisor.startProcess', 'crasher', True)
        after = daemon.info('crasher')
        assert after['statename'] == 'RUNNING' and after['pid'] not in (0, before['pid'])
        await source.poll_all()
        stopped, running = queue.take()
        assert stopped['supervisord']['inferred'] is True
        assert stopped['supervisord']['data']['statename'] == 'STOPPED'
        assert stopped['supervisord']['data']['state'] == 0
        assert stopped['supervisord']['data']['pid'] == before['pid']
        assert stopped['supervisord']['data']['description'] == (
            'stopped between two polls, then started again (main log: terminated by SIGTERM)')
        assert 'exit_message' not in stopped['supervisord']['data']
        assert stopped['supervisord']['data']['exitstatus'] != 3
        assert stopped['supervisord']['previous'] == {'statename': 'RUNNING', 'state': 20}
        assert 'inferred' not in running['supervisord']
        assert running['supervisord']['data']['pid'] == after['pid']
        assert running['supervisord']['previous'] == {'statename': 'STOPPED', 'state': 0}

    try:
        daemon.start()
        run(test())
    finally:
        daemon.cleanup()


def restart_between_polls(supervisord, how):
    if how == 'reload':                 # supervisorctl reload: the same process, the same pid
        supervisord.rpc('supervisor.restart')
        supervisord.wait_running()
    elif how == 'stop and start':
        supervisord.stop()
        supervisord.start()
    else:                               # supervisorctl update of a changed group: stopped, removed, added
        supervisord.rpc('supervisor.stopProcessGroup', 'web', True)
        supervisord.rpc('supervisor.removeProcessGroup', 'web')
        supervisord.rpc('supervisor.addProcessGroup', 'web')


@pytest.mark.parametrize('how', ['reload', 'stop and start', 'group updated'])
def test_processes_replaced_between_polls_were_stopped_not_exited(supervisord, how):
    """A restart of supervisord (or of a group) shorter than one interval: its processes were stopped, not crashed.

    Each process object is new then, and supervisord sets a process's ``stop`` only when that object sees
    its child end: a pid that changed while ``stop`` is 0 was not an exit seen by supervisord. The polls are
    made by hand, so the restart falls between two of them whatever the machine's speed (an interval of an hour).
    """
    async def test():
        source, queue = make({'server_url': supervisord.server_url, 'interval': 3600})
        await source.poll_all()
        assert queue.take() == []
        names = ['web:web_a'] if how == 'group updated' else ['sleeper:sleeper', 'web:web_a', 'bouncer:bouncer']
        before = dict((name, supervisord.info(name)) for name in names)
        restart_between_polls(supervisord, how)
        after = {}
        deadline = time.monotonic() + 20
        for name in names:
            while True:
                after[name] = supervisord.info(name)
                if after[name]['statename'] == 'RUNNING' and after[name]['pid'] not in (0, before[name]['pid']):
                    break
                assert time.monotonic() < deadline, after[name]
                await asyncio.sleep(0.05)
        await source.poll_all()
        events = queue.take()
        assert [e for e in events if e['supervisord']['data']['statename'] == 'EXITED'] == []
        for name in names:
            stopped, running = by_name(events, name.replace('sleeper:', '').replace('bouncer:', ''))
            assert stopped['supervisord']['inferred'] is True
            assert stopped['supervisord']['data']['statename'] == 'STOPPED'
            assert stopped['supervisord']['data']['state'] == 0
            assert stopped['supervisord']['data']['pid'] == before[name]['pid']
            assert stopped['supervisord']['data']['description'] == (
                'stopped between two polls: supervisord replaced the process (it restarted, or the group was '
                'removed and added again)')
            assert stopped['supervisord']['previous'] == {'statename': 'RUNNING', 'state': 20}
            assert 'exit_message' not in stopped['supervisord']['data']
            assert 'inferred' not in running['supervisord']
            assert running['supervisord']['data']['pid'] == after[name]['pid']
            assert running['supervisord']['previous'] == {'statename': 'STOPPED', 'state': 0}
        assert len(events) == 2 * len(names)
    run(test())


def test_added_and_removed_processes(supervisord):
    async def test():
        source, queue = make({'server_url': supervisord.server_url})
        await source.poll_all()
        supervisord.write_program('late', dict(command=SLEEPER, startsecs=0))
        supervisord.write_program('later', dict(command=SLEEPER, autostart=False))
        supervisord.rpc('supervisor.reloadConfig')
        supervisord.rpc('supervisor.addProcessGroup', 'late')
        supervisord.rpc('supervisor.addProcessGroup', 'later')
        supervisord.wait_state('late:late', 'RUNNING')
        await source.poll_all()
        events = queue.take()
        added, running = by_name(events, 'late')
        assert (added['supervisord']['data']['statename'], added['supervisord']['data']['state']) == ('ADDED', None)
        assert added['supervisord']['previous'] is None
        assert running['supervisord']['data']['statename'] == 'RUNNING'
        assert running['supervisord']['previous'] == {'statename': 'ADDED', 'state': None}
        only, = by_name(events, 'later')      # STOPPED: just the ADDED event
        assert only['supervisord']['data']['statename'] == 'ADDED'
        supervisord.rpc('supervisor.stopProcess', 'late:late', True)
        supervisord.rpc('supervisor.removeProcessGroup', 'late')
        await source.poll_all()
        events = queue.take()
        # Stopped and removed between two polls: one event, from the state last seen.
        removed, = by_name(events, 'late')
        assert removed['supervisord']['data']['statename'] == 'REMOVED'
        assert removed['supervisord']['data']['state'] is None
        assert removed['supervisord']['previous'] == {'statename': 'RUNNING', 'state': 20}
    run(test())


def test_several_daemons_and_one_unreachable(supervisord, tmp_path):
    second = Supervisord(str(tmp_path / 'second'), programs={'solo': dict(command=SLEEPER, startsecs=0)})
    os.makedirs(second.directory)
    missing = 'unix://%s' % (tmp_path / 'nobody.sock')

    async def test():
        source, queue = make({'servers': [
            {'host': 'one', 'server_url': supervisord.server_url},
            {'host': 'two', 'server_url': second.server_url},
            {'server_url': missing, 'timeout': 2},
        ], 'interval': 0.2})
        second.start()
        second.wait_state('solo', 'RUNNING')
        await source.poll_all()
        events = queue.take()
        # The daemon that cannot be reached is reported at once; the others are quiet.
        down, = events
        assert down['supervisord']['type'] == 'daemon'
        assert down['supervisord']['data'] == {'reachable': False, 'statename': None, 'state': None, 'error': (
            'socket %s does not exist: is supervisord running, and is this the file of its [unix_http_server] '
            'section?' % (tmp_path / 'nobody.sock'))}
        assert down['supervisord']['previous'] is None and 'meta' not in down
        await source.poll_all()
        assert queue.take() == []          # still down: reported once
        supervisord.rpc('supervisor.stopProcess', 'sleeper', True)
        second.rpc('supervisor.stopProcess', 'solo', True)
        await source.poll_all()
        events = queue.take()
        assert sorted((e['meta']['hosts'][0], e['supervisord']['data']['fullname']) for e in events) == [
            ('one', 'sleeper'), ('two', 'solo')]
        # A daemon that goes away, then comes back.
        second.stop()
        await source.poll_all()
        gone, = queue.take()
        assert gone['supervisord']['type'] == 'daemon' and gone['meta'] == {'hosts': ['two']}
        assert gone['supervisord']['data'] == {'reachable': False, 'statename': None, 'state': None, 'error': (
            'socket %s does not exist: is supervisord running, and is this the file of its [unix_http_server] '
            'section?' % second.socket)}
        assert gone['supervisord']['previous'] == {'reachable': True, 'statename': 'RUNNING', 'state': 1}
        second.start()
        second.wait_state('solo', 'RUNNING')
        await source.poll_all()
        back = queue.take()
        assert back[0]['supervisord']['type'] == 'daemon'
        assert back[0]['supervisord']['data'] == {'reachable': True, 'statename': 'RUNNING', 'state': 1}
        assert back[0]['supervisord']['previous']['reachable'] is False
        # solo was STOPPED before and RUNNING after the restart: a change, but no inferred exit.
        solo, = by_name(back, 'solo')
        assert solo['supervisord']['data']['statename'] == 'RUNNING' and 'inferred' not in solo['supervisord']

    try:
        run(test())
    finally:
        second.cleanup()


def test_initial_table_of_a_daemon_that_answers_only_later(tmp_path):
    """``initial: true`` promises the whole table once: a daemon down at start gives it when it first answers."""
    daemon = Supervisord(str(tmp_path / 'svd'), programs={'solo': dict(command=SLEEPER, startsecs=0),
                                                          'idle': dict(command=SLEEPER, autostart=False)})
    os.makedirs(daemon.directory)

    async def test():
        source, queue = make({'server_url': daemon.server_url, 'initial': True, 'host': 'late'})
        await source.poll_all()
        down, = queue.take()
        assert down['supervisord']['type'] == 'daemon' and down['supervisord']['data']['reachable'] is False
        assert 'initial' not in down['supervisord']
        daemon.start()
        daemon.wait_state('solo', 'RUNNING')
        await source.poll_all()
        back, idle, solo = sorted(queue.take(), key=lambda e: (e['supervisord']['type'],
                                                               e['supervisord']['data'].get('fullname', '')))
        assert back['supervisord']['type'] == 'daemon'
        assert back['supervisord']['data'] == {'reachable': True, 'statename': 'RUNNING', 'state': 1}
        assert back['supervisord']['previous']['reachable'] is False and 'initial' not in back['supervisord']
        for event, (fullname, statename) in ((idle, ('idle', 'STOPPED')), (solo, ('solo', 'RUNNING'))):
            assert (event['supervisord']['data']['fullname'], event['supervisord']['data']['statename']) == (
                fullname, statename)
            assert event['supervisord']['initial'] is True and event['supervisord']['previous'] is None
        # Once only: the next changes are ordinary ones.
        daemon.rpc('supervisor.stopProcess', 'solo', True)
        await source.poll_all()
        stopped, = queue.take()
        assert stopped['supervisord']['data']['statename'] == 'STOPPED' and 'initial' not in stopped['supervisord']

    try:
        run(test())
    finally:
        daemon.cleanup()


def test_a_restarting_daemon_is_unreachable_until_it_runs_again(tmp_path):
    """What a poll sees of supervisord's own states: RUNNING, or the SHUTDOWN_STATE fault.

    From the moment it is asked to restart (or to shut down) until it has stopped its processes,
    supervisord answers every call, getState included, with SHUTDOWN_STATE, so the polling source never
    sees a RESTARTING or SHUTDOWN state: it reports the daemon unreachable, with that reason. The
    program holds the restart until the test has polled, so the window cannot be missed.
    """
    release = tmp_path / 'release'
    trapped = tmp_path / 'trapped'
    # RUNNING comes at the fork (startsecs=0), before the shell has set its trap: the test waits for the file
    # the shell writes once it has, or the restart's TERM could end it at once and the restart would not wait.
    holder = "sh -c 'trap \"while [ ! -e %s ]; do sleep 0.05; done; exit 0\" TERM; touch %s; while :; do sleep 0.1; done'" % (
        release, trapped)
    daemon = Supervisord(str(tmp_path / 'svd'), programs={'holder': dict(command=holder, startsecs=0, stopwaitsecs=60)})
    os.makedirs(daemon.directory)

    async def test():
        source, queue = make({'server_url': daemon.server_url, 'host': 'app1'})
        await source.poll_all()
        assert queue.take() == []
        daemon.rpc('supervisor.restart')
        await source.poll_all()
        going, = queue.take()
        assert going['supervisord']['type'] == 'daemon'
        assert going['supervisord']['data'] == {'reachable': False, 'statename': None, 'state': None,
                                                'error': shutting_down_message(daemon.server_url)}
        assert going['supervisord']['previous'] == {'reachable': True, 'statename': 'RUNNING', 'state': 1}
        release.touch()
        daemon.wait_running()
        daemon.wait_state('holder', 'RUNNING')
        await source.poll_all()
        back = [e for e in queue.take() if e['supervisord']['type'] == 'daemon']
        assert [e['supervisord']['data'] for e in back] == [{'reachable': True, 'statename': 'RUNNING', 'state': 1}]

    try:
        daemon.start()
        daemon.wait_state('holder', 'RUNNING')
        wait_until(trapped.exists, what='the holder to set its trap')
        run(test())
    finally:
        release.touch()
        daemon.cleanup()


def test_main_loop_with_a_one_slot_queue_and_cancellation(supervisord):
    async def test():
        source = SourceTask(source_module, {'server_url': supervisord.server_url, 'interval': 0.2})
        await asyncio.sleep(0.5)
        supervisord.rpc('supervisor.stopProcess', 'web:web_a', True)
        events = await source.get_until(lambda e: e['supervisord']['data'].get('fullname') == 'web:web_a')
        assert events[-1]['supervisord']['data']['statename'] == 'STOPPED'
        source.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(source.task, 15)
    run(test())


# ---------------------------------------------------------------------------
# The example rulebook in a real ansible-rulebook
# ---------------------------------------------------------------------------

def test_rulebook_restarts_a_crashed_process(tmp_path):
    flag = tmp_path / 'crash-once'
    programs = {
        'flaky': dict(command="sh -c 'if [ -e %s ]; then rm -f %s; sleep 0.5; exit 3; fi; exec %s'" % (
            flag, flag, SLEEPER), autostart=False, startsecs=0, autorestart=False),
    }
    daemon = Supervisord(str(tmp_path / 'svd'), programs=programs)
    os.makedirs(daemon.directory)
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'app1': {
        'ansible_connection': 'local', 'ansible_python_interpreter': os.environ.get(
            'EDA_TEST_PYTHON', os.path.join(os.path.dirname(os.path.abspath(os.sys.executable)), 'python'))}}}}))
    rulebook = None
    try:
        daemon.start()
        rulebook = Rulebook(os.path.join(RULEBOOKS, 'supervisord_crashes.yml'), str(inventory), str(tmp_path),
                            variables={'supervisord_host': 'app1', 'supervisord_url': daemon.server_url,
                                       'supervisord_interval': 0.5})
        rulebook.wait_for('Waiting for events')
        flag.write_text('')
        daemon.rpc('supervisor.startProcess', 'flaky', True)
        first = daemon.info('flaky')
        # It exits with 3; the rule starts it again; the flag is gone, so it stays up.
        deadline = time.monotonic() + 90
        while True:
            info = daemon.info('flaky')
            # autorestart is off: running again after the crash means that the rule started it.
            spawns = daemon.rpc('supervisor.readLog', 0, 0).count("spawned: 'flaky'")
            if info['statename'] == 'RUNNING' and info['pid'] != first['pid'] and spawns == 2:
                break
            assert time.monotonic() < deadline, 'not restarted: %s\n%s' % (info, rulebook.output[-4000:])
            time.sleep(0.2)
        rulebook.wait_for('flaky exited with status 3')
        assert not flag.exists()
    finally:
        if rulebook is not None:
            rulebook.stop()
        daemon.cleanup()


def test_a_server_with_nonsense_answers_is_unreachable_not_a_crash():
    """A fake, because no supervisord answers this: XML-RPC that is not supervisord's process table."""
    import threading
    from xmlrpc.server import SimpleXMLRPCServer

    server = SimpleXMLRPCServer(('127.0.0.1', 0), logRequests=False, allow_none=True)
    answers = [[{'statecode': 1, 'statename': 'RUNNING'}, [{'bogus': 1}]]]
    server.register_function(lambda calls: answers[0], 'system.multicall')
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    async def test():
        source, queue = make({'server_url': 'http://127.0.0.1:%d' % server.server_address[1], 'host': 'odd'})
        await source.poll_all()
        event, = queue.take()
        assert event['supervisord']['type'] == 'daemon'
        url = 'http://127.0.0.1:%d/RPC2' % server.server_address[1]
        assert event['supervisord']['data'] == {
            'reachable': False, 'statename': None, 'state': None,
            'error': 'unexpected answer from %s to getState/getAllProcessInfo' % url}
        answers[0] = ['not a dict', 'not a list']
        await source.poll_all()
        assert queue.take() == []

    try:
        run(test())
    finally:
        server.shutdown()
        server.server_close()


def test_main_block_prints_the_table(supervisord):
    """``python supervisord.py URL INTERVAL`` prints the initial table, one JSON event per line."""
    import json
    import subprocess
    import sys
    from tests.support.eda import SOURCE_DIR
    proc = subprocess.Popen([sys.executable, os.path.join(SOURCE_DIR, 'supervisord.py'), supervisord.server_url, '5'],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    import threading
    watchdog = threading.Timer(60, proc.kill)     # a hang becomes a failure
    watchdog.start()
    try:
        lines = [json.loads(proc.stdout.readline()) for _line in range(5)]
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.wait(timeout=30)
    kinds = sorted(e['supervisord']['type'] for e in lines)
    assert kinds == ['daemon', 'process', 'process', 'process', 'process']
    assert all(e['supervisord']['initial'] for e in lines)


def test_ansible_rulebook_shutdown_cancels_the_source_cleanly(supervisord, tmp_path):
    """The ``shutdown`` action cancels the sources: the rulebook ends with 0 and no error."""
    rulebook_file = tmp_path / 'shutdown.yml'
    rulebook_file.write_text(yaml.safe_dump([{
        'name': 'stop at the first event', 'hosts': 'all',
        'sources': [{'supervisor.control.supervisord': {'server_url': supervisord.server_url, 'initial': True}}],
        'rules': [{'name': 'first event', 'condition': 'event.supervisord.type == "daemon"',
                   'action': {'shutdown': {'delay': 0, 'message': 'seen the daemon'}}}],
    }]))
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}))
    rulebook = Rulebook(str(rulebook_file), str(inventory), str(tmp_path))
    try:
        assert rulebook.proc.wait(timeout=120) == 0, rulebook.output[-4000:]
    finally:
        rulebook.stop()
    assert 'seen the daemon' in rulebook.output
    assert 'Traceback' not in rulebook.output and ' - ERROR - ' not in rulebook.output, rulebook.output[-4000:]


@pytest.mark.parametrize('source, args, message', [
    ('supervisor.control.supvisors', {'port': 60002, 'heartbeet': 5},
     'supervisor.control.supvisors: unknown option heartbeet (did you mean heartbeat?)'),
    ('supervisor.control.supervisord', {'server_url': 'unix:///nonexistent.sock', 'initial': '{{ initial }}'},
     "supervisor.control.supervisord: initial must be a boolean (true or false), got 'maybe'"),
])
def test_ansible_rulebook_stops_at_a_wrong_option_with_one_line(source, args, message, tmp_path):
    """What a user sees: ansible-rulebook's own error, with the source's one line, and no event source running."""
    rulebook_file = tmp_path / 'typo.yml'
    rulebook_file.write_text(yaml.safe_dump([{
        'name': 'a typo', 'hosts': 'all', 'sources': [{source: args}],
        'rules': [{'name': 'never', 'condition': 'event.i == 1', 'action': {'print_event': None}}],
    }]))
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}))
    rulebook = Rulebook(str(rulebook_file), str(inventory), str(tmp_path), variables={'initial': 'maybe'})
    try:
        assert rulebook.proc.wait(timeout=120) != 0, rulebook.output[-4000:]
    finally:
        rulebook.stop()
    # ansible-rulebook's own words around the source's line (and its class name, printed as "<class '...").
    errors = [line.split(' - ERROR - ', 1)[1] for line in rulebook.lines if ' - ERROR - ' in line]
    assert errors[0].startswith('Source error: ') and errors[0].endswith(
        "ValueError: Source plugin failed with error message: '%s'" % message), rulebook.output[-4000:]
    assert 'ValueError: %s' % message in errors, rulebook.output[-4000:]
