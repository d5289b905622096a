"""Pure decision logic: name matching and what to call for each state."""

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import plans  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils import process_names  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import NameNotFoundError  # noqa: E402


def info(group, name, statename='RUNNING'):
    return {'group': group, 'name': name, 'statename': statename}


INFOS = [info('api', 'api'), info('web', 'web_a'), info('web', 'web_b'), info('worker', 'worker_00'),
         info('worker', 'worker_01')]


def names(specs):
    return [process_names.fullname(i) for i in process_names.match(specs, INFOS)]


@pytest.mark.parametrize('specs, expected', [
    (['api'], ['api']),
    (['web:web_a'], ['web:web_a']),
    (['web:*'], ['web:web_a', 'web:web_b']),
    (['web'], ['web:web_a', 'web:web_b']),
    (['worker:worker_0?'], ['worker:worker_00', 'worker:worker_01']),
    (['*_b'], ['web:web_b']),
    (['all'], ['api', 'web:web_a', 'web:web_b', 'worker:worker_00', 'worker:worker_01']),
    (['web:web_b', 'api', 'web:*'], ['api', 'web:web_a', 'web:web_b']),
    (['a*'], ['api']),
])
def test_match_in_supervisord_order_without_duplicates(specs, expected):
    assert names(specs) == expected


def test_no_match_names_spec_and_closest():
    with pytest.raises(NameNotFoundError) as err:
        process_names.match(['web_a'], INFOS)
    assert str(err.value) == "no process matches 'web_a'; closest names: web:web_a, web:*, web:web_b"
    with pytest.raises(NameNotFoundError, match="no process matches 'zzz'; the daemon has no such name"):
        process_names.match(['zzz'], INFOS)


def test_all_of_an_empty_daemon_is_nothing():
    assert process_names.match(['all'], []) == [] and process_names.match(['*'], []) == []
    with pytest.raises(NameNotFoundError):
        process_names.match(['web:*'], [])


def test_normalize_keeps_documented_keys_and_adds_fullname():
    raw = dict(info('web', 'web_a'), pid=3, now=99, logfile='/x', state=20)
    assert process_names.normalize(raw) == {'group': 'web', 'name': 'web_a', 'statename': 'RUNNING', 'pid': 3,
                                            'state': 20, 'fullname': 'web:web_a'}


@pytest.mark.parametrize('statename, state, steps', [
    ('RUNNING', 'started', ()),
    ('STARTING', 'started', ()),
    ('STOPPED', 'started', ('start',)),
    ('EXITED', 'started', ('start',)),
    ('FATAL', 'started', ('start',)),
    ('BACKOFF', 'started', ('stop', 'start')),
    ('STOPPING', 'started', ('wait_stopped', 'start')),
    ('RUNNING', 'stopped', ('stop',)),
    ('BACKOFF', 'stopped', ('stop',)),
    ('STOPPING', 'stopped', ('wait_stopped',)),
    ('STOPPED', 'stopped', ()),
    ('FATAL', 'stopped', ()),
    ('RUNNING', 'restarted', ('stop', 'start')),
    ('STOPPED', 'restarted', ('start',)),
    ('RUNNING', 'signalled', ('signal',)),
    ('STOPPING', 'signalled', ('signal',)),
    ('STOPPED', 'signalled', ()),
])
def test_process_steps(statename, state, steps):
    assert plans.process_steps(statename, state) == steps


def test_changed_ignores_waiting_only():
    actions = plans.plan_processes([info('a', 'a', 'STOPPING')], 'stopped')
    assert actions[0].steps == ('wait_stopped',) and not actions[0].changed
    assert actions[0].expected == 'STOPPED'
    assert plans.plan_processes([info('a', 'a', 'FATAL')], 'stopped')[0].expected == 'FATAL'
    with pytest.raises(ValueError):
        plans.process_steps('RUNNING', 'bogus')


def test_plan_update_and_groups():
    reload_result = [[['new'], ['changed'], ['gone']]]
    assert plans.plan_update(reload_result) == {'new': 'add', 'changed': 'replace', 'gone': 'remove'}
    assert plans.plan_update(reload_result, ['new']) == {'new': 'add'}
    loaded = {'changed', 'gone', 'same', 'removed_but_on_disk'}
    configured = {'new', 'changed', 'same', 'removed_but_on_disk'}
    plan, unknown = plans.plan_groups(['new', 'changed', 'same', 'nope'], 'present', loaded, configured,
                                      reload_result)
    assert plan == {'new': 'add', 'changed': 'replace'} and unknown == ['nope']
    plan, unknown = plans.plan_groups(['same', 'nope'], 'absent', loaded, configured, reload_result)
    assert plan == {'same': 'remove'} and unknown == []
    plan, unknown = plans.plan_groups(['same', 'nope'], 'started', loaded, configured, reload_result)
    assert plan == {} and unknown == ['nope']


def test_stopped_to_keep_only_stopped_processes_of_replaced_groups_that_stay_configured():
    infos = [info('web', 'web_a', 'STOPPED'), info('web', 'web_b', 'RUNNING'), info('web', 'web_c', 'EXITED'),
             info('web', 'gone', 'STOPPED'), info('api', 'api', 'STOPPED')]
    configured = {'web': [{'name': 'web_a', 'autostart': True}, {'name': 'web_b', 'autostart': True},
                          {'name': 'web_c', 'autostart': True}],
                  'api': [{'name': 'api', 'autostart': False}]}
    assert plans.stopped_to_keep(infos, {'web'}, configured) == [('web:web_a', True)]
    assert plans.stopped_to_keep(infos, {'web', 'api'}, configured) == [('web:web_a', True), ('api:api', False)]
    assert plans.stopped_to_keep(infos, set(), configured) == []
