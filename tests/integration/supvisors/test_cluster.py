"""supervisor.control.application and supervisor.control.supvisors on a real 3-host Supvisors cluster.

One cluster (cluster.py, beside this file) is shared by the tests of this file,
which run in order: application control with two strategies, bad inputs, a
conflict and its conciliation, a lost host, then the whole-cluster restart
and shutdown, which end it. Every wait is a poll with a generous deadline.
"""

import glob
import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from tests.integration.supvisors.cluster import CLUSTER
from tests.support.ansible import ansible_env, run_playbook, sv_task
from tests.support.eda import Rulebook
from tests.support.paths import VENV_BIN
from tests.support.supvisors import running_cluster

DEADLINE = 90  # seconds: only there to turn a hang into a failure


@pytest.fixture(scope='module')
def cluster():
    with running_cluster(**CLUSTER) as instance:
        yield instance


def _task(module, title, cluster, host, check_mode, args):
    args.setdefault('server_url', cluster.server_url(host))
    task = sv_task(module, title, **args)
    if check_mode:
        task['check_mode'] = True
    return task


def app(title, cluster, host='alpha', check_mode=False, **args):
    return _task('application', title, cluster, host, check_mode, args)


def sv(title, cluster, host='alpha', check_mode=False, **args):
    return _task('supvisors', title, cluster, host, check_mode, args)


def hosts_of(result, namespec):
    for application in result['applications']:
        for process in application['processes']:
            if process['namespec'] == namespec:
                return process['hosts']
    raise AssertionError('%s not in %s' % (namespec, result))


def local_state(cluster, host, namespec):
    """What the supervisord of ``host`` itself says about a process."""
    return cluster.rpc(host, 'supervisor.getProcessInfo', namespec)['statename']


def no_supvisors(daemon, needs):
    """What the modules and lookups say of a supervisord without Supvisors."""
    return ('%s has no Supvisors XML-RPC interface (supvisors.* methods are unknown), which %s needs: add '
            '[rpcinterface:supvisors] to its configuration' % (daemon.server_url, needs))


def poll(what, predicate, timeout=DEADLINE, describe=lambda: ''):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = what()
        if predicate(last):
            return last
        time.sleep(0.3)
    raise AssertionError('still %r after %ss\n%s' % (last, timeout, describe()))


def supvisors_state(cluster, host='alpha'):
    return cluster.rpc(host, 'supvisors.get_supvisors_state')['fsm_statename']


def test_start_with_the_rules_strategy_then_idempotent(cluster, tmp_path):
    run = run_playbook([
        app('check start', cluster, name='web'),
    ], tmp_path, check=True, diff=True)
    check = run.task('check start')
    assert check['status'] == 'changed', run
    # Where Supvisors would start each process (supvisors.test_start_application), without starting them.
    assert [(p['namespec'], p['statename'], p['hosts'], p['predicted'])
            for p in check['result']['applications'][0]['processes']] == [
        ('web:back', 'RUNNING', ['beta'], True), ('web:front', 'RUNNING', ['alpha'], True)]
    assert check['result']['diff'] == {'before': {'web': 'STOPPED'}, 'after': {
        'web': 'RUNNING', 'web:back': 'RUNNING on beta', 'web:front': 'RUNNING on alpha'}}
    assert cluster.rpc('alpha', 'supvisors.get_application_info', 'web')['statename'] == 'STOPPED'

    run = run_playbook([
        app('start', cluster, name=['web']),
        app('again', cluster, host='gamma', name='web'),
    ], tmp_path, diff=True)
    start = run.task('start')
    assert start['status'] == 'changed', run
    result = start['result']
    assert result['diff'] == {'before': {'web': 'STOPPED'}, 'after': {'web': 'RUNNING'}}
    (web,) = result['applications']
    assert (web['name'], web['statename'], web['strategy'], web['major_failure']) == (
        'web', 'RUNNING', 'CONFIG', False)
    # CONFIG: the first host of each program's identifiers in the rules file.
    assert hosts_of(result, 'web:front') == ['alpha']
    assert hosts_of(result, 'web:back') == ['beta']
    assert local_state(cluster, 'alpha', 'web:front') == 'RUNNING'
    assert local_state(cluster, 'beta', 'web:back') == 'RUNNING'
    assert local_state(cluster, 'gamma', 'web:front') == 'STOPPED'
    again = run.task('again')
    assert again['status'] == 'ok', run
    assert again['result']['applications'][0]['strategy'] is None


