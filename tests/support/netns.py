"""Test hosts made of Linux network namespaces (needs root).

A ``Network`` is a private layer-2 segment: a bridge in the root namespace
with the address ``198.18.K.254/24``, and one network namespace per *host*,
each with a veth end ``eth0`` at ``198.18.K.<i>`` plugged into the bridge and
its own ``/etc/netns/<namespace>/hosts`` naming every host of the network
(``ip netns exec`` bind-mounts that file over ``/etc/hosts`` inside the
namespace only). So:

* programs started with ``network.popen(host, argv)`` (or ``network.argv``)
  run "on" that host: its host name resolves to its own non-loopback
  address, which is what Supvisors needs to recognise itself;
* hosts reach each other by name or address, and the test process (root
  namespace) reaches every host by address through the bridge;
* ``network.isolate(host)`` / ``network.reconnect(host)`` cut and restore a
  host's link, to make a Supvisors instance ISOLATED.

Usage::

    from tests.support.netns import Network, require_root
    require_root()                       # skip (or fail under CI=true) if not root
    with Network(['alpha', 'beta']) as net:
        net.address('alpha')             # '198.18.K.1'
        proc = net.popen('alpha', ['python3', '-m', 'http.server', '--bind', net.address('alpha')])

Everything is deleted by ``close()`` (also on exceptions, by the ``with``
block): the processes still running in the namespaces (SIGKILL), the
namespaces, their ``/etc/netns`` directories and the bridge. A test run that
was killed outright leaves them behind; the next ``Network()`` reaps the
leftovers of any owner process that no longer exists (``reap_stale``).

Subnet numbers ``K`` are allocated under a file lock, so concurrent test runs
(colleagues, xdist workers) never share a subnet or an interface name.
"""

import fcntl
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

NETNS_ETC = '/etc/netns'
STATE_DIR = '/run/supervisor-control-tests'
LOCK_FILE = os.path.join(STATE_DIR, 'netns.lock')
PREFIX = 'sct'          # namespaces: sct<K>-<host>, bridge: sctb<K>, veth root ends: sct<K>v<i>
SUBNET = '198.18.%d.%d'
MAX_SUBNETS = 250


def running_as_root():
    return os.geteuid() == 0


def require_root(what='network namespaces'):
    """Skip the calling test unless root; under ``CI=true`` fail instead of skipping."""
    if running_as_root():
        return
    reason = '%s need root (ip netns, veth, /etc/netns); run the tests as root' % what
    if os.environ.get('CI', '').lower() == 'true':
        pytest.fail('CI=true but not root: ' + reason)
    pytest.skip(reason)


