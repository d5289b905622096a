"""Supvisors paths that must refuse bad input before acting, and return what they document, on a real Supvisors.

One host; every test runs on both execution paths (in-process and shipped), as the module tests do, and sets up
the state it needs first. The last test is the one that, on a faulty module, restarts the cluster.
"""

import pytest

from tests.support import ansible
from tests.support.ansible import run_playbook, sv_task
from tests.support.supvisors import managed_application, running_cluster

PROGRAMS = {
    # group pool: pool_0, pool_1, pool_2
    'pool': {'command': 'sleep 100000', 'autostart': False, 'startsecs': 0, 'numprocs': 3,
             'process_name': '%(program_name)s_%(process_num)d'},
    # extra_args complete the command: started with '100000', it runs "sleep 100000".
    'argv': {'command': 'sleep', 'autostart': False, 'startsecs': 0, 'autorestart': False},
    # Exits at once; startsecs leaves a loaded machine room to run sh, so it always ends FATAL, never EXITED.
    'crasher': {'command': "sh -c 'echo crasher-is-broken >&2; exit 3'", 'autostart': False, 'startsecs': 5,
                'startretries': 0, 'autorestart': False},
    'idler': {'command': 'sleep 100000', 'autostart': False, 'startsecs': 0},
    'scaled': {'command': 'sleep 100000', 'autostart': False, 'startsecs': 0, 'numprocs': 2,
               'process_name': '%(program_name)s_%(process_num)d'},
    'member': {'command': 'sleep 100000', 'autostart': False, 'startsecs': 0},
}
GROUPS = {'tools': ['argv', 'crasher'], 'managed': ['member'], 'failing': ['failer']}
PROGRAMS['failer'] = PROGRAMS['crasher']
# Neither is started by Supvisors (start_sequence 0): the tests start them.
RULES = managed_application('managed', ['member'], start_sequence=0).replace('</root>\n', '') + \
    managed_application('failing', ['failer'], start_sequence=0).split('<root>', 1)[1]

# The keys every process of the group module's result has (process_names.PROCESS_KEYS and fullname),
# as supervisor.control.process returns them.
PROCESS_KEYS = {'name', 'group', 'fullname', 'statename', 'state', 'pid', 'description', 'start', 'stop',
                'exitstatus', 'spawnerr', 'stdout_logfile', 'stderr_logfile'}
# The keys the group module's RETURN promises on success (kept_stopped only with keep_stopped=true).
GROUP_KEYS = {'groups_added', 'groups_updated', 'groups_removed', 'processes', 'server_url'}


@pytest.fixture(scope='module')
def solo():
    with running_cluster(['solo'], programs=PROGRAMS, groups=GROUPS, rules=RULES) as cluster:
        yield cluster


@pytest.fixture(params=[True, False], ids=['in-process', 'shipped'])
def path(request):
    with ansible.plays_in_process(request.param) as value:
        yield value


def task(module, title, cluster, **args):
    return sv_task(module, title, server_url=cluster.server_url('solo'), **args)


def checked(module, title, cluster, **args):
    return dict(task(module, title, cluster, **args), check_mode=True)


def local(cluster, group):
    """supervisord's own view of a group's processes on solo: {name: info}."""
    return dict((i['name'], i) for i in cluster.rpc('solo', 'supervisor.getAllProcessInfo') if i['group'] == group)


def stop_group(cluster, group):
    cluster.rpc('solo', 'supervisor.stopProcessGroup', group, True)


def refused(run, title):
    """The message of a task that failed and changed nothing."""
    result = run.task(title)
    assert (result['status'], result['result']['changed']) == ('failed', False), (title, result)
    assert 'failures' not in result['result'], (title, result)
    return result['result']['msg']


