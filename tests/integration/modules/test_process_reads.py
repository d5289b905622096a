"""What ProcessController.selected_infos reads from a real supervisord, and that it selects what match does.

Exact names are read with getProcessInfo alone (the daemon's whole table costs it one
getProcessInfo per process); anything else, or a name that is not a process, reads the table.
"""

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import process_names as P  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import NameNotFoundError  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import (  # noqa: E402
    ProcessController,
)


class RecordingClient(SupervisorClient):
    """The real client, noting the methods of every request it sends."""

    def __init__(self, settings):
        super(RecordingClient, self).__init__(settings)
        self.methods = []

    def call(self, method, *params):
        self.methods.append(method)
        return super(RecordingClient, self).call(method, *params)

    def multicall(self, calls):
        self.methods.extend(method for method, dummy in calls)
        return super(RecordingClient, self).multicall(calls)


def read(daemon, specs):
    client = RecordingClient(daemon.client().settings)
    return ProcessController(client, 10).selected_infos(specs), client.methods


def fullnames(infos):
    # not whole dicts: their description holds an uptime that moves between two reads
    return [(P.fullname(info), info['pid'], info['statename']) for info in infos]


def table(daemon):
    return daemon.rpc('supervisor.getAllProcessInfo')


def test_exact_names_read_only_those_processes_in_supervisords_order(daemon):
    infos, methods = read(daemon, ['web:web_b', ' sleeper ', 'idle:idle', 'web:web_b'])
    assert methods == ['supervisor.getState'] + ['supervisor.getProcessInfo'] * 4
    assert [P.fullname(info) for info in infos] == ['idle', 'sleeper', 'web:web_b']
    assert fullnames(infos) == fullnames(P.match(['web:web_b', 'sleeper', 'idle:idle'], table(daemon)))


@pytest.mark.parametrize('specs', [['web'], ['worker'], ['web:*'], ['web:'], ['w*'], ['all'], ['idle', 'web']],
                         ids=str)
def test_groups_and_globs_read_the_table_and_select_as_match_does(daemon, specs):
    infos, methods = read(daemon, specs)
    assert 'supervisor.getAllProcessInfo' in methods
    assert fullnames(infos) == fullnames(P.match(specs, table(daemon)))


def test_a_name_that_is_no_process_fails_as_match_does(daemon):
    with pytest.raises(NameNotFoundError) as raised:
        read(daemon, ['web:web_a', 'web:nope'])
    with pytest.raises(NameNotFoundError) as expected:
        P.match(['web:web_a', 'web:nope'], table(daemon))
    assert str(raised.value) == str(expected.value)
    assert str(raised.value).startswith("no process matches 'web:nope'"), raised.value
