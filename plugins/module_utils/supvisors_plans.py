# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Supvisors: what to do with applications and the cluster, and how to read its answers.

Pure functions (no I/O), unit-tested in tests/unit/test_supvisors_plans.py.
The modules ``application`` and ``supvisors`` (and the Supvisors parts of
``process`` and ``info``) read the cluster with the client, ask these
functions for a plan, carry it out and report with them.

Facts about Supvisors 0.19.1 these functions rely on (checked on a real
3-host cluster): application states are STOPPED, STARTING, RUNNING, STOPPING
(DELETED is internal); ``start_application`` faults ALREADY_STARTED in every
state but STOPPED; ``stop_application`` faults NOT_RUNNING when nothing of
the application runs; ``restart_application`` on a stopped application
starts it; identifiers are ``host:port`` and ``get_all_instances_info``
maps them to ``node_name`` and ``nick_identifier``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch

from ansible_collections.supervisor.control.plugins.module_utils.diff import Diff
from ansible_collections.supervisor.control.plugins.module_utils.process_names import is_glob
from ansible_collections.supervisor.control.plugins.module_utils.states import (
    RUNNING_STATES,
    ProcessStates,
    process_state_code,
)

# supvisors/ttypes.py, by name (``fsm_statename``, an application's ``statename``); Supvisors' processes are in
# Supervisor's states (states.py). USER is left out of the strategies: it means "do nothing, wait for a user",
# which conciliate() accepts and ignores.
CONCILIATION_STRATEGIES = ('SENICIDE', 'INFANTICIDE', 'STOP', 'RESTART', 'RUNNING_FAILURE')


class SupvisorsStates(object):
    """The states of the cluster that a decision here names (Supvisors has OFF, ELECTION... too)."""
    SYNCHRONIZATION = 'SYNCHRONIZATION'
    DISTRIBUTION = 'DISTRIBUTION'
    OPERATION = 'OPERATION'
    CONCILIATION = 'CONCILIATION'


class ApplicationStates(object):
    """An application's states (DELETED is internal to Supvisors)."""
    STOPPED = 'STOPPED'
    STARTING = 'STARTING'
    RUNNING = 'RUNNING'
    STOPPING = 'STOPPING'


APPLICATION_STATES = ('started', 'stopped', 'restarted')
CLUSTER_STATES = ('operational', 'conciliated', 'restarted', 'stopped')

# Steps of an application plan, carried out in this order.
WAIT_STOPPED = 'wait_stopped'
START = 'start'
STOP = 'stop'
RESTART = 'restart'

# Process states that explain why an application failed.
FAILED_PROCESS_STATES = (ProcessStates.FATAL, ProcessStates.BACKOFF, ProcessStates.EXITED, ProcessStates.UNKNOWN)
# Process states in which a failed spawn leaves a process (its spawnerr says why).
SPAWN_FAILED_STATES = (ProcessStates.FATAL, ProcessStates.BACKOFF)


# ---------------------------------------------------------------------------
# Reading answers
# ---------------------------------------------------------------------------

def host_of(identifier, instances=None):
    """The host name of a Supvisors identifier (``host:port``), from the instances when known."""
    if instances:
        for instance in instances:
            if instance.get('identifier') == identifier:
                return instance.get('node_name') or instance.get('nick_identifier') or identifier
    if not isinstance(identifier, str) or not identifier:
        return None
    if identifier.startswith('['):
        return identifier[1:].split(']', 1)[0]
    if identifier.count(':') == 1:
        return identifier.split(':', 1)[0]
    return identifier


def normalize_process(info, instances=None):
    """A ``supvisors.get_process_info`` entry with ``namespec`` and the ``hosts`` it runs on."""
    identifiers = list(info.get('identifiers') or [])
    return {
        'namespec': '%s:%s' % (info.get('application_name'), info.get('process_name')),
        'application_name': info.get('application_name'),
        'process_name': info.get('process_name'),
        'statename': info.get('statename'),
        'statecode': info.get('statecode'),
        'expected_exit': info.get('expected_exit'),
        'identifiers': identifiers,
        'hosts': [host_of(i, instances) for i in identifiers],
        'extra_args': info.get('extra_args', ''),
        'predicted': bool(info.get('predicted')),
    }


