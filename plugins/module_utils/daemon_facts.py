# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supervisord's own facts (state, version, pid...), read the same way by the daemon and info modules and
the state lookup."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils.client import raise_first_fault

FACT_CALLS = (
    ('supervisor.getState', []),
    ('supervisor.getSupervisorVersion', []),
    ('supervisor.getAPIVersion', []),
    ('supervisor.getIdentification', []),
    ('supervisor.getPID', []),
)


def read_daemon_facts(client, more=(), optional=()):
    """``(facts, answers to more + optional)``, in one round trip.

    A fault in the facts or in ``more`` is raised; one in ``optional`` is
    returned as it is, for calls a plain supervisord may not know.
    """
    calls = list(FACT_CALLS) + list(more)
    answers = client.multicall(calls + list(optional))
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
