# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract of every controller (supervisord processes, Supvisors processes and applications)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import time

from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    SupervisorError,
    TaskFailed,
)


def send_acting_alone(client, calls, what):
    """``client.multicall(calls)`` for a module that changes something (``what``) without a controller.

    As ``Controller.send_acting``: an error once a request was sent may follow
    calls that were carried out; with nothing else to report, it fails the task
    at once, with changed=true, and says so.
    """
    try:
        return client.multicall(calls)
    except SupervisorError as exc:
        if not exc.sent:
            raise
        raise TaskFailed(str(exc.say_sent(what)), changed=True)


class Controller(object):
    """Carries out plans: ``apply(actions, ...)`` returns the list of Failure, empty on success.

    ``acted`` says whether the daemon accepted any call that changes
    something: a task whose every call was refused changed nothing, even when
    it fails. ``clock`` and ``sleep`` are injectable, so that waits and
    deadlines are unit-tested without waiting.
    """

    def __init__(self, client, timeout, poll_interval, clock=time.monotonic, sleep=time.sleep):
        self.client = client
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep
        self.acted = False

    def poll(self, read, done, deadline, growth=1.0, longest=None):
        """``read()`` every poll interval until ``done(value)`` or the deadline; return the last value.

        ``growth`` multiplies the interval after each poll, up to ``longest``: a
        wait that usually ends at once polls fast at first, then less often.
        """
        interval = self.poll_interval
        while True:
            value = read()
            if done(value) or self.clock() > deadline:
                return value
            self.sleep(interval)
            interval = min(interval * growth, longest) if longest else interval * growth

    def send_acting(self, calls, what):
        """``client.multicall(calls)`` for calls that change something (``what``, such as ``start web:a``).

        An error once a request was sent (``sent``: no answer in time, a
        connection cut, or a refusal of a later request of a split multicall)
        may follow calls that were carried out: ``acted`` is then set, and the
        error, of the same kind, says so.
        """
        try:
            return self.client.multicall(calls)
        except SupervisorError as exc:
            if not exc.sent:
                raise
            self.acted = True
            raise exc.say_sent(what)

    @contextlib.contextmanager
    def reporting_changes(self):
        """An error raised once the daemon has acted (``acted``) fails the task with changed=true: it did change."""
        try:
            yield
        except TaskFailed:
            raise
        except SupervisorError as exc:
            if not self.acted:
                raise
            raise TaskFailed(str(exc), changed=True)
