# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What both event sources share in reading their arguments and in starting (``who`` prefixes their messages)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils.connection import connection_warnings


def boolean(value):
    """A rulebook argument as a boolean: YAML gives bools, ``-e`` and templates give strings."""
    if isinstance(value, str):
        return value.strip().lower() in ('1', 'true', 'yes', 'on')
    return bool(value)


def number(args, name, default, kind, who, empty=None):
    """Argument ``name`` as ``kind`` (float or int): ``default`` when absent, ``empty`` (or ``default``) when
    null or empty, and a ValueError naming the option for anything else."""
    if name not in args:
        return default
    value = args[name]
    if value in (None, ''):
        return default if empty is None else empty
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError('%s: %s must be a number, got %r' % (who, name, value))


def log_connection_warnings(logger, who, client):
    """Log, once at start, what modules and lookups warn about in the same settings.

    A source runs for days and nobody reads a task's output: its log is the
    only place to say that a password goes out in clear text, or that a
    certificate is not checked.
    """
    for warning in connection_warnings(client.settings):
        logger.warning('%s: %s', who, warning)