def test_any_runs_one_process_whatever_the_list(solo, path, tmp_path):
    stop_group(solo, 'pool')
    overlapping = ['^pool:', r'pool:pool_\d']
    run = run_playbook([
        checked('process', 'check overlapping', solo, name=overlapping, strategy='CONFIG', any=True),
        task('process', 'overlapping', solo, name=overlapping, strategy='CONFIG', any=True),
        task('process', 'repeated', solo, name=['pool:pool_2', 'pool:pool_2', 'pool:'], strategy='CONFIG', any=True),
        task('process', 'others of the pool', solo, name=['pool:pool_[12]', 'pool:pool_2'], strategy='CONFIG',
             any=True),
    ], tmp_path)
    check = run.task('check overlapping')
    assert (check['status'], check['result']['started']) == ('changed', []), run
    overlap = run.task('overlapping')
    assert overlap['status'] == 'changed', run
    # CONFIG takes the first one.
    assert overlap['result']['started'] == ['pool:pool_0'], overlap
    assert [p['namespec'] for p in overlap['result']['processes'] if p['statename'] == 'RUNNING'] == ['pool:pool_0']
    repeated = run.task('repeated')
    assert (repeated['status'], repeated['result']['started']) == ('ok', []), run
    # pool_0 runs, but not one of these: one of them is started, once.
    others = run.task('others of the pool')
    assert (others['status'], others['result']['started']) == ('changed', ['pool:pool_1']), run
    assert sorted(name for name, info in local(solo, 'pool').items() if info['statename'] == 'RUNNING') == [
        'pool_0', 'pool_1']

    # Every expression is checked before anything starts.
    stop_group(solo, 'pool')
    run = run_playbook([
        task('process', 'a typo among them', solo, name=['pool:', 'nothing_here'], strategy='CONFIG', any=True),
    ], tmp_path)
    assert refused(run, 'a typo among them') == (
        "any: no process matches 'nothing_here' (Supvisors knows failing:failer, idler:idler, managed:member, "
        "pool:pool_0, pool:pool_1, pool:pool_2, scaled:scaled_0, scaled:scaled_1, tools:argv, tools:crasher)")
    assert [name for name, info in local(solo, 'pool').items() if info['statename'] != 'STOPPED'] == []


def test_extra_args_supervisord_cannot_split_are_refused_before_anything(solo, path, tmp_path):
    if local(solo, 'tools')['argv']['statename'] != 'RUNNING':
        solo.rpc('solo', 'supvisors.start_process', 'CONFIG', 'tools:argv', '100000', True)
    pid = local(solo, 'tools')['argv']['pid']
    unbalanced = "--name 'unbalanced"
    run = run_playbook([
        task('process', 'restart', solo, name='tools:argv', state='restarted', strategy='CONFIG',
             extra_args=unbalanced),
        checked('process', 'check restart', solo, name='tools:argv', state='restarted', strategy='CONFIG',
                extra_args=unbalanced),
        task('process', 'any', solo, name='pool:', strategy='CONFIG', any=True, extra_args=unbalanced),
        task('process', 'stopped', solo, name='tools:argv', state='stopped', strategy='CONFIG', extra_args='1'),
    ], tmp_path)
    assert refused(run, 'restart') == (
        "extra_args: supervisord cannot split --name 'unbalanced into arguments (No closing quotation), so the "
        "process would not start: nothing was done")
    assert refused(run, 'check restart') == refused(run, 'restart')
    assert refused(run, 'any') == refused(run, 'restart')
    assert refused(run, 'stopped') == (
        'extra_args is only used when a process starts (state=started or state=restarted), not with state=stopped')
    argv = local(solo, 'tools')['argv']
    assert (argv['statename'], argv['pid']) == ('RUNNING', pid)


def test_a_failed_start_reports_the_spawnerr(solo, path, tmp_path):
    run = run_playbook([task('process', 'start', solo, name='tools:crasher', strategy='CONFIG')], tmp_path)
    start = run.task('start')
    assert (start['status'], start['result']['changed']) == ('failed', True), run
    (failure,) = start['result']['failures']
    spawnerr = 'Exited too quickly (process log may have details)'
    assert (failure['name'], failure['statename'], failure['spawnerr'], failure['host']) == (
        'tools:crasher', 'FATAL', spawnerr, 'solo')
    assert start['result']['msg'] == (
        "tools:crasher: supvisors.start_process failed with NOT_RUNNING: processes=['tools:crasher']; %s" % spawnerr)
    assert local(solo, 'tools')['crasher']['spawnerr'] == spawnerr