def inventory(path, args=(), ansible_bin=VENV_BIN, extra_env=None):
    """``ansible-inventory --list`` of one inventory file: (returncode, the JSON inventory or None, stderr)."""
    proc = subprocess.run([os.path.join(ansible_bin, 'ansible-inventory'), '-i', str(path), '--list'] + list(args),
                          capture_output=True, text=True, timeout=120, check=False, env=ansible_env(extra_env))
    try:
        # Variables that come from a daemon are marked unsafe (never templated): the JSON wraps them.
        listed = json.loads(proc.stdout, object_hook=lambda d: d['__ansible_unsafe'] if set(d) == {
            '__ansible_unsafe'} else d)
    except ValueError:
        listed = None
    return proc.returncode, listed, proc.stderr


def test_inventory_plugin_names_the_instances_as_the_event_source_does(cluster, tmp_path):
    """web runs front on alpha and back on beta (previous test); auto's ticker runs on alpha."""
    source = tmp_path / 'cluster.supvisors.yml'
    cache_dir = tmp_path / 'cache'
    config = {'plugin': 'supervisor.control.supvisors', 'server_url': cluster.server_url('gamma'),
              'cache': True, 'cache_plugin': 'ansible.builtin.jsonfile', 'cache_connection': str(cache_dir)}
    source.write_text(yaml.safe_dump(config))
    rc, listed, stderr = inventory(source)
    assert rc == 0 and listed is not None, stderr
    assert sorted(listed['_meta']['hostvars']) == ['alpha', 'beta', 'gamma']
    alpha = listed['_meta']['hostvars']['alpha']
    assert (alpha['supervisor_server_url'], alpha['supvisors_identifier'], alpha['supvisors_nick_identifier'],
            alpha['supvisors_state']) == ('http://alpha:60000', 'alpha:60000', 'alpha', 'RUNNING')
    assert isinstance(alpha['supvisors_load'], int)
    assert sorted(listed['application_web']['hosts']) == ['alpha', 'beta']
    assert listed['application_auto']['hosts'] == ['alpha']
    assert 'application_loose' not in listed and 'application_broken' not in listed  # nothing runs there

    # The same file, now pointing nowhere: the cache answers.
    source.write_text(yaml.safe_dump(dict(config, server_url='http://127.0.0.1:9')))
    rc, cached, stderr = inventory(source)
    assert (rc, cached) == (0, listed), stderr

    # Without cache: strict (the default) fails with the node's error, strict=false gives nothing and warns.
    source.write_text(yaml.safe_dump({'plugin': 'supervisor.control.supvisors', 'server_url': 'http://127.0.0.1:9'}))
    refused = ('supervisor.control.supvisors inventory: connection refused by http://127.0.0.1:9/RPC2: is '
               'supervisord running with an [inet_http_server] on that address and port?')
    rc, listed, stderr = inventory(source)
    assert refused in ' '.join(stderr.split()), stderr
    assert sorted(listed['_meta']['hostvars']) == []
    loose = tmp_path / 'loose.supvisors.yml'
    loose.write_text(yaml.safe_dump({'plugin': 'supervisor.control.supvisors', 'server_url': 'http://127.0.0.1:9',
                                     'strict': False}))
    rc, listed, stderr = inventory(loose)
    assert rc == 0 and sorted(listed['_meta']['hostvars']) == [], stderr
    assert refused + ' (strict=false: the inventory is empty)' in ' '.join(stderr.split()), stderr


