"""Fixtures shared by the whole suite."""

import atexit
import os
import shutil
import sys
import tempfile

import pytest

# Hypothesis keeps its caches in ./.hypothesis unless told otherwise: in a directory of this
# run instead, removed when the process that made it ends (xdist workers and subprocesses that
# inherit the variable use it as it is). Hypothesis reads it when first needed: in time here.
if 'HYPOTHESIS_STORAGE_DIRECTORY' not in os.environ:
    os.environ['HYPOTHESIS_STORAGE_DIRECTORY'] = tempfile.mkdtemp(prefix='supervisor-control-hypothesis-')
    atexit.register(shutil.rmtree, os.environ['HYPOTHESIS_STORAGE_DIRECTORY'], True)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from tests.support.paths import ensure_collection_link  # noqa: E402

ensure_collection_link()

from tests.support.supervisord import AUTH_PASSWORD, SLEEPER, Supervisord, free_port, wait_for_text  # noqa: E402


@pytest.fixture(scope='module')
def daemon(tmp_path_factory):
    """A real supervisord on a unix socket, with the standard programs; one per test module."""
    with Supervisord(str(tmp_path_factory.mktemp('supervisord'))) as instance:
        yield instance


@pytest.fixture
def fresh_daemon(tmp_path):
    """A real supervisord for one test, for tests that change its configuration."""
    with Supervisord(str(tmp_path / 'supervisord')) as instance:
        yield instance


@pytest.fixture(scope='module')
def auth_daemon(tmp_path_factory):
    """supervisord behind basic auth (admin, AUTH_PASSWORD) on its unix socket and on 127.0.0.1 http.

    ``echo`` has logged hello-from-auth when the test starts; ``idle`` waits to be started.
    """
    programs = {
        'echo': dict(command="sh -c 'echo hello-from-auth; exec sleep 100000'", startsecs=0),
        'idle': dict(command=SLEEPER, autostart=False, startsecs=0),
    }
    with Supervisord(str(tmp_path_factory.mktemp('auth')), programs=programs, username='admin',
                     password=AUTH_PASSWORD, inet_port=free_port(), socket_mode='0770') as instance:
        wait_for_text(os.path.join(instance.logdir, 'echo_0.out'), b'hello-from-auth\n')
        yield instance
