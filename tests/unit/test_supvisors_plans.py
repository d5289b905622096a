"""Pure Supvisors plans and answer parsing (plugins/module_utils/supvisors_plans.py)."""

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import supvisors_plans  # noqa: E402

# Answers as Supvisors 0.19.1 gives them (captured from the 3-host test cluster).
APPS = [
    {'application_name': 'auto', 'managed': True, 'statecode': 2, 'statename': 'RUNNING',
     'major_failure': False, 'minor_failure': False, 'now_monotonic': 1.0},
    {'application_name': 'broken', 'managed': True, 'statecode': 0, 'statename': 'STOPPED',
     'major_failure': True, 'minor_failure': False, 'now_monotonic': 1.0},
    {'application_name': 'loose', 'managed': False, 'statecode': 0, 'statename': 'STOPPED',
     'major_failure': False, 'minor_failure': False, 'now_monotonic': 1.0},
    {'application_name': 'web', 'managed': True, 'statecode': 0, 'statename': 'STOPPED',
     'major_failure': False, 'minor_failure': False, 'now_monotonic': 1.0},
]
INSTANCES = [
    {'identifier': 'alpha:60000', 'nick_identifier': 'alpha', 'node_name': 'alpha', 'port': 60000,
     'statecode': 3, 'statename': 'RUNNING', 'loading': 5, 'process_failure': False},
    {'identifier': 'gamma:60000', 'nick_identifier': 'g', 'node_name': 'gamma.example', 'port': 60000,
     'statecode': 0, 'statename': 'STOPPED', 'loading': 0, 'process_failure': False},
]
STATUS = {'identifier': 'beta:60000', 'nick_identifier': 'beta', 'fsm_statecode': 4, 'fsm_statename': 'OPERATION',
          'degraded_mode': False, 'discovery_mode': False, 'master_identifier': 'alpha:60000',
          'starting_jobs': [], 'stopping_jobs': [],
          'instance_states': {'alpha:60000': 'RUNNING', 'gamma:60000': 'STOPPED'}}
FRONT = {'application_name': 'web', 'process_name': 'front', 'statecode': 20, 'statename': 'RUNNING',
         'expected_exit': True, 'identifiers': ['alpha:60000'], 'extra_args': '', 'now_monotonic': 1.0}
CRASHER = {'application_name': 'broken', 'process_name': 'crasher', 'statecode': 200, 'statename': 'FATAL',
           'expected_exit': True, 'identifiers': [], 'extra_args': ''}


@pytest.mark.parametrize('statename, state, steps', [
    ('STOPPED', 'started', ('start',)),
    ('RUNNING', 'started', ()),
    ('STARTING', 'started', ()),
    ('STOPPING', 'started', ('wait_stopped', 'start')),
    ('STOPPED', 'stopped', ()),
    ('RUNNING', 'stopped', ('stop',)),
    ('STARTING', 'stopped', ('stop',)),
    ('STOPPING', 'stopped', ('wait_stopped',)),
    ('STOPPED', 'restarted', ('start',)),
    ('RUNNING', 'restarted', ('restart',)),
    ('STARTING', 'restarted', ('restart',)),
    ('STOPPING', 'restarted', ('wait_stopped', 'start')),
])
def test_application_steps(statename, state, steps):
    assert supvisors_plans.application_steps(statename, state) == steps


def test_application_steps_refuses_an_unknown_state():
    with pytest.raises(ValueError):
        supvisors_plans.application_steps('RUNNING', 'paused')


def test_plan_uses_the_strategy_asked_else_the_rules_else_config():
    web, auto = APPS[3], APPS[0]
    (action,) = supvisors_plans.plan_applications([web], 'started', 'LOCAL',
                                                  {'web': {'starting_strategy': 'LESS_LOADED'}})
    assert (action.steps, action.strategy, action.changed, action.expected) == (('start',), 'LOCAL', True, 'RUNNING')
    (action,) = supvisors_plans.plan_applications([web], 'started', None, {'web': {'starting_strategy': 'LESS_LOADED'}})
    assert action.strategy == 'LESS_LOADED'
    (action,) = supvisors_plans.plan_applications([web], 'started')
    assert action.strategy == 'CONFIG'
    (action,) = supvisors_plans.plan_applications([auto], 'started', 'LOCAL')
    assert (action.steps, action.strategy, action.changed, action.expected) == ((), None, False, 'RUNNING')
    (action,) = supvisors_plans.plan_applications([auto], 'stopped')
    assert (action.steps, action.strategy, action.expected) == (('stop',), None, 'STOPPED')
    (action,) = supvisors_plans.plan_applications([dict(auto, statename='STOPPING')], 'stopped')
    assert (action.changed, action.expected) == (False, 'STOPPED')


