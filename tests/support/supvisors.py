"""A real Supvisors cluster for tests: N supervisord + Supvisors, one per test host (needs root).

Supvisors recognises itself by the reverse DNS of a non-loopback address and
calls its own XML-RPC by host name, so every instance runs on a host of its
own: a network namespace from ``tests.support.netns.Network`` (see there).
The daemons come from ``.venv-supvisors`` (supvisors pins ``websockets<14``,
which must not meet ansible-rulebook's ``websockets`` 15).

API::

    from tests.support.supvisors import SupvisorsCluster
    cluster = SupvisorsCluster(
        hosts=['alpha', 'beta', 'gamma'],    # host names, chosen by the caller (nick = host name)
        programs={'sleeper': {'command': 'sleep 1000'}},   # [program:x] options, on every host
        host_programs={'alpha': {...}},       # optional: extra/overriding programs per host
        groups={'web': ['sleeper']},          # optional [group:x] sections
        rules=RULES_XML,                      # optional rules file text (None: no rules_files)
        event_link='ZMQ',                     # or 'WS' (needs websockets in .venv-supvisors) or 'NONE'
        http_port=60000, event_port=60002,    # the same on every host (each host has its own address)
        options={'synchro_options': 'STRICT'},  # more [rpcinterface:supvisors] options
        supervisord_options={'loglevel': 'debug'},
        venv_bin=None,                        # the bin directory with supervisord (default .venv-supvisors/bin)
        credentials=('admin', 'secret'),      # optional: basic auth on every inet_http_server
    )
    with cluster:                              # or cluster.start() ... cluster.cleanup()
        cluster.start()                        # starts every instance, waits for OPERATION on all
        cluster.server_url('alpha')            # 'http://198.18.K.1:60000' (reachable from the test)
        cluster.host_url('alpha')              # 'http://alpha:60000' (valid inside the network)
        cluster.event_address('alpha')         # ('198.18.K.1', 60002)
        cluster.rpc('alpha', 'supvisors.get_all_process_info')
        cluster.client('alpha')                # a supervisor.control SupervisorClient
        cluster.wait_operation()               # every instance sees OPERATION
        cluster.wait_process('alpha', 'web:sleeper', 'RUNNING')
        cluster.stop_instance('beta')          # SIGTERM (a clean shutdown), waits for the exit
        cluster.kill_instance('beta')          # SIGKILL the daemon and its children
        cluster.start_instance('beta', wait=True)
        cluster.restart_instance('alpha')      # stop + start + wait for OPERATION
        cluster.network.isolate('gamma')       # cut its link (Supvisors marks it ISOLATED)
        cluster.popen('alpha', ['ansible-rulebook', ...])  # run anything on a host
        cluster.log('alpha')                   # tail of that supervisord's log, for messages

``cleanup()`` (and leaving the ``with`` block, even on an exception) stops
every daemon, deletes the namespaces, ``/etc/netns`` entries, the bridge and
the temporary directory. One instance reaches OPERATION about 10 s after it
starts: start a cluster once per test module (a module-scoped fixture) when
the tests can share it. Such a fixture is the body of ``running_cluster``::

    @pytest.fixture(scope='module')
    def solo():
        with running_cluster(['solo'], programs=..., running=[('solo', 'auto:ticker')]) as cluster:
            yield cluster
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time

from tests.support.netns import Network, require_root
from tests.support.paths import SUPVISORS_VENV_BIN, ensure_collection_link
from tests.support.supervisord import _ini, kill_session

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.connection import parse_server_url  # noqa: E402


def managed_application(name, programs=None, identifiers='*', start_sequence=1):
    """A Supvisors rules file with one managed application: each program (or, with None, every program of the
    group) may run on ``identifiers``, is required, and starts in the application's sequence."""
    if programs is None:
        rules = ['<program pattern="">']
    else:
        rules = ['<program name="%s">' % program for program in programs]
    entries = ''.join('''
            %s
                <identifiers>%s</identifiers>
                <start_sequence>1</start_sequence>
                <required>true</required>
            </program>''' % (opening, identifiers) for opening in rules)
    return '''<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<root>
    <application name="%s">
        <start_sequence>%d</start_sequence>
        <stop_sequence>1</stop_sequence>
        <programs>%s
        </programs>
    </application>
</root>
''' % (name, start_sequence, entries)


SUPVISORS_FACTORY = 'supvisors.plugin:make_supvisors_rpcinterface'
CTL_FACTORY = 'supvisors.supvisorsctl:make_supvisors_controller_plugin'


