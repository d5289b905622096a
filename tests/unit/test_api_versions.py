"""The table of which supervisord release brought each XML-RPC method, and the line for one that lacks it."""

import os
import re

import pytest
from supervisor import rpcinterface, xmlrpc

from tests.support.paths import REPO, ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import api_versions as A  # noqa: E402


def test_the_line_names_the_daemon_what_it_cannot_do_and_the_release_that_added_it():
    assert A.cannot('3.1.4', 'supervisor.signalProcess') == (
        'supervisord 3.1.4 cannot signal processes: signalProcess came in 3.2.0')
    assert A.cannot((3, 1, 4), 'supervisor.signalProcessGroup') == (
        'supervisord 3.1.4 cannot signal process groups: signalProcessGroup came in 3.2.0')


@pytest.mark.parametrize('release, method, lacking', [
    ('3.1.4', 'supervisor.signalProcess', True),
    ('3.1.4', 'supervisor.signalAllProcesses', True),
    ('3.2.0', 'supervisor.signalProcess', False),
    ('3.4.0', 'supervisor.signalProcessGroup', False),
    ('3.1.4', 'supervisor.startProcess', False),
    ('3.0', 'supervisor.getAllConfigInfo', False),
    ('4.3.0', 'supervisor.signalProcess', False),
    # What is not known is asked of the daemon: its own answer stands.
    ('', 'supervisor.signalProcess', False),
    ('unknown', 'supervisor.signalProcess', False),
    (None, 'supervisor.signalProcess', False),
    ('3.1.4', 'supvisors.get_supvisors_state', False),
])
def test_lacks(release, method, lacking):
    assert A.lacks(release, method) is lacking


def test_first_lacking_of_several_methods():
    methods = ['supervisor.getAllProcessInfo', 'supervisor.signalProcess', 'supervisor.signalProcessGroup']
    assert A.first_lacking('3.1.4', methods) == 'supervisord 3.1.4 cannot signal processes: signalProcess came in 3.2.0'
    assert A.first_lacking('3.2.0', methods) is None


@pytest.mark.parametrize('text, release', [
    ('3.1.4', (3, 1, 4)), ('4.2.5', (4, 2, 5)), ('3.0', (3, 0, 0)), ('4.0.0b1', (4, 0, 0)),
    ('3.0a12', (3, 0, 0)), ('', None), ('x.y', None), (None, None),
])
def test_parse_release(text, release):
    assert A.parse_release(text) == release


def test_a_release_before_3_2_0_serves_a_multicall_one_call_per_tick():
    assert A.one_call_per_tick('3.1.4') and A.one_call_per_tick((3, 0))
    assert not A.one_call_per_tick('3.2.0') and not A.one_call_per_tick('4.3.0')
    assert not A.one_call_per_tick('') and not A.one_call_per_tick(None)


def _installed_methods():
    """The methods of the supervisor the test environment has (4.3.0), without a daemon."""
    names = set()
    for prefix, cls in (('supervisor.', rpcinterface.SupervisorNamespaceRPCInterface),
                        ('system.', xmlrpc.SystemNamespaceRPCInterface)):
        names.update(prefix + name for name in dir(cls) if not name.startswith('_') and callable(getattr(cls, name)))
    return names


def test_the_table_has_every_method_of_the_newest_supervisor_and_no_other():
    assert set(A.ADDED_IN) == _installed_methods()


def _sources():
    for top in ('plugins', 'extensions', os.path.join('roles', 'supervisord', 'files')):
        for directory, dummy, files in os.walk(os.path.join(REPO, top)):
            for name in files:
                if name.endswith('.py'):
                    path = os.path.join(directory, name)
                    with open(path) as handle:
                        yield os.path.relpath(path, REPO), handle.read()


def _called_methods():
    """Every supervisor.* and system.* method the collection's code names (the table itself aside)."""
    pattern = re.compile(r"""['"]((?:supervisor|system)\.[a-zA-Z]+(?:%s[a-zA-Z]*)?)['"]""")
    found = set()
    for path, text in _sources():
        if path != os.path.join('plugins', 'module_utils', 'api_versions.py'):
            found.update(pattern.findall(text))
    expanded = set()
    for method in found:
        # log_reader builds tailProcess%sLog / readProcess%sLog for Stdout and Stderr
        expanded.update([method.replace('%s', 'Stdout'), method.replace('%s', 'Stderr')] if '%s' in method else [method])
    # supervisor.control is the collection's name, not a method
    return set(m for m in expanded if m != 'supervisor.control')


def test_every_method_the_collection_calls_is_in_the_table():
    called = _called_methods()
    assert {'supervisor.signalProcess', 'supervisor.readProcessStderrLog', 'system.multicall'} <= called
    assert sorted(called - set(A.ADDED_IN)) == []


def test_the_since_column_of_docs_api_coverage_is_the_table():
    with open(os.path.join(REPO, 'docs', 'api-coverage.md')) as handle:
        rows = re.findall(r'^\| `((?:supervisor|system)\.\w+)`[^|]*\| \**([\d.]+)\** \|', handle.read(), re.M)
    documented = dict(rows)
    assert len(rows) == len(documented) == len(A.ADDED_IN)
    assert documented == dict((method, '.'.join(map(str, release))) for method, (release, dummy) in A.ADDED_IN.items())


def test_every_request_goes_through_the_client_which_checks_the_release():
    """A module, lookup or source that called a method the oldest release lacks without a version check would
    have to send it some other way than SupervisorClient, whose call and multicall refuse such a method
    (tests/unit/test_client.py): nothing else builds or sends an XML-RPC request."""
    senders = re.compile(r'transport\.post\(|ServerProxy\(|xmlrpc(?:lib|\.client)\.dumps\(|\.send_multicall\(|'
                         r'\._request\(')
    found = sorted(path for path, text in _sources() if senders.search(text))
    assert found == ['plugins/module_utils/client.py']


def test_some_release_lacks_a_method_the_collection_calls():
    """The guard is not idle: the signals that 3.1.4 lacks are called, and the table says so."""
    called = _called_methods()
    later = sorted(m for m in called if A.came_later(m))
    assert later == ['supervisor.signalProcess']
    assert [A.lacks('3.1.4', m) for m in later] == [True]


def test_a_stopping_process_can_be_signalled_from_4_2_2_on():
    # supervisor/states.py SIGNALLABLE_STATES (with STOPPING) came in 4.2.2; before, signalProcess used RUNNING_STATES.
    assert [A.signals_stopping(r) for r in ('3.2.0', '3.4.0', '4.1.0', '4.2.1', '4.2.2', '4.2.5', '4.3.0')] == [
        False, False, False, False, True, True, True]
    assert A.signals_stopping('') and A.signals_stopping(None)