def normalize_application(info, processes=None, instances=None, rules=None):
    """A ``supvisors.get_application_info`` entry, plus its processes when given."""
    result = {
        'name': info.get('application_name'),
        'managed': info.get('managed'),
        'statename': info.get('statename'),
        'statecode': info.get('statecode'),
        'major_failure': info.get('major_failure', False),
        'minor_failure': info.get('minor_failure', False),
    }
    if processes is not None:
        result['processes'] = [normalize_process(p, instances) for p in processes]
    if rules is not None:
        result['starting_strategy'] = rules.get('starting_strategy')
    return result


def normalize_instance(info):
    return {
        'identifier': info.get('identifier'),
        'nick_identifier': info.get('nick_identifier'),
        'host': info.get('node_name') or host_of(info.get('identifier')),
        'port': info.get('port'),
        'statename': info.get('statename'),
        'statecode': info.get('statecode'),
        'loading': info.get('loading'),
        'process_failure': info.get('process_failure', False),
    }


def normalize_conflict(info, instances=None):
    return normalize_process(info, instances)


def cluster_facts(status, instances=None, applications=None, conflicts=None):
    """The ``supvisors`` facts: state, master, instances, applications and conflicts.

    ``status`` is ``get_supvisors_state()``; the other answers are optional
    (``None``: not read, left out), because most of them fault
    BAD_SUPVISORS_STATE before DISTRIBUTION.
    """
    instances_raw = instances or []
    master = status.get('master_identifier') or None
    facts = {
        'state': status.get('fsm_statename'),
        'statecode': status.get('fsm_statecode'),
        'identifier': status.get('identifier'),
        'master': master,
        'master_host': host_of(master, instances_raw) if master else None,
        'degraded_mode': status.get('degraded_mode', False),
        'starting_jobs': list(status.get('starting_jobs') or []),
        'stopping_jobs': list(status.get('stopping_jobs') or []),
        'instance_states': dict(status.get('instance_states') or {}),
    }
    if instances is not None:
        facts['instances'] = [normalize_instance(i) for i in instances]
    if applications is not None:
        facts['applications'] = [normalize_application(a) for a in applications]
    if conflicts is not None:
        facts['conflicts'] = [normalize_conflict(c, instances_raw) for c in conflicts]
    return facts


# ---------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------

EVERYTHING = '*'


def _names_match(spec, items, names_of):
    """The items that ``spec`` selects, as ``process_names.match`` reads process names.

    A spec that is an item's name (one of ``names_of(item)``) selects the items so named, whatever characters it
    holds (``a[1]``, ``q?``); only a spec that names nothing is read as a glob. ``*`` always means every item.
    """
    if spec == EVERYTHING:
        return list(items)
    exact = [i for i in items if spec in names_of(i)]
    if exact or not is_glob(spec):
        return exact
    return [i for i in items if any(fnmatch.fnmatchcase(name, spec) for name in names_of(i))]


def _select(specs, items, names_of, key):
    """``(selected, unknown)``: the items any spec selects, in the order of ``items``, each once; the specs that
    select nothing."""
    chosen = set()
    unknown = []
    for spec in specs:
        found = _names_match(spec, items, names_of)
        if not found and spec != EVERYTHING:  # every item of an empty list is none, not an unknown name
            unknown.append(spec)
        chosen.update(key(i) for i in found)
    return [i for i in items if key(i) in chosen], unknown


def _application_names(info):
    return (info['application_name'],)


def select_applications(names, infos):
    """``(selected, unknown, unmanaged)`` for the names (or globs) asked.

    A name selects the application so called, whatever characters it holds; a glob is read only when no
    application has that name, and ``*`` is every application. ``selected`` keeps the order of ``infos``
    (Supvisors' order) without duplicates; ``unknown`` lists the names that select nothing; ``unmanaged`` the
    selected applications that have no rules.
    """
    selected, unknown = _select(names, infos, _application_names, lambda i: i['application_name'])
    unmanaged = [i['application_name'] for i in selected if not i.get('managed')]
    return selected, unknown, unmanaged


