# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Process dicts and name matching, as supervisorctl understands names.

Pure functions: no I/O, unit-tested without a daemon.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch

from ansible_collections.supervisor.control.plugins.module_utils.errors import NameNotFoundError

# supervisor/states.py ProcessStates
STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL, UNKNOWN = (
    'STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'UNKNOWN')
# States in which supervisord's stopProcess works (its RUNNING_STATES).
STOPPABLE = (RUNNING, BACKOFF, STARTING)
# States in which signalProcess works.
SIGNALLABLE = (RUNNING, STARTING, STOPPING)
NOT_RUNNING = (STOPPED, EXITED, FATAL, UNKNOWN)

PROCESS_KEYS = ('name', 'group', 'fullname', 'statename', 'state', 'pid', 'description', 'start',
                'stop', 'exitstatus', 'spawnerr', 'stdout_logfile', 'stderr_logfile')

GLOB_CHARS = '*?['


def fullname(info):
    """The name supervisorctl shows: ``group:name``, or ``name`` when they are equal."""
    if info['group'] == info['name']:
        return info['name']
    return '%s:%s' % (info['group'], info['name'])


def namespec(info):
    """The name supervisord's XML-RPC accepts for one process: always ``group:name``."""
    return '%s:%s' % (info['group'], info['name'])


def normalize(info):
    """A getProcessInfo dict reduced to the documented keys, plus ``fullname``."""
    result = dict((key, info.get(key)) for key in PROCESS_KEYS if key in info)
    result['fullname'] = fullname(info)
    return result


def is_glob(spec):
    return any(c in spec for c in GLOB_CHARS)


def _glob_matches(spec, info):
    return fnmatch.fnmatchcase(namespec(info), spec) or fnmatch.fnmatchcase(fullname(info), spec)


def suggestions(spec, infos, limit=3):
    import difflib  # only on the failure path: keeps the module's start-up light
    names = set()
    for info in infos:
        names.add(fullname(info))
        names.add(info['group'] + ':*')
    target = spec.replace('*', '').replace('?', '')
    scored = []
    for name in names:
        ratio = difflib.SequenceMatcher(None, target, name).ratio()
        if ratio >= 0.5:
            scored.append((-ratio, name))
    return [name for dummy, name in sorted(scored)[:limit]]


def match(specs, infos):
    """The infos that ``specs`` select, in supervisord's order, each once.

    Raises NameNotFoundError for the first spec that selects nothing. Exact
    names are looked up in an index, so a task with hundreds of names does not
    compare every name with every process; only globs scan.
    """
    by_namespec = {}
    by_group = {}
    for i, info in enumerate(infos):
        by_namespec[namespec(info)] = i
        by_group.setdefault(info['group'], []).append(i)
    selected = set()
    for spec in specs:
        spec = spec.strip()
        if spec in ('all', '*'):
            hits = range(len(infos))  # "every process" of an empty daemon is none
        elif is_glob(spec):
            hits = [i for i, info in enumerate(infos) if _glob_matches(spec, info)]
        elif ':' in spec:
            group, name = spec.split(':', 1)
            if name in ('', '*'):
                hits = by_group.get(group, [])
            else:
                hits = [by_namespec[spec]] if spec in by_namespec else []
        elif '%s:%s' % (spec, spec) in by_namespec:
            # supervisorctl reads a bare name as ``name:name`` (split_namespec),
            # even when the group also has other processes.
            hits = [by_namespec['%s:%s' % (spec, spec)]]
        else:
            # Our extension: a group with no process of its own name, so that
            # numprocs programs can be named without ``:*``.
            hits = by_group.get(spec, [])
        if not hits and spec not in ('all', '*'):
            raise NameNotFoundError(spec, suggestions(spec, infos))
        selected.update(hits)
    return [infos[i] for i in sorted(selected)]


def single_namespecs(specs):
    """``specs`` stripped when each can name one process only (``group:name`` or a bare name), else None.

    A bare name is ``name:name`` to supervisord's ``getProcessInfo`` as to ``match``; when that
    process does not exist (the name is a group's), the caller falls back to ``match``.
    """
    names = []
    for spec in specs:
        spec = spec.strip()
        if spec in ('all', '*') or is_glob(spec) or spec.endswith(':'):
            return None
        names.append(spec)
    return names


def groups_of(infos):
    """``{group: [process fullnames]}`` in supervisord's order."""
    groups = {}
    for info in infos:
        groups.setdefault(info['group'], []).append(fullname(info))
    return groups