def test_select_applications_names_globs_unknown_unmanaged():
    selected, unknown, unmanaged = supvisors_plans.select_applications(['web', 'auto', 'web'], APPS)
    assert [i['application_name'] for i in selected] == ['auto', 'web']
    assert unknown == [] and unmanaged == []
    selected, unknown, unmanaged = supvisors_plans.select_applications(['*o*', 'nope'], APPS)
    assert [i['application_name'] for i in selected] == ['auto', 'broken', 'loose']
    assert unknown == ['nope'] and unmanaged == ['loose']
    assert supvisors_plans.unknown_message(['nope', 'x'], APPS) == (
        'unknown applications nope, x: Supvisors knows auto, broken, loose, web')
    assert supvisors_plans.unknown_message(['nope'], []) == 'unknown application nope: Supvisors knows no application'
    assert supvisors_plans.unmanaged_message(['loose']) == (
        'application loose not managed by Supvisors (no rules in its rules files): start and stop its processes '
        'with supervisor.control.process or supervisor.control.group')


def test_select_instances_by_host_nick_identifier_or_glob():
    instances = [supvisors_plans.normalize_instance(i) for i in INSTANCES]
    assert supvisors_plans.select_instances([], instances) == (instances, [])
    selected, unknown = supvisors_plans.select_instances(['gamma.example', 'alpha'], instances)
    assert [i['identifier'] for i in selected] == ['alpha:60000', 'gamma:60000'] and unknown == []
    selected, unknown = supvisors_plans.select_instances(['g', '*:60000', 'nowhere'], instances)
    assert [i['identifier'] for i in selected] == ['alpha:60000', 'gamma:60000'] and unknown == ['nowhere']


def app(name, managed=True):
    return dict(APPS[0], application_name=name, managed=managed)


ODD_APPS = [app(name) for name in ('a1', 'a[1]', 'q?', 'qa', 'x*', 'xy')]


@pytest.mark.parametrize('names, expected, unknown', [
    (['a[1]'], ['a[1]'], []),              # not a1, which a glob reading selects
    (['q?'], ['q?'], []),                  # not qa
    (['x*'], ['x*'], []),                  # not xy
    (['[aq][1a]'], ['a1', 'qa'], []),      # no application has that name: a glob
    (['q[?]'], ['q?'], []),                # a glob that matches the literal ?
    (['a[2]', 'z*'], [], ['a[2]', 'z*']),
    (['*'], ['a1', 'a[1]', 'q?', 'qa', 'x*', 'xy'], []),
])
def test_select_applications_an_exact_name_wins_over_a_glob(names, expected, unknown):
    selected, missing, dummy = supvisors_plans.select_applications(names, ODD_APPS)
    assert ([i['application_name'] for i in selected], missing) == (expected, unknown)


def test_every_application_of_none_is_none():
    assert supvisors_plans.select_applications(['*'], []) == ([], [], [])
    assert supvisors_plans.select_applications(['web'], []) == ([], ['web'], [])


def test_every_name_the_unknown_message_proposes_selects_that_application_alone():
    message = supvisors_plans.unknown_message(['a[2]'], ODD_APPS)
    proposed = message.split('Supvisors knows ', 1)[1].split(', ')
    assert sorted(proposed) == sorted(i['application_name'] for i in ODD_APPS)
    for name in proposed:
        assert [i['application_name'] for i in supvisors_plans.select_applications([name], ODD_APPS)[0]] == [name]