def test_stop_then_local_strategy_then_restart(cluster, tmp_path):
    run = run_playbook([
        app('check stop', cluster, name='web', state='stopped', check_mode=True),
        app('stop', cluster, name='web', state='stopped'),
        app('stop again', cluster, host='beta', name='web', state='stopped'),
        app('local', cluster, host='gamma', name='web', strategy='LOCAL'),
    ], tmp_path)
    assert run.task('check stop')['status'] == 'changed', run
    assert run.task('check stop')['result']['applications'][0]['statename'] == 'STOPPED'
    assert run.task('stop')['status'] == 'changed', run
    assert run.task('stop')['result']['applications'][0]['statename'] == 'STOPPED'
    assert all(p['hosts'] == [] for p in run.task('stop')['result']['applications'][0]['processes'])
    assert run.task('stop again')['status'] == 'ok', run
    local = run.task('local')['result']
    assert run.task('local')['status'] == 'changed', run
    assert local['applications'][0]['strategy'] == 'LOCAL'
    assert hosts_of(local, 'web:front') == ['gamma'] and hosts_of(local, 'web:back') == ['gamma']
    assert local_state(cluster, 'gamma', 'web:front') == 'RUNNING'
    assert local_state(cluster, 'alpha', 'web:front') == 'STOPPED'

    run = run_playbook([
        app('restart', cluster, name='web', state='restarted', strategy='CONFIG'),
    ], tmp_path)
    restart = run.task('restart')
    assert restart['status'] == 'changed', run
    assert hosts_of(restart['result'], 'web:front') == ['alpha']
    assert hosts_of(restart['result'], 'web:back') == ['beta']
    assert local_state(cluster, 'gamma', 'web:front') == 'STOPPED'

    run = run_playbook([
        app('stop without waiting', cluster, name='web', state='stopped', wait=False),
    ], tmp_path)
    assert run.task('stop without waiting')['status'] == 'changed', run
    poll(lambda: cluster.rpc('alpha', 'supvisors.get_application_info', 'web')['statename'], lambda s: s == 'STOPPED')
    run = run_playbook([
        app('start without waiting', cluster, name='web', wait=False),
    ], tmp_path)
    assert run.task('start without waiting')['status'] == 'changed', run
    poll(lambda: cluster.rpc('alpha', 'supvisors.get_application_info', 'web')['statename'], lambda s: s == 'RUNNING')


def test_bad_inputs_fail_with_one_line(cluster, daemon, tmp_path):
    run = run_playbook([
        app('unknown', cluster, name=['web', 'nope']),
        app('unmanaged', cluster, name='loose'),
        app('bad strategy', cluster, name='web', strategy='FASTEST'),
        app('broken', cluster, name='broken', strategy='CONFIG'),
        app('glob', cluster, name='bro*', state='stopped'),
        sv('bad conciliation strategy', cluster, state='conciliated', strategy='USER'),
        sv_task('application', 'no supvisors', name='web', server_url=daemon.server_url),
        sv_task('supvisors', 'no supvisors either', server_url=daemon.server_url),
    ], tmp_path)
    failed = dict((t['task'], t['result']['msg']) for t in run.results if t['status'] == 'failed')
    assert set(failed) == {'unknown', 'unmanaged', 'bad strategy', 'broken', 'bad conciliation strategy',
                           'no supvisors', 'no supvisors either'}, run
    for message in failed.values():
        assert '\n' not in message and 'Traceback' not in message
    assert failed['unknown'] == 'unknown application nope: Supvisors knows auto, broken, loose, web'
    assert failed['unmanaged'] == (
        'application loose not managed by Supvisors (no rules in its rules files): start and stop its processes with '
        'supervisor.control.process or supervisor.control.group')
    assert failed['bad strategy'] == (
        'value of strategy must be one of: CONFIG, LESS_LOADED, MOST_LOADED, LOCAL, LESS_LOADED_NODE, '
        'MOST_LOADED_NODE, got: FASTEST')
    # CONFIG starts crasher on the first of its identifiers (*): alpha
    assert failed['broken'] == (
        'application broken failed to start: Supvisors reports STOPPED (major failure); '
        'failing processes: broken:crasher FATAL on alpha: Exited too quickly (process log may have details)'), \
        failed['broken']
    (failure,) = run.task('broken')['result']['failures']
    assert (failure['name'], failure['action'], failure['statename'], failure['fault']) == (
        'broken', 'start', 'STOPPED', 'supvisors.start_application failed with NOT_RUNNING: broken')
    assert [(p['namespec'], p['statename'], p['hosts'], p['spawn_host']) for p in failure['processes']] == [
        ('broken:crasher', 'FATAL', [], 'alpha')]
    assert failed['bad conciliation strategy'] == (
        'value of strategy must be one of: SENICIDE, INFANTICIDE, STOP, RESTART, RUNNING_FAILURE, got: USER')
    assert failed['no supvisors'] == no_supvisors(daemon, 'supervisor.control.application')
    assert failed['no supvisors either'] == no_supvisors(daemon, 'supervisor.control.supvisors')
    assert run.task('glob')['status'] == 'ok'  # broken is STOPPED already
    assert cluster.rpc('alpha', 'supvisors.get_application_info', 'web')['statename'] == 'RUNNING'


