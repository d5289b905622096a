# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What both event sources share: reading their arguments, and their client's start.

A source's arguments are read against a spec with the keys of an Ansible
argument spec (``type``, ``default``, ``required``, ``choices``, ``elements``,
``no_log``), so that the connection options come from the one table of
``module_utils/connection.py``, as the modules' do; ``check`` (a predicate and
what it requires) and ``hint`` (said when a required option is missing) are
the sources' own. ansible-rulebook passes the arguments as written in the
rulebook, or as its templating rendered them: a template of digits arrives as
a number, ``"yes"`` as a string. Anything the spec does not accept stops the
source at start with one line naming the option and the value given (never the
value of a ``no_log`` option).
"""

import difflib
import math
import os
from collections.abc import Mapping
from typing import Any, Callable, Dict

from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
from ansible_collections.supervisor.control.plugins.module_utils.connection import (
    CONNECTION_OPTIONS,
    check_timeout,
    connection_argument_spec,
    connection_warnings,
)
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError

Spec = Dict[str, Dict[str, Any]]

# ansible.module_utils.parsing.convert_bool's words, which the modules accept: anything else is refused.
TRUE_WORDS = ('y', 'yes', 'on', '1', 'true', 't')
FALSE_WORDS = ('n', 'no', 'off', '0', 'false', 'f')
# ansible-rulebook adds arguments of its own (eda_feedback_queue) to those of the rulebook.
RESERVED_PREFIX = 'eda_'
REQUIREMENTS = {'str': 'a string', 'path': 'a string (a path)', 'bool': 'a boolean (true or false)',
                'int': 'an integer', 'float': 'a number', 'dict': 'a mapping'}


class Refused(ValueError):
    """An argument the spec does not accept; ``str()`` is the one line, without the source's name."""


def connection_spec(**defaults: Any) -> Spec:
    """The connection options of the modules, with the source's own ``defaults`` (such as a shorter timeout)."""
    spec = connection_argument_spec()
    for name, default in defaults.items():
        spec[name]['default'] = default
    return spec


def read_options(spec: Spec, args: Any, where: str = '') -> Dict[str, Any]:
    """``args`` read against ``spec``: every option of the spec, its default when absent or null; Refused otherwise.

    ``where`` names a nested mapping in the messages (``listen``, ``servers[0]``).
    """
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise Refused('%s must be a mapping, got %s' % (where, shown(args)))
    unknown = sorted(str(name) for name in args if name not in spec
                     and not (not where and str(name).startswith(RESERVED_PREFIX)))
    if unknown:
        raise Refused(unknown_options(unknown, spec, where))
    return dict((name, read_value(option, args.get(name), '%s.%s' % (where, name) if where else name))
                for name, option in spec.items())


def unknown_options(unknown, valid, where=''):
    """The one line for options that are not among the ``valid`` names, with the closest one when it is clear.

    (The inventory plugin says it in the same words.)
    """
    place = ' in %s' % where if where else ''
    if len(unknown) == 1:
        close = difflib.get_close_matches(unknown[0], list(valid), n=1)
        if close:
            return 'unknown option %s%s (did you mean %s?)' % (unknown[0], place, close[0])
    return 'unknown option%s %s%s; valid options are %s' % (
        's' if len(unknown) > 1 else '', ', '.join(unknown), place, ', '.join(sorted(valid)))


def read_value(option: Dict[str, Any], value: Any, label: str) -> Any:
    kind = option.get('type', 'str')
    # An empty string is a value of a string option, unless one is required (an empty token is none).
    if value is None or (value == '' and (kind not in ('str', 'path') or option.get('required'))):
        if option.get('required'):
            hint = option.get('hint')
            raise Refused('%s is required%s' % (label, ' (%s)' % hint if hint else ''))
        return option.get('default')
    secret = option.get('no_log', False)
    typed = typed_value(option, value, label)
    choices = option.get('choices')
    for item in (typed if kind == 'list' else [typed]) if choices else ():
        if item not in choices:
            raise Refused('%s must be one of %s, got %s' % (label, ', '.join(map(str, choices)), shown(item, secret)))
    check = option.get('check')
    if check and not check[0](typed):
        raise Refused('%s must be %s, got %s' % (label, check[1], shown(value, secret)))
    return typed


