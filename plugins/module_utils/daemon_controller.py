# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supervisord itself restarted or shut down, and waited for: the Controller contract for the daemon module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.supervisor.control.plugins.module_utils.controller import Controller
from ansible_collections.supervisor.control.plugins.module_utils.daemon_facts import read_daemon_facts
from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    SupervisorConnectionError,
    SupervisorFault,
)

# A soft restart keeps the pid; it goes through RESTARTING and refuses
# connections for a moment while it reopens its sockets: asking at once
# would only see the old daemon.
RESTART_SETTLE = 0.2


class DaemonController(Controller):
    """``restart()`` and ``shutdown()``, each waiting within ``timeout`` seconds for the daemon to be back or gone."""

    def __init__(self, client, timeout, poll_interval=0.2, clock=time.monotonic, sleep=time.sleep):
        super(DaemonController, self).__init__(client, timeout, poll_interval, clock, sleep)

    def facts_or_none(self):
        """The daemon's facts; None while it does not answer, or answers only faults (shutting down)."""
        try:
            return read_daemon_facts(self.client)[0]
        except (SupervisorConnectionError, SupervisorFault):
            return None

    def restart(self):
        """``supervisor.restart``; the facts once it is RUNNING again, None when it is not within the timeout."""
        self.client.call('supervisor.restart')
        self.acted = True
        self.sleep(RESTART_SETTLE)

        def running(facts):
            return bool(facts) and facts['state'] == 'RUNNING'
        facts = self.poll(self.facts_or_none, running, self.clock() + self.timeout)
        return facts if running(facts) else None

    def shutdown(self):
        """``supervisor.shutdown`` (already shutting down is fine); whether it was gone within the timeout.

        Gone is: no facts, nothing listens or every call faults (supervisord in its SHUTDOWN state).
        """
        try:
            self.client.call('supervisor.shutdown')
        except SupervisorFault as fault:
            if not fault.is_('SHUTDOWN_STATE'):
                raise
        self.acted = True
        return self.poll(self.facts_or_none, lambda facts: facts is None, self.clock() + self.timeout) is None
