# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rolling restarts, planned (pure): batches as Ansible's ``serial`` makes them, and readiness checks.

The options are ``plans.ROLLING_SPEC`` and ``plans.READY_SPEC``; this file is
imported only by a task that rolls or waits for readiness (``rolling.py``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils.plans import ROLL_STATES
from ansible_collections.supervisor.control.plugins.module_utils.states import ProcessStates

READY_CHECKS = ('log', 'uptime', 'port', 'url')
_PERCENT = re.compile(r'^(\d+(?:\.\d+)?)%$')
_TRAILING_NUMBER = re.compile(r'(\d+)$')


def size_values(size):
    """``rolling.size`` as a list of counts (int) and percentages (``'25%'``); ValueError naming the value."""
    values = size if isinstance(size, list) else [size]
    if not values:
        raise ValueError('rolling.size is an empty list: give a number of processes, a percentage such as "25%", '
                         'or a list of them such as [1, "25%"]')
    checked = []
    for value in values:
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isdigit() or _PERCENT.match(text)):
            raise ValueError('rolling.size %r is not a number of processes nor a percentage such as "25%%"' % (value,))
        if text.isdigit() and int(text) < 1:
            raise ValueError('rolling.size %r: give 1 or more processes, or a percentage such as "25%%"' % (value,))
        checked.append(int(text) if text.isdigit() else text)
    return checked


def serial_count(value, total):
    """How many of ``total`` one size value takes: Ansible's ``pct_to_int`` (a percentage of the total,
    rounded down, at least 1)."""
    if isinstance(value, int):
        return value
    return int(float(value[:-1]) / 100.0 * total) or 1


def serial_sizes(values, total, count=None):
    """The batch sizes of ``count`` items (``total`` when None), as Ansible's ``serial`` cuts ``total`` hosts:
    a percentage is of ``total``, the last value repeats, the last batch holds the remainder."""
    sizes = []
    left = total if count is None else count
    while left > 0:
        size = min(serial_count(values[min(len(sizes), len(values) - 1)], total), left)
        sizes.append(size)
        left -= size
    return sizes


class Batch(object):
    """Processes that go out of service together. A ``barrier`` batch is rolled, and ready, before
    anything after it is stopped; the others may overlap within the window."""

    def __init__(self, actions, barrier=True):
        self.actions = list(actions)
        self.barrier = barrier

    @property
    def fullnames(self):
        return [process_names.fullname(a.info) for a in self.actions]


class RollPlan(object):
    """``batches`` in order; ``window``: at most this many processes out of service at a time across
    the batches that are no barrier (None: lockstep, every batch a barrier)."""

    def __init__(self, batches, window=None):
        self.batches = batches
        self.window = window

    @property
    def actions(self):
        return [a for batch in self.batches for a in batch.actions]


def plan_roll(actions, values, total, window=False, down_first=True):
    """The batches of the ``actions`` that do something (plan_processes' order, supervisord's).

    ``down_first``: the processes that are not RUNNING go first, in one barrier batch (they cost no
    capacity, and a new version that cannot start is then found before any running process is
    touched). The others are cut by ``serial_sizes(values, total)``: ``total`` is the whole pool, so
    that "25%" means a quarter of the pool. With ``window``, every value but the last is a barrier
    (a canary), and the last one is the window of the rest.
    """
    moving = [a for a in actions if a.steps]
    down = [a for a in moving if down_first and a.info['statename'] != ProcessStates.RUNNING]
    rest = [a for a in moving if a not in down]
    batches = [Batch(down)] if down else []
    for index, size in enumerate(serial_sizes(values, total, len(rest))):
        batches.append(Batch(rest[:size], barrier=not window or index < len(values) - 1))
        rest = rest[size:]
    return RollPlan(batches, serial_count(values[-1], total) if window else None)


def process_number(name):
    """The trailing number of a process name (``web_03`` -> 3), as ``numprocs`` names them; None without one."""
    found = _TRAILING_NUMBER.search(name)
    return int(found.group(1)) if found else None


class _NoNumber(object):
    def __format__(self, spec):
        raise ValueError('its name ends with no number for {num}')


def render(option, template, info, **fields):
    """``template`` with ``{name}``, ``{group}`` and ``{num}`` of one process (and ``fields``); ValueError
    naming the option, the template and the process."""
    number = process_number(info['name'])
    values = dict(fields, name=info['name'], group=info['group'], num=_NoNumber() if number is None else number)
    try:
        return str(template).format(**values)
    except KeyError as exc:
        raise ValueError('%s %r: unknown field {%s}: use %s' % (
            option, template, exc.args[0], ', '.join('{%s}' % key for key in sorted(values))))
    except (ValueError, IndexError, TypeError, AttributeError) as exc:
        raise ValueError('%s %r for %s: %s' % (option, template, process_names.fullname(info), exc))