def ip(*args, check=True):
    proc = subprocess.run(('ip',) + args, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError('ip %s failed: %s' % (' '.join(args), proc.stderr.strip()))
    return proc


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def namespace_pids(namespace):
    out = ip('netns', 'pids', namespace, check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def kill_namespace_processes(namespace, timeout=5):
    """SIGKILL every process inside ``namespace`` and wait until none is left."""
    deadline = time.monotonic() + timeout
    while True:
        pids = namespace_pids(namespace)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)


def _delete_subnet(number):
    """Remove everything of subnet ``number``: namespaces, /etc/netns dirs, bridge."""
    listed = ip('netns', 'list', check=False).stdout.split('\n')
    for line in listed:
        name = line.split(' ')[0].strip()
        if name.startswith('%s%d-' % (PREFIX, number)):
            kill_namespace_processes(name)
            ip('netns', 'del', name, check=False)
            shutil.rmtree(os.path.join(NETNS_ETC, name), ignore_errors=True)
    if os.path.isdir(NETNS_ETC):
        for name in os.listdir(NETNS_ETC):
            if name.startswith('%s%d-' % (PREFIX, number)):
                shutil.rmtree(os.path.join(NETNS_ETC, name), ignore_errors=True)
    ip('link', 'del', '%sb%d' % (PREFIX, number), check=False)
    # Root ends of veth pairs whose namespace outlived its name (still held by
    # something): delete them, or the next network of this subnet cannot start.
    for match in re.finditer(r'^\d+: (%s%dv\d+)[@:]' % (PREFIX, number),
                             ip('-o', 'link', 'show', check=False).stdout, re.M):
        ip('link', 'del', match.group(1), check=False)
    try:
        os.unlink(os.path.join(STATE_DIR, 'subnet-%d.owner' % number))
    except FileNotFoundError:
        pass


def reap_stale():
    """Delete the networks whose owner process is gone (a test run killed with SIGKILL)."""
    if not os.path.isdir(STATE_DIR):
        return
    for entry in os.listdir(STATE_DIR):
        match = re.match(r'subnet-(\d+)\.owner$', entry)
        if not match:
            continue
        try:
            with open(os.path.join(STATE_DIR, entry)) as handle:
                owner = int(handle.read().strip() or 0)
        except (OSError, ValueError):
            owner = 0
        if not owner or not _pid_alive(owner):
            _delete_subnet(int(match.group(1)))


class Network(object):
    """A bridge plus one network namespace per host; see the module docstring.

    ``hosts``: host names (also used in the namespace names, so keep them
    short: letters, digits, ``-``). ``extra_hosts``: more ``{name: address}``
    lines for every hosts file (aliases of the test machine, for instance).
    """

    def __init__(self, hosts, extra_hosts=None):
        hosts = list(hosts)
        if not hosts or len(set(hosts)) != len(hosts):
            raise ValueError('Network needs distinct host names, got %r' % (hosts,))
        for host in hosts:
            if not re.match(r'^[A-Za-z][A-Za-z0-9-]{0,30}$', host):
                raise ValueError('host name %r: use letters, digits and -' % host)
        if len(hosts) > 200:
            raise ValueError('at most 200 hosts per network')
        self.hosts = hosts
        self.extra_hosts = dict(extra_hosts or {})
        self.number = None
        self.bridge = None
        self._namespaces = {}
        self._procs = []
        self.open()

    # --- naming ---------------------------------------------------------
    def namespace(self, host):
        return self._namespaces[host]

    def address(self, host):
        return SUBNET % (self.number, self.hosts.index(host) + 1)

    @property
    def gateway(self):
        """The address of the test process (root namespace) on this network."""
        return SUBNET % (self.number, 254)

    def _veth(self, host):
        return '%s%dv%d' % (PREFIX, self.number, self.hosts.index(host))

    # --- lifecycle ------------------------------------------------------
    def _allocate(self):
        os.makedirs(STATE_DIR, exist_ok=True)
        with open(LOCK_FILE, 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            reap_stale()
            links = ip('-o', 'link', 'show', check=False).stdout
            for number in range(1, MAX_SUBNETS):
                owner = os.path.join(STATE_DIR, 'subnet-%d.owner' % number)
                if os.path.exists(owner) or ('%sb%d:' % (PREFIX, number)) in links:
                    continue
                if re.search(r'^\d+: %s%dv\d+[@:]' % (PREFIX, number), links, re.M):
                    _delete_subnet(number)  # leftovers without an owner: reclaim them
                with open(owner, 'w') as handle:
                    handle.write(str(os.getpid()))
                return number
        raise RuntimeError('no free test subnet in %s' % STATE_DIR)

    def open(self):
        self.number = self._allocate()
        try:
            self.bridge = '%sb%d' % (PREFIX, self.number)
            ip('link', 'add', self.bridge, 'type', 'bridge')
            ip('addr', 'add', '%s/24' % self.gateway, 'dev', self.bridge)
            ip('link', 'set', self.bridge, 'up')
            lines = ['127.0.0.1 localhost']
            lines += ['%s %s' % (self.address(h), h) for h in self.hosts]
            lines += ['%s %s' % (addr, name) for name, addr in self.extra_hosts.items()]
            for host in self.hosts:
                ns = '%s%d-%s' % (PREFIX, self.number, host)
                self._namespaces[host] = ns
                ip('netns', 'add', ns)
                etc = os.path.join(NETNS_ETC, ns)
                os.makedirs(etc, exist_ok=True)
                with open(os.path.join(etc, 'hosts'), 'w') as handle:
                    handle.write('\n'.join(lines) + '\n')
                ip('-n', ns, 'link', 'set', 'lo', 'up')
                veth = self._veth(host)
                ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
                ip('link', 'set', veth, 'master', self.bridge)
                ip('link', 'set', veth, 'up')
                ip('-n', ns, 'addr', 'add', '%s/24' % self.address(host), 'dev', 'eth0')
                ip('-n', ns, 'link', 'set', 'eth0', 'up')
        except Exception:
            self.close()
            raise
        return self

    def close(self):
        """Kill what runs in the namespaces and delete everything. Idempotent."""
        for proc in self._procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        self._procs = []
        if self.number is not None:
            _delete_subnet(self.number)
            self.number = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- running things on a host -----------------------------------------
    def argv(self, host, argv):
        """``argv`` prefixed to run inside ``host``'s namespace."""
        return ['ip', 'netns', 'exec', self.namespace(host)] + list(argv)

    def popen(self, host, argv, **kwargs):
        """Start ``argv`` on ``host`` in a session of its own; killed by ``close()``."""
        kwargs.setdefault('start_new_session', True)
        kwargs.setdefault('stdin', subprocess.DEVNULL)
        proc = subprocess.Popen(self.argv(host, argv), **kwargs)
        self._procs.append(proc)
        return proc

    def run(self, host, argv, **kwargs):
        check = kwargs.pop('check', False)
        return subprocess.run(self.argv(host, argv), check=check, **kwargs)

    # --- faults -------------------------------------------------------
    def isolate(self, host):
        """Cut ``host`` off the network (its bridge port goes down)."""
        ip('link', 'set', self._veth(host), 'down')

    def reconnect(self, host):
        ip('link', 'set', self._veth(host), 'up')
