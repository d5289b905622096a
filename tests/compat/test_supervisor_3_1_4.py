"""supervisord 3.1.4, EL 7's (EPEL, Python 2.7): every module works or fails before acting with one line
(tests/integration/modules/test_supervisord_3_1.py), and the lookups, the polling source and the push listener
pass."""

from tests.compat.releases import MATRIX, run_release, skip_when_nested

pytestmark = skip_when_nested


def test_every_module_works_or_fails_in_one_line_on_supervisord_3_1_4():
    run_release('3.1.4', ('tests/integration/modules/test_supervisord_3_1.py',) + MATRIX[1:])
