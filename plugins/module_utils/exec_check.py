# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether a frozen child of supervisord has executed its program yet, as /proc shows it (I/O).

supervisord forks a child, which runs supervisord's own Python code (with
its signal handlers, which swallow a stop signal) until it calls execve. A
child frozen with SIGSTOP is either still that copy of supervisord or
already the program. /proc tells them apart only where the module runs on
supervisord's host and in its pid namespace: elsewhere the pids that
supervisord gives mean nothing here, which ``frozen_child`` detects (the
parent, the session and the frozen state must all match) rather than trust.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

BEFORE_EXEC = 'before_exec'  # still supervisord's copy: the program has not run
AFTER_EXEC = 'after_exec'    # the program itself, frozen
NOT_FROZEN = 'not_frozen'    # supervisord's child, not (yet) stopped by the signal
UNSEEN = 'unseen'            # /proc here shows nothing that is surely that child


def parse_stat(text):
    """``(state, ppid, session)`` from the text of /proc/PID/stat.

    The command name (field 2) may hold spaces and parentheses: the fields
    are counted from its last closing parenthesis.
    """
    fields = text.rsplit(')', 1)[1].split()
    return fields[0], int(fields[1]), int(fields[3])


def classify(child_stat, parent_stat, supervisord_pid, child_cmdline, parent_cmdline):
    """One of BEFORE_EXEC, AFTER_EXEC, NOT_FROZEN, UNSEEN, from what /proc says (None: unreadable).

    The child is supervisord's only when its parent is supervisord's pid and
    both are in one session (supervisord never gives a child a session of its
    own). Before its execve a child's command line is its parent's, copied
    by fork; the program's own differs (a program whose argv equals
    supervisord's is not one to plan for).
    """
    if child_stat is None or parent_stat is None:
        return UNSEEN
    state, ppid, session = child_stat
    if ppid != supervisord_pid or session != parent_stat[2]:
        return UNSEEN
    if state != 'T':
        return NOT_FROZEN
    if child_cmdline is None or parent_cmdline is None:
        return UNSEEN
    return BEFORE_EXEC if child_cmdline == parent_cmdline else AFTER_EXEC


def _read(path, mode='r'):
    try:
        with open(path, mode) as handle:
            return handle.read()
    except (IOError, OSError):  # gone, or hidden (hidepid): nothing to conclude from
        return None


def _stat(pid, proc):
    text = _read(os.path.join(proc, str(pid), 'stat'))
    try:
        return parse_stat(text) if text else None
    except (IndexError, ValueError):
        return None


def frozen_child(pid, supervisord_pid, proc='/proc'):
    """What /proc says of supervisord's child ``pid``: BEFORE_EXEC, AFTER_EXEC, NOT_FROZEN or UNSEEN."""
    child_stat = _stat(pid, proc)
    parent_stat = _stat(supervisord_pid, proc)
    # The command lines only matter once the child is frozen: read them then, so that they cannot change.
    cmdlines = (None, None)
    if child_stat is not None and child_stat[0] == 'T':
        cmdlines = (_read(os.path.join(proc, str(pid), 'cmdline'), 'rb'),
                    _read(os.path.join(proc, str(supervisord_pid), 'cmdline'), 'rb'))
    return classify(child_stat, parent_stat, supervisord_pid, *cmdlines)
