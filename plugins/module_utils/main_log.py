# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What supervisord's main log says of a process (pure).

getProcessInfo reports ``exitstatus`` 0 after an exit within ``startsecs``
and a respawn clears it, so the main log's ``exited: NAME (exit status 3;
not expected)`` is the only record of the real exit: the process module
reads it to explain a failed start, the polling event source to describe an
exit that autorestart hid (``run_end``: which line ended one run, found by
the log's order between two ``spawned:`` lines, never by clocks).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

_EXIT_STATUS = re.compile(r'exit status (\d+)')
_SPAWNED = re.compile(r'spawned: u?([\'"])(?P<name>.*)\1 with pid (?P<pid>\d+)\s*$')
_ENDED = re.compile(r'(?P<kind>exited|stopped): (?P<rest>.*)\)\s*$')


def lines_about(text, name):
    """The lines of the main log that name process ``name`` (supervisord logs the process name, not the group)."""
    return [line for line in (text or '').splitlines()
            if (': %s ' % name) in line or line.endswith(': %s' % name)]


def _ended(line, name):
    """``(kind, reason, exitstatus)`` of an ``exited: NAME (...)`` or ``stopped: NAME (...)`` line about ``name``
    (``Subprocess.finish``), such as ``('exited', 'exit status 3; not expected', 3)``; None for another line."""
    found = _ENDED.search(line)
    prefix = name + ' ('
    if not found or not found.group('rest').startswith(prefix):
        return None
    reason = found.group('rest')[len(prefix):]
    status = _EXIT_STATUS.match(reason)
    return found.group('kind'), reason, int(status.group(1)) if status else None


def last_exit(text, name):
    """``(reason, exitstatus)`` of the last ``exited: NAME (...)`` line, such as
    ``('exit status 3; not expected', 3)`` or ``('terminated by SIGKILL; not expected', None)``;
    ``(None, None)`` when the log has none."""
    for line in reversed((text or '').splitlines()):
        end = _ended(line, name)
        if end and end[0] == 'exited':
            return end[1], end[2]
    return None, None


def _spawned_pid(line, name):
    """The pid of a ``spawned: 'NAME' with pid N`` line about ``name``, else None.

    supervisord 4.x writes ``'NAME'``; 3.x writes ``%r`` of the name (``'NAME'``, ``u'NAME'`` or ``"NAME"``)."""
    found = _SPAWNED.search(line)
    if found and found.group('name') == name:
        return int(found.group('pid'))
    return None


def run_end(text, name, old_pid, new_pid):
    """``(kind, reason, exitstatus)`` of the line that ended the run of ``name`` whose pid was ``old_pid``
    before the run of ``new_pid`` began: ``kind`` is ``'exited'`` or ``'stopped'`` (``Subprocess.finish``),
    such as ``('stopped', 'terminated by SIGTERM', None)`` or ``('exited', 'exit status 3; not expected', 3)``.

    That line is the last ``exited:``/``stopped:`` line about ``name`` before ``spawned: 'NAME' with pid
    NEW_PID`` (and after ``spawned: ... with pid OLD_PID`` when the text holds it); with no new run
    (``new_pid`` 0: BACKOFF, FATAL), the last one after ``spawned: ... with pid OLD_PID``. None when the
    text does not hold that window (another run's line is never taken): a tail that starts later, or a
    log level above INFO, which leaves out the ``spawned:`` lines.
    """
    lines = (text or '').splitlines()
    first, last = None, len(lines)
    if new_pid:
        last = next((index for index in range(len(lines) - 1, -1, -1)
                     if _spawned_pid(lines[index], name) == new_pid), None)
        if last is None:
            return None
    if old_pid:
        first = next((index + 1 for index in range(last - 1, -1, -1)
                      if _spawned_pid(lines[index], name) == old_pid), None)
    if first is None:
        if not new_pid:
            return None
        first = 0
    for line in reversed(lines[first:last]):
        end = _ended(line, name)
        if end:
            return end
    return None
