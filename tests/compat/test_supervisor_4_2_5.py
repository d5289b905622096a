"""supervisord 4.2.5, Debian 12's and Ubuntu 24.04's (Python 3.11): the module (both paths), lookup, polling
source and push listener tests."""

from tests.compat.releases import run_release, skip_when_nested

pytestmark = skip_when_nested


def test_the_matrix_passes_on_supervisord_4_2_5():
    run_release('4.2.5')
