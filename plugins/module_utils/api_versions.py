# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which supervisord release brought each XML-RPC method and behaviour (pure).

Every supervisord since 3.0 answers ``getAPIVersion`` with ``3.0`` whatever it
offers, so the release (``getSupervisorVersion``) is what tells what a daemon
can do. The table was read from each release's ``rpcinterface.py`` and
``xmlrpc.py`` and checked against the ``system.listMethods`` of real 3.1.4,
3.4.0, 4.1.0, 4.2.5 and 4.3.0 daemons (``docs/api-coverage.md``, "since").
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The first 3.x release, whose API (3.0) every later one keeps.
V3_0 = (3, 0)
# signalProcess & co.; and the end of the deferred answers (next constant).
V3_2_0 = (3, 2, 0)

# method -> (release that added it, what a task cannot do without it).
ADDED_IN = {
    'supervisor.getAPIVersion': (V3_0, 'report its API version'),
    'supervisor.getVersion': (V3_0, 'report its API version'),
    'supervisor.getSupervisorVersion': (V3_0, 'report its version'),
    'supervisor.getIdentification': (V3_0, 'report its identifier'),
    'supervisor.getState': (V3_0, 'report its state'),
    'supervisor.getPID': (V3_0, 'report its pid'),
    'supervisor.readLog': (V3_0, 'read its main log'),
    'supervisor.readMainLog': (V3_0, 'read its main log'),
    'supervisor.clearLog': (V3_0, 'clear its main log'),
    'supervisor.shutdown': (V3_0, 'shut down'),
    'supervisor.restart': (V3_0, 'restart'),
    'supervisor.reloadConfig': (V3_0, 'reread its configuration'),
    'supervisor.addProcessGroup': (V3_0, 'add process groups'),
    'supervisor.removeProcessGroup': (V3_0, 'remove process groups'),
    'supervisor.getAllConfigInfo': (V3_0, 'report its configuration'),
    'supervisor.getProcessInfo': (V3_0, 'report a process'),
    'supervisor.getAllProcessInfo': (V3_0, 'report its processes'),
    'supervisor.startProcess': (V3_0, 'start processes'),
    'supervisor.startProcessGroup': (V3_0, 'start process groups'),
    'supervisor.startAllProcesses': (V3_0, 'start all processes'),
    'supervisor.stopProcess': (V3_0, 'stop processes'),
    'supervisor.stopProcessGroup': (V3_0, 'stop process groups'),
    'supervisor.stopAllProcesses': (V3_0, 'stop all processes'),
    'supervisor.signalProcess': (V3_2_0, 'signal processes'),
    'supervisor.signalProcessGroup': (V3_2_0, 'signal process groups'),
    'supervisor.signalAllProcesses': (V3_2_0, 'signal all processes'),
    'supervisor.sendProcessStdin': (V3_0, "write to a process's standard input"),
    'supervisor.sendRemoteCommEvent': (V3_0, 'send remote communication events'),
    'supervisor.readProcessLog': (V3_0, "read a process's stdout log"),
    'supervisor.readProcessStdoutLog': (V3_0, "read a process's stdout log"),
    'supervisor.readProcessStderrLog': (V3_0, "read a process's stderr log"),
    'supervisor.tailProcessLog': (V3_0, "tail a process's stdout log"),
    'supervisor.tailProcessStdoutLog': (V3_0, "tail a process's stdout log"),
    'supervisor.tailProcessStderrLog': (V3_0, "tail a process's stderr log"),
    'supervisor.clearProcessLog': (V3_0, "clear a process's logs"),
    'supervisor.clearProcessLogs': (V3_0, "clear a process's logs"),
    'supervisor.clearAllProcessLogs': (V3_0, "clear every process's logs"),
    'system.listMethods': (V3_0, 'list its methods'),
    'system.methodHelp': (V3_0, 'describe its methods'),
    'system.methodSignature': (V3_0, 'describe its methods'),
    'system.multicall': (V3_0, 'batch calls'),
}

# Before 3.2.0, startProcess and stopProcess answer through a deferred
# callback even with wait=False, and system.multicall hands out one result per
# main-loop tick whatever the methods (a tick is up to 1 s on an idle daemon):
# a multicall of N calls takes about N - 2 seconds, while the same N calls
# sent one by one are answered at once.
ONE_CALL_PER_TICK_BEFORE = V3_2_0

# signalProcess of a STOPPING process: from 4.2.2 on (SIGNALLABLE_STATES); before, it faults NOT_RUNNING.
SIGNALS_STOPPING_SINCE = (4, 2, 2)


def _leading_number(text):
    digits = ''
    for char in text:
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else None


def parse_release(text):
    """``(3, 1, 4)`` from ``'3.1.4'`` (``'4.0.0b1'`` gives ``(4, 0, 0)``); None when it is not a release.

    Without a regular expression: a shipped module compiles what it imports, at every task.
    """
    if not isinstance(text, str):
        return None
    parts = [_leading_number(part) for part in text.strip().split('.')[:3]]
    if len(parts) < 2 or parts[0] is None or parts[1] is None:
        return None
    release = [parts[0], parts[1]]
    # a third part counts when it starts with a digit ('4.0.0b1'); '3.0a12' has none
    release.append(parts[2] if len(parts) > 2 and parts[2] is not None else 0)
    return tuple(release)


def _short(release):
    return '.'.join(str(part) for part in release)


def _known(release):
    return release if isinstance(release, tuple) else parse_release(release)


def lacks(release, method):
    """Whether supervisord ``release`` (a tuple or its text) has no ``method``.

    An unknown release or method lacks nothing: the daemon is asked, and its
    own answer stands.
    """
    release = _known(release)
    added = ADDED_IN.get(method)
    return bool(release and added and release < added[0])


def came_later(method):
    """Whether some release of supervisord 3.x lacks ``method`` (it came after 3.0)."""
    added = ADDED_IN.get(method)
    return bool(added and added[0] > V3_0)


def cannot(release, method):
    """The one line for a task that needs ``method`` of a supervisord that lacks it:
    ``supervisord 3.1.4 cannot signal processes: signalProcess came in 3.2.0``."""
    added, what = ADDED_IN[method]
    text = release if not isinstance(release, tuple) else _short(release)
    return 'supervisord %s cannot %s: %s came in %s' % (text, what, method.split('.', 1)[-1], _short(added))


def first_lacking(release, methods):
    """``cannot(...)`` for the first of ``methods`` that ``release`` lacks, or None when it has them all."""
    for method in methods:
        if lacks(release, method):
            return cannot(release, method)
    return None


def one_call_per_tick(release):
    """Whether supervisord ``release`` serves a multicall one call per main-loop tick (before 3.2.0)."""
    release = _known(release)
    return bool(release and release < ONE_CALL_PER_TICK_BEFORE)


def signals_stopping(release):
    """Whether supervisord ``release`` can signal a process that is STOPPING (4.2.2 and later; unknown: yes)."""
    release = _known(release)
    return not release or release >= SIGNALS_STOPPING_SINCE