def test_operational_returns_the_cluster_facts(cluster, tmp_path):
    run = run_playbook([
        sv('operational', cluster, host='beta'),
        sv('conciliated', cluster, state='conciliated'),
    ], tmp_path)
    facts = run.task('operational')['result']['supvisors']
    assert run.task('operational')['status'] == 'ok', run
    assert facts['state'] == 'OPERATION' and facts['master_host'] in ('alpha', 'beta', 'gamma')
    assert sorted((i['host'], i['statename']) for i in facts['instances']) == [
        ('alpha', 'RUNNING'), ('beta', 'RUNNING'), ('gamma', 'RUNNING')]
    apps = dict((a['name'], a) for a in facts['applications'])
    assert apps['web']['statename'] == 'RUNNING' and apps['loose']['managed'] is False
    assert facts['conflicts'] == []
    assert run.task('conciliated')['status'] == 'ok', run
    assert run.task('conciliated')['result']['actions'] == ['wait_operation']


def test_process_with_a_strategy_and_info_with_the_cluster(cluster, daemon, tmp_path):
    run = run_playbook([
        dict(sv_task('process', 'check local on beta', name='loose:idler', strategy='LOCAL',
                     server_url=cluster.server_url('beta')), check_mode=True),
        sv_task('process', 'local on beta', name='loose:idler', strategy='LOCAL', server_url=cluster.server_url('beta')),
        sv_task('process', 'again from gamma', name='loose:*', strategy='CONFIG', server_url=cluster.server_url('gamma')),
        sv_task('process', 'restart on gamma', name='loose:idler', state='restarted', strategy='LOCAL',
                server_url=cluster.server_url('gamma')),
        sv_task('process', 'stop from alpha', name='loose:idler', state='stopped', strategy='CONFIG',
                server_url=cluster.server_url('alpha')),
        sv_task('process', 'unknown', name='loose:nope', strategy='CONFIG', server_url=cluster.server_url('alpha')),
        sv_task('process', 'signal', name='loose:idler', state='signalled', signal='HUP', strategy='CONFIG',
                server_url=cluster.server_url('alpha')),
        sv_task('process', 'plain supervisord', name='sleeper', strategy='CONFIG', server_url=daemon.server_url),
        sv_task('info', 'cluster info', server_url=cluster.server_url('gamma')),
        sv_task('info', 'plain info', server_url=daemon.server_url),
    ], tmp_path)
    (predicted,) = run.task('check local on beta')['result']['processes']
    assert (predicted['namespec'], predicted['statename'], predicted['hosts'], predicted['predicted']) == (
        'loose:idler', 'RUNNING', ['beta'], True)
    local = run.task('local on beta')
    assert local['status'] == 'changed', run
    (idler,) = local['result']['processes']
    assert (idler['namespec'], idler['statename'], idler['hosts']) == ('loose:idler', 'RUNNING', ['beta'])
    again = run.task('again from gamma')
    assert again['status'] == 'ok' and again['result']['processes'][0]['hosts'] == ['beta'], run
    moved = run.task('restart on gamma')
    assert moved['status'] == 'changed' and moved['result']['processes'][0]['hosts'] == ['gamma'], run
    stop = run.task('stop from alpha')
    assert stop['status'] == 'changed' and stop['result']['processes'][0]['statename'] == 'STOPPED', run
    assert stop['result']['processes'][0]['hosts'] == []
    for host in cluster.hosts:
        assert local_state(cluster, host, 'loose:idler') in ('STOPPED', 'EXITED'), host
    assert run.task('unknown')['result']['msg'] == (
        "no process matches 'loose:nope'; closest names: loose:*, loose:idler")
    assert run.task('signal')['result']['msg'] == (
        'strategy is not used with state=signalled: signal processes without strategy, on the daemon where they run')
    assert run.task('plain supervisord')['result']['msg'] == no_supvisors(daemon, 'strategy')
    info = run.task('cluster info')['result']
    assert info['supvisors']['state'] == 'OPERATION', run
    assert sorted(i['host'] for i in info['supvisors']['instances']) == ['alpha', 'beta', 'gamma']
    assert [a['name'] for a in info['supvisors']['applications']] == ['auto', 'broken', 'loose', 'web']
    assert info['supvisors']['conflicts'] == []
    assert [p['fullname'] for p in info['processes']] == [
        'auto:ticker', 'broken:crasher', 'loose:idler', 'web:back', 'web:front']
    assert info['supervisord']['state'] == 'RUNNING'
    plain = run.task('plain info')
    assert plain['status'] == 'ok' and 'supvisors' not in plain['result'], run


