"""The XML-RPC requests a process task sends to a real supervisord, one by one, and that it selects what match does.

Exact names are read with getProcessInfo alone (the daemon's whole table costs it one
getProcessInfo per process); anything else, or a name that is not a process, reads the table.
The polls of the waits and the final read then ask for the task's processes alone, unless the
task holds every process of the daemon: then they read the table.
Polls repeat for as long as supervisord takes (its 1-second tick): their number is the only free
part of the sequences below.
"""

import re

import pytest

from tests.support.paths import ensure_collection_link
from tests.support.recording import RecordingClient, RecordingTask
from tests.support.supervisord import SLEEPER, Supervisord

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import process_names  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import NameNotFoundError  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import (  # noqa: E402
    CONNECTION_ARGUMENT_SPEC,
)
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import (  # noqa: E402
    ProcessController,
    read_processes,
)
from ansible_collections.supervisor.control.plugins.modules import group, process  # noqa: E402

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases


def defaults(module):
    return dict((name, spec.get('default')) for name, spec in
                list(CONNECTION_ARGUMENT_SPEC.items()) + list(module.ARGUMENT_SPEC.items()))


def read(daemon, specs):
    client = RecordingClient(daemon.client().settings)
    return ProcessController(client, 10).selected_infos(specs), client.requests


def run_task(daemon, module=process, **params):
    """Run a module's logic as a task runs it; return its result and the requests it sent."""
    client = RecordingClient(daemon.client().settings)
    result = module.run(RecordingTask(dict(defaults(module), **params), client))
    return result, client.requests


def line(request):
    return re.escape(request) + '\n'


def polls(request):
    """One or more of ``request``: their number is supervisord's, not the module's."""
    return '(?:%s)+' % line(request)


def settling(first, second):
    """The polls of two processes: both, then the one still pending if the other settled a poll earlier."""
    both = polls('getProcessInfo(%s) getProcessInfo(%s)' % (first, second))
    return both + '(?:%s|%s)?' % (polls('getProcessInfo(%s)' % first), polls('getProcessInfo(%s)' % second))


def assert_sequence(requests, *expected):
    """``requests`` are exactly the ``expected`` pieces (``line``, ``polls``, ``settling``), in order."""
    assert re.fullmatch(''.join(expected), ''.join(r + '\n' for r in requests)), requests


def fullnames(infos):
    # not whole dicts: their description holds an uptime that moves between two reads
    return [(process_names.fullname(info), info['pid'], info['statename']) for info in infos]


def table(daemon):
    return daemon.rpc('supervisor.getAllProcessInfo')


def states(result):
    return [(p['fullname'], p['statename']) for p in result['processes']]


# --- the selection ------------------------------------------------------------

def test_exact_names_read_only_those_processes_in_supervisords_order(daemon):
    infos, requests = read(daemon, ['web:web_b', ' sleeper ', 'idle:idle', 'web:web_b'])
    # More than two calls: the client first asks the release, once (one call per tick before 3.2.0).
    assert requests == ['getSupervisorVersion',
                        'getState getProcessInfo(web:web_b) getProcessInfo(sleeper) getProcessInfo(idle:idle) '
                        'getProcessInfo(web:web_b)']
    assert [process_names.fullname(info) for info in infos] == ['idle', 'sleeper', 'web:web_b']
    assert fullnames(infos) == fullnames(process_names.match(['web:web_b', 'sleeper', 'idle:idle'], table(daemon)))


@pytest.mark.parametrize('specs, requests', [
    (['web'], ['getState getProcessInfo(web)', 'getState getAllProcessInfo']),
    (['worker'], ['getState getProcessInfo(worker)', 'getState getAllProcessInfo']),
    (['idle', 'web'], ['getSupervisorVersion', 'getState getProcessInfo(idle) getProcessInfo(web)',
                       'getState getAllProcessInfo']),
    (['web:*'], ['getState getAllProcessInfo']),
    (['web:'], ['getState getAllProcessInfo']),
    (['w*'], ['getState getAllProcessInfo']),
    (['all'], ['getState getAllProcessInfo']),
], ids=str)
def test_groups_and_globs_read_the_table_and_select_as_match_does(daemon, specs, requests):
    infos, sent = read(daemon, specs)
    # A group's name is tried as a process first (BAD_NAME), then the table is read.
    assert sent == requests
    assert fullnames(infos) == fullnames(process_names.match(specs, table(daemon)))


def test_a_name_that_is_no_process_fails_as_match_does(daemon):
    with pytest.raises(NameNotFoundError) as raised:
        read(daemon, ['web:web_a', 'web:nope'])
    with pytest.raises(NameNotFoundError) as expected:
        process_names.match(['web:web_a', 'web:nope'], table(daemon))
    assert str(raised.value) == str(expected.value)
    assert str(raised.value).startswith("no process matches 'web:nope'"), raised.value


