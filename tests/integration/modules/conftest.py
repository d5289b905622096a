"""Every module test here runs twice: in-process on the controller, and with the module shipped.

The two paths (plugins/plugin_utils/action.py and plugins/module_utils/module_adapter.py)
must give the same results, messages and masking; running the same assertions on both is
what keeps them from drifting.
"""

import pytest

from tests.support import ansible
from tests.support.supervisord import Supervisord, supervisor_version

# Every module against a supervisord before 3.2.0 (tests/compat/test_supervisor_3_1_4.py runs it): on a later
# release there is nothing for it to prove, and it is not even collected.
collect_ignore = ['test_supervisord_3_1.py'] if supervisor_version() >= (3, 2, 0) else []


@pytest.fixture(scope='module', autouse=True, params=[True, False], ids=['in-process', 'shipped'])
def execution_path(request):
    with ansible.plays_in_process(request.param) as value:
        yield value


@pytest.fixture(scope='module')
def daemon(execution_path, tmp_path_factory):
    """tests/conftest.py's daemon, but a fresh one for each path: the tests expect its first state."""
    instance = Supervisord(str(tmp_path_factory.mktemp('supervisord')))
    try:
        instance.start()
        yield instance
    finally:
        instance.cleanup()
