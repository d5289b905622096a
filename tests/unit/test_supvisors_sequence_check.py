"""The supvisors module's check-mode reading for restart_sequence, on a Supvisors too old to tell never-started."""

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorFault  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.task import Task  # noqa: E402
from ansible_collections.supervisor.control.plugins.modules import supvisors  # noqa: E402

UNKNOWN_METHOD = 1


class OldSupvisors(object):
    """Answers as a Supvisors without get_all_inner_process_info: two instances, one application per state."""

    def __init__(self):
        self.calls = []

    def call(self, method, *params):
        self.calls.append(method)
        assert method == 'supvisors.get_all_applications_info'
        return [{'application_name': 'failed', 'managed': True, 'major_failure': True},
                {'application_name': 'never', 'managed': True},
                {'application_name': 'loose', 'managed': False, 'major_failure': True}]

    def multicall(self, calls, lenient=False):
        self.calls.append([method for method, params in calls])
        answers = []
        for method, params in calls:
            if method == 'supvisors.get_application_rules':
                answers.append({'application_name': params[0], 'start_sequence': 1})
            elif method == 'supvisors.get_all_instances_info':
                answers.append([{'identifier': 'alpha:60000'}, {'identifier': 'beta:60000'}])
            else:
                answers.append(SupervisorFault(UNKNOWN_METHOD, 'UNKNOWN_METHOD', method))
        return answers


def test_without_inner_process_info_only_failures_count_and_a_warning_says_so():
    warnings = []
    task = Task({'timeout': 30}, check_mode=True, warn=warnings.append)
    client = OldSupvisors()
    assert supvisors.sequence_would_start(task, client) == ['failed']
    assert warnings == ['this Supvisors has no get_all_inner_process_info: check mode counts only the applications '
                        'in failure, not those never started']
    assert client.calls == [
        'supvisors.get_all_applications_info',
        ['supvisors.get_application_rules', 'supvisors.get_application_rules', 'supvisors.get_all_instances_info'],
        ['supvisors.get_all_inner_process_info', 'supvisors.get_all_inner_process_info']]
