"""The supvisors module's dispatch: one handler for each action a cluster plan can hold (plugins/modules/supvisors.py)."""

import itertools

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import supvisors_plans  # noqa: E402
from ansible_collections.supervisor.control.plugins.modules import supvisors  # noqa: E402


def test_every_planned_action_has_a_handler():
    planned = set()
    for state, fsm, conflicts, end_sync in itertools.product(
            supvisors_plans.CLUSTER_STATES, ('SYNCHRONIZATION', 'OPERATION', 'CONCILIATION'), ([], [{}]),
            (False, True)):
        planned.update(supvisors_plans.cluster_plan(state, fsm, conflicts, end_sync))
    assert planned == set(supvisors.HANDLERS)
    assert set(supvisors_plans.CHANGING_CLUSTER_ACTIONS) < planned