def test_select_instances_an_exact_name_wins_and_each_proposed_name_selects_its_instance():
    raw = [
        # two instances on one host: the host selects both
        {'identifier': 'alpha:60000', 'nick_identifier': 'alpha', 'node_name': 'alpha', 'port': 60000},
        {'identifier': 'alpha:60001', 'nick_identifier': 'alpha-2', 'node_name': 'alpha', 'port': 60001},
        # a nick that a glob would read: Supvisors' own names never hold glob characters, node names may
        {'identifier': 'beta:60000', 'nick_identifier': 'beta', 'node_name': 'b[1]', 'port': 60000},
        {'identifier': 'b1:60000', 'nick_identifier': 'b1', 'node_name': 'b1', 'port': 60000},
    ]
    instances = [supvisors_plans.normalize_instance(i) for i in raw]
    assert [i['identifier'] for i in supvisors_plans.select_instances(['b[1]'], instances)[0]] == ['beta:60000']
    assert [i['identifier'] for i in supvisors_plans.select_instances(['b[0-9]'], instances)[0]] == ['b1:60000']
    selected = supvisors_plans.select_instances(['alpha'], instances)[0]
    assert [i['identifier'] for i in selected] == ['alpha:60000', 'alpha:60001']
    assert supvisors_plans.select_instances(['*'], []) == ([], [])
    names = supvisors_plans.instance_names(instances)
    assert names == ['alpha:60000', 'alpha-2', 'b[1]', 'b1']
    for instance, name in zip(instances, names):
        assert supvisors_plans.select_instances([name], instances) == ([instance], [])
    assert supvisors_plans.unknown_instances_message(['delta'], instances) == (
        'no Supvisors instance matches delta; the instances are alpha:60000, alpha-2, b[1], b1')


def test_host_of_identifiers():
    assert supvisors_plans.host_of('alpha:60000') == 'alpha'
    assert supvisors_plans.host_of('gamma:60000', INSTANCES) == 'gamma.example'
    assert supvisors_plans.host_of('[fd00::1]:60000') == 'fd00::1'
    assert supvisors_plans.host_of('solo') == 'solo'
    assert supvisors_plans.host_of('') is None and supvisors_plans.host_of(None) is None


def test_normalize_process_and_application():
    process = supvisors_plans.normalize_process(FRONT, INSTANCES)
    assert process['namespec'] == 'web:front'
    assert process['hosts'] == ['alpha'] and process['identifiers'] == ['alpha:60000']
    application = supvisors_plans.normalize_application(APPS[3], [FRONT], INSTANCES, {'starting_strategy': 'CONFIG'})
    assert (application['name'], application['statename'], application['managed']) == ('web', 'STOPPED', True)
    assert application['processes'][0]['hosts'] == ['alpha']
    assert application['starting_strategy'] == 'CONFIG'
    assert 'processes' not in supvisors_plans.normalize_application(APPS[0])


def test_cluster_facts():
    conflict = dict(FRONT, identifiers=['alpha:60000', 'gamma:60000'])
    facts = supvisors_plans.cluster_facts(STATUS, INSTANCES, APPS, [conflict])
    assert (facts['state'], facts['master'], facts['master_host']) == ('OPERATION', 'alpha:60000', 'alpha')
    assert [(i['host'], i['statename'], i['loading']) for i in facts['instances']] == [
        ('alpha', 'RUNNING', 5), ('gamma.example', 'STOPPED', 0)]
    assert [a['name'] for a in facts['applications']] == ['auto', 'broken', 'loose', 'web']
    assert facts['conflicts'][0]['hosts'] == ['alpha', 'gamma.example']
    early = supvisors_plans.cluster_facts(dict(STATUS, fsm_statename='SYNCHRONIZATION', master_identifier=''))
    assert early['master'] is None and early['master_host'] is None
    assert 'instances' not in early and 'applications' not in early and 'conflicts' not in early