def _instance_names(instance):
    return tuple(str(instance.get(key) or '') for key in ('host', 'nick_identifier', 'identifier'))


def select_instances(specs, instances):
    """``(selected, unknown)``: the normalized instances whose host, nick or identifier is a spec (or, for a spec
    that names none, matches it as a glob); all of them without specs."""
    if not specs:
        return list(instances), []
    return _select(specs, instances, _instance_names, lambda i: i['identifier'])


def instance_names(instances):
    """A name for each instance that selects it alone when given back: its host, else its nick (a host may hold
    several instances), else its identifier."""
    names = []
    for instance in instances:
        alone = [name for name in (instance.get('host'), instance.get('nick_identifier'))
                 if name and _names_match(name, instances, _instance_names) == [instance]]
        names.append(alone[0] if alone else instance['identifier'])
    return names


def unknown_message(unknown, infos):
    known = sorted(i['application_name'] for i in infos)
    return 'unknown application%s %s: Supvisors knows %s' % (
        's' if len(unknown) > 1 else '', ', '.join(unknown), ', '.join(known) or 'no application')


def unknown_instances_message(unknown, instances):
    return 'no Supvisors instance matches %s; the instances are %s' % (
        ', '.join(unknown), ', '.join(instance_names(instances)) or 'none')


def unmanaged_message(unmanaged):
    return ('application%s %s not managed by Supvisors (no rules in its rules files): start and stop its '
            'processes with supervisor.control.process or supervisor.control.group' % (
                's' if len(unmanaged) > 1 else '', ', '.join(unmanaged)))


def application_steps(statename, state):
    """The steps that take one application from ``statename`` to ``state``."""
    if state == 'started':
        if statename in (ApplicationStates.RUNNING, ApplicationStates.STARTING):
            return ()
        if statename == ApplicationStates.STOPPING:
            return (WAIT_STOPPED, START)
        return (START,)
    if state == 'stopped':
        if statename in (ApplicationStates.RUNNING, ApplicationStates.STARTING):
            return (STOP,)
        if statename == ApplicationStates.STOPPING:
            return (WAIT_STOPPED,)
        return ()
    if state == 'restarted':
        if statename in (ApplicationStates.RUNNING, ApplicationStates.STARTING):
            return (RESTART,)
        if statename == ApplicationStates.STOPPING:
            return (WAIT_STOPPED, START)
        return (START,)
    raise ValueError('unknown application state %r' % state)


class ApplicationAction(object):
    """What one application needs: ``steps`` (possibly empty) and the strategy to start it with."""

    def __init__(self, info, steps, strategy=None):
        self.info = info
        self.name = info['application_name']
        self.steps = tuple(steps)
        self.strategy = strategy

    @property
    def changed(self):
        return any(step != WAIT_STOPPED for step in self.steps)

    @property
    def expected(self):
        if START in self.steps or RESTART in self.steps:
            return ApplicationStates.RUNNING
        if STOP in self.steps or WAIT_STOPPED in self.steps:
            return ApplicationStates.STOPPED
        return self.info.get('statename')

    def __repr__(self):
        return '<ApplicationAction %s %s (%s)>' % (self.name, '+'.join(self.steps) or 'none', self.strategy)


def plan_applications(infos, state, strategy=None, rules=None):
    """One ApplicationAction per application info.

    ``strategy``: the strategy asked for, or ``None`` for each application's
    own ``starting_strategy`` (from ``rules``: ``{name: get_application_rules()}``),
    and CONFIG when its rules say nothing.
    """
    rules = rules or {}
    actions = []
    for info in infos:
        steps = application_steps(info.get('statename'), state)
        chosen = None
        if START in steps or RESTART in steps:
            chosen = strategy or (rules.get(info['application_name']) or {}).get('starting_strategy') or 'CONFIG'
        actions.append(ApplicationAction(info, steps, chosen))
    return actions


def application_diff(before, after, predicted=()):
    """Ansible's diff; in check mode ``predicted`` processes add where Supvisors would start them."""
    diff = Diff().add_items(before, after, lambda i: i['application_name'], lambda i: i.get('statename'))
    for process in predicted:
        where = ', '.join(process['hosts']) or 'no host'
        diff.add(process['namespec'], after='%s on %s' % (process['statename'], where))
    return diff.as_dict()