def test_a_failed_application_start_reports_the_spawnerr(solo, path, tmp_path):
    run = run_playbook([task('application', 'start', solo, name='failing', strategy='CONFIG')], tmp_path)
    start = run.task('start')
    assert start['status'] == 'failed', run
    spawnerr = 'Exited too quickly (process log may have details)'
    assert start['result']['msg'] == (
        'application failing failed to start: Supvisors reports STOPPED (major failure); failing processes: '
        'failing:failer FATAL on solo: %s' % spawnerr)
    (failure,) = start['result']['failures']
    assert [(p['namespec'], p['statename'], p['hosts'], p['spawn_host'], p['spawnerr'])
            for p in failure['processes']] == [('failing:failer', 'FATAL', [], 'solo', spawnerr)]


def test_an_application_start_that_ran_nothing_changed_nothing(solo, path, tmp_path):
    """failer disabled: Supvisors has nowhere to start it, starts nothing and faults ABNORMAL_TERMINATION (it then
    shows the process FATAL, while supervisord keeps it as it was)."""
    before = local(solo, 'failing')['failer']
    solo.rpc('solo', 'supvisors.disable', 'failer', True)
    try:
        run = run_playbook([task('application', 'start', solo, name='failing', strategy='CONFIG')], tmp_path)
        after = local(solo, 'failing')['failer']  # before enable, which resets supervisord's record of it
    finally:
        solo.rpc('solo', 'supvisors.enable', 'failer', True)
    start = run.task('start')
    assert (start['status'], start['result']['changed']) == ('failed', False), run
    # No spawnerr: what supervisord recorded is of an earlier start, not of this one.
    assert start['result']['msg'] == ('application failing failed to start: Supvisors reports STOPPED (major failure); '
                                      'failing processes: failing:failer FATAL')
    (failure,) = start['result']['failures']
    assert failure['fault'] == 'supvisors.start_application failed with ABNORMAL_TERMINATION: failed to start failing'
    assert (after['statename'], after['start']) == (before['statename'], before['start'])


def group_result(result):
    """A group result's keys, and the keys of its processes (all alike)."""
    keys = set(result) - {'changed', 'diff', 'invocation', 'failed'} - set(k for k in result if k.startswith('_'))
    process_keys = set(frozenset(p) for p in result['processes'])
    assert len(process_keys) == 1, result['processes']
    return keys, set(next(iter(process_keys)))


def test_disabled_and_enabled_return_what_the_run_does(solo, path, tmp_path):
    solo.rpc('solo', 'supvisors.enable', 'idler', True)
    if local(solo, 'idler')['idler']['statename'] != 'RUNNING':
        solo.rpc('solo', 'supervisor.startProcess', 'idler', True)
    run = run_playbook([
        checked('group', 'check disable', solo, name='idler', state='disabled'),
        task('group', 'disable', solo, name='idler', state='disabled'),
        checked('group', 'check enable', solo, name='idler', state='enabled'),
        task('group', 'enable', solo, name='idler', state='enabled'),
        task('group', 'keep_stopped', solo, name='idler', state='disabled', keep_stopped=True),
    ], tmp_path, diff=True)
    for verb in ('disable', 'enable'):
        check, real = run.task('check %s' % verb), run.task(verb)
        assert (check['status'], real['status']) == ('changed', 'changed'), run
        for key in ('programs_changed', 'groups_added', 'groups_updated', 'groups_removed', 'diff'):
            assert check['result'][key] == real['result'][key], (verb, key, check, real)
        assert group_result(check['result']) == group_result(real['result']), (check, real)
        keys, process_keys = group_result(real['result'])
        assert keys == GROUP_KEYS | {'programs_changed'}, keys
        assert process_keys == PROCESS_KEYS | {'namespec', 'disabled'}, process_keys
        (predicted,), (done,) = check['result']['processes'], real['result']['processes']
        assert [(p['namespec'], p['fullname'], p['statename'], p['disabled']) for p in (predicted, done)] == [
            ('idler:idler', 'idler', 'STOPPED', verb == 'disable')] * 2, (predicted, done)
        assert real['result']['groups_added'] == real['result']['groups_updated'] == []
    assert refused(run, 'keep_stopped') == (
        'keep_stopped is only used with state=present (groups that an update replaces), not with state=disabled')
    assert local(solo, 'idler')['idler']['statename'] == 'STOPPED'