def test_failure_entry_and_summary():
    entry = supvisors_plans.application_failure('broken', 'start', APPS[1], [CRASHER], INSTANCES,
                                                'NOT_RUNNING: broken')
    assert entry['statename'] == 'STOPPED' and entry['major_failure'] is True
    assert entry['processes'][0]['namespec'] == 'broken:crasher'
    assert supvisors_plans.failure_summary(entry) == ('application broken failed to start: Supvisors reports STOPPED '
                                                      '(major failure); failing processes: broken:crasher FATAL')
    running = dict(FRONT, process_name='back', statename='STOPPED', identifiers=[])
    fatal_on_alpha = dict(FRONT, statename='BACKOFF')
    entry = supvisors_plans.application_failure('web', 'restart', dict(APPS[3], minor_failure=True),
                                                [FRONT, running, fatal_on_alpha], INSTANCES)
    assert [p['statename'] for p in entry['processes']] == ['BACKOFF', 'STOPPED']
    assert supvisors_plans.failure_summary(entry) == (
        'application web failed to restart: Supvisors reports STOPPED (minor failure); '
        'failing processes: web:front BACKOFF on alpha, web:back STOPPED')


def test_failure_summary_says_why_a_process_failed_to_spawn_and_where():
    spawn = {'statename': 'FATAL', 'spawnerr': 'Exited too quickly (process log may have details)', 'host': 'gamma'}
    entry = supvisors_plans.application_failure('broken', 'start', APPS[1], [CRASHER], INSTANCES,
                                                'NOT_RUNNING: broken', {'broken:crasher': spawn})
    (crasher,) = entry['processes']
    assert (crasher['spawnerr'], crasher['spawn_host'], crasher['hosts']) == (spawn['spawnerr'], 'gamma', [])
    assert supvisors_plans.failure_summary(entry) == (
        'application broken failed to start: Supvisors reports STOPPED (major failure); failing processes: '
        'broken:crasher FATAL on gamma: Exited too quickly (process log may have details)')


def test_bad_state_message_and_allowed_states():
    assert supvisors_plans.allowed_states('started') == ('OPERATION',)
    assert supvisors_plans.allowed_states('stopped') == ('OPERATION', 'CONCILIATION')
    assert supvisors_plans.bad_state_message('SYNCHRONIZATION', ('OPERATION',), 'make applications started') == (
        'BAD_SUPVISORS_STATE: Supvisors is in state SYNCHRONIZATION, not OPERATION: cannot make applications '
        'started now (supervisor.control.supvisors state=operational waits for OPERATION)')


def test_application_diff():
    assert supvisors_plans.application_diff([APPS[3]], [dict(APPS[3], statename='RUNNING')]) == {
        'before': {'web': 'STOPPED'}, 'after': {'web': 'RUNNING'}}


@pytest.mark.parametrize('state, fsm, conflicts, end_sync, master, actions', [
    ('operational', 'OPERATION', [], False, True, ['wait_operation']),
    ('operational', 'SYNCHRONIZATION', [], True, False, ['end_sync', 'wait_operation']),
    ('operational', 'SYNCHRONIZATION', [], True, True, ['wait_operation']),   # master elected: too late
    ('operational', 'OPERATION', [], True, True, ['wait_operation']),
    ('conciliated', 'OPERATION', [], False, True, ['wait_operation']),
    ('conciliated', 'OPERATION', [FRONT], False, True, ['conciliate', 'wait_operation']),
    ('conciliated', 'CONCILIATION', [], False, True, ['conciliate', 'wait_operation']),
    ('restarted', 'OPERATION', [], False, True, ['restart']),
    ('stopped', 'CONCILIATION', [FRONT], False, True, ['shutdown']),
])
def test_cluster_plan(state, fsm, conflicts, end_sync, master, actions):
    assert supvisors_plans.cluster_plan(state, fsm, conflicts, end_sync, master) == actions
    assert supvisors_plans.plan_changes(actions) == (actions not in (['wait_operation'],))


def test_cluster_plan_refuses_an_unknown_state():
    with pytest.raises(ValueError):
        supvisors_plans.cluster_plan('paused', 'OPERATION', [])


CLUSTER_DEFAULTS = dict(master=None, end_sync=False, restart_sequence=False, host_statistics=None,
                        process_statistics=None, strategy=None, wait=True)


