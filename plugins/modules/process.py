#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: process
short_description: Start, stop, restart or signal supervisord processes
version_added: 0.1.0
description:
  - Controls the runtime state of processes managed by supervisord, through its XML-RPC API.
  - All processes of one task are handled together with batched calls (C(system.multicall)),
    so a task with a hundred names costs about as much as a task with one.
  - Needs only the Python standard library on the target; C(supervisorctl) is not used.
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - supervisor.control.attributes
  - supervisor.control.rolling
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description:
      - Process specs, as C(supervisorctl) accepts them, plus two extensions.
      - C(group:proc) for one process, C(group:*) or C(group:) for every process of a group, V(*) or V(all) for every
        process.
      - "A bare name C(proc) means the process C(proc:proc), exactly as C(supervisorctl) reads it, even when the group
        C(proc) has other processes too (with C([group:db] programs=db,dbworker), V(db) is C(db:db) only; use V(db:*)
        for the whole group). This is also the RV(processes[].fullname) the module returns."
      - "Extension: a bare group name that has no process of its own name means the whole group, so that a
        C(numprocs) program can be named without C(:*) (V(worker) for C(worker:worker_00), C(worker:worker_01)...);
        C(supervisorctl) answers C(no such process) there."
      - "Extension: shell-style globs such as C(web:worker_*) or C(*_01), matched against both C(group:proc) and the
        full name (C(proc) when the group has the program's name). A glob matches a literal C([), C(*) or C(?) written
        C([[]), C([*]), C([?])."
      - "An exact name always wins: a spec is read as a glob, or V(all) as every process, only when no process or
        group has that name. So V(a[1]) names the program C(a[1]) (not C(a1)), and V(all) a program called C(all)
        when there is one (C(supervisorctl) always reads V(all) as every process; V(*) always means every process
        here). Every RV(processes[].fullname) thus selects that process alone when given back."
      - Each item is one name, whitespace inside it included (supervisord allows a no-break space or a tab in a
        name; C(supervisorctl) splits its arguments on whitespace). A name holding a comma must be a list item, as
        Ansible splits a string on commas.
      - A spec that matches nothing fails the task before anything is done, naming the spec and the closest existing
        names. The other specs of the list are not acted upon either (C(supervisorctl) acts on them and exits
        non-zero); nothing is half-applied.
      - An empty list selects nothing; the task does nothing and reports no change, like C(ansible.builtin.package)
        with an empty name list.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(started) starts processes that are not running (STOPPED, EXITED, FATAL); RUNNING and STARTING ones are left alone;
        a process in BACKOFF is stopped and started once.
      - V(stopped) stops running processes; others are left alone.
      - V(restarted) stops running processes and starts them all again. Always changes.
      - V(signalled) sends O(signal) to running processes. Always changes, unless none of them runs. It needs
        supervisord 3.2.0 or later (C(signalProcess)); an older one fails the task before anything is done, in check
        mode too.
    type: str
    choices: [started, stopped, restarted, signalled]
    default: started
  signal:
    description:
      - The signal for O(state=signalled), a name such as V(HUP) or V(SIGUSR1), or a number.
      - Checked before anything is sent, as supervisord checks it (a name of Python's C(signal) module on the
        target, or the number of one); an unknown signal fails the task with no change.
    type: str
  wait:
    description:
      - Wait until started processes have passed their C(startsecs) and stopped processes are stopped,
        within O(timeout) seconds.
      - Processes are waited for in parallel, not one after another.
      - With O(state=restarted) the stop is always waited for before the start is sent; V(false) then only means
        that the start is not waited for.
      - When a process fails to start, the task fails with its C(spawnerr), its real exit status (from the
        main log) and the last lines of its stderr log; with O(strategy), with its state and C(spawnerr) on the
        instance where Supvisors started it, and the C(host).
    type: bool
    default: true
  strategy:
    description:
      - Only for a daemon with the L(Supvisors,https://github.com/julien6387/supvisors) XML-RPC interface, control
        the processes of the whole cluster rather than those of this daemon.
      - O(name) is then matched against every process Supvisors knows (C(application:process)); processes are
        started with C(supvisors.start_process) on the instance that this starting strategy chooses (with V(LOCAL),
        the instance of O(server_url)), and stopped with C(supvisors.stop_process) wherever they run.
      - The cluster must be in the Supvisors state OPERATION. Not used with O(state=signalled).
      - RV(processes) then gives each process's C(namespec), C(statename) and the C(hosts) where it runs.
      - When not set, the module controls the processes of the daemon of O(server_url) only, as without Supvisors.
    type: str
    choices: [CONFIG, LESS_LOADED, MOST_LOADED, LOCAL, LESS_LOADED_NODE, MOST_LOADED_NODE]
    version_added: 0.1.0
  any:
    description:
      - "With O(strategy) and O(state=started) only: each O(name) is a regular expression (Python C(re.search) on
        C(application:process), as Supvisors matches them), and together they make one pool: every process that
        any of them matches. The task makes sure that at least one process of the pool runs, somewhere in the
        cluster. When none runs, Supvisors starts exactly one (C(supvisors.start_any_process)): the expressions are
        tried in order until one of them has a stopped process that the strategy can place. Overlapping or repeated
        expressions change nothing (C(['^pool:', 'pool:pool_\\d']) is one pool, and starts one process)."
      - Unchanged when a process of the pool already runs (RUNNING, STARTING or BACKOFF), however many do.
      - Every expression must be valid and match at least one process, or the task fails before anything is started.
      - For a pool of identical workers of which one at a time must run somewhere in the cluster.
    type: bool
    default: false
    version_added: 0.2.0
  extra_args:
    description:
      - With O(strategy) only, arguments that Supvisors appends to the command of each process it starts
        (C(supvisors.start_process); supervisord itself cannot, see
        U(https://github.com/Supervisor/supervisor/issues/1023)). RV(processes[].extra_args) gives what a process runs with.
      - They apply when the task starts a process; a running one keeps its arguments under O(state=started). Use
        O(state=restarted) to run it with new ones. Not used with O(state=stopped), which fails the task.
      - supervisord splits the command and these arguments as a shell would (Python C(shlex.split)); arguments it
        cannot split (an unbalanced quote, a trailing backslash) fail the task before anything is stopped or
        started.
    type: str
    version_added: 0.2.0
notes:
  - With O(wait=true), O(timeout) bounds the whole wait, so it should exceed the longest C(stopwaitsecs)
    and C(startsecs) of the processes.
seealso:
  - module: supervisor.control.group
  - module: supervisor.control.info
'''

EXAMPLES = r'''
- name: Make sure the workers run
  supervisor.control.process:
    name: "web:worker_*"
    state: started
    server_url: unix:///run/supervisor.sock

- name: Restart two programs in one round trip
  supervisor.control.process:
    name: [api, "queue:*"]
    state: restarted

- name: Ask nginx to reopen its logs
  supervisor.control.process:
    name: nginx
    state: signalled
    signal: USR1

- name: Start a process of a Supvisors cluster on the least loaded host, from any node
  supervisor.control.process:
    name: "batch:worker"
    strategy: LESS_LOADED
    server_url: http://node1:60000

- name: Stop every process on a remote daemon ("*" always means every process; all would name a program called all)
  supervisor.control.process:
    name: "*"
    state: stopped
    server_url: http://app1.example.com:9001
    username: admin
    password: "{{ vault_supervisor_password }}"
'''

RETURN = r'''
processes:
  description:
    - The processes matched by O(name), after the action, in supervisord's order.
    - In check mode, C(statename) is the state the process would reach.
  returned: success
  type: list
  elements: dict
  contains:
    hosts:
      description:
        - With O(strategy) (Supvisors) only, the hosts where the process runs.
        - In check mode, for a process to be started, the hosts where Supvisors would start it under O(strategy)
          (C(supvisors.test_start_process)); C(predicted) is then true.
      type: list
      elements: str
      sample: [node2]
    predicted:
      description: With O(strategy) only; true when RV(processes[].hosts) is Supvisors' prediction (check mode).
      type: bool
      version_added: 0.2.0
    extra_args:
      description: With O(strategy) only, the extra arguments the process was started with.
      type: str
      version_added: 0.2.0
    name:
      description: Process name.
      type: str
      sample: worker_00
    group:
      description: Group name.
      type: str
      sample: web
    fullname:
      description: The name supervisorctl shows, C(group:name), or C(name) alone when the group has its name.
      type: str
      sample: web:worker_00
    statename:
      description: C(STOPPED), C(STARTING), C(RUNNING), C(BACKOFF), C(STOPPING), C(EXITED), C(FATAL) or C(UNKNOWN).
      type: str
      sample: RUNNING
    state:
      description: The numeric state code.
      type: int
      sample: 20
    pid:
      description: Process id, 0 when not running.
      type: int
    description:
      description: supervisord's description, such as C(pid 123, uptime 0:01:02).
      type: str
    start:
      description: UNIX time of the last start.
      type: int
    stop:
      description: UNIX time of the last stop.
      type: int
    exitstatus:
      description: Exit status of the last exit (0 when it exited too quickly; see RV(failures)).
      type: int
    spawnerr:
      description: Why the last spawn failed, or an empty string.
      type: str
    stdout_logfile:
      description: Path of the stdout log.
      type: str
    stderr_logfile:
      description: Path of the stderr log.
      type: str
started:
  description: With O(any=true), the process Supvisors started (at most one), or an empty list when one ran already
    (and in check mode, and when the task fails before it starts one).
  returned: with O(any=true), unless the task refuses its options
  type: list
  elements: str
  sample: ['pool:worker_03']
  version_added: 0.2.0
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
  description: Why processes failed to reach the state, one entry per process.
  returned: when processes failed to reach the state (not when the task refuses its options or fails as a whole)
  type: list
  elements: dict
  sample:
    - name: web:api
      reason: failed to start (FATAL)
      statename: FATAL
      spawnerr: Exited too quickly (process log may have details)
      exitstatus: 3
      stderr_tail: "ImportError: no module named app\n"
      main_log: ["2026-11-23 10:00:00,000 INFO exited: api (exit status 3; not expected)"]
supvisors_state:
  description:
    - With O(strategy), the Supvisors state of the cluster when the task began (it acts only in C(OPERATION)).
    - Null when it could not be read (a daemon without Supvisors, or that could not be reached).
  returned: with O(strategy), unless the task refuses its options
  type: str
  sample: OPERATION
server_url:
  description:
    - The URL of the daemon that was used, without credentials.
    - Null when the task failed before it connected (an option it refuses, a O(server_url) or O(config) it cannot
      read).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
  sample: unix:///run/supervisor.sock
'''

from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import SupervisorModule
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import ProcessController
from ansible_collections.supervisor.control.plugins.module_utils.errors import TaskFailed
from ansible_collections.supervisor.control.plugins.module_utils.process_task import bring_to_state, check_rolling


def parse_signal(text):
    """The signal supervisord will accept for ``text``, as it sends it (``HUP``, ``10``), or None.

    supervisord's own check (``supervisor.datatypes.signal_number``): a name of
    the ``signal`` module, ``SIG`` prefix optional, or the number of one.
    """
    import signal as signals
    text = text.strip().upper()
    known = signals.Signals
    if text.isdigit():
        return text if int(text) in set(s.value for s in known) else None
    name = text if text.startswith('SIG') else 'SIG' + text
    return name[3:] if name in known.__members__ else None


def run(task):
    params = task.params
    state = params['state']
    signal = params.get('signal')
    if state == 'signalled':
        if not signal:
            raise TaskFailed('state=signalled needs signal, such as HUP or 10')
        signal = parse_signal(params['signal'])
        if signal is None:
            raise TaskFailed('invalid signal %r: give a signal name such as HUP, TERM or USR1 (SIG prefix '
                             'optional) or the number of one, such as 1' % params['signal'])
    elif signal:
        raise TaskFailed('signal is only used with state=signalled')
    check_rolling(params)
    if params.get('any') and (not params.get('strategy') or state != 'started'):
        raise TaskFailed('any needs strategy and state=started: Supvisors starts one process among those a regular '
                         'expression matches (supvisors.start_any_process)')
    if params.get('extra_args') and not params.get('strategy'):
        raise TaskFailed('extra_args needs strategy: Supvisors passes extra arguments to a program it starts '
                         '(supvisors.start_process), supervisord alone cannot')
    if params.get('extra_args') is not None and state == 'stopped':
        raise TaskFailed('extra_args is only used when a process starts (state=started or state=restarted), '
                         'not with state=stopped')
    if params.get('strategy'):
        # Imported here: the Supvisors code stays out of the common path's start-up.
        from ansible_collections.supervisor.control.plugins.module_utils import supvisors_tasks
        return supvisors_tasks.run_process_task(task)
    controller = ProcessController(task.client, params['timeout'])
    targets = controller.selected_infos(params['name'])
    return bring_to_state(task, controller, targets, state, signal)


ARGUMENT_SPEC = dict(
    name=dict(type='list', elements='str', required=True),
    state=dict(type='str', default='started', choices=list(plans.PROCESS_STATES)),
    signal=dict(type='str'),
    wait=dict(type='bool', default=True),
    strategy=dict(type='str', choices=list(plans.STARTING_STRATEGIES)),
    extra_args=dict(type='str'),
    any=dict(type='bool', default=False),
    rolling=plans.ROLLING_SPEC,
    ready=plans.READY_SPEC,
)


def main():
    SupervisorModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(run)


if __name__ == '__main__':
    main()
