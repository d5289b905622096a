# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apply group plans (add, replace, remove) the way ``supervisorctl update`` does.

Shared by the group module (``update NAME``) and the daemon module
(``update``): stop what must go, in one batch, then remove, then add, then
wait for the autostart processes of what was added.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils import process_names as P
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.errors import Failure, SupervisorFault


class GroupChanges(object):
    def __init__(self, plan, kept_stopped=None):
        self.added = sorted(g for g, a in plan.items() if a == plans.ADD)
        self.updated = sorted(g for g, a in plan.items() if a == plans.REPLACE)
        self.removed = sorted(g for g, a in plan.items() if a == plans.REMOVE)
        self.kept_stopped = kept_stopped  # None: keep_stopped was not asked for

    @property
    def changed(self):
        return bool(self.added or self.updated or self.removed)

    def as_result(self):
        result = {'groups_added': self.added, 'groups_updated': self.updated, 'groups_removed': self.removed}
        if self.kept_stopped is not None:
            result['kept_stopped'] = self.kept_stopped
        return result


def planned_changes(plan, infos, configured, keep_stopped):
    """The GroupChanges that ``plan`` makes, with the processes that keep_stopped would keep stopped."""
    changes = GroupChanges(plan)
    if keep_stopped:
        _keep(changes, infos, configured)
    return changes


def _keep(changes, infos, configured):
    """Record in ``changes`` which processes of its replaced groups stay STOPPED; return ``[(namespec, autostart)]``."""
    keep = plans.stopped_to_keep(infos, set(changes.updated), configured)
    kept = set(spec for spec, dummy in keep)
    changes.kept_stopped = [P.fullname(info) for info in infos if P.namespec(info) in kept]
    return keep


def reload_config(client):
    """``reloadConfig`` and the configured groups: ``(reload_result, {group: [config infos]})``.

    reloadConfig applies nothing: it rereads the files (a syntax error faults
    CANT_REREAD with the file name) and replaces the stored config, which is
    what getAllConfigInfo then reports.
    """
    result, configs = client.multicall_or_raise([('supervisor.reloadConfig', []),
                                                 ('supervisor.getAllConfigInfo', [])])
    configured = {}
    for config in configs:
        configured.setdefault(config['group'], []).append(config)
    return result, configured


def apply_group_plan(client, controller, plan, configured, wait=True, keep_stopped=False):
    """Carry out ``{group: action}``; return ``(GroupChanges, failures)``.

    ``failures`` lists a Failure for each process that would not stop or
    start, and for each group that could not be removed or added.

    ``keep_stopped``: the processes of replaced groups that were STOPPED
    before stay STOPPED (Supervisor#214). supervisord spawns the autostart
    processes of an added group on its next tick and has no call to add a
    group without that; so in the multicall that adds the group, each such
    process is started and at once stopped (it gets its stop signal within
    milliseconds of its fork), which makes supervisord consider it started
    once and leave it stopped.
    """
    changes = GroupChanges(plan)
    if not changes.changed:
        return changes, []
    leaving = set(changes.updated + changes.removed)
    entering = changes.added + changes.updated
    failures = []
    keep = []
    if leaving:
        current = controller.all_infos()
        if keep_stopped:
            keep = _keep(changes, current, configured)
        running = [i for i in current if i['group'] in leaving]
        failures += controller.apply(plans.plan_processes(running, 'stopped'), wait=True)
        results = client.multicall([('supervisor.removeProcessGroup', [g]) for g in sorted(leaving)])
        for group, result in zip(sorted(leaving), results):
            if isinstance(result, SupervisorFault) and not result.is_('BAD_NAME'):
                failures.append(Failure(group, 'cannot be removed: %s' % result,
                                        summary='cannot remove group %s: %s' % (group, result)))
    if entering:
        respawned = [spec for spec, autostart in keep if autostart]
        calls = [('supervisor.addProcessGroup', [g]) for g in entering]
        for spec in respawned:
            calls += [('supervisor.startProcess', [spec, False]), ('supervisor.stopProcess', [spec, False])]
        results = client.multicall(calls)
        for group, result in zip(entering, results):
            if isinstance(result, SupervisorFault) and not result.is_('ALREADY_ADDED'):
                failures.append(Failure(group, 'cannot be added: %s' % result,
                                        summary='cannot add group %s: %s' % (group, result)))
        if respawned:
            # The stop must have happened, wait or not: the point is that they do not run.
            respawned = set(respawned)
            kept = [i for i in controller.all_infos() if P.namespec(i) in respawned]
            failures += controller.apply(plans.plan_processes(kept, 'stopped'), wait=True)
        if wait:
            autostart = set()
            for group in entering:
                for config in configured.get(group, []):
                    if config.get('autostart'):
                        autostart.add('%s:%s' % (group, config['name']))
            autostart.difference_update(spec for spec, dummy in keep)
            infos = [i for i in controller.all_infos() if P.namespec(i) in autostart]
            if infos:
                failures += controller.wait_started(infos, not_yet_spawned=True)
    return changes, failures