def apply_prediction(processes, prediction):
    """``get_process_info`` entries as a ``test_start_*`` prediction says they would be after the start.

    A prediction entry has ``application_name``, ``process_name``, ``state``
    and ``running_identifiers``; the processes it names get that state and
    those identifiers, and ``predicted: true``.
    """
    by_name = dict(((p.get('application_name'), p.get('process_name')), p) for p in prediction or []
                   if isinstance(p, dict))
    result = []
    for info in processes:
        guess = by_name.get((info.get('application_name'), info.get('process_name')))
        if guess is not None:
            info = dict(info, statename=guess.get('state'), identifiers=list(guess.get('running_identifiers') or []),
                        predicted=True)
        result.append(info)
    return result


def sequence_would_start(applications, rules, inner_infos):
    """The applications that Supvisors' starting sequence (``restart_sequence``) would start.

    As its Starter decides: a ``start_sequence`` above 0, and in failure or never
    started (every process STOPPED and never stopped, on every instance).
    ``rules`` maps names to ``get_application_rules`` answers; ``inner_infos`` is
    every instance's ``get_all_inner_process_info``, or None when this Supvisors
    cannot tell, and then only the applications in failure count.
    """
    seen, touched = set(), set()
    for info in inner_infos or ():
        seen.add(info.get('group'))
        if info.get('state') != 0 or info.get('stop'):
            touched.add(info.get('group'))
    names = []
    for app in applications:
        name = app.get('application_name')
        if ((rules.get(name) or {}).get('start_sequence') or 0) <= 0:
            continue
        never_started = inner_infos is not None and name in seen and name not in touched
        if app.get('major_failure') or app.get('minor_failure') or never_started:
            names.append(name)
    return names


def failing_processes(processes):
    """The processes of a failed application worth naming: those not RUNNING, failed ones first."""
    failed = [p for p in processes if p.get('statename') in FAILED_PROCESS_STATES]
    others = [p for p in processes if p.get('statename') != ProcessStates.RUNNING and p not in failed]
    return failed + others


def application_failure(name, step, info, processes, instances=None, fault=None, spawn_failures=None):
    """One failure entry: the state Supvisors reports and the processes that failed.

    ``spawn_failures`` (``{namespec: spawn_failure()}``) adds to a process
    that failed to spawn its ``spawnerr`` and the ``spawn_host`` where it did.
    """
    procs = [normalize_process(p, instances) for p in failing_processes(processes)]
    for proc in procs:
        spawn = (spawn_failures or {}).get(proc['namespec'])
        if spawn:
            proc.update(spawnerr=spawn['spawnerr'], spawn_host=spawn['host'])
    entry = {
        'name': name,
        'action': step,
        'statename': info.get('statename') if info else None,
        'major_failure': bool(info and info.get('major_failure')),
        'minor_failure': bool(info and info.get('minor_failure')),
        'processes': procs,
    }
    if fault is not None:
        entry['fault'] = str(fault)
    return entry


def failure_summary(entry):
    verb = {START: 'start', STOP: 'stop', RESTART: 'restart', WAIT_STOPPED: 'stop'}.get(entry['action'],
                                                                                        entry['action'])
    flags = []
    if entry.get('major_failure'):
        flags.append('major failure')
    if entry.get('minor_failure'):
        flags.append('minor failure')
    text = 'application %s failed to %s: Supvisors reports %s' % (
        entry['name'], verb, entry.get('statename') or 'nothing')
    if flags:
        text += ' (%s)' % ', '.join(flags)
    if entry['processes']:
        text += '; failing processes: %s' % ', '.join(describe_failing(p) for p in entry['processes'])
    return text


def describe_failing(process):
    """``web:front FATAL on alpha: Exited too quickly ...``: a failing process, where it runs or failed to spawn."""
    where = ','.join(process['hosts']) or process.get('spawn_host')
    text = '%s %s%s' % (process['namespec'], process['statename'], ' on %s' % where if where else '')
    if process.get('spawnerr'):
        text += ': %s' % process['spawnerr']
    return text