@pytest.mark.parametrize('state, options, error', [
    ('operational', {}, None),
    ('restarted', {}, None),
    ('operational', {'master': 'node1'}, 'master is only used with end_sync=true'),
    ('stopped', {'master': 'node1', 'end_sync': True}, None),
    ('conciliated', {'host_statistics': False, 'process_statistics': True}, None),
    # false is a value too: a switch a state cannot honour is refused, whichever way it is set
    ('restarted', {'host_statistics': False}, 'host_statistics only with state=operational or state=conciliated'),
    ('stopped', {'restart_sequence': True, 'process_statistics': False},
     'restart_sequence, process_statistics only with state=operational or state=conciliated'),
    ('stopped', {'restart_sequence': False}, None),   # its default: asks for nothing
    ('conciliated', {'strategy': 'STOP'}, None),
    ('operational', {'strategy': 'SENICIDE'}, 'strategy is only used with state=conciliated, not with state=operational'),
    ('restarted', {'strategy': 'STOP'}, 'strategy is only used with state=conciliated, not with state=restarted'),
    ('restarted', {'wait': False}, None),
    ('operational', {'wait': False, 'restart_sequence': True}, None),
    ('conciliated', {'wait': False}, 'wait=false is only used with state=restarted, state=stopped or '
                                     'restart_sequence=true: state=conciliated waits for OPERATION within timeout'),
])
def test_cluster_option_error_refuses_what_the_state_would_ignore(state, options, error):
    assert supvisors_plans.cluster_option_error(state, dict(CLUSTER_DEFAULTS, **options)) == error


def inner(group, state=0, stop=0):
    return {'group': group, 'name': group + '_p', 'state': state, 'stop': stop}


@pytest.mark.parametrize('app, infos, expected', [
    ({'major_failure': True}, [inner('web', 20)], ['web']),
    ({'minor_failure': True}, [inner('web', 20)], ['web']),
    ({}, [inner('web'), inner('web')], ['web']),                    # never started, on every instance
    ({}, [inner('web'), inner('web', 0, 1700000000)], []),           # stopped once somewhere
    ({}, [inner('web'), inner('web', 20)], []),                      # runs somewhere
    ({}, [inner('other')], []),                                      # no process: nothing to start
    ({}, None, []),                                                  # cannot tell: only failures count
    ({'major_failure': True}, None, ['web']),
], ids=['major', 'minor', 'never-started', 'stopped-once', 'running', 'no-process', 'unknown', 'unknown-failed'])
def test_sequence_would_start_as_supvisors_starter(app, infos, expected):
    applications = [dict(app, application_name='web', managed=True)]
    assert supvisors_plans.sequence_would_start(applications, {'web': {'start_sequence': 1}}, infos) == expected


def test_sequence_would_start_only_applications_with_a_start_sequence():
    applications = [{'application_name': name, 'major_failure': True} for name in ('zero', 'none', 'one')]
    rules = {'zero': {'start_sequence': 0}, 'one': {'start_sequence': 2}}
    assert supvisors_plans.sequence_would_start(applications, rules, []) == ['one']


POOL = ['pool:pool_0', 'pool:pool_1', 'pool:pool_2', 'tools:argv']


@pytest.mark.parametrize('regexes, pool', [
    (['^pool:', r'pool:pool_\d'], ['pool:pool_0', 'pool:pool_1', 'pool:pool_2']),   # overlapping: one pool
    (['pool:pool_2', 'pool:pool_2'], ['pool:pool_2']),
    (['pool_[12]', 'argv'], ['pool:pool_1', 'pool:pool_2', 'tools:argv']),          # Supvisors' order
    ([], []),
])
def test_any_pool_is_every_process_any_expression_matches(regexes, pool):
    assert supvisors_plans.any_pool(regexes, POOL) == (pool, None)


def test_any_pool_checks_every_expression():
    assert supvisors_plans.any_pool(['pool:', 'nothing_here'], POOL) == (
        [], "any: no process matches 'nothing_here' (Supvisors knows pool:pool_0, pool:pool_1, pool:pool_2, "
            "tools:argv)")
    assert supvisors_plans.any_pool(['pool:', 'tools:('], POOL) == (
        [], "any: 'tools:(' is not a regular expression: missing ), unterminated subpattern at position 6")


@pytest.mark.parametrize('extra_args, error', [
    ('--name x', None),
    ("--name 'two words'", None),
    ('', None),
    ("--name 'unbalanced", "extra_args: supervisord cannot split --name 'unbalanced into arguments (No closing "
                           "quotation), so the process would not start: nothing was done"),
    ('trailing\\', "extra_args: supervisord cannot split trailing\\ into arguments (No escaped character), so the "
                   "process would not start: nothing was done"),
])
def test_extra_args_error_as_supervisord_splits_a_command(extra_args, error):
    assert supvisors_plans.extra_args_error(extra_args) == error