def lookup_task(title, query):
    return {'name': title, 'ansible.builtin.set_fact': {'found': '{{ %s }}' % query}, 'ignore_errors': True}


def test_disable_then_enable_a_program_on_every_instance(cluster, daemon, tmp_path):
    """loose:idler is stopped everywhere (previous test); disabled on all three, Supvisors cannot start it."""
    def on_all(title, **args):
        return [sv_task('group', '%s %s' % (title, host), name='idler', server_url=cluster.server_url(host), **args)
                for host in cluster.hosts]
    run = run_playbook(
        [dict(sv_task('group', 'check', name='idler', state='disabled', server_url=cluster.server_url('alpha')),
              check_mode=True)]
        + on_all('disable', state='disabled') + on_all('again', state='disabled')
        + [sv_task('process', 'start disabled', name='loose:idler', strategy='CONFIG',
                   server_url=cluster.server_url('alpha')),
           sv_task('group', 'unknown', name='nosuch', state='disabled', server_url=cluster.server_url('alpha')),
           sv_task('group', 'plain', name='worker', state='disabled', server_url=daemon.server_url)]
        + on_all('enable', state='enabled')
        + [sv_task('process', 'start enabled', name='loose:idler', strategy='CONFIG',
                   server_url=cluster.server_url('alpha'))], tmp_path, diff=True)
    check = run.task('check')
    assert (check['status'], check['result']['programs_changed'], check['result']['diff']) == (
        'changed', ['idler'], {'before': {'idler': 'enabled'}, 'after': {'idler': 'disabled'}}), run
    for host in cluster.hosts:
        disable = run.task('disable %s' % host)
        assert (disable['status'], disable['result']['programs_changed']) == ('changed', ['idler']), run
        (idler,) = disable['result']['processes']
        # with every key the process module returns, too (test_inputs_and_results.py)
        assert dict((key, idler[key]) for key in ('namespec', 'fullname', 'statename', 'disabled')) == {
            'namespec': 'loose:idler', 'fullname': 'loose:idler', 'statename': 'STOPPED', 'disabled': True}
        assert run.task('again %s' % host)['status'] == 'ok'
        assert run.task('enable %s' % host)['status'] == 'changed'
    refused = run.task('start disabled')
    assert (refused['status'], refused['result']['msg']) == (
        'failed', 'loose:idler: supvisors.start_process failed with ABNORMAL_TERMINATION: failed to start loose:idler')
    assert run.task('unknown')['result']['msg'] == (
        'state=disabled: no program nosuch on %s/RPC2 (programs: back, crasher, front, idler, ticker)'
        % cluster.server_url('alpha'))
    assert run.task('plain')['result']['msg'] == (
        'state=disabled needs Supvisors: %s is a plain supervisord, which cannot disable a program; remove its group '
        '(state=absent) instead' % daemon.server_url)
    started = run.task('start enabled')
    assert started['status'] == 'changed' and started['result']['processes'][0]['hosts'] == ['alpha'], run
    cluster.rpc('alpha', 'supvisors.stop_process', 'loose:idler', True)