def extra_args_error(extra_args):
    """Why supervisord could not start a process with ``extra_args``, or None.

    Supvisors appends them to the program's command (``command + ' ' +
    extra_args``), which supervisord splits with ``shlex.split`` when it
    spawns the process; what cannot be split leaves it FATAL. A command that
    supervisord can split stays splittable with arguments that can be split
    themselves, so checking them alone is enough.
    """
    import shlex
    try:
        shlex.split(extra_args)
    except ValueError as error:
        return ('extra_args: supervisord cannot split %s into arguments (%s), so the process would not start: '
                'nothing was done' % (extra_args, error))
    return None


def any_pool(regexes, namespecs):
    """``(pool, error)`` for process ``any=true``: the namespecs that any of ``regexes`` matches, in their order.

    Matched as Supvisors' start_any_process matches (``re.search`` on
    ``application:process``). ``error`` is the message for the first
    expression that is not one, or that matches no process (then the pool is
    empty): every expression is checked before anything is started.
    """
    import re
    patterns = []
    for regex in regexes:
        try:
            patterns.append((regex, re.compile(regex)))
        except re.error as exc:
            return [], 'any: %r is not a regular expression: %s' % (regex, exc)
    for regex, pattern in patterns:
        if not any(pattern.search(namespec) for namespec in namespecs):
            return [], 'any: no process matches %r (Supvisors knows %s)' % (regex, ', '.join(sorted(namespecs)))
    return [n for n in namespecs if any(pattern.search(n) for dummy, pattern in patterns)], None


def namespecs_in_fault(detail):
    """The processes a Supvisors NOT_RUNNING fault names (``processes=['app:proc', ...]``), or []."""
    import re
    listed = re.search(r"processes=\[(.*)\]", detail or '')
    return re.findall(r"'([^']*)'", listed.group(1)) if listed else []


def spawn_failure(inner_infos):
    """What a failed start left, from every instance's ``get_inner_process_info`` of the process.

    ``{statename, spawnerr, host}`` of the newest entry in FATAL or BACKOFF with
    a ``spawnerr``, or ``{}`` when no instance has one.
    """
    failed = [i for i in inner_infos if i.get('spawnerr') and i.get('statename') in SPAWN_FAILED_STATES]
    if not failed:
        return {}
    newest = max(failed, key=lambda i: i.get('now') or 0)
    return {'statename': newest['statename'], 'spawnerr': newest['spawnerr'],
            'host': newest.get('nick_identifier') or host_of(newest.get('identifier'))}


# What supervisord reports of a process that Supvisors' disable stops: it stops those that run, and a
# process being stopped ends stopped.
DISABLE_STOPS = RUNNING_STATES + (ProcessStates.STOPPING,)


def disable_prediction(processes, programs, disabled):
    """Check mode of group state=disabled/enabled: the processes as disabling or enabling ``programs`` leaves them.

    ``processes`` have ``program_name``, ``disabled`` and supervisord's
    ``statename``/``state``. Disabling stops the processes that run;
    enabling starts none.
    """
    after = []
    for process in processes:
        if process.get('program_name') in programs:
            process = dict(process, disabled=disabled)
            if disabled and process.get('statename') in DISABLE_STOPS:
                process.update(statename=ProcessStates.STOPPED, state=process_state_code(ProcessStates.STOPPED))
        after.append(process)
    return after


def numprocs_prediction(processes, numprocs):
    """Check mode of group numprocs: the processes of the program that stay, in index order.

    A decrease removes the last ones of each group (Supvisors keeps the first
    ``numprocs`` of each). An increase keeps them all; the ones it adds are
    left out, supervisord naming them only when it adds them.
    """
    kept = []
    per_group = {}
    for process in processes:
        per_group[process.get('group')] = per_group.get(process.get('group'), 0) + 1
        if per_group[process.get('group')] <= numprocs:
            kept.append(process)
    return kept


def bad_state_message(fsm_state, wanted, doing):
    """The one line for a cluster that is not in a state that allows ``doing``."""
    return ('BAD_SUPVISORS_STATE: Supvisors is in state %s, not %s: cannot %s now '
            '(supervisor.control.supvisors state=operational waits for OPERATION)' % (
                fsm_state, ' or '.join(wanted), doing))