def test_namespecs_in_fault():
    assert supvisors_plans.namespecs_in_fault("processes=['tools:argv', 'pool:pool_0']") == [
        'tools:argv', 'pool:pool_0']
    assert supvisors_plans.namespecs_in_fault('failed to start web') == []


def test_spawn_failure_is_the_newest_failed_spawn():
    # get_inner_process_info entries of one process on two instances (Supvisors 0.19.1)
    entry = {'group': 'tools', 'name': 'crasher', 'identifier': 'alpha:60000', 'nick_identifier': 'alpha',
             'statename': 'FATAL', 'spawnerr': 'Exited too quickly (process log may have details)', 'now': 10.0}
    older = dict(entry, identifier='beta:60000', nick_identifier='beta', spawnerr='NOT_EXECUTABLE: old', now=5.0)
    running = dict(entry, identifier='gamma:60000', nick_identifier='gamma', statename='RUNNING', spawnerr='x',
                   now=20.0)
    assert supvisors_plans.spawn_failure([older, entry, running]) == {
        'statename': 'FATAL', 'spawnerr': 'Exited too quickly (process log may have details)', 'host': 'alpha'}
    assert supvisors_plans.spawn_failure([dict(entry, spawnerr='')]) == {}


def local(name, statename, program='worker', group='workers', index=0, disabled=False):
    return {'group': group, 'name': name, 'statename': statename, 'state': {'RUNNING': 20}.get(statename, 0),
            'program_name': program, 'process_index': index, 'disabled': disabled}


def test_disable_prediction_stops_what_runs_of_the_programs_to_disable():
    processes = [local('w0', 'RUNNING'), local('w1', 'STOPPING', index=1), local('w2', 'FATAL', index=2),
                 local('other', 'RUNNING', program='other', group='other')]
    assert [(p['name'], p['statename'], p['state'], p['disabled'])
            for p in supvisors_plans.disable_prediction(processes, ['worker'], True)] == [
        ('w0', 'STOPPED', 0, True), ('w1', 'STOPPED', 0, True), ('w2', 'FATAL', 0, True),
        ('other', 'RUNNING', 20, False)]
    # enabling starts nothing
    assert [(p['statename'], p['disabled']) for p in supvisors_plans.disable_prediction(
        [local('w0', 'STOPPED', disabled=True)], ['worker'], False)] == [('STOPPED', False)]


def test_numprocs_prediction_keeps_the_first_of_each_group():
    processes = [local('w0', 'RUNNING'), local('w1', 'RUNNING', index=1), local('w2', 'RUNNING', index=2),
                 local('x0', 'RUNNING', group='extra'), local('x1', 'RUNNING', group='extra', index=1)]
    assert [p['name'] for p in supvisors_plans.numprocs_prediction(processes, 2)] == ['w0', 'w1', 'x0', 'x1']
    assert [p['name'] for p in supvisors_plans.numprocs_prediction(processes, 1)] == ['w0', 'x0']
    assert supvisors_plans.numprocs_prediction(processes, 5) == processes   # those an increase adds are not known yet


@pytest.mark.parametrize('master, fsm, elected, error', [
    ('alpha', 'OPERATION', 'alpha:60000', None),                     # by nick
    ('alpha:60000', 'OPERATION', 'alpha:60000', None),
    ('g', 'CONCILIATION', 'gamma:60000', None),                      # a nick that is not the host name
    ('gamma', 'OPERATION', 'alpha:60000', 'master=gamma: the master is alpha:60000 already, elected before this '
                                          'task (end_sync chooses it only during SYNCHRONIZATION)'),
    ('alpha', 'ELECTION', None, 'master=alpha: Supvisors is in state ELECTION, where end_sync cannot choose the '
                                'master'),
])
def test_master_error_when_end_sync_is_past(master, fsm, elected, error):
    assert supvisors_plans.master_error(master, fsm, elected, INSTANCES) == error