def test_state_lookup_reads_applications_and_instances(cluster, daemon, tmp_path):
    url = cluster.server_url('beta')
    run = run_playbook([
        lookup_task('all applications', "query('supervisor.control.state', what='applications', server_url='%s')" % url),
        lookup_task('some applications',
                    "query('supervisor.control.state', 'web', 'bro*', what='applications', server_url='%s')" % url),
        lookup_task('unknown application',
                    "query('supervisor.control.state', 'nope', what='applications', server_url='%s')" % url),
        lookup_task('all instances', "query('supervisor.control.state', what='instances', server_url='%s')" % url),
        lookup_task('one instance', "query('supervisor.control.state', 'gam*', what='instances', server_url='%s')" % url),
        lookup_task('unknown instance',
                    "query('supervisor.control.state', 'delta', what='instances', server_url='%s')" % url),
        lookup_task('plain supervisord',
                    "query('supervisor.control.state', what='instances', server_url='%s')" % daemon.server_url),
    ], tmp_path)

    def found(title):
        assert run.task(title)['status'] == 'ok', run
        return run.result(title)['ansible_facts']['found']

    assert [a['name'] for a in found('all applications')] == ['auto', 'broken', 'loose', 'web']
    some = found('some applications')
    assert [(a['name'], a['managed']) for a in some] == [('broken', True), ('web', True)]
    assert some[1]['statename'] == cluster.rpc('alpha', 'supvisors.get_application_info', 'web')['statename']
    assert [(i['host'], i['statename']) for i in found('all instances')] == [
        ('alpha', 'RUNNING'), ('beta', 'RUNNING'), ('gamma', 'RUNNING')]
    (gamma,) = found('one instance')
    assert (gamma['identifier'], gamma['nick_identifier'], gamma['port']) == ('gamma:60000', 'gamma', 60000)
    errors = dict((t, run.result(t)['msg']) for t in ('unknown application', 'unknown instance', 'plain supervisord'))
    assert all(run.task(t)['status'] == 'failed' for t in errors), run
    # ansible words the context; the lookup's own message ends it
    lookup_failed = "The lookup plugin 'supervisor.control.state' failed: "
    assert errors['unknown application'].endswith(
        lookup_failed + 'unknown application nope: Supvisors knows auto, broken, loose, web'), errors
    assert errors['unknown instance'].endswith(
        lookup_failed + 'no Supvisors instance matches delta; the instances are alpha, beta, gamma'), errors
    assert errors['plain supervisord'].endswith(lookup_failed + no_supvisors(daemon, 'what=instances')), errors


def test_conflict_blocks_applications_until_conciliated(cluster, tmp_path):
    (ticker,) = cluster.rpc('alpha', 'supvisors.get_process_info', 'auto:ticker')
    (first,) = ticker['identifiers']
    other = 'gamma' if first != 'gamma:60000' else 'beta'
    # A second ticker, started behind Supvisors' back: a conflict.
    cluster.rpc(other, 'supervisor.startProcess', 'auto:ticker', True)
    poll(lambda: supvisors_state(cluster), lambda s: s == 'CONCILIATION')

    run = run_playbook([
        app('start during conciliation', cluster, name='web', state='restarted'),
        sv('operational during conciliation', cluster, timeout=2),
        sv('conciliate', cluster, host='beta', state='conciliated', strategy='SENICIDE', timeout=DEADLINE),
        sv('conciliated again', cluster, state='conciliated'),
    ], tmp_path)
    message = run.task('start during conciliation')['result']['msg']
    assert message == ('BAD_SUPVISORS_STATE: Supvisors is in state CONCILIATION, not OPERATION: cannot make '
                       'applications restarted now (supervisor.control.supvisors state=operational waits for '
                       'OPERATION)'), run
    assert run.task('start during conciliation')['result']['supvisors_state'] == 'CONCILIATION'
    waited = run.task('operational during conciliation')
    assert waited['status'] == 'failed', run
    assert waited['result']['msg'] == (
        'Supvisors is not in OPERATION after 2.0s: its state is CONCILIATION (conflicts: auto:ticker)')
    conciliate = run.task('conciliate')
    assert conciliate['status'] == 'changed', run
    assert conciliate['result']['actions'] == ['conciliate', 'wait_operation']
    assert conciliate['result']['supvisors']['state'] == 'OPERATION'
    assert conciliate['result']['supvisors']['conflicts'] == []
    assert run.task('conciliated again')['status'] == 'ok', run
    (ticker,) = cluster.rpc('alpha', 'supvisors.get_process_info', 'auto:ticker')
    assert len(ticker['identifiers']) == 1


