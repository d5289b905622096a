"""A daemon whose process and group names hold what a name reader may mistake for syntax.

supervisord accepts any name without a space, ``:`` or ``/``
(``supervisor.datatypes.process_or_group_name``): glob characters, a no-break space, a tab,
the word ``all``. Each odd name has a neighbour that a glob reading of it would select too
(``a[1]`` and ``a1``, ``q?`` and ``qa``, ``g[x]:x*`` and ``gx:x1``), so a test sees which reading
won. Every program starts STOPPED: a test starts what it names and reads what else runs.
"""

import contextlib
import time

import pytest

from tests.support.supervisord import Supervisord, supervisor_python, supervisor_version

NBSP_NAME = 'n\u00a0b'
TAB_NAME = 't\tb'
# cat: it runs until stopped, and echoes what the stdin module sends into its stdout log.
ODD_PROGRAMS = dict((name, dict(command='cat', startsecs=0, autostart=False)) for name in (
    'a[1]', 'a1', 'q?', 'qa', 'x*', 'xy', 'x1', NBSP_NAME, TAB_NAME, 'all'))
ODD_GROUPS = {'g[x]': ['x*', 'xy'], 'gx': ['x1']}
# group:name of every process, as getAllProcessInfo orders them
ODD_NAMESPECS = sorted('%s:%s' % (group, name) for group, name in
                       [('g[x]', 'x*'), ('g[x]', 'xy'), ('gx', 'x1')]
                       + [(n, n) for n in ('a[1]', 'a1', 'q?', 'qa', NBSP_NAME, TAB_NAME, 'all')])


@contextlib.contextmanager
def odd_names_daemon(directory):
    """A running Supervisord with ODD_PROGRAMS in ODD_GROUPS, removed after the block.

    Skips the test when supervisord runs on a Python before 3.10, whose config parser ends a section name at
    its first ``]`` (``[program:a[1]]`` is a program ``a[1``: Ubuntu 20.04's 4.1.0 on 3.8, every 3.x on
    Python 2, where the names outside ASCII cannot be addressed either).
    """
    if supervisor_python() < (3, 10):
        pytest.skip('supervisord %s runs on Python %s, whose config parser cuts [program:a[1]] to a[1: the odd names '
                    'need supervisord on Python 3.10 or later' % ('.'.join(map(str, supervisor_version())),
                                                                  '.'.join(map(str, supervisor_python()))))
    daemon = Supervisord(directory, programs=ODD_PROGRAMS, groups=ODD_GROUPS)
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.cleanup()


def running(daemon):
    """The group:name of every process that runs, sorted."""
    return sorted(spec for spec, state in daemon.statenames().items() if state == 'RUNNING')


def stop_all(daemon, timeout=15):
    """Stop every process and wait until none runs.

    Not with stopAllProcesses: supervisord's deferred answers (``wait=True``, the ``*AllProcesses`` and
    ``*ProcessGroup`` calls) give a Content-Length in characters, not bytes, so a non-ASCII name cuts the
    answer short (supervisor 4.3.0, xmlrpc.DeferredXMLRPCResponse.getresponse).
    """
    client = daemon.client()
    client.multicall([('supervisor.stopProcess', [spec, False]) for spec in running(daemon)])
    deadline = time.monotonic() + timeout
    while running(daemon) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running(daemon) == [], 'still running after %ss: %s' % (timeout, running(daemon))
