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
from ansible_collections.supervisor.control.plugins.module_utils.states import SupervisorStates

# A soft restart keeps the pid; it goes through RESTARTING and refuses
# connections for a moment while it reopens its sockets: asking at once
# would only see the old daemon.
RESTART_SETTLE = 0.2


# A restart closes the daemon's sockets and opens them again: for a few milliseconds nothing listens (seen on
# every release from 3.1.4 to 4.3.0). A daemon found gone while it shuts down or restarts for another client
# is looked at again this much later before it counts as gone.
REOPEN_GRACE = 1.0

# What ``DaemonController.look`` sees besides facts.
GONE = 'gone'                    # nothing listens: the daemon has exited (it removes its unix socket)
SHUTTING_DOWN = 'shutting_down'  # every call faults SHUTDOWN_STATE: it stops its processes, to exit or to restart


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

    def look(self):
        """The daemon's facts, GONE or SHUTTING_DOWN; any other error is raised.

        supervisord answers SHUTDOWN_STATE to every call from the moment it is
        asked to shut down (or to restart) until it has stopped all its
        processes, each for up to its stopwaitsecs: it is still there.
        """
        try:
            return read_daemon_facts(self.client)[0]
        except SupervisorConnectionError as error:
            if error.nobody_listens:
                return GONE
            raise
        except SupervisorFault as fault:
            if fault.is_('SHUTDOWN_STATE'):
                return SHUTTING_DOWN
            raise

    def _watch(self, done, confirm_gone=False):
        """``look()`` until ``done(value)`` or the deadline; return the last value.

        A call that times out, or a connection cut while supervisord closes
        its sockets, says nothing of its state: it is read again, and raised
        only if it is still the answer at the deadline. ``confirm_gone``: the
        daemon may be restarting, so GONE must still hold REOPEN_GRACE later.
        """
        def look():
            try:
                return self.look()
            except (SupervisorConnectionError, SupervisorFault) as error:
                return error

        def read():
            value = look()
            if confirm_gone and value == GONE:
                self.sleep(REOPEN_GRACE)
                value = look()
            return value
        value = self.poll(read, lambda value: not isinstance(value, Exception) and done(value),
                          self.clock() + self.timeout)
        if isinstance(value, Exception):
            raise value
        return value

    def settle(self):
        """Wait while the daemon is SHUTTING_DOWN: GONE once it has exited, its facts once it is back (a restart).

        SHUTTING_DOWN when it is still going at the deadline.
        """
        return self._watch(lambda value: value != SHUTTING_DOWN, confirm_gone=True)

    def restart(self):
        """``supervisor.restart``; the facts once it is RUNNING again, None when it is not within the timeout."""
        self.client.call('supervisor.restart')
        self.acted = True
        self.sleep(RESTART_SETTLE)

        def running(facts):
            return bool(facts) and facts['state'] == SupervisorStates.RUNNING
        facts = self.poll(self.facts_or_none, running, self.clock() + self.timeout)
        return facts if running(facts) else None

    def shutdown(self):
        """``supervisor.shutdown``, then wait until the daemon is GONE: what it is at the end.

        GONE; SHUTTING_DOWN when it is still stopping its processes at the
        deadline; facts when it answers again (another supervisord was started
        in its place, or it was restarted meanwhile). A SHUTDOWN_STATE answer
        to the shutdown itself means that it was already going: it is waited
        for the same way.
        """
        try:
            self.client.call('supervisor.shutdown')
        except SupervisorFault as fault:
            if not fault.is_('SHUTDOWN_STATE'):
                raise
        else:
            self.acted = True
        # Once this task's shutdown was accepted, no restart can follow: gone is gone at once.
        return self._watch(lambda value: value == GONE, confirm_gone=not self.acted)
