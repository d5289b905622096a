"""supervisord 4.1.0, Ubuntu 20.04's (Python 3.8): the module (both paths), lookup, polling source and push
listener tests."""

from tests.compat.releases import run_release, skip_when_nested

pytestmark = skip_when_nested


def test_the_matrix_passes_on_supervisord_4_1_0():
    run_release('4.1.0')
