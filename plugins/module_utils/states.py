# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Supervisor's vocabulary in its own words: supervisor/states.py, as its XML-RPC API and its events say it.

Supervisor's classes hold codes; here each state is its name, because that is what this collection
reads and compares (``statename`` of getProcessInfo and of Supvisors' entries, the ``PROCESS_STATE_*``
events, ``from_state``), and the code goes beside it (``state``, ``statecode``). Pure, no imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ProcessStates(object):
    STOPPED = 'STOPPED'
    STARTING = 'STARTING'
    RUNNING = 'RUNNING'
    BACKOFF = 'BACKOFF'
    STOPPING = 'STOPPING'
    EXITED = 'EXITED'
    FATAL = 'FATAL'
    UNKNOWN = 'UNKNOWN'


# What supervisord's own calls test (supervisor/rpcinterface.py): stopProcess with wait returns once the process
# is in one of STOPPED_STATES; startProcess faults ALREADY_STARTED in RUNNING_STATES, and stopProcess NOT_RUNNING
# outside them; signalProcess faults NOT_RUNNING outside SIGNALLABLE_STATES.
STOPPED_STATES = (ProcessStates.STOPPED,
                  ProcessStates.EXITED,
                  ProcessStates.FATAL,
                  ProcessStates.UNKNOWN)

RUNNING_STATES = (ProcessStates.RUNNING,
                  ProcessStates.BACKOFF,
                  ProcessStates.STARTING)

SIGNALLABLE_STATES = (ProcessStates.RUNNING,
                      ProcessStates.STARTING,
                      ProcessStates.STOPPING)

_PROCESS_STATE_CODES = {
    ProcessStates.STOPPED: 0,
    ProcessStates.STARTING: 10,
    ProcessStates.RUNNING: 20,
    ProcessStates.BACKOFF: 30,
    ProcessStates.STOPPING: 40,
    ProcessStates.EXITED: 100,
    ProcessStates.FATAL: 200,
    ProcessStates.UNKNOWN: 1000,
}


def process_state_code(name):
    """The code of a process state (getProcessInfo's ``state``), None for a name Supervisor does not have.

    supervisor.states.getProcessStateDescription the other way round: this collection has the name first.
    """
    return _PROCESS_STATE_CODES.get(name)


class SupervisorStates(object):
    FATAL = 'FATAL'
    RUNNING = 'RUNNING'
    RESTARTING = 'RESTARTING'
    SHUTDOWN = 'SHUTDOWN'


_SUPERVISOR_STATE_CODES = {
    SupervisorStates.FATAL: 2,
    SupervisorStates.RUNNING: 1,
    SupervisorStates.RESTARTING: 0,
    SupervisorStates.SHUTDOWN: -1,
}


def supervisor_state_code(name):
    """The code of a supervisord state (getState's ``statecode``), None for a name Supervisor does not have."""
    return _SUPERVISOR_STATE_CODES.get(name)
