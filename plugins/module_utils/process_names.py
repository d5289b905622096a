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


def suggestions(spec, infos, limit=3, groups=True):
    """The existing names closest to ``spec``: each a name that ``match`` reads as that process or group.

    ``groups=False`` for a reader of one process per name, which a group's name would fail again.
    """
    import difflib  # only on the failure path: keeps the module's start-up light
    names = set()
    for info in infos:
        names.add(fullname(info))  # an exact name always wins, so a fullname selects its process alone
        if groups:
            names.add(info['group'] + ':*')
    names.discard(spec)
    target = spec.replace('*', '').replace('?', '')
    scored = []
    for name in names:
        ratio = difflib.SequenceMatcher(None, target, name).ratio()
        if ratio >= 0.5:
            scored.append((-ratio, name))
    return [name for dummy, name in sorted(scored)[:limit]]


def _exact_hits(spec, by_namespec, by_group):
    """The indexes that ``spec`` names exactly, or None when no process or group has that name.

    supervisorctl's reading (``split_namespec``: ``group:proc``, ``group:*``, ``group:``, ``proc`` for
    ``proc:proc``), then our extension: a bare group name with no process of its own name is the whole
    group, so that numprocs programs can be named without ``:*``.
    """
    if ':' in spec:
        group, name = spec.split(':', 1)
        if name in ('', '*'):
            return by_group.get(group)
        return [by_namespec[spec]] if spec in by_namespec else None
    if '%s:%s' % (spec, spec) in by_namespec:
        # even when the group also has other processes, as supervisorctl reads it
        return [by_namespec['%s:%s' % (spec, spec)]]
    return by_group.get(spec)


def match(specs, infos, suggest_groups=True):
    """The infos that ``specs`` select, in supervisord's order, each once.

    A spec that is a process's or a group's name selects it, whatever characters it holds
    (``a[1]``, ``q?``, ``all``); only a spec that names nothing is read as ``all`` (every process)
    or as a glob. ``*`` always means every process (no process can be named ``*``: supervisord's
    own getAllProcessInfo fails on it). Raises NameNotFoundError for the first spec that selects
    nothing, with the closest names (no group's with ``suggest_groups=False``). Exact names are
    looked up in an index, so a task with hundreds of names does not compare every name with every
    process; only globs scan.
    """
    by_namespec = {}
    by_group = {}
    for i, info in enumerate(infos):
        by_namespec[namespec(info)] = i
        by_group.setdefault(info['group'], []).append(i)
    selected = set()
    for spec in specs:
        spec = spec.strip()
        hits = None if spec == '*' else _exact_hits(spec, by_namespec, by_group)
        if hits is None and spec in ('all', '*'):
            hits = range(len(infos))  # "every process" of an empty daemon is none
        elif hits is None and is_glob(spec):
            hits = [i for i, info in enumerate(infos) if _glob_matches(spec, info)]
        if not hits and spec not in ('all', '*'):
            raise NameNotFoundError(spec, suggestions(spec, infos, groups=suggest_groups))
        selected.update(hits)
    return [infos[i] for i in sorted(selected)]


def single_namespecs(specs):
    """``specs`` stripped when each can name one process only (``group:name`` or a bare name), else None.

    A bare name is ``name:name`` to supervisord's ``getProcessInfo`` as to ``match``; when that
    process does not exist (the name is a group's), the caller falls back to ``match``. A spec
    with glob characters, or ``all``, gives None too although it may be a name (``a[1]``): the
    table is read and ``match`` decides, without a first round trip that a glob would waste.
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
