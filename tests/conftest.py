"""Fixtures shared by the whole suite."""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from tests.support.paths import ensure_collection_link  # noqa: E402

ensure_collection_link()

from tests.support.supervisord import Supervisord  # noqa: E402


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
