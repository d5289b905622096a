# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors raised by the supervisor.control client.

Every failure a user can cause or meet (a wrong name, a daemon that is down,
a wrong password, a server that is not supervisord) becomes one of these,
with a one-line message that names the URL (credentials masked) and says
what to check. Callers turn them into ``fail_json``/``AnsibleError`` and
never show a traceback for them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib

# supervisor/xmlrpc.py Faults, plus the XML-RPC introspection codes and the
# Supvisors faults (numbered from 100 by supvisors/ttypes.py).
FAULT_NAMES = {
    1: 'UNKNOWN_METHOD',
    2: 'INCORRECT_PARAMETERS',
    3: 'BAD_ARGUMENTS',
    4: 'SIGNATURE_UNSUPPORTED',
    6: 'SHUTDOWN_STATE',
    10: 'BAD_NAME',
    11: 'BAD_SIGNAL',
    20: 'NO_FILE',
    21: 'NOT_EXECUTABLE',
    30: 'FAILED',
    40: 'ABNORMAL_TERMINATION',
    50: 'SPAWN_ERROR',
    60: 'ALREADY_STARTED',
    70: 'NOT_RUNNING',
    80: 'SUCCESS',
    90: 'ALREADY_ADDED',
    91: 'STILL_RUNNING',
    92: 'CANT_REREAD',
    100: 'SUPVISORS_CONF_ERROR',
    101: 'BAD_SUPVISORS_STATE',
    102: 'NOT_MANAGED',
    103: 'DISABLED',
    104: 'NOT_APPLICABLE',
    105: 'NOT_INSTALLED',
}
FAULT_CODES = dict((name, code) for code, name in FAULT_NAMES.items())


class SupervisorError(Exception):
    """Base class: ``str(error)`` is the one-line message for the user.

    ``sent`` is True when a request of the call that failed had reached the daemon before the failure: the
    daemon may have carried out some of it (``client.multicall`` sets it on any error after its first
    request; ``controller.send_acting`` and the modules that act without a controller read it).
    """

    sent = False

    def __init__(self, message):
        super(SupervisorError, self).__init__(message)
        self.message = message

    def __str__(self):
        return self.message

    def say_sent(self, what):
        """Add to the message that the request to ``what`` (such as ``start web:a``) reached the daemon, which
        may have carried it out (``sent``); return the error."""
        self.message = '%s; the request to %s was sent, so supervisord may have carried it out' % (self.message, what)
        self.args = (self.message,)
        return self


class SupervisorConnectionError(SupervisorError):
    """The daemon could not be reached or did not answer as supervisord.

    ``nobody_listens`` is True when nothing listens at the address at all (a
    refused connection, or a unix socket file that does not exist): for a
    caller that wants the daemon stopped, that is success. ``sent`` is True
    when the request was sent before the failure (no answer in time, a
    connection cut while answering): the daemon may have carried it out.
    """

    def __init__(self, message, nobody_listens=False, sent=False):
        super(SupervisorConnectionError, self).__init__(message)
        self.nobody_listens = nobody_listens
        self.sent = sent


class UnparseableAnswer(SupervisorConnectionError):
    """An HTTP 200 whose body is not XML-RPC; ``data`` is the body, for a caller that can read it otherwise.

    supervisord sends log text raw, so a log holding a control character that
    XML 1.0 forbids makes its own answer unparseable (supervisor #85, #1499).
    """

    def __init__(self, message, data):
        super(UnparseableAnswer, self).__init__(message)
        self.data = data


class Unsupported(SupervisorError):
    """The daemon's release lacks a method the task needs (``api_versions.cannot``): refused before it is sent."""


class RequestError(SupervisorError):
    """A request that cannot be sent, or that supervisord could not run (bad parameters)."""


class ConfigurationError(SupervisorError):
    """The connection settings themselves are wrong (URL, config file)."""


