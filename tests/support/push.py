"""The push listener run by a real supervisord, and a bare HTTP receiver for it.

``listener_section()`` is the ``[eventlistener:push]`` section a test passes to
``Supervisord(extra_sections=...)``; ``Receiver`` records every POST it gets
and answers whatever status the test sets (503 plays a receiver that is down).
"""

import http.server
import json
import os
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


def listener_section(url, directory, host='app1', spool=True, extra_args='', events=EVENTS):
    """``extra_sections`` entry for a Supervisord whose listener posts to ``url``."""
    command = '%s %s --url %s --host %s --token-file %s --backoff-max 0.5' % (
        SYSTEM_PYTHON, LISTENER, url, host, write_token(directory))
    if spool:
        command += ' --spool %s' % os.path.join(directory, 'push-spool.jsonl')
    if extra_args:
        command += ' ' + extra_args
    return {'eventlistener:push': {
        'command': command, 'events': events, 'buffer_size': 1024, 'startsecs': 0, 'autorestart': True,
        'stdout_logfile': 'NONE', 'stderr_logfile': os.path.join(directory, 'push.err')}}


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


def of_process(records, name):
    return [r for r in records if r['eventname'].startswith('PROCESS_STATE_')
            and r['payload'].get('processname') == name]


def record(serial, poolserial=None, boot='b1', host='app1', eventname='PROCESS_STATE_RUNNING', **payload):
    """One record as the listener posts it (a process of group web by default)."""
    return {'format': push.FORMAT, 'host': host, 'boot': boot, 'serial': serial,
            'poolserial': serial if poolserial is None else poolserial, 'eventname': eventname,
            'payload': payload or {'processname': 'web_a', 'groupname': 'web', 'from_state': 'STARTING',
                                   'pid': 42}, 'time': 1.5}