@pytest.mark.parametrize('specs, requests', [
    (['web:web_b', 'sleeper'], ['getProcessInfo(web:web_b) getProcessInfo(sleeper)']),
    (['web'], ['getProcessInfo(web)', 'getAllProcessInfo']),
    (['web:*'], ['getAllProcessInfo']),
], ids=str)
def test_a_read_that_changes_nothing_asks_for_named_processes_alone(daemon, specs, requests):
    """What the state lookup reads: no getState (it changes nothing), the names alone when it can."""
    client = RecordingClient(daemon.client().settings)
    infos = read_processes(client, specs)
    assert client.requests == requests
    assert fullnames(infos) == fullnames(process_names.match(specs, table(daemon)))


# --- whole tasks: the waits and the final read --------------------------------

def test_a_task_with_nothing_to_do_reads_once(daemon):
    result, requests = run_task(daemon, name=['sleeper'], state='started')
    assert requests == ['getState getProcessInfo(sleeper)']
    assert (result['changed'], states(result)) == (False, [('sleeper', 'RUNNING')])


def test_a_start_and_a_stop_without_wait_reread_the_named_process_alone(daemon):
    try:
        result, requests = run_task(daemon, name=['idle'], state='started', wait=False)
        assert requests == ['getState getProcessInfo(idle)', 'startProcess(idle:idle,False)',
                            'getProcessInfo(idle:idle)']
        assert result['changed'] is True and result['processes'][0]['fullname'] == 'idle'
        daemon.wait_state('idle:idle', 'RUNNING')
        result, requests = run_task(daemon, name=['idle'], state='stopped', wait=False)
        assert requests == ['getState getProcessInfo(idle)', 'stopProcess(idle:idle,False)',
                            'getProcessInfo(idle:idle)']
        assert result['changed'] is True and result['processes'][0]['fullname'] == 'idle'
    finally:
        daemon.stop_process('idle:idle')


def test_a_restart_by_names_polls_and_rereads_those_names_alone(daemon):
    before = dict((process_names.fullname(i), i['pid']) for i in table(daemon))
    result, requests = run_task(daemon, name=['web:web_b', 'sleeper'], state='restarted')
    assert_sequence(requests,
                    line('getSupervisorVersion'),  # before its first multicall of more than two calls
                    line('getState getProcessInfo(web:web_b) getProcessInfo(sleeper)'),
                    line('stopProcess(sleeper:sleeper,False) stopProcess(web:web_b,False)'),
                    settling('sleeper:sleeper', 'web:web_b'),
                    line('startProcess(sleeper:sleeper,False) startProcess(web:web_b,False)'),
                    settling('sleeper:sleeper', 'web:web_b'),
                    line('getProcessInfo(sleeper:sleeper) getProcessInfo(web:web_b)'))  # the final read
    assert (result['changed'], states(result)) == (True, [('sleeper', 'RUNNING'), ('web:web_b', 'RUNNING')])
    assert [p['pid'] for p in result['processes']] == [daemon.info(n)['pid'] for n in ('sleeper', 'web:web_b')]
    assert all(p['pid'] != before[p['fullname']] for p in result['processes'])


@pytest.mark.parametrize('module, name', [(process, 'web:*'), (group, 'web')], ids=['process web:*', 'group web'])
def test_a_restart_from_the_table_then_polls_and_rereads_its_processes_alone(daemon, module, name):
    result, requests = run_task(daemon, module=module, name=[name], state='restarted')
    assert_sequence(requests,
                    line('getState getAllProcessInfo'),
                    line('stopProcess(web:web_a,False) stopProcess(web:web_b,False)'),
                    settling('web:web_a', 'web:web_b'),
                    line('startProcess(web:web_a,False) startProcess(web:web_b,False)'),
                    settling('web:web_a', 'web:web_b'),
                    line('getProcessInfo(web:web_a) getProcessInfo(web:web_b)'))  # the final read
    assert (result['changed'], states(result)) == (True, [('web:web_a', 'RUNNING'), ('web:web_b', 'RUNNING')])


def test_a_restart_of_every_process_polls_and_rereads_the_table(tmp_path):
    programs = {'a': dict(command=SLEEPER, startsecs=0), 'b': dict(command=SLEEPER, startsecs=0)}
    with Supervisord(str(tmp_path / 'two'), programs=programs) as two:
        result, requests = run_task(two, name=['all'], state='restarted')
    assert_sequence(requests,
                    line('getState getAllProcessInfo'),
                    line('stopProcess(a:a,False) stopProcess(b:b,False)'),
                    polls('getAllProcessInfo'),
                    line('startProcess(a:a,False) startProcess(b:b,False)'),
                    polls('getAllProcessInfo'),
                    line('getAllProcessInfo'))  # the final read
    assert (result['changed'], states(result)) == (True, [('a', 'RUNNING'), ('b', 'RUNNING')])
