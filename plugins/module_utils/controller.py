# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract of every controller (supervisord processes, Supvisors processes and applications)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time


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