class SupvisorsCluster(object):
    def __init__(self, hosts, programs=None, host_programs=None, groups=None, rules=None,
                 event_link='ZMQ', http_port=60000, event_port=60002, options=None,
                 supervisord_options=None, directory=None, extra_hosts=None, venv_bin=None, credentials=None):
        self.hosts = list(hosts)
        self.programs = dict(programs or {})
        self.host_programs = dict(host_programs or {})
        self.groups = dict(groups or {})
        self.rules = rules
        self.event_link = event_link
        self.http_port = http_port
        self.event_port = event_port
        self.options = dict(options or {})
        self.supervisord_options = dict(supervisord_options or {})
        self._own_dir = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix='supvisors-')
        self.extra_hosts = extra_hosts
        self.venv_bin = venv_bin or SUPVISORS_VENV_BIN
        self.credentials = credentials
        self.network = None
        self.procs = {}

    # --- addresses --------------------------------------------------------
    def address(self, host):
        return self.network.address(host)

    def server_url(self, host):
        """XML-RPC URL by address: usable from the test process."""
        return 'http://%s:%d' % (self.address(host), self.http_port)

    def host_url(self, host):
        """XML-RPC URL by host name: usable on the hosts (their hosts files name each other)."""
        return 'http://%s:%d' % (host, self.http_port)

    def event_address(self, host):
        return self.address(host), self.event_port

    def identifier(self, host):
        return '%s:%d' % (host, self.http_port)

    def instance_dir(self, host):
        return os.path.join(self.directory, host)

    def conf(self, host):
        return os.path.join(self.instance_dir(host), 'supervisord.conf')

    # --- configuration ------------------------------------------------
    def write_config(self, host):
        base = self.instance_dir(host)
        logdir = os.path.join(base, 'logs')
        os.makedirs(logdir, exist_ok=True)
        supervisord = {
            'logfile': os.path.join(base, 'supervisord.log'),
            'pidfile': os.path.join(base, 'supervisord.pid'),
            'childlogdir': logdir,
            'nodaemon': True,
            'loglevel': 'info',
        }
        supervisord.update(self.supervisord_options)
        supvisors = {
            'supervisor.rpcinterface_factory': SUPVISORS_FACTORY,
            'supvisors_list': ','.join('<%s>%s:%d' % (h, h, self.http_port) for h in self.hosts),
            'event_link': self.event_link,
            'event_port': self.event_port,
        }
        if self.rules is not None:
            rules_file = os.path.join(base, 'rules.xml')
            with open(rules_file, 'w') as handle:
                handle.write(self.rules)
            supvisors['rules_files'] = rules_file
        supvisors.update(self.options)
        auth = dict(zip(('username', 'password'), self.credentials or ()))
        parts = [
            _ini('supervisord', supervisord),
            _ini('inet_http_server', dict(auth, port='%s:%d' % (self.address(host), self.http_port))),
            _ini('rpcinterface:supervisor',
                 {'supervisor.rpcinterface_factory': 'supervisor.rpcinterface:make_main_rpcinterface'}),
            _ini('supervisorctl', dict(auth, serverurl=self.host_url(host))),
            _ini('rpcinterface:supvisors', supvisors),
            _ini('ctlplugin:supvisors', {'supervisor.ctl_factory': CTL_FACTORY}),
        ]
        programs = dict(self.programs)
        programs.update(self.host_programs.get(host, {}))
        for name, options in programs.items():
            values = {'stdout_logfile': os.path.join(logdir, '%(program_name)s_%(process_num)s.out'),
                      'stderr_logfile': os.path.join(logdir, '%(program_name)s_%(process_num)s.err'),
                      'stopwaitsecs': 2}
            values.update(options)
            parts.append(_ini('program:%s' % name, values))
        for name, members in self.groups.items():
            parts.append(_ini('group:%s' % name, {'programs': ','.join(members)}))
        with open(self.conf(host), 'w') as handle:
            handle.write('\n'.join(parts))

    # --- lifecycle ----------------------------------------------------
    def start(self, wait=True, timeout=60):
        """Create the network, start every instance, wait for OPERATION (unless ``wait=False``)."""
        if self.network is None:
            self.network = Network(self.hosts, extra_hosts=self.extra_hosts)
        for host in self.hosts:
            self.start_instance(host, wait=False)
        if wait:
            self.wait_operation(timeout=timeout)
        return self

    def start_instance(self, host, wait=False, timeout=60):
        if self.procs.get(host) is not None and self.procs[host].poll() is None:
            raise RuntimeError('the Supvisors instance on %s already runs' % host)
        self.write_config(host)
        with open(os.path.join(self.instance_dir(host), 'supervisord.stdout'), 'ab') as log:
            self.procs[host] = self.network.popen(
                host, [os.path.join(self.venv_bin, 'supervisord'), '-c', self.conf(host)],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.instance_dir(host))
        if wait:
            self.wait_operation(hosts=[host], timeout=timeout)

    def stop_instance(self, host, timeout=20):
        """Shut one daemon down cleanly (SIGTERM, as ``supervisorctl shutdown`` does, but without
        needing the network, which may be cut); SIGKILL it and its children after ``timeout``."""
        proc = self.procs.get(host)
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        if proc.poll() is None:
            self.kill_instance(host)
        else:
            kill_session(proc.pid)

    def kill_instance(self, host):
        proc = self.procs.get(host)
        if proc is None:
            return
        if proc.poll() is None:
            kill_session(proc.pid)
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)

    def restart_instance(self, host, wait=True, timeout=60):
        self.stop_instance(host)
        self.start_instance(host, wait=wait, timeout=timeout)

    def cleanup(self):
        for host in list(self.procs):
            try:
                # Short: an isolated instance cannot finish a clean shutdown; it is killed then.
                self.stop_instance(host, timeout=5)
            except Exception:
                self.kill_instance(host)
        self.procs = {}
        if self.network is not None:
            self.network.close()
            self.network = None
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    # --- talking to it --------------------------------------------------
    def client(self, host, timeout=10):
        username, password = self.credentials or (None, None)
        return SupervisorClient(parse_server_url(self.server_url(host), username, password, timeout=timeout))

    def rpc(self, host, method, *params):
        return self.client(host).call(method, *params)

    def supvisors_state(self, host):
        return self.rpc(host, 'supvisors.get_supvisors_state')['fsm_statename']

    def wait_operation(self, hosts=None, timeout=60):
        """Wait until every instance in ``hosts`` (default: all) reports OPERATION."""
        deadline = time.monotonic() + timeout
        for host in hosts or self.hosts:
            last = None
            while True:
                proc = self.procs.get(host)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError('supervisord on %s exited with %s:\n%s' % (
                        host, proc.returncode, self.log(host)))
                try:
                    last = self.supvisors_state(host)
                    if last == 'OPERATION':
                        break
                except Exception as exc:  # not up yet
                    last = exc
                if time.monotonic() > deadline:
                    raise RuntimeError('Supvisors on %s not in OPERATION after %ss (last: %s)\n%s' % (
                        host, timeout, last, self.log(host)))
                time.sleep(0.2)

    def wait_process(self, host, namespec, statename, timeout=30):
        """Wait until supervisord on ``host`` shows ``namespec`` in ``statename``; return its info."""
        deadline = time.monotonic() + timeout
        info = None
        while time.monotonic() < deadline:
            info = self.rpc(host, 'supervisor.getProcessInfo', namespec)
            if info['statename'] == statename:
                return info
            time.sleep(0.1)
        raise AssertionError('%s on %s is %s, not %s, after %ss' % (
            namespec, host, info and info['statename'], statename, timeout))

    def popen(self, host, argv, **kwargs):
        return self.network.popen(host, argv, **kwargs)

    def argv(self, host, argv):
        return self.network.argv(host, argv)

    def log(self, host, size=6000):
        text = ''
        for name in ('supervisord.stdout', 'supervisord.log'):
            try:
                with open(os.path.join(self.instance_dir(host), name), errors='replace') as handle:
                    text += '--- %s\n%s\n' % (name, handle.read()[-size:])
            except OSError:
                pass
        return text


@contextlib.contextmanager
def running_cluster(hosts, timeout=120, wait=True, running=(), **config):
    """A started SupvisorsCluster for a ``with`` block; skips the test unless it runs as root.

    It waits for OPERATION (unless ``wait=False``), then until every ``(host, namespec)`` of
    ``running`` is RUNNING (what a start sequence starts); ``config`` is SupvisorsCluster's.
    """
    require_root('a Supvisors cluster in network namespaces')
    with SupvisorsCluster(hosts, **config) as cluster:
        cluster.start(wait=wait, timeout=timeout)
        for host, namespec in running:
            cluster.wait_process(host, namespec, 'RUNNING', timeout=60)
        yield cluster
