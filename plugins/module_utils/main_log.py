# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What supervisord's main log says of a process (pure).

getProcessInfo reports ``exitstatus`` 0 after an exit within ``startsecs``
and a respawn clears it, so the main log's ``exited: NAME (exit status 3;
not expected)`` is the only record of the real exit: the process module
reads it to explain a failed start, the polling event source to describe an
exit that autorestart hid.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

_EXIT_STATUS = re.compile(r'exit status (\d+)')


def lines_about(text, name):
    """The lines of the main log that name process ``name`` (supervisord logs the process name, not the group)."""
    return [line for line in (text or '').splitlines()
            if (': %s ' % name) in line or line.endswith(': %s' % name)]


def last_exit(text, name):
    """``(reason, exitstatus)`` of the last ``exited: NAME (...)`` line, such as
    ``('exit status 3; not expected', 3)`` or ``('terminated by SIGKILL; not expected', None)``;
    ``(None, None)`` when the log has none."""
    prefix = 'exited: %s (' % name
    for line in reversed((text or '').splitlines()):
        line = line.rstrip()
        start = line.find(prefix)
        if start >= 0 and line.endswith(')'):
            reason = line[start + len(prefix):-1]
            found = _EXIT_STATUS.match(reason)
            return reason, int(found.group(1)) if found else None
    return None, None
