# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible's ``diff`` of a task, built one way by every module: what each thing was before and is after.

In the spirit of community.docker's DifferenceTracker. Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

_ABSENT = object()


class Diff(object):
    """``{'before': {name: value}, 'after': {name: value}}``; a thing on one side only did not exist on the other
    (a process removed, a group added) or is only said after (the groups an update replaced)."""

    def __init__(self):
        self.before = {}
        self.after = {}

    def add(self, name, before=_ABSENT, after=_ABSENT):
        if before is not _ABSENT:
            self.before[name] = before
        if after is not _ABSENT:
            self.after[name] = after
        return self

    def add_items(self, before, after, name, value):
        """Each item of the ``before`` and ``after`` lists under ``name(item)``, as ``value(item)``."""
        for item in before:
            self.add(name(item), before=value(item))
        for item in after:
            self.add(name(item), after=value(item))
        return self

    def as_dict(self):
        return {'before': self.before, 'after': self.after}
