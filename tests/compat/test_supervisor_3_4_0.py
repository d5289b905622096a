"""supervisord 3.4.0, the last 3.x (Python 2.7; Ubuntu 18.04 ships 3.3.1): the module (both paths), lookup,
polling source and push listener tests."""

from tests.compat.releases import run_release, skip_when_nested

pytestmark = skip_when_nested


def test_the_matrix_passes_on_supervisord_3_4_0():
    run_release('3.4.0')
