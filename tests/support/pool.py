"""A pool of real workers for rolling restarts, and a prober that counts how many of them serve.

``pool_program(base, count, control)`` is the supervisord program of ``count`` workers
(tests/support/pool_worker.py) listening on ``base + 1`` to ``base + count``; ``Prober(ports)``
counts, every 50 ms, how many of them accept a TCP connection, for as long as its ``with`` block
lasts.
"""

import os
import socket
import sys
import threading
import time

from tests.support.supervisord import free_port

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pool_worker.py')
READY_LINE = 'ready on'


def free_base(count):
    """A multiple of 100 whose next ``count`` ports are free on 127.0.0.1 (near one that free_port gives):
    ``"BASE // 100" + "{num:02d}"`` then renders each worker's port."""
    for dummy in range(200):
        base = free_port() // 100 * 100
        socks = []
        try:
            for port in range(base + 1, base + count + 1):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(('127.0.0.1', port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError('no block of %d free ports' % count)


def worker_command(base, control, warmup=1.0, noisy=False):
    return '%s %s --base %d --num %%(process_num)d --warmup %g --control %s%s' % (
        sys.executable, WORKER, base, warmup, control, ' --noisy' if noisy else '')


def pool_program(base, count, control, warmup=1.0, **options):
    """The ``[program:pool]`` options: ``count`` workers ``pool_1`` to ``pool_COUNT``."""
    program = dict(command=worker_command(base, control, warmup), numprocs=count, numprocs_start=1,
                   process_name='pool_%(process_num)d', startsecs=0, stopwaitsecs=5)
    program.update(options)
    return program


def accepts(port, timeout=0.2):
    try:
        socket.create_connection(('127.0.0.1', port), timeout).close()
        return True
    except OSError:
        return False


def listening(ports):
    return [port for port in ports if accepts(port)]


def wait_listening(ports, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(listening(ports)) == len(ports):
            return
        time.sleep(0.05)
    raise AssertionError('only %s of %s listen after %s s' % (listening(ports), list(ports), timeout))


class Prober(object):
    """Counts every 50 ms how many of ``ports`` accept a connection; ``counts`` holds every sample."""

    def __init__(self, ports, every=0.05):
        self.ports = list(ports)
        self.every = every
        self.counts = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.counts.append(len(listening(self.ports)))
            self._stop.wait(self.every)

    @property
    def lowest(self):
        return min(self.counts)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