RULEBOOK = '''
- name: Supvisors cluster watch (test)
  hosts: all
  match_multiple_rules: true
  sources:
    - supervisor.control.supvisors:
        host: "{{ publisher }}"
        port: "{{ event_port }}"
        snapshot: true
        server_url: "{{ server_url }}"
        heartbeat: 0
  rules:
    - name: an instance is lost
      condition: >-
        event.supvisors.type == "instance" and event.supvisors.data.statename == "STOPPED"
        and event.supvisors.snapshot is not defined
      action:
        run_playbook:
          name: {playbook}
    - name: an application has a major failure
      condition: >-
        event.supvisors.type == "application" and event.supvisors.data.major_failure == true
        and event.supvisors.snapshot is not defined
      action:
        run_playbook:
          name: {playbook}
    - name: live
      condition: event.supvisors.type == "instance" and event.supvisors.snapshot is not defined
      throttle:
        once_within: 10 minutes
        group_by_attributes:
          - event.supvisors.type
      action:
        debug:
          msg: LIVE-SUBSCRIPTION
'''

PLAYBOOK = '''
- name: record the event on each host it concerns
  hosts: all
  gather_facts: false
  tasks:
    - name: write it
      ansible.builtin.copy:
        content: "{{ ansible_eda.event | to_json }}"
        dest: "OUT/{{ inventory_hostname }}-{{ ansible_eda.event.supvisors.type }}-{{
          ansible_eda.event.supvisors.data.statename
          if ansible_eda.event.supvisors.type == 'instance'
          else ansible_eda.event.supvisors.data.application_name }}.json"
'''


def start_rulebook(cluster, tmp_path):
    """A real ansible-rulebook with the supervisor.control.supvisors source subscribed to alpha."""
    out = tmp_path / 'events'
    out.mkdir()
    # ansible-rulebook copies the playbook's directory into its private data dir (under the Rulebook
    # helper's TMPDIR, inside its directory): keep the two apart, or the copy recurses.
    project = tmp_path / 'project'
    project.mkdir()
    run_dir = tmp_path / 'rulebook'
    run_dir.mkdir()
    playbook = project / 'record.yml'
    playbook.write_text(PLAYBOOK.replace('OUT/', str(out) + '/'))  # rulebook vars do not reach it
    rulebook = run_dir / 'rulebook.yml'
    rulebook.write_text(RULEBOOK.replace('{playbook}', str(playbook)))
    inventory = run_dir / 'inventory.yml'
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    inventory.write_text(yaml.safe_dump({'all': {'hosts': dict((h, host) for h in cluster.hosts)}}))
    return Rulebook(str(rulebook), str(inventory), str(run_dir), variables={
        'publisher': cluster.address('alpha'), 'event_port': cluster.event_port,
        'server_url': cluster.server_url('alpha')})