def allowed_states(state):
    """The Supvisors states in which the application module can act for ``state``."""
    if state == 'stopped':
        return (SupvisorsStates.OPERATION, SupvisorsStates.CONCILIATION)
    return (SupvisorsStates.OPERATION,)


# ---------------------------------------------------------------------------
# The cluster
# ---------------------------------------------------------------------------

DEFAULT_CONCILIATION_STRATEGY = 'SENICIDE'
# The options of the supvisors module that act once the cluster is in OPERATION, after waiting for it.
OPERATIONAL_OPTIONS = ('restart_sequence', 'host_statistics', 'process_statistics')


def cluster_option_error(state, params):
    """Why the supvisors module's options do not go with ``state``, or None: an option a state would ignore."""
    if params['master'] and not params['end_sync']:
        return 'master is only used with end_sync=true'
    # restart_sequence=false is its default, and does nothing in any state; the statistics switches have no default.
    given = [name for name in OPERATIONAL_OPTIONS
             if params[name] is not None and (params[name] or name != 'restart_sequence')]
    operational = state in ('operational', 'conciliated')
    if given and not operational:
        return '%s only with state=operational or state=conciliated' % ', '.join(given)
    if params['strategy'] is not None and state != 'conciliated':
        return 'strategy is only used with state=conciliated, not with state=%s' % state
    if not params['wait'] and operational and not params['restart_sequence']:
        return ('wait=false is only used with state=restarted, state=stopped or restart_sequence=true: state=%s waits '
                'for OPERATION within timeout' % state)
    return None


def master_error(master, fsm_state, elected, instances=None):
    """Why ``master`` cannot be had when end_sync is not planned (past SYNCHRONIZATION, or a master elected already),
    or None when it is the master already (by identifier or nick; ``instances`` name the nicks)."""
    if not elected:
        return 'master=%s: Supvisors is in state %s, where end_sync cannot choose the master' % (master, fsm_state)
    names = set([elected])
    names.update(i.get('nick_identifier') for i in instances or () if i.get('identifier') == elected)
    if master in names:
        return None
    return ('master=%s: the master is %s already, elected before this task (end_sync chooses it only during '
            'SYNCHRONIZATION)' % (master, elected))


# The actions of a cluster plan, in the order they are carried out, and the names the task returns in
# ``actions`` (with RESTART_SEQUENCE and the statistics switches, which follow the wait for OPERATION).
END_SYNC = 'end_sync'
CONCILIATE = 'conciliate'
WAIT_OPERATION = 'wait_operation'
RESTART_CLUSTER = 'restart'
SHUTDOWN = 'shutdown'
RESTART_SEQUENCE = 'restart_sequence'
CHANGING_CLUSTER_ACTIONS = (END_SYNC, CONCILIATE, RESTART_CLUSTER, SHUTDOWN)


def cluster_plan(state, fsm_state, conflicts, end_sync=False, master_set=False):
    """The actions for the supvisors module, in order, from what it reads.

    Returns a list of END_SYNC, CONCILIATE, WAIT_OPERATION, RESTART_CLUSTER,
    SHUTDOWN. END_SYNC is only planned in SYNCHRONIZATION before a master is
    elected (as Supvisors requires).
    """
    actions = []
    if end_sync and fsm_state == SupvisorsStates.SYNCHRONIZATION and not master_set:
        actions.append(END_SYNC)
    if state == 'operational':
        actions.append(WAIT_OPERATION)
    elif state == 'conciliated':
        if conflicts or fsm_state == SupvisorsStates.CONCILIATION:
            actions.append(CONCILIATE)
        actions.append(WAIT_OPERATION)
    elif state == 'restarted':
        actions.append(RESTART_CLUSTER)
    elif state == 'stopped':
        actions.append(SHUTDOWN)
    else:
        raise ValueError('unknown cluster state %r' % state)
    return actions


def plan_changes(actions):
    return any(a in CHANGING_CLUSTER_ACTIONS for a in actions)
