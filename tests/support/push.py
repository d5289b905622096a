"""The push listener run by a real supervisord, and a bare HTTP receiver for it.

``listener_section()`` is the ``[eventlistener:push]`` section a test passes to
``Supervisord(extra_sections=...)``; ``Receiver`` records every POST it gets
and answers whatever status the test sets (503 plays a receiver that is down).
"""

import http.server
import json
import os
import signal
import sys
import threading
import time

from tests.support.paths import REPO, ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.plugin_utils import supervisord_push as push  # noqa: E402

LISTENER = os.path.join(REPO, 'roles', 'supervisord', 'files', 'supervisor_control_push.py')
# The host's own python3, not the virtual environment's: the listener needs only the standard library.
SYSTEM_PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
EVENTS = 'PROCESS_STATE,SUPERVISOR_STATE_CHANGE,PROCESS_GROUP_ADDED,PROCESS_GROUP_REMOVED,TICK_60'
# For tests that count events: a TICK_60 comes at every minute boundary.
NO_TICKS = EVENTS.replace(',TICK_60', '')
TOKEN = 's3cret-push-token'


def write_token(directory, token=TOKEN):
    path = os.path.join(directory, 'push.token')
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
        handle.write(token + '\n')
    return path


def listener_section(url, directory, host='app1', spool=True, extra_args='', events=EVENTS, name='push',
                     **options):
    """``extra_sections`` entry for a Supervisord whose listener posts to ``url``.

    ``spool``: True for NAME-spool.jsonl in ``directory``, or the directory to put it in.
    ``options`` go to the section as they are (``buffer_size=5``, ``numprocs=2``...).
    """
    command = '%s %s --url %s --host %s --token-file %s --backoff-max 0.5' % (
        SYSTEM_PYTHON, LISTENER, url, host, write_token(directory))
    if spool:
        command += ' --spool %s' % os.path.join(directory if spool is True else spool, '%s-spool.jsonl' % name)
    if extra_args:
        command += ' ' + extra_args
    return {'eventlistener:%s' % name: dict({
        'command': command, 'events': events, 'buffer_size': 1024, 'startsecs': 0, 'autorestart': True,
        'stdout_logfile': 'NONE', 'stderr_logfile': os.path.join(directory, '%s.err' % name)}, **options)}


class Receiver(object):
    """An HTTP server on loopback that keeps the JSON bodies it accepted, in order."""

    def __init__(self, port=0):
        self.records = []
        self.status = 200
        self.closed = False
        self.condition = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                status = receiver.status
                if receiver.closed:
                    # A kept-alive connection outlives the server: send the client elsewhere.
                    status, self.close_connection = 503, True
                if status == 200:
                    with receiver.condition:
                        receiver.records.append(dict(json.loads(body), authorization=self.headers.get(
                            'Authorization'), headers=dict(self.headers)))
                        receiver.condition.notify_all()
                self.send_response(status)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
        self.server.daemon_threads = True
        # A client that goes away in the middle (a listener killed by the test) is no error here.
        self.server.handle_error = lambda request, client_address: None
        self.url = 'http://127.0.0.1:%d/events' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout=30, what='records'):
        """The records once ``predicate(records)`` holds."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while not predicate(self.records):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('no matching %s within %ss; got %s' % (
                        what, timeout, json.dumps(self.records)[-3000:]))
                self.condition.wait(min(left, 0.5))
            return list(self.records)

    def close(self):
        self.closed = True
        self.server.shutdown()
        self.server.server_close()


def wait_until(predicate, timeout=30, what='the condition'):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError('%s did not hold within %ss' % (what, timeout))
        time.sleep(0.05)


def assert_accounted(records):
    """Every event of the pool up to the last record: delivered once and in order, or counted once.

    ``records`` are what one listener (one boot, one pool) delivered: a poolserial never
    delivered must be in a ``dropped`` (the listener let it go) or a ``missing`` (supervisord
    never handed it to the listener) of a later record, and only once.
    """
    poolserials = [r['poolserial'] for r in records]
    assert poolserials == sorted(set(poolserials)), 'poolserials twice or out of order: %s' % poolserials
    dropped = sum(r.get('dropped', 0) for r in records)
    missing = sum(r.get('missing', 0) for r in records)
    assert (len(records), dropped, missing, len(records) + dropped + missing) == (
        len(records), dropped, missing, poolserials[-1] + 1), 'delivered, dropped, missing, and their sum ' \
        'against the %d events of the pool: %s' % (poolserials[-1] + 1, poolserials)
    return dropped, missing


def kill_listener(daemon, name='push'):
    """SIGKILL the listener, wait until supervisord runs a new one; the pid of the killed one."""
    first = daemon.info(name)['pid']
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: daemon.info(name)['pid'] not in (0, first) and daemon.info(name)['statename'] == 'RUNNING',
               what='a new listener')
    return first


def sentinel_accounted(receiver, daemon):
    """Start ``sentinel``; once its RUNNING arrives, every event before it is accounted: (dropped, missing)."""
    daemon.start_process('sentinel')
    return assert_accounted(receiver.wait_for(is_running('sentinel'), what='the sentinel'))


def spooled(text):
    """The records in the text of a spool file (its other lines are the listener's own notes)."""
    found = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:          # a line being written
            continue
        if isinstance(entry, dict) and 'eventname' in entry:
            found.append(entry)
    return found


def last_spooled(text, daemon, name):
    """Whether the last record in a spool file's text is the RUNNING of process ``name`` as it runs now.

    Its pid tells the last start from an earlier one that a slow listener spooled last so far.
    """
    records = spooled(text)
    return bool(records) and (records[-1]['eventname'], records[-1]['payload'].get('processname'),
                              records[-1]['payload'].get('pid')) == (
        'PROCESS_STATE_RUNNING', name, daemon.info(name)['pid'])


def is_running(name):
    """A predicate on the received records: ``name`` has come to RUNNING."""
    return lambda records: any(r['eventname'] == 'PROCESS_STATE_RUNNING' and r['payload'].get('processname') == name
                               for r in records)


def of_process(records, name):
    return [r for r in records if r['eventname'].startswith('PROCESS_STATE_')
            and r['payload'].get('processname') == name]


def record(serial, poolserial=None, boot='b1', host='app1', eventname='PROCESS_STATE_RUNNING', **payload):
    """One record as the listener posts it (a process of group web by default)."""
    return {'format': push.FORMAT, 'host': host, 'boot': boot, 'serial': serial,
            'poolserial': serial if poolserial is None else poolserial, 'eventname': eventname,
            'payload': payload or {'processname': 'web_a', 'groupname': 'web', 'from_state': 'STARTING',
                                   'pid': 42}, 'time': 1.5}