def test_a_lost_host_is_reported_and_applications_run_on_the_others(cluster, tmp_path):
    run = run_playbook([
        app('on gamma', cluster, host='gamma', name='web', state='restarted', strategy='LOCAL'),
    ], tmp_path)
    assert hosts_of(run.task('on gamma')['result'], 'web:front') == ['gamma'], run

    rulebook = start_rulebook(cluster, tmp_path)
    try:
        rulebook.wait_for('LIVE-SUBSCRIPTION', timeout=DEADLINE)
        cluster.kill_instance('gamma')
        poll(lambda: cluster.rpc('alpha', 'supvisors.get_instance_info', 'gamma')[0]['statename'],
             lambda s: s == 'STOPPED')
        # The rulebook ran its playbook for the instance change on the lost host only (meta.hosts),
        # and for the application's major failure.
        out = str(tmp_path / 'events')
        lost = poll(lambda: sorted(glob.glob(os.path.join(out, '*-instance-STOPPED.json'))), bool,
                    describe=lambda: rulebook.output[-5000:])
        assert [os.path.basename(f) for f in lost] == ['gamma-instance-STOPPED.json'], rulebook.output[-3000:]
        with open(lost[0]) as handle:
            event = json.load(handle)
        assert event['meta']['hosts'] == ['gamma']
        assert event['supvisors']['data']['identifier'] == 'gamma:60000'
        # Supvisors' application messages name no host: no meta.hosts, so the playbook ran on every host.
        failed = poll(lambda: sorted(glob.glob(os.path.join(out, '*-application-web.json'))), lambda f: len(f) == 3,
                      describe=lambda: rulebook.output[-5000:])
        assert [os.path.basename(f) for f in failed] == [
            'alpha-application-web.json', 'beta-application-web.json', 'gamma-application-web.json']
        with open(failed[0]) as handle:
            event = json.load(handle)
        assert event['supvisors']['data']['major_failure'] is True
        # only what ansible-rulebook adds to every event: no hosts
        assert sorted(event['meta']) == ['received_at', 'source', 'uuid'], event
    finally:
        rulebook.stop()

    run = run_playbook([
        sv('facts', cluster),
        app('start elsewhere', cluster, name='web', strategy='CONFIG', state='restarted'),
    ], tmp_path)
    facts = run.task('facts')['result']['supvisors']
    assert facts['state'] == 'OPERATION', run
    assert dict((i['host'], i['statename']) for i in facts['instances'])['gamma'] == 'STOPPED'
    apps = dict((a['name'], a) for a in facts['applications'])
    assert apps['web']['major_failure'] is True
    moved = run.task('start elsewhere')
    assert moved['status'] == 'changed', run
    assert hosts_of(moved['result'], 'web:front') == ['alpha']
    assert hosts_of(moved['result'], 'web:back') == ['beta']
    assert moved['result']['applications'][0]['major_failure'] is False

    cluster.start_instance('gamma', wait=True, timeout=120)
    run = run_playbook([
        sv('back', cluster, host='gamma', state='conciliated', timeout=DEADLINE),
    ], tmp_path)
    back = run.task('back')
    assert back['status'] == 'ok', run
    assert back['result']['supvisors']['conflicts'] == []
    assert dict((i['host'], i['statename']) for i in back['result']['supvisors']['instances'])['gamma'] == 'RUNNING'


def test_restart_then_shutdown_the_whole_cluster(cluster, tmp_path):
    if cluster.rpc('alpha', 'supvisors.get_application_info', 'web')['statename'] == 'STOPPED':
        cluster.rpc('alpha', 'supvisors.start_application', 'CONFIG', 'web', True)
    assert cluster.rpc('beta', 'supervisor.getProcessInfo', 'web:back')['statename'] == 'RUNNING'
    run = run_playbook([
        sv('check restart', cluster, state='restarted', check_mode=True),
        sv('restart', cluster, host='beta', state='restarted', timeout=180),
    ], tmp_path)
    assert run.task('check restart')['status'] == 'changed', run
    restart = run.task('restart')
    assert restart['status'] == 'changed', run
    assert restart['result']['supvisors']['state'] == 'OPERATION'
    assert cluster.rpc('beta', 'supervisor.getProcessInfo', 'web:back')['statename'] == 'STOPPED'
    assert all(proc.poll() is None for proc in cluster.procs.values())

    run = run_playbook([
        sv('stop', cluster, host='beta', state='stopped', timeout=DEADLINE),
        sv('stop again', cluster, host='beta', state='stopped'),
    ], tmp_path)
    assert run.task('stop')['status'] == 'changed', run
    assert run.task('stop again')['status'] == 'ok', run
    for host, proc in cluster.procs.items():
        proc.wait(timeout=DEADLINE)