class SupervisorFault(SupervisorError):
    """supervisord answered with an XML-RPC fault.

    ``name`` is the symbolic fault name (``BAD_NAME``, ``ALREADY_STARTED``...)
    and ``detail`` the text after ``NAME:`` in supervisord's fault string.
    """

    def __init__(self, code, fault_string, method=None):
        self.code = code
        self.name = FAULT_NAMES.get(code, 'FAULT_%s' % code)
        self.fault_string = fault_string or ''
        prefix = self.name + ':'
        detail = self.fault_string
        if detail.startswith(prefix):
            detail = detail[len(prefix):].strip()
        elif detail == self.name:
            detail = ''
        if not detail and self.name == 'SHUTDOWN_STATE':
            # supervisord gives it, bare, from the moment it is asked to shut down or to restart.
            detail = 'supervisord is shutting down or restarting, and answers no call until it has stopped its processes'
        self.detail = detail
        self.method = method
        text = self.name if not detail else '%s: %s' % (self.name, detail)
        if method:
            text = '%s failed with %s' % (method, text)
        super(SupervisorFault, self).__init__(text)

    def is_(self, *names):
        return self.name in names


def shutting_down_message(url):
    """What to say of the supervisord at ``url`` when it answers SHUTDOWN_STATE.

    It answers every call with that fault from the moment it is asked to shut down or to restart until it has
    stopped its processes, each for up to its stopwaitsecs, and says neither which nor anything else.
    """
    return ('supervisord at %s is shutting down or restarting (it answers every call with SHUTDOWN_STATE until it has '
            'stopped its processes, each within its stopwaitsecs): try again once it is back after a restart, or '
            'start it again after a shutdown' % url)


class ShuttingDown(SupervisorFault):
    """SHUTDOWN_STATE from the daemon at ``url``: a SupervisorFault whose message says what it means and what to do."""

    def __init__(self, fault_string, method, url):
        super(ShuttingDown, self).__init__(FAULT_CODES['SHUTDOWN_STATE'], fault_string, method)
        self.message = shutting_down_message(url)
        self.args = (self.message,)


class NameNotFoundError(SupervisorError):
    """A process or group spec matched nothing on the daemon."""

    def __init__(self, spec, suggestions, kind='process'):
        self.spec = spec
        self.suggestions = list(suggestions)
        text = 'no %s matches %r' % (kind, spec)
        if self.suggestions:
            text += '; closest names: %s' % ', '.join(self.suggestions)
        else:
            text += '; the daemon has no such name'
        super(NameNotFoundError, self).__init__(text)


class Failure(object):
    """Why one process, group or application did not reach the wanted state.

    The one shape of the per-item details of a failed task: every module
    returns them as ``failures``, a list of ``as_dict()``, each with at least
    ``name`` and ``reason``; ``summary()`` is its part of the task's message.
    """

    def __init__(self, name, reason, summary=None, **details):
        self.name = name
        self.reason = reason
        self._summary = summary
        self.details = details

    def as_dict(self):
        entry = {'name': self.name, 'reason': self.reason}
        entry.update(self.details)
        return entry

    def summary(self):
        return self._summary or '%s: %s' % (self.name, self.reason)


class TaskFailed(SupervisorError):
    """A module's logic fails its task.

    Raised by the logic, turned into ``fail_json`` (or the in-process
    equivalent) by the adapter that runs it: ``message`` is ``msg``,
    ``failures`` the per-item Failures, ``result`` the other result keys
    (``processes``, ``groups_added``...), returned with the failure.
    """

    def __init__(self, message, failures=(), changed=False, **result):
        super(TaskFailed, self).__init__(message)
        self.failures = list(failures)
        self.changed = changed
        self.result = result

    @classmethod
    def of(cls, failures, changed, **result):
        """The failure of a task whose items failed: the message joins their summaries."""
        return cls('; '.join(f.summary() for f in failures), failures, changed, **result)


@contextlib.contextmanager
def failing_with(result, *names):
    """Within the block, a failure of the task still returns ``names`` from ``result`` (as they are when it fails):
    keys that RETURN says are returned always. Any SupervisorError becomes a TaskFailed with the same message."""
    try:
        yield
    except TaskFailed as exc:
        for name in names:
            exc.result.setdefault(name, result.get(name))
        raise
    except SupervisorError as exc:
        raise TaskFailed(str(exc), **dict((name, result.get(name)) for name in names))
