# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What to do: desired state against current state, as pure functions.

Modules ask these functions for a plan, then carry it out with the client.
Nothing here does I/O, so every decision is unit-tested.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils.diff import Diff
from ansible_collections.supervisor.control.plugins.module_utils.states import (
    RUNNING_STATES,
    SIGNALLABLE_STATES,
    STOPPED_STATES,
    ProcessStates,
)

# Steps of a process plan, carried out in this order for all processes at once.
WAIT_STOPPED = 'wait_stopped'
STOP = 'stop'
START = 'start'
SIGNAL = 'signal'

PROCESS_STATES = ('started', 'stopped', 'restarted', 'signalled')
# The methods a state may call, whatever the processes' states: a daemon that lacks one cannot be asked for
# that state (api_versions), whether or not this task would call it.
STATE_METHODS = {
    'started': ('supervisor.stopProcess', 'supervisor.startProcess'),
    'stopped': ('supervisor.stopProcess',),
    'restarted': ('supervisor.stopProcess', 'supervisor.startProcess'),
    'signalled': ('supervisor.signalProcess',),
}
# Supvisors' starting strategies, the choices of the strategy options. Here rather than in
# supvisors_plans, so that the process module does not load Supvisors code unless it is used.
STARTING_STRATEGIES = ('CONFIG', 'LESS_LOADED', 'MOST_LOADED', 'LOCAL', 'LESS_LOADED_NODE', 'MOST_LOADED_NODE')


class ProcessAction(object):
    """What one process needs: ``steps`` (possibly empty) and the state expected after."""

    def __init__(self, info, steps, expected):
        self.info = info
        self.steps = tuple(steps)
        self.expected = expected

    @property
    def changed(self):
        return any(step != WAIT_STOPPED for step in self.steps)

    @property
    def namespec(self):
        return process_names.namespec(self.info)

    def __repr__(self):
        return '<ProcessAction %s %s -> %s>' % (self.namespec, '+'.join(self.steps) or 'none', self.expected)


def process_steps(statename, state):
    """The steps that take one process from ``statename`` to ``state``."""
    if state == 'started':
        if statename in (ProcessStates.RUNNING, ProcessStates.STARTING):
            return ()
        if statename == ProcessStates.BACKOFF:
            # startProcess faults ALREADY_STARTED in BACKOFF: stop, then start once.
            return (STOP, START)
        if statename == ProcessStates.STOPPING:
            return (WAIT_STOPPED, START)
        return (START,)
    if state == 'stopped':
        if statename in RUNNING_STATES:
            return (STOP,)
        if statename == ProcessStates.STOPPING:
            return (WAIT_STOPPED,)
        return ()
    if state == 'restarted':
        if statename in RUNNING_STATES:
            return (STOP, START)
        if statename == ProcessStates.STOPPING:
            return (WAIT_STOPPED, START)
        return (START,)
    if state == 'signalled':
        return (SIGNAL,) if statename in SIGNALLABLE_STATES else ()
    raise ValueError('unknown process state %r' % state)


def expected_statename(statename, state):
    if state in ('started', 'restarted'):
        return ProcessStates.RUNNING
    if state == 'stopped':
        return statename if statename in STOPPED_STATES else ProcessStates.STOPPED
    return statename


def plan_processes(infos, state):
    """One ProcessAction per process info, in the given order."""
    return [ProcessAction(info, process_steps(info['statename'], state),
                          expected_statename(info['statename'], state)) for info in infos]


def process_diff(infos_before, infos_after):
    """Ansible's before/after diff: ``{fullname: statename}`` on each side."""
    return Diff().add_items(infos_before, infos_after, process_names.fullname, lambda i: i['statename']).as_dict()


# Group plans: what ``supervisorctl update`` does, per group.
ADD = 'add'
REPLACE = 'replace'  # stop, remove, add: the group changed on disk
REMOVE = 'remove'    # stop, remove


def plan_update(reload_result, names=None):
    """Turn reloadConfig's ``[[added, changed, removed]]`` into ``{group: action}``.

    ``names`` limits the plan to those groups (``supervisorctl update NAME``);
    ``None`` means every group (``supervisorctl update``).
    """
    added, changed, removed = reload_result[0]
    plan = {}
    for group in added:
        plan[group] = ADD
    for group in changed:
        plan[group] = REPLACE
    for group in removed:
        plan[group] = REMOVE
    if names is not None:
        plan = dict((g, a) for g, a in plan.items() if g in names)
    return plan


def plan_groups(names, state, loaded, configured, reload_result):
    """``{group: action}`` for the group module, and the names that are unknown.

    ``loaded``: groups running in supervisord; ``configured``: groups in the
    configuration files (after reloadConfig).
    """
    unknown = []
    plan = {}
    if state == 'present':
        update = plan_update(reload_result, names)
        for name in names:
            if name not in configured:
                unknown.append(name)
            elif name in update and update[name] != REMOVE:
                plan[name] = update[name]
            elif name not in loaded:
                plan[name] = ADD
    elif state == 'absent':
        for name in names:
            if name in loaded:
                plan[name] = REMOVE
    else:
        unknown = [name for name in names if name not in loaded]
    return plan, unknown


def stopped_to_keep(infos, replaced, configured):
    """The processes of ``replaced`` groups that are STOPPED now and will exist again after the update.

    ``infos``: the processes before the update; ``configured``: ``{group:
    [config infos]}`` after reloadConfig. Returns ``[(namespec, autostart)]``
    in supervisord's order. Only STOPPED counts: that is an operator's stop
    (or a program never started); EXITED and FATAL processes come back as
    their new configuration says, the update being a chance to start them.
    """
    kept = []
    for info in infos:
        if info['group'] not in replaced or info['statename'] != ProcessStates.STOPPED:
            continue
        for config in configured.get(info['group'], []):
            if config.get('name') == info['name']:
                kept.append((process_names.namespec(info), bool(config.get('autostart'))))
    return kept


# The options of rolling restarts, which every task's argument spec holds. Their planning is
# rolling_plans.py, imported only by a task that rolls: a shipped module compiles what it imports.

ROLL_STATES = ('started', 'restarted')
ROLLING_SPEC = dict(type='dict', options=dict(
    size=dict(type='raw', default=1),
    pause=dict(type='float', default=0.0),
    window=dict(type='bool', default=False),
))
READY_SPEC = dict(type='dict', options=dict(
    log=dict(type='str'),
    uptime=dict(type='float'),
    port=dict(type='raw'),
    url=dict(type='str'),
    status_code=dict(type='list', elements='int', default=[200]),
    host=dict(type='str'),
))
