# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supervisord's own facts (state, version, pid...), read the same way by the daemon and info modules and
the state lookup."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils.client import raise_first_fault
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorFault

# The state of a daemon that answers SHUTDOWN_STATE: shutting down or restarting, it does not say which.
SHUTDOWN_STATE = 'SHUTDOWN_STATE'

FACT_CALLS = (
    ('supervisor.getState', []),
    ('supervisor.getSupervisorVersion', []),
    ('supervisor.getAPIVersion', []),
    ('supervisor.getIdentification', []),
    ('supervisor.getPID', []),
)


def shutting_down_facts(url):
    """The facts of a daemon that answers SHUTDOWN_STATE to every call: that, and nothing else."""
    return {'state': SHUTDOWN_STATE, 'statecode': None, 'version': None, 'api_version': None,
            'identification': None, 'pid': None, 'server_url': url}


def read_daemon_facts(client, more=(), optional=(), shutting_down=False):
    """``(facts, answers to more + optional)``, in one round trip.

    A fault in the facts or in ``more`` is raised; one in ``optional`` is
    returned as it is, for calls a plain supervisord may not know. With
    ``shutting_down``, a daemon that is shutting down or restarting is no
    error: its facts are ``shutting_down_facts`` and the answers to ``more``
    None (it answers nothing of them).
    """
    calls = list(FACT_CALLS) + list(more)
    answers = client.multicall(calls + list(optional))
    state = answers[0]
    if shutting_down and isinstance(state, SupervisorFault) and state.is_('SHUTDOWN_STATE'):
        return shutting_down_facts(client.url), [None] * len(more) + answers[len(calls):]
    raise_first_fault(answers[:len(calls)])
    state, version, api_version, identification, pid = answers[:len(FACT_CALLS)]
    facts = {
        'state': state['statename'],
        'statecode': state['statecode'],
        'version': version,
        'api_version': api_version,
        'identification': identification,
        'pid': pid,
        'server_url': client.url,
    }
    return facts, answers[len(FACT_CALLS):]
