#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: group
short_description: Add, update, remove, start or stop supervisord process groups
version_added: 0.1.0
description:
  - Manages process groups in the running configuration of supervisord, through its XML-RPC API.
  - O(state=present) does what C(supervisorctl update NAME) does, and only for the named groups
    (C(reloadConfig), then add the group if it is new on disk, or stop, remove and add it again if its
    configuration changed). A group that is loaded and unchanged on disk is left alone.
  - O(state=absent) stops the group's processes and removes the group from the running configuration
    (the files on disk are not touched).
  - O(state=started), O(state=stopped) and O(state=restarted) act on every process of the group,
    as M(supervisor.control.process) would with C(group:*).
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - supervisor.control.attributes
  - supervisor.control.keep_stopped
  - supervisor.control.rolling
attributes:
  check_mode:
    support: full
    details:
      - With O(state=present), check mode still calls C(reloadConfig), which rereads the files on disk
        (as C(supervisorctl reread) does) but starts, stops, adds and removes nothing.
  diff_mode:
    support: full
options:
  name:
    description:
      - Group names. For a C([program:x]) without a C([group:...]) section, the group is C(x).
    type: list
    elements: str
    required: true
  state:
    description:
      - The wanted state of the groups.
      - "V(disabled) and V(enabled), only for a daemon with the L(Supvisors,https://github.com/julien6387/supvisors)
        XML-RPC interface: O(name) are program names (C([program:x]) sections); a disabled program's processes are
        stopped and cannot be started on this daemon until it is enabled again (C(supvisors.disable) /
        C(supvisors.enable); Supvisors keeps this across restarts). Idempotent. Each Supvisors instance has its own;
        for the whole cluster, run the task for each instance (the P(supervisor.control.supvisors#inventory)
        inventory plugin gives one host per instance, with its C(supervisor_server_url))."
      - With V(disabled) and V(enabled), RV(processes) are the processes of those programs on this daemon, each with
        C(disabled); in check mode, as the change would leave them (a running process of a program to disable
        STOPPED). Enabling starts nothing.
      - O(keep_stopped=true) is only used with V(present); with any other state it fails the task before anything is
        done.
    type: str
    choices: [present, absent, started, stopped, restarted, disabled, enabled]
    default: present
  wait:
    description:
      - Wait until the processes of added or started groups have passed their C(startsecs), and those
        of stopped or removed groups are stopped, within O(timeout) seconds.
    type: bool
    default: true
  numprocs:
    description:
      - "Only for a daemon with the L(Supvisors,https://github.com/julien6387/supvisors) XML-RPC interface: the number
        of processes of the program O(name) (one name, a C([program:x]) section) on this daemon, changed with
        C(supvisors.update_numprocs) without restarting the processes that stay (plain supervisord cannot, see
        U(https://github.com/Supervisor/supervisor/issues/177))."
      - Processes are added, or the ones in excess stopped and removed; O(wait) waits for that stop. Nothing else of
        O(state=present) is done (no C(reloadConfig)).
      - Idempotent; in check mode nothing is changed and RV(numprocs) says what would be. RV(processes) are the
        program's processes on this daemon after the change; in check mode, those that stay (a decrease removes the
        last ones of each group; the processes an increase adds are named by supervisord when it adds them, so they
        are not listed).
      - Not with O(keep_stopped=true), which fails the task (no group is replaced).
      - The change is in the running daemon only. Write the same C(numprocs) in the program's file too, or a later
        update (O(state=present), or C(supervisorctl update)) sees the file differ and replaces the whole group.
      - Each Supvisors instance has its own configuration; to change every node, run the task for each one
        (for example over the hosts of the P(supervisor.control.supvisors#inventory) inventory plugin).
      - On a plain supervisord the number of processes cannot change without restarting the group; the task fails
        and says how (set C(numprocs) in the file and apply it with O(state=present)).
    type: int
    version_added: 0.2.0
seealso:
  - module: supervisor.control.daemon
  - module: supervisor.control.process
'''

EXAMPLES = r'''
- name: Deploy the worker program and apply its configuration
  block:
    - name: Write the program file
      ansible.builtin.copy:
        dest: /etc/supervisor/conf.d/worker.conf
        content: |
          [program:worker]
          command=/opt/app/bin/worker
      register: worker_conf

    - name: Load or update the worker group (restarts it only if its file changed)
      supervisor.control.group:
        name: worker
        state: present

- name: Remove a group from the running configuration
  supervisor.control.group:
    name: legacy
    state: absent

- name: Restart every process of two groups
  supervisor.control.group:
    name: [web, queue]
    state: restarted
'''

RETURN = r'''
groups_added:
  description: Groups that were added to the running configuration.
  returned: success
  type: list
  elements: str
  sample: [worker]
groups_updated:
  description: Groups whose configuration changed on disk, and that were stopped, removed and added again.
  returned: success
  type: list
  elements: str
groups_removed:
  description: Groups that were removed from the running configuration.
  returned: success
  type: list
  elements: str
programs_changed:
  description: With O(state=disabled) or O(state=enabled), the programs whose state was (or would be) changed.
  returned: on success, with O(state=disabled) or O(state=enabled)
  type: list
  elements: str
  sample: [worker]
  version_added: 0.2.0
numprocs:
  description: With O(numprocs), the program's number of processes on this daemon before and after.
  returned: on success, when O(numprocs) is given
  type: dict
  sample: {before: 2, after: 4}
  version_added: 0.2.0
kept_stopped:
  description:
    - With O(keep_stopped=true), the processes of replaced groups that were kept STOPPED (full names); empty when no
      group was replaced.
    - When the update fails part-way, only those that are STOPPED in their new group.
  returned: with O(state=present) and O(keep_stopped=true), on success, and when a group or process of the update
    fails (not when the task fails before the update)
  type: list
  elements: str
  sample: ['web:web_a']
  version_added: 0.2.0
kept_stopped_detail:
  description:
    - How each process of RV(kept_stopped) was kept from running, by full name (see O(keep_stopped)).
    - V(not_started) its new configuration has C(autostart=false); supervisord did not spawn it.
    - V(never_ran) frozen before it executed its program (seen in C(/proc)), then killed; or supervisord could
      not spawn it at all.
    - V(stopped_at_once) frozen just after it executed its program (seen in C(/proc)), then given its C(stopsignal)
      and resumed.
    - V(unverified) frozen and killed without that check (C(/proc) here does not show supervisord's processes, or
      did not show this one frozen); the task warns.
    - Empty in check mode.
  returned: with O(state=present) and O(keep_stopped=true), on success, and when a group or process of the update
    fails (not when the task fails before the update)
  type: dict
  sample: {'web:web_a': never_ran}
  version_added: 0.2.0
processes:
  description:
    - The processes of the named groups after the action, in supervisord's order,
      with the keys that M(supervisor.control.process) returns.
    - With O(numprocs), O(state=disabled) or O(state=enabled), the processes of the named programs instead, each also
      with C(namespec) (C(group:name)); with O(state=disabled) or O(state=enabled), with C(disabled) too.
  returned: success
  type: list
  elements: dict
  sample:
    - name: worker
      group: worker
      fullname: worker
      statename: RUNNING
      pid: 4242
batches:
  description:
    - With O(rolling) or O(ready), the batches of the roll, in the order they were (or, in check mode, would be)
      rolled; with O(ready) alone, one batch.
    - Each gives its C(processes) (full names) and which of them are C(ready), C(failed) and C(not_started).
      In check mode every process is C(ready), as planned.
  returned: with O(rolling) or O(ready), on success, and when the roll fails (not when the task refuses its options
    or fails before the roll)
  type: list
  elements: dict
  sample:
    - {processes: ['pool:pool_1', 'pool:pool_2'], ready: ['pool:pool_1', 'pool:pool_2'], failed: [], not_started: []}
    - {processes: ['pool:pool_3', 'pool:pool_4'], ready: ['pool:pool_4'], failed: ['pool:pool_3'], not_started: []}
    - {processes: ['pool:pool_5', 'pool:pool_6'], ready: [], failed: [], not_started: ['pool:pool_5', 'pool:pool_6']}
  version_added: 0.2.0
restarted:
  description:
    - With O(rolling) or O(ready), the processes that were restarted (or started, with O(state=started)) and are
      ready, full names.
  returned: with O(rolling) or O(ready), on success, and when the roll fails (not when the task refuses its options
    or fails before the roll)
  type: list
  elements: str
  sample: ['pool:pool_1', 'pool:pool_2', 'pool:pool_4']
  version_added: 0.2.0
not_restarted:
  description:
    - "With O(rolling) or O(ready), the processes of the roll that are not in RV(restarted) (failed, or not
      touched), full names, so that C(name: \"{{ result.not_restarted }}\") resumes a roll that stopped."
  returned: with O(rolling) or O(ready), on success, and when the roll fails (not when the task refuses its options
    or fails before the roll)
  type: list
  elements: str
  sample: ['pool:pool_3', 'pool:pool_5', 'pool:pool_6']
  version_added: 0.2.0
failures:
  description:
    - Why groups or processes failed, one entry per group or process (C(name), C(reason), and details such as
      C(statename), C(exitstatus) or C(stderr_tail)).
  returned: when a group of the update or a process failed (not when the task refuses its options or fails as a whole)
  type: list
  elements: dict
server_url:
  description:
    - The URL of the daemon that was used, without credentials.
    - Null when the task failed before it connected (an option it refuses, a O(server_url) or O(config) it cannot
      read).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
'''

from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import SupervisorModule
from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import ProcessController
from ansible_collections.supervisor.control.plugins.module_utils.errors import TaskFailed
from ansible_collections.supervisor.control.plugins.module_utils.group_controller import (
    GroupChanges,
    apply_group_plan,
    planned_changes,
    reload_config,
)
from ansible_collections.supervisor.control.plugins.module_utils.process_task import bring_to_state, check_rolling

PROCESS_STATES = ('started', 'stopped', 'restarted')


def _group_processes(infos, names):
    return [process_names.normalize(i) for i in infos if i['group'] in names]


def _supvisors_run(task, names):
    """numprocs and state=disabled/enabled, on Supvisors: they replace no group, so the group keys are empty."""
    params = task.params
    state = params['state']
    if params['numprocs'] is not None and (len(names) != 1 or state != 'present'):
        raise TaskFailed('numprocs needs exactly one program name and state=present, got name=%s state=%s' % (
            ', '.join(names) or '[]', state))
    from ansible_collections.supervisor.control.plugins.module_utils import supvisors_tasks
    if params['numprocs'] is not None:
        result = supvisors_tasks.update_numprocs(task, names[0], params['numprocs'])
    else:
        result = supvisors_tasks.set_disabled(task, names, state == 'disabled')
    result.update(GroupChanges({}).as_result())
    return result


def run(task):
    params = task.params
    names = [n.strip() for n in params['name']]
    state = params['state']
    # Before anything is read: only an update replaces groups, and numprocs replaces none.
    if params['keep_stopped'] and (state != 'present' or params['numprocs'] is not None):
        raise TaskFailed('keep_stopped is only used with state=present (groups that an update replaces), not with %s'
                         % ('numprocs' if params['numprocs'] is not None else 'state=%s' % state))
    check_rolling(params)
    client = task.client
    if params['numprocs'] is not None or state in ('disabled', 'enabled'):
        return _supvisors_run(task, names)
    controller = ProcessController(client, params['timeout'])
    before = controller.running_infos()
    loaded = set(i['group'] for i in before)

    if state in PROCESS_STATES:
        unknown = [n for n in names if n not in loaded]
        if unknown:
            raise TaskFailed('group %s is not loaded in supervisord: add it with state=present first' %
                             ', '.join(unknown))
        targets = controller.narrowed([i for i in before if i['group'] in names], before)
        return bring_to_state(task, controller, targets, state, **GroupChanges({}).as_result())

    configured = {}
    reload_result = [[[], [], []]]
    if state == 'present':
        reload_result, configured = reload_config(client)
    plan, unknown = plans.plan_groups(names, state, loaded, set(configured), reload_result)
    if unknown:
        raise TaskFailed('group %s is not in the configuration files of supervisord (known: %s)' % (
            ', '.join(unknown), ', '.join(sorted(configured)) or 'none'))
    keep_stopped = params['keep_stopped'] and state == 'present'
    changes = planned_changes(client, plan, before, configured, keep_stopped)
    result = dict(changes.as_result(), changed=changes.changed)
    if changes.changed and not task.check_mode:
        changes, failures = apply_group_plan(client, controller, plan, configured, wait=params['wait'],
                                             keep_stopped=keep_stopped)
        for warning in changes.warnings(client.url):
            task.warn(warning)
        result.update(changes.as_result())
        if failures:
            raise TaskFailed.of(failures, True, processes=_group_processes(controller.all_infos(), names),
                                **changes.as_result())
        after = controller.all_infos()
    else:
        after = before
    result['processes'] = _group_processes(after, names)
    if task.diff:
        result['diff'] = changes.diff(loaded, names)
    return result


ARGUMENT_SPEC = dict(
    name=dict(type='list', elements='str', required=True),
    state=dict(type='str', default='present',
               choices=['present', 'absent', 'started', 'stopped', 'restarted', 'disabled', 'enabled']),
    wait=dict(type='bool', default=True),
    keep_stopped=dict(type='bool', default=False),
    numprocs=dict(type='int'),
    rolling=plans.ROLLING_SPEC,
    ready=plans.READY_SPEC,
)


def main():
    SupervisorModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(run)


if __name__ == '__main__':
    main()