def check_roll_options(params):
    """Why the ``rolling``/``ready`` options of a task cannot be used, as one line, or None."""
    option = 'rolling' if params.get('rolling') is not None else 'ready'
    if params.get('strategy'):
        return ('%s cannot be used with strategy yet: Supvisors starts and stops processes across the cluster, '
                'where this module cannot roll them' % option)
    if params.get('state') not in ROLL_STATES:
        return '%s needs state=restarted or state=started, got state=%s' % (option, params.get('state'))
    if not params.get('wait', True):
        return '%s needs wait=true: a roll and a readiness check are waits' % option
    try:
        if params.get('rolling') is not None:
            size_values(params['rolling']['size'])
            if params['rolling']['pause'] < 0:
                return 'rolling.pause %r: give 0 or more seconds' % params['rolling']['pause']
        if params.get('ready') is not None:
            ready_pattern(params['ready'])
    except ValueError as exc:
        return str(exc)
    return None


def ready_pattern(ready):
    """The compiled ``ready.log`` (None without one), after checking how the ``ready`` options combine."""
    given = [key for key in READY_CHECKS if ready.get(key) is not None]
    if not given:
        raise ValueError('ready needs at least one of log, uptime, port, url (a process RUNNING is what the task '
                         'waits for without ready)')
    if ready.get('host') is not None and ready.get('port') is None and ready.get('url') is None:
        raise ValueError('ready.host %r is where port and url are probed: give ready.port or ready.url' % ready['host'])
    if ready.get('url') is None and ready.get('status_code') not in (None, [200]):
        raise ValueError('ready.status_code %r needs ready.url' % (ready['status_code'],))
    for code in ready.get('status_code') or ():
        if not 100 <= code <= 599:
            raise ValueError('ready.status_code %r: HTTP status codes are 100 to 599' % (code,))
    if ready.get('uptime') is not None and not ready['uptime'] > 0:
        raise ValueError('ready.uptime %r: give a number of seconds more than 0' % ready['uptime'])
    if ready.get('log') is None:
        return None
    try:
        return re.compile(ready['log'])
    except re.error as exc:
        raise ValueError('ready.log %r is not a regular expression: %s' % (ready['log'], exc))


class ReadyCheck(object):
    """What ``ready`` asks of one process, with its templates rendered."""

    def __init__(self, info, pattern=None, uptime=None, host=None, port=None, url=None, status_code=(200,)):
        self.namespec = process_names.namespec(info)
        self.pattern = pattern
        # Read both logs when stderr has its own: a line the process writes to either counts.
        self.streams = ('stdout', 'stderr') if info.get('stderr_logfile') else ('stdout',)
        self.uptime = uptime
        self.host = host
        self.port = port
        self.url = url
        self.status_code = tuple(status_code)


def _port(template, info):
    value = render('ready.port', template, info).strip()
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError('ready.port %r for %s %s not a TCP port (1 to 65535)' % (
            template, process_names.fullname(info), 'is' if value == str(template) else 'is %r,' % value))
    return int(value)


def ready_checks(ready, infos, default_host):
    """``{namespec: ReadyCheck}`` for ``infos``; ValueError naming the option and the process when a
    template does not render, a port or URL is not one, or ``ready.log`` has no log to read."""
    pattern = ready_pattern(ready)
    checks = {}
    for info in infos:
        if pattern is not None and not info.get('stdout_logfile'):
            raise ValueError('ready.log needs the stdout log of %s, but its stdout_logfile is NONE: supervisord '
                             'keeps no log there to find the line in' % process_names.fullname(info))
        host = render('ready.host', ready['host'], info) if ready.get('host') is not None else default_host
        port = _port(ready['port'], info) if ready.get('port') is not None else None
        url = None
        if ready.get('url') is not None:
            url = render('ready.url', ready['url'], info, host=host, port='' if port is None else port)
            if url.startswith('/'):
                if port is None:
                    raise ValueError('ready.url %r is a path: give ready.port, or a whole URL' % ready['url'])
                url = 'http://%s:%d%s' % ('[%s]' % host if ':' in host else host, port, url)
            if not re.match(r'https?://[^/]', url):
                raise ValueError('ready.url %r for %s is %r: give an http:// or https:// URL, or a path with '
                                 'ready.port' % (ready['url'], process_names.fullname(info), url))
        checks[process_names.namespec(info)] = ReadyCheck(info, pattern, ready.get('uptime'), host, port, url,
                                                          ready.get('status_code') or (200,))
    return checks
