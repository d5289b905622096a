# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apply group plans (add, replace, remove) the way ``supervisorctl update`` does.

Shared by the group module (``update NAME``) and the daemon module
(``update``): stop what must go, in one batch, then remove, then add, then
wait for the autostart processes of what was added. With keep_stopped, the
processes that were STOPPED stay so, without running their program
(``freeze_calls``, ``stop_frozen``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils import api_versions
from ansible_collections.supervisor.control.plugins.module_utils import exec_check
from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.diff import Diff
from ansible_collections.supervisor.control.plugins.module_utils.errors import Failure, SupervisorFault
from ansible_collections.supervisor.control.plugins.module_utils.states import ProcessStates

# How each process of kept_stopped was kept from running (kept_stopped_detail; doc_fragments/keep_stopped.py).
NOT_STARTED = 'not_started'          # autostart=false in its new configuration: supervisord did not spawn it
NEVER_RAN = 'never_ran'              # frozen before its exec (seen in /proc), then killed
STOPPED_AT_ONCE = 'stopped_at_once'  # frozen just after its exec (seen in /proc), then given its stop signal
UNVERIFIED = 'unverified'            # frozen and killed, its exec not seen: /proc here does not show it
UNVERIFIED_WARNING = (
    'keep_stopped: whether %s had executed its program when it was frozen could not be checked in /proc here '
    '(supervisord at %s runs on another host or in another pid namespace, or the process was not seen frozen): '
    'each was frozen (SIGSTOP) in the request that spawned it, then killed (SIGKILL). Its program never ran if the '
    'freeze came before its exec, as it does most of the time; otherwise it ran for the instant between the two and '
    'was killed without its stop signal. Run the task on the host of supervisord to have it checked.')


class GroupChanges(object):
    def __init__(self, plan, keep_stopped=False):
        self.added = sorted(g for g, a in plan.items() if a == plans.ADD)
        self.updated = sorted(g for g, a in plan.items() if a == plans.REPLACE)
        self.removed = sorted(g for g, a in plan.items() if a == plans.REMOVE)
        # None: keep_stopped was not asked for. The detail is known once the update is done.
        self.kept_stopped = [] if keep_stopped else None
        self.kept_stopped_detail = {} if keep_stopped else None

    @property
    def changed(self):
        return bool(self.added or self.updated or self.removed)

    def as_result(self):
        result = {'groups_added': self.added, 'groups_updated': self.updated, 'groups_removed': self.removed}
        if self.kept_stopped is not None:
            result['kept_stopped'] = self.kept_stopped
            result['kept_stopped_detail'] = self.kept_stopped_detail
        return result

    def diff(self, loaded, names=None):
        """Ansible's diff of the update: the loaded groups (those of ``names`` when given) before and after it,
        and the groups it replaced."""
        def shown(groups):
            return sorted(g for g in groups if names is None or g in names)
        after = (set(loaded) | set(self.added)) - set(self.removed)
        return Diff().add('groups', shown(loaded), shown(after)).add('updated', after=self.updated).as_dict()

    def warnings(self, url):
        unverified = [name for name in self.kept_stopped or () if self.kept_stopped_detail.get(name) == UNVERIFIED]
        return [UNVERIFIED_WARNING % (', '.join(unverified), url)] if unverified else []


def planned_changes(client, plan, infos, configured, keep_stopped):
    """The GroupChanges that ``plan`` makes, with the processes that keep_stopped would keep stopped.

    Fails, as the update would, when keep_stopped cannot keep them from running (``require_freezing``).
    """
    changes = GroupChanges(plan, keep_stopped)
    if keep_stopped:
        require_freezing(client, _keep(changes, infos, configured))
    return changes


def _keep(changes, infos, configured):
    """Record in ``changes`` which processes of its replaced groups stay STOPPED; return ``[(namespec, autostart)]``."""
    keep = plans.stopped_to_keep(infos, set(changes.updated), configured)
    kept = set(spec for spec, dummy in keep)
    changes.kept_stopped = [process_names.fullname(info) for info in infos if process_names.namespec(info) in kept]
    return keep


def require_freezing(client, keep):
    """Raise Unsupported (``api_versions.cannot``) unless supervisord has ``signalProcess`` (3.2.0 and later),
    when a kept process respawns.

    Without it, the only stop that can follow the spawn lands in the child before its exec, where
    supervisord's signal handlers swallow it: the program would run until stopwaitsecs.
    """
    if any(autostart for dummy, autostart in keep):
        client.require(['supervisor.signalProcess'])


def reload_config(client):
    """``reloadConfig`` and the configured groups: ``(reload_result, {group: [config infos]})``.

    reloadConfig applies nothing: it rereads the files (a syntax error faults
    CANT_REREAD, with the section and the file name from supervisord 3.2.0 on)
    and replaces the stored config, which is what getAllConfigInfo then
    reports (on every release: twice gives the same lists).
    """
    result, configs = client.multicall_or_raise([('supervisor.reloadConfig', []),
                                                 ('supervisor.getAllConfigInfo', [])])
    configured = {}
    for config in configs:
        configured.setdefault(config['group'], []).append(config)
    return result, configured


def freeze_calls(specs):
    """For the multicall that adds their groups: start each process and freeze it (SIGSTOP) at once.

    supervisord spawns the autostart processes of an added group on its
    next tick and has no call to add a group without that. Started here
    instead, each is forked inside this request and frozen microseconds
    later, in the same request: most often before its exec, sometimes just
    after. ``getPID`` comes last, for ``exec_check``.
    """
    calls = []
    for spec in specs:
        calls += [('supervisor.startProcess', [spec, False]), ('supervisor.signalProcess', [spec, 'STOP']),
                  ('supervisor.getProcessInfo', [spec])]
    return calls + [('supervisor.getPID', [])]


def how_spawn_ended(info):
    """NEVER_RAN when supervisord failed to spawn the process (no fork: BACKOFF), else UNVERIFIED.

    A child that was forked and already reaped within the request ("Exited
    too quickly", or EXITED) may have run its program.
    """
    spawnerr = info.get('spawnerr') or ''
    if info['statename'] == ProcessStates.BACKOFF and spawnerr and not spawnerr.startswith('Exited too quickly'):
        return NEVER_RAN
    return UNVERIFIED


def stop_frozen(client, controller, specs, answers, look=exec_check.frozen_child):
    """Stop the processes that ``freeze_calls(specs)`` started and froze; return ``{namespec: how}``.

    Each is stopped (STOPPING: its stop signal waits while it is frozen), then:
    seen in /proc before its exec, killed (its program never ran; supervisord
    counts the kill as the end of the stop: STOPPED); seen after its exec,
    resumed (it gets its stop signal at once, as on any stop); not seen
    (supervisord elsewhere), killed, as most children are still before
    their exec. A process whose group was not added is left out.

    Before 4.2.2 supervisord refuses to signal a STOPPING process (NOT_RUNNING):
    there the signal goes first, in the same request. supervisord reaps its
    children in its main loop, after the request, so the stop still finds the
    process STARTING, and its end is still a stop (no respawn).
    """
    supervisord_pid = answers[-1]
    how = {}
    pids = {}
    for index, spec in enumerate(specs):
        dummy, frozen, info = answers[3 * index:3 * index + 3]
        if isinstance(info, SupervisorFault):
            continue
        if not info.get('pid'):
            how[spec] = how_spawn_ended(info)
        elif isinstance(frozen, SupervisorFault) or isinstance(supervisord_pid, SupervisorFault):
            how[spec] = UNVERIFIED
            pids[spec] = None
        else:
            pids[spec] = info['pid']

    def views():
        return dict((spec, look(pid, supervisord_pid)) for spec, pid in pids.items() if pid)
    # The freeze was sent: the kernel stops each child as soon as it runs, so this waits only on a busy host.
    seen = controller.poll(views, lambda seen: exec_check.NOT_FROZEN not in seen.values(),
                           controller.clock() + controller.timeout)
    signal_first = not api_versions.signals_stopping(client.release())
    calls = []
    for spec in specs:
        if spec not in how and spec not in pids:
            continue
        stop = ('supervisor.stopProcess', [spec, False])
        if spec not in pids:
            calls.append(stop)
            continue
        view = seen.get(spec)
        if view == exec_check.AFTER_EXEC:
            how[spec] = STOPPED_AT_ONCE
            signal = ('supervisor.signalProcess', [spec, 'CONT'])
        else:
            how[spec] = NEVER_RAN if view == exec_check.BEFORE_EXEC else UNVERIFIED
            signal = ('supervisor.signalProcess', [spec, 'KILL'])
        calls += [signal, stop] if signal_first else [stop, signal]
    # A fault here (a process that exited meanwhile) leaves the final stop below to judge the process.
    controller.send_acting(calls, 'stop %s' % ', '.join(specs))
    return how


def apply_group_plan(client, controller, plan, configured, wait=True, keep_stopped=False):
    """Carry out ``{group: action}``; return ``(GroupChanges, failures)``.

    ``failures`` lists a Failure for each process that would not stop or
    start, and for each group that could not be removed or added. An error
    once something was done fails the task with changed=true.

    ``keep_stopped``: the processes of replaced groups that were STOPPED
    before stay STOPPED (Supervisor#214), and never run their program
    unseen: see ``freeze_calls`` and ``stop_frozen``.
    """
    with controller.reporting_changes():
        return _apply_group_plan(client, controller, plan, configured, wait, keep_stopped)


def _group_calls(controller, method, groups, extra=()):
    """``method(group)`` for each of ``groups`` (then ``extra`` calls) in one request; ``acted`` when one was done."""
    verb = 'remove' if method == 'supervisor.removeProcessGroup' else 'add'
    results = controller.send_acting([(method, [g]) for g in groups] + list(extra),
                                     '%s group %s' % (verb, ', '.join(groups)))
    if any(not isinstance(r, SupervisorFault) for r in results[:len(groups)]):
        controller.acted = True
    return results


def _apply_group_plan(client, controller, plan, configured, wait, keep_stopped):
    changes = GroupChanges(plan, keep_stopped)
    if not changes.changed:
        return changes, []
    leaving = set(changes.updated + changes.removed)
    entering = changes.added + changes.updated
    failures = []
    keep = []
    fullnames = {}
    not_removed = set()
    if leaving:
        current = controller.all_infos()
        if keep_stopped:
            keep = _keep(changes, current, configured)
            require_freezing(client, keep)
            fullnames = dict((process_names.namespec(i), process_names.fullname(i)) for i in current)
        running = [i for i in current if i['group'] in leaving]
        failures += controller.apply(plans.plan_processes(running, 'stopped'), wait=True)
        results = _group_calls(controller, 'supervisor.removeProcessGroup', sorted(leaving))
        for group, result in zip(sorted(leaving), results):
            if isinstance(result, SupervisorFault) and not result.is_('BAD_NAME'):
                failures.append(Failure(group, 'cannot be removed: %s' % result,
                                        summary='cannot remove group %s: %s' % (group, result)))
                not_removed.add(group)
    how = {}
    if entering:
        # A group still loaded keeps its stopped processes as they are: none to start and freeze there.
        respawned = [spec for spec, autostart in keep if autostart and spec.split(':', 1)[0] not in not_removed]
        results = _group_calls(controller, 'supervisor.addProcessGroup', entering, freeze_calls(respawned))
        for group, result in zip(entering, results):
            if isinstance(result, SupervisorFault) and not result.is_('ALREADY_ADDED'):
                failures.append(Failure(group, 'cannot be added: %s' % result,
                                        summary='cannot add group %s: %s' % (group, result)))
        if respawned:
            how = stop_frozen(client, controller, respawned, results[len(entering):])
            # Whatever happened above, they must end stopped, waited for: the point is that they do not run.
            respawned = set(respawned)
            kept = [i for i in controller.all_infos() if process_names.namespec(i) in respawned]
            failures += controller.apply(plans.plan_processes(kept, 'stopped'), wait=True)
        if wait:
            autostart = set()
            for group in entering:
                for config in configured.get(group, []):
                    if config.get('autostart'):
                        autostart.add('%s:%s' % (group, config['name']))
            autostart.difference_update(spec for spec, dummy in keep)
            infos = [i for i in controller.all_infos() if process_names.namespec(i) in autostart]
            if infos:
                failures += controller.wait_started(infos, not_yet_spawned=True)
    if keep:
        _record_kept(changes, keep, how, fullnames, failures)
    return changes, failures


def _record_kept(changes, keep, how, fullnames, failures):
    """kept_stopped and its detail: the processes that are kept, not those that failed or whose group did not come back."""
    failed = set(getattr(f, 'namespec', None) or f.name for f in failures)
    changes.kept_stopped = []
    changes.kept_stopped_detail = {}
    for spec, autostart in keep:
        if spec in failed or spec.split(':', 1)[0] in failed or (autostart and spec not in how):
            continue
        name = fullnames[spec]
        changes.kept_stopped.append(name)
        changes.kept_stopped_detail[name] = how[spec] if autostart else NOT_STARTED
