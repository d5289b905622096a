"""Supvisors applications whose names hold glob characters, on a real one-host Supvisors.

supervisord allows ``[``, ``*`` and ``?`` in a group name, and Supvisors takes the group for an application of the
same name. Each odd name has a neighbour that a glob reading of it would select too (``a[1]`` and ``a1``, ``q?`` and
``qa``), so a test sees which reading won: an exact name always wins, as it does for processes
(``process_names.match``). Every test runs on both execution paths.
"""

import pytest

from tests.support import ansible
from tests.support.ansible import run_playbook, sv_task
from tests.support.supvisors import managed_application, running_cluster

NAMES = ('a[1]', 'a1', 'q?', 'qa')
# One program per application (a program without a [group:x] section is the group of its name); none autostarts.
PROGRAMS = dict((name, {'command': 'sleep 100000', 'autostart': False, 'startsecs': 0}) for name in NAMES)
# Every one managed, none started by Supvisors (start_sequence 0): the tests start what they name.
RULES = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<root>%s</root>\n' % ''.join(
    managed_application(name, start_sequence=0).split('<root>', 1)[1].rsplit('</root>', 1)[0] for name in NAMES)
LOOKUP_FAILED = "The lookup plugin 'supervisor.control.state' failed: "


@pytest.fixture(scope='module')
def solo():
    with running_cluster(['solo'], programs=PROGRAMS, rules=RULES) as cluster:
        yield cluster


@pytest.fixture(params=[True, False], ids=['in-process', 'shipped'])
def path(request):
    with ansible.plays_in_process(request.param) as value:
        yield value


def running(cluster):
    """The applications whose process runs on solo, sorted."""
    return sorted(i['group'] for i in cluster.rpc('solo', 'supervisor.getAllProcessInfo')
                  if i['statename'] == 'RUNNING')


def stop_all(cluster):
    for name in running(cluster):
        cluster.rpc('solo', 'supvisors.stop_application', name, True)
    assert running(cluster) == []


def lookup(title, cluster, *terms, **options):
    args = ''.join(", '%s'" % term for term in terms)
    args += ''.join(", %s='%s'" % item for item in sorted(options.items()))
    query = "query('supervisor.control.state'%s, server_url='%s')" % (args, cluster.server_url('solo'))
    return {'name': title, 'ansible.builtin.set_fact': {'found': '{{ %s }}' % query}, 'ignore_errors': True}


def test_an_application_named_with_glob_characters_is_that_application(solo, path, tmp_path):
    stop_all(solo)
    url = solo.server_url('solo')
    run = run_playbook([
        dict(sv_task('application', 'check a[1]', name='a[1]', server_url=url), check_mode=True),
        sv_task('application', 'start a[1]', name='a[1]', server_url=url),
        sv_task('application', 'start q?', name='q?', server_url=url),
        sv_task('application', 'start a[1] again', name=['a[1]'], server_url=url),
    ], tmp_path)
    check = run.task('check a[1]')
    assert (check['status'], [a['name'] for a in check['result']['applications']]) == ('changed', ['a[1]']), run
    start = run.task('start a[1]')
    assert (start['status'], [a['name'] for a in start['result']['applications']]) == ('changed', ['a[1]']), run
    start = run.task('start q?')
    assert (start['status'], [a['name'] for a in start['result']['applications']]) == ('changed', ['q?']), run
    assert running(solo) == ['a[1]', 'q?']
    again = run.task('start a[1] again')
    assert (again['status'], [a['name'] for a in again['result']['applications']]) == ('ok', ['a[1]']), run
    stop_all(solo)


def test_a_glob_that_names_no_application_is_still_a_glob(solo, path, tmp_path):
    stop_all(solo)
    url = solo.server_url('solo')
    run = run_playbook([
        sv_task('application', 'start a glob', name='[aq][1a]', server_url=url),
        sv_task('application', 'unknown', name=['a[2]', 'z*'], server_url=url),
    ], tmp_path)
    start = run.task('start a glob')
    assert (start['status'], [a['name'] for a in start['result']['applications']]) == ('changed', ['a1', 'qa']), run
    assert running(solo) == ['a1', 'qa']
    unknown = run.task('unknown')
    assert (unknown['status'], unknown['result']['changed']) == ('failed', False), run
    # Each name it proposes is one that selects that application alone when given back.
    assert unknown['result']['msg'] == 'unknown applications a[2], z*: Supvisors knows a1, a[1], q?, qa'
    stop_all(solo)


def test_the_state_lookup_reads_an_application_by_its_exact_name(solo, path, tmp_path):
    run = run_playbook([
        lookup('a[1]', solo, 'a[1]', what='applications'),
        lookup('q? and a1', solo, 'q?', 'a1', what='applications'),
        lookup('a glob', solo, 'a[!1]*', what='applications'),
        lookup('every application', solo, what='applications'),
        lookup('unknown', solo, 'q[?]x', what='applications'),
    ], tmp_path)

    def found(title):
        assert run.task(title)['status'] == 'ok', run
        return [a['name'] for a in run.result(title)['ansible_facts']['found']]

    assert found('a[1]') == ['a[1]']
    assert found('q? and a1') == ['a1', 'q?']
    assert found('a glob') == ['a[1]']
    assert found('every application') == ['a1', 'a[1]', 'q?', 'qa']
    assert run.task('unknown')['status'] == 'failed', run
    assert run.result('unknown')['msg'].endswith(
        LOOKUP_FAILED + 'unknown application q[?]x: Supvisors knows a1, a[1], q?, qa'), run
