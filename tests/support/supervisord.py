"""A real supervisord in a temporary directory, started and stopped by a test.

``Supervisord(tmp_path, programs=...)`` writes a supervisord.conf, starts the
daemon in the foreground as a child (so it can always be killed), waits until
its XML-RPC answers, and ``stop()`` shuts it down and kills whatever is left.

The daemon (and the supervisorctl a test runs) comes from the virtual
environment's ``bin/`` unless ``SUPERVISOR_CONTROL_TEST_SUPERVISOR_BIN`` names
another one, for instance an environment of an older release that
``scripts/bootstrap --with-supervisor-releases`` made (``.venv-supervisor-3.4.0/bin``).
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from tests.support.paths import VENV_BIN, ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.connection import parse_server_url  # noqa: E402

# Where supervisord and supervisorctl are: any test can run against any release.
SUPERVISOR_BIN = os.path.abspath(os.environ.get('SUPERVISOR_CONTROL_TEST_SUPERVISOR_BIN') or VENV_BIN)
SUPERVISORD = os.path.join(SUPERVISOR_BIN, 'supervisord')
SUPERVISORCTL = os.path.join(SUPERVISOR_BIN, 'supervisorctl')

SLEEPER = 'sleep 100000'
# The password of tests/conftest.py's auth_daemon, which the tests look for in every output.
AUTH_PASSWORD = 'S3cr3t-pa55w0rd-xyzzy'

# Programs most tests use: a group of two, numprocs, one that dies at once
# (FATAL after one retry), one that crashes after a while, one alone.
STANDARD_PROGRAMS = {
    'sleeper': dict(command=SLEEPER, startsecs=0),
    'web_a': dict(command=SLEEPER, startsecs=0),
    'web_b': dict(command=SLEEPER, startsecs=0),
    'worker': dict(command=SLEEPER, numprocs=3, process_name='%(program_name)s_%(process_num)02d', startsecs=0),
    'dier': dict(command="sh -c 'echo dier-is-broken >&2; exit 3'", autostart=False, startsecs=1,
                 startretries=0, autorestart=False),
    'crasher': dict(command="sh -c 'sleep 3; exit 1'", autostart=False, startsecs=1, autorestart=False),
    'idle': dict(command=SLEEPER, autostart=False, startsecs=0),
}
STANDARD_GROUPS = {'web': ['web_a', 'web_b']}


def _read_version():
    proc = subprocess.run([SUPERVISORD, '--version'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=60, check=False)
    match = re.match(r'(\d+)\.(\d+)(?:\.(\d+))?', proc.stdout.strip())
    if proc.returncode != 0 or not match:
        raise RuntimeError('%s --version answered %r' % (SUPERVISORD, proc.stdout))
    return tuple(int(part or 0) for part in match.groups())


_VERSION = []


def supervisor_version():
    """The release of the daemon the tests start, as a tuple: (3, 4, 0)."""
    if not _VERSION:
        _VERSION.append(_read_version())
    return _VERSION[0]


_PYTHON = []


def supervisor_python():
    """The Python the daemon the tests start runs on, as a tuple: (2, 7)."""
    if not _PYTHON:
        proc = subprocess.run([os.path.join(SUPERVISOR_BIN, 'python'), '-c',
                               'import sys; print("%d.%d" % sys.version_info[:2])'],
                              stdout=subprocess.PIPE, universal_newlines=True, timeout=60, check=True)
        _PYTHON.append(tuple(int(part) for part in proc.stdout.strip().split('.')))
    return _PYTHON[0]


# The keys of a getAllConfigInfo entry, by the release that added them (checked on real daemons).
CONFIG_FIELDS = [
    ((3, 0, 0), ('name', 'group', 'inuse', 'autostart', 'group_prio', 'process_prio')),
    ((4, 0, 0), ('command', 'exitcodes', 'killasgroup', 'redirect_stderr', 'startretries', 'startsecs', 'stopsignal',
                 'stopwaitsecs') + tuple('%s_%s' % (stream, key) for stream in ('stdout', 'stderr') for key in (
                     'logfile', 'logfile_backups', 'logfile_maxbytes', 'capture_maxbytes', 'events_enabled',
                     'syslog'))),
    ((4, 2, 5), ('directory', 'uid', 'serverurl')),
]


def config_fields():
    """The keys of a getAllConfigInfo entry of the daemon the tests start."""
    return set(key for since, keys in CONFIG_FIELDS if supervisor_version() >= since for key in keys)


# Options of the config file that older releases do not know: supervisord ignores a key it
# does not know, so a test that wrote one for such a daemon would pass without testing it.
OPTIONS_SINCE = {'stdout_syslog': (4, 0, 0), 'stderr_syslog': (4, 0, 0), 'silent': (4, 2, 0)}


def _ini(section, values):
    lines = ['[%s]' % section]
    for key, value in values.items():
        since = OPTIONS_SINCE.get(key)
        if since and supervisor_version() < since:
            raise ValueError('[%s] %s= came in supervisor %s; the daemon the tests start (%s) is %s' % (
                section, key, '.'.join(map(str, since)), SUPERVISORD, '.'.join(map(str, supervisor_version()))))
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        lines.append('%s=%s' % (key, value))
    return '\n'.join(lines) + '\n'


class Supervisord(object):
    def __init__(self, directory=None, programs=None, groups=None, username=None, password=None,
                 inet_port=None, unix=True, extra_sections=None, socket_mode='0700', wrapper=()):
        self.directory = directory or tempfile.mkdtemp(prefix='svd-')
        self._own_dir = directory is None
        self.programs = dict(STANDARD_PROGRAMS if programs is None else programs)
        self.groups = dict(STANDARD_GROUPS if groups is None and programs is None else (groups or {}))
        self.username = username
        self.password = password
        self.inet_port = inet_port
        self.unix = unix
        self.socket_mode = socket_mode
        self.extra_sections = extra_sections or {}
        # A command that runs supervisord (such as unshare --pid --fork), for daemons out of the tests' sight.
        self.wrapper = list(wrapper)
        self.conf = os.path.join(self.directory, 'supervisord.conf')
        self.confd = os.path.join(self.directory, 'conf.d')
        self.socket = os.path.join(self.directory, 'supervisor.sock')
        self.logdir = os.path.join(self.directory, 'logs')
        self.proc = None

    # --- configuration -------------------------------------------------
    @property
    def server_url(self):
        if self.unix:
            return 'unix://%s' % self.socket
        return 'http://127.0.0.1:%d' % self.inet_port

    @property
    def http_url(self):
        return 'http://127.0.0.1:%d' % self.inet_port

    def program_section(self, name, options):
        values = {'stdout_logfile': os.path.join(self.logdir, '%(program_name)s_%(process_num)s.out'),
                  'stderr_logfile': os.path.join(self.logdir, '%(program_name)s_%(process_num)s.err'),
                  'stopwaitsecs': 2}
        values.update(options)
        return _ini('program:%s' % name, values)

    def write_config(self):
        os.makedirs(self.confd, exist_ok=True)
        os.makedirs(self.logdir, exist_ok=True)
        auth = {}
        if self.username:
            auth = {'username': self.username, 'password': self.password}
        parts = [_ini('supervisord', {
            'logfile': os.path.join(self.directory, 'supervisord.log'),
            'pidfile': os.path.join(self.directory, 'supervisord.pid'),
            'childlogdir': self.logdir,
            'nodaemon': True,
            'loglevel': 'info',
            'identifier': 'test-supervisor',
        })]
        parts.append(_ini('rpcinterface:supervisor', {
            'supervisor.rpcinterface_factory': 'supervisor.rpcinterface:make_main_rpcinterface'}))
        if self.unix:
            parts.append(_ini('unix_http_server', dict({'file': self.socket, 'chmod': self.socket_mode}, **auth)))
        if self.inet_port:
            parts.append(_ini('inet_http_server', dict({'port': '127.0.0.1:%d' % self.inet_port}, **auth)))
        parts.append(_ini('supervisorctl', dict({'serverurl': self.server_url}, **auth)))
        for section, values in self.extra_sections.items():
            parts.append(_ini(section, values))
        parts.append(_ini('include', {'files': os.path.join(self.confd, '*.conf')}))
        with open(self.conf, 'w') as handle:
            handle.write('\n'.join(parts))
        for name, options in self.programs.items():
            self.write_program(name, options)
        for name, members in self.groups.items():
            self.write_group(name, members)

    def write_program(self, name, options):
        with open(os.path.join(self.confd, '%s.conf' % name), 'w') as handle:
            handle.write(self.program_section(name, options))

    def write_group(self, name, members):
        with open(os.path.join(self.confd, 'group_%s.conf' % name), 'w') as handle:
            handle.write(_ini('group:%s' % name, {'programs': ','.join(members)}))

    def remove_program_file(self, name):
        os.unlink(os.path.join(self.confd, '%s.conf' % name))

    # --- lifecycle -----------------------------------------------------
    def start(self, timeout=20):
        self.write_config()
        log = open(os.path.join(self.directory, 'supervisord.stdout'), 'wb')
        self.proc = subprocess.Popen(
            self.wrapper + [SUPERVISORD, '-c', self.conf],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.directory, start_new_session=True)
        log.close()
        self.wait_running(timeout)
        return self

    def wait_running(self, timeout=20):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError('supervisord exited with %s: %s' % (self.proc.returncode, self.output()))
            try:
                if self.client().call('supervisor.getState')['statename'] == 'RUNNING':
                    return
            except Exception as exc:  # not up yet
                last = exc
            time.sleep(0.05)
        raise RuntimeError('supervisord did not come up within %ss: %s\n%s' % (timeout, last, self.output()))

    def output(self):
        try:
            with open(os.path.join(self.directory, 'supervisord.stdout')) as handle:
                return handle.read()[-4000:]
        except OSError:
            return ''

    def client(self, timeout=10):
        settings = parse_server_url(self.server_url, self.username, self.password, timeout=timeout)
        return SupervisorClient(settings)

    def rpc(self, method, *params):
        return self.client().call(method, *params)

    def stop_process(self, name):
        """Stop and wait; a process that is not running is fine."""
        try:
            self.rpc('supervisor.stopProcess', name, True)
        except Exception as exc:
            if 'NOT_RUNNING' not in str(exc):
                raise

    def start_process(self, name):
        """Start and wait; a process that already runs is fine."""
        try:
            self.rpc('supervisor.startProcess', name, True)
        except Exception as exc:
            if 'ALREADY_STARTED' not in str(exc):
                raise

    def info(self, name):
        return self.rpc('supervisor.getProcessInfo', name)

    def statenames(self):
        return dict(('%s:%s' % (i['group'], i['name']), i['statename'])
                    for i in self.rpc('supervisor.getAllProcessInfo'))

    def wait_state(self, name, statename, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.info(name)['statename']
            if current == statename:
                return
            time.sleep(0.05)
        raise AssertionError('%s is %s, not %s, after %ss' % (name, current, statename, timeout))

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.client(timeout=5).call('supervisor.shutdown')
                self.proc.wait(timeout=15)
            except Exception:
                pass
        if self.proc.poll() is None:
            self.kill()
        else:
            self._kill_group()
        self.proc = None

    def _kill_group(self):
        # supervisord puts each child in a process group of its own, but all
        # stay in the session that start_new_session gave the daemon.
        kill_session(self.proc.pid)

    def kill(self):
        """SIGKILL the daemon and every child it spawned (same session)."""
        self._kill_group()
        self.proc.wait(timeout=10)

    def cleanup(self):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        """Start it; the ``with`` block's end stops it and kills whatever is left, even on failure."""
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.cleanup()


def kill_session(sid):
    """SIGKILL every process of session ``sid`` (the daemon and its children)."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def free_port():
    """A free TCP port of 127.0.0.1, below the kernel's ephemeral range.

    A port that binding port 0 gives comes from the ephemeral range: once released, any
    outgoing connection of any process may take it, for instance while a test restarts the
    server that listens on it (a rulebook down for 10 s). The kernel hands out no port below
    that range by itself.
    """
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as handle:
            low = int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for dummy in range(500):
        port = random.randint(10000, low - 1)
        with socket.socket() as sock:
            try:
                sock.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise RuntimeError('no free TCP port between 10000 and %d' % (low - 1))


def wait_for_text(path, text, timeout=15):
    """Wait until the file at ``path`` contains the bytes ``text`` (a child's log, written after its start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, 'rb') as handle:
                if text in handle.read():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError('%r never appeared in %s' % (text, path))
