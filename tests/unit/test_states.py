"""module_utils/states.py says what supervisor/states.py says: each name, its code, the three sets.

Against the supervisor package installed beside the tests: a release that renames, renumbers or
regroups a state makes this fail, not a task on a daemon of that release.
"""

from supervisor import states as supervisor_states

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import states  # noqa: E402


def names(cls):
    return dict((name, value) for name, value in vars(cls).items() if not name.startswith('_'))


def test_process_states_are_supervisors_names_with_their_codes():
    theirs = names(supervisor_states.ProcessStates)
    assert names(states.ProcessStates) == dict((name, name) for name in theirs)
    assert dict((name, states.process_state_code(name)) for name in theirs) == theirs


def test_the_sets_are_supervisors_in_its_order():
    for ours, theirs in ((states.STOPPED_STATES, supervisor_states.STOPPED_STATES),
                         (states.RUNNING_STATES, supervisor_states.RUNNING_STATES),
                         (states.SIGNALLABLE_STATES, supervisor_states.SIGNALLABLE_STATES)):
        assert [states.process_state_code(name) for name in ours] == list(theirs)
        assert list(ours) == [supervisor_states.getProcessStateDescription(code) for code in theirs]


def test_supervisor_states_are_supervisords_names_with_their_codes():
    theirs = names(supervisor_states.SupervisorStates)
    assert names(states.SupervisorStates) == dict((name, name) for name in theirs)
    assert dict((name, states.supervisor_state_code(name)) for name in theirs) == theirs


def test_a_name_supervisor_does_not_have_has_no_code():
    # The supervisord source's own words for a process that appears or goes, and an event's STOPPING.
    assert [states.process_state_code(name) for name in ('ADDED', 'REMOVED', None)] == [None, None, None]
    assert states.supervisor_state_code('STOPPING') is None