def test_numprocs_returns_what_the_run_does(solo, path, tmp_path):
    if len(local(solo, 'scaled')) != 2:
        solo.rpc('solo', 'supvisors.update_numprocs', 'scaled', 2, True, False)
    run = run_playbook([
        checked('group', 'check up', solo, name='scaled', numprocs=3),
        task('group', 'up', solo, name='scaled', numprocs=3),
        checked('group', 'check down', solo, name='scaled', numprocs=2),
        task('group', 'down', solo, name='scaled', numprocs=2),
        task('group', 'keep_stopped', solo, name='scaled', numprocs=3, keep_stopped=True),
    ], tmp_path)
    for title in ('check up', 'up', 'check down', 'down'):
        keys, process_keys = group_result(run.task(title)['result'])
        assert keys == GROUP_KEYS | {'numprocs'}, (title, keys)
        assert process_keys == PROCESS_KEYS | {'namespec'}, (title, process_keys)
    assert [p['namespec'] for p in run.task('up')['result']['processes']] == [
        'scaled:scaled_0', 'scaled:scaled_1', 'scaled:scaled_2']
    # The processes that stay: check mode leaves out those that the decrease removes.
    assert [p['namespec'] for p in run.task('check down')['result']['processes']] == [
        p['namespec'] for p in run.task('down')['result']['processes']] == ['scaled:scaled_0', 'scaled:scaled_1']
    assert refused(run, 'keep_stopped') == (
        'keep_stopped is only used with state=present (groups that an update replaces), not with numprocs')
    assert sorted(local(solo, 'scaled')) == ['scaled_0', 'scaled_1']


def test_options_a_state_does_not_use_are_refused(solo, path, tmp_path):
    """Last: on a faulty module, ``restarted`` restarts the whole cluster."""
    solo.rpc('solo', 'supvisors.start_application', 'CONFIG', 'managed', True) if solo.rpc(
        'solo', 'supvisors.get_application_info', 'managed')['statename'] == 'STOPPED' else None
    run = run_playbook([
        task('application', 'stop with a strategy', solo, name='managed', state='stopped', strategy='LOCAL'),
        task('supvisors', 'operational with a strategy', solo, strategy='STOP'),
        task('supvisors', 'operational without waiting', solo, wait=False),
        task('supvisors', 'conciliated without waiting', solo, state='conciliated', wait=False),
        checked('supvisors', 'check restarted without host statistics', solo, state='restarted',
                host_statistics=False),
        task('supvisors', 'restarted without process statistics', solo, state='restarted', process_statistics=False,
             wait=False),
        task('supvisors', 'stopped without host statistics', solo, state='stopped', host_statistics=False),
    ], tmp_path)
    assert refused(run, 'stop with a strategy') == (
        'strategy is only used with state=started or state=restarted, not with state=stopped')
    assert refused(run, 'operational with a strategy') == (
        'strategy is only used with state=conciliated, not with state=operational')
    assert refused(run, 'operational without waiting') == (
        'wait=false is only used with state=restarted, state=stopped or restart_sequence=true: state=operational '
        'waits for OPERATION within timeout')
    assert refused(run, 'conciliated without waiting') == (
        'wait=false is only used with state=restarted, state=stopped or restart_sequence=true: state=conciliated '
        'waits for OPERATION within timeout')
    assert refused(run, 'check restarted without host statistics') == (
        'host_statistics only with state=operational or state=conciliated')
    assert refused(run, 'restarted without process statistics') == (
        'process_statistics only with state=operational or state=conciliated')
    assert refused(run, 'stopped without host statistics') == (
        'host_statistics only with state=operational or state=conciliated')
    assert solo.rpc('solo', 'supvisors.get_application_info', 'managed')['statename'] == 'RUNNING'
    assert solo.supvisors_state('solo') == 'OPERATION'