def typed_value(option, value, label):
    kind = option.get('type', 'str')
    secret = option.get('no_log', False)
    if kind == 'list':
        elements = option.get('elements', 'str')
        if isinstance(value, str) and elements == 'str':
            value = [item.strip() for item in value.split(',') if item.strip()]
        if not isinstance(value, (list, tuple)):
            raise Refused('%s must be %s, got %s' % (
                label, 'a list of mappings' if elements == 'dict' else 'a list', shown(value, secret)))
        element = {'type': elements, 'no_log': secret}
        return [typed_value(element, item, '%s[%d]' % (label, index)) for index, item in enumerate(value)]
    typed = converted(kind, value, secret)
    if typed is None:
        raise Refused('%s must be %s, got %s' % (label, REQUIREMENTS.get(kind, kind), shown(value, secret)))
    return typed


def converted(kind: str, value: Any, secret: bool) -> Any:
    """``value`` as ``kind`` the way Ansible converts module arguments, or None when it cannot be."""
    if kind in ('str', 'path'):
        if isinstance(value, str):
            text = value
        # A number in place of a string is what ansible-rulebook's native templating makes of a
        # token or user name of digits; a float's text may differ from what was written (1e3 ->
        # 1000.0), which for a secret nobody would see: refused.
        elif isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and not secret:
            text = str(value)
        else:
            return None
        return os.path.expanduser(os.path.expandvars(text)) if kind == 'path' else text
    if kind == 'bool':
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        return None
    if isinstance(value, bool):
        return None    # True is an int to Python, not to a user
    if kind == 'int':
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(value) if isinstance(value, (int, str)) else None
        except ValueError:
            return None
    if kind == 'float':
        try:
            number = float(value) if isinstance(value, (int, float, str)) else None
        except ValueError:
            return None
        return number if number is not None and math.isfinite(number) else None
    if kind == 'dict':
        return dict(value) if isinstance(value, Mapping) else None
    raise ValueError('no such option type %r' % kind)


def shown(value: Any, secret: bool = False) -> str:
    """The value given, for a message; only its kind for a secret."""
    if not secret:
        return repr(value)
    kind = ('a boolean' if isinstance(value, bool) else 'a number' if isinstance(value, (int, float))
            else 'a list' if isinstance(value, (list, tuple)) else 'a mapping' if isinstance(value, Mapping)
            else 'a %s' % type(value).__name__)
    return '%s (not shown: the option is secret)' % kind


def checked_timeout(value: Any) -> float:
    """The modules' own check of ``timeout``, and their words (Refused in place of ConfigurationError)."""
    try:
        return check_timeout(value)
    except SupervisorError as exc:
        raise Refused(str(exc))


def connect(options: Dict[str, Any], who: str, logger: Any, where: str = '') -> SupervisorClient:
    """The client of the connection options in ``options``, as a module makes it; warnings logged once.

    A source runs for days and nobody reads a task's output: its log is the
    only place to say that a password goes out in clear text, or that a
    certificate is not checked.
    """
    try:
        client = SupervisorClient.from_options(**dict((name, options[name]) for name in CONNECTION_OPTIONS))
    except SupervisorError as exc:   # a bad URL or config file: at start, not at every poll
        raise Refused('%s: %s' % (where, exc) if where else str(exc))
    for warning in connection_warnings(client.settings):
        logger.warning('%s: %s%s', who, '%s: ' % where if where else '', warning)
    return client


def started(who: str, build: Callable[[], Any]) -> Any:
    """``build()``, with a Refused turned into the ValueError that ansible-rulebook shows: ``WHO: message``."""
    try:
        return build()
    except Refused as exc:
        raise ValueError('%s: %s' % (who, exc))
