"""The supervisord releases the suite runs against besides .venv's (4.3.0), each in a pytest run of its own.

A nested pytest per release, with SUPERVISOR_CONTROL_TEST_SUPERVISOR_BIN pointing at the release's
environment (``scripts/bootstrap --with-supervisor-releases`` makes ``.venv-supervisor-X.Y.Z``): every
fixture then starts that release's supervisord. One test file per release (``test_supervisor_X_Y_Z.py``),
so that ``--dist loadfile`` gives each a worker of its own. README, "Supported supervisord versions",
is what these files test; docs/architecture.md (Tests) says how the tests are chosen.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from tests.support.paths import REPO, VENV_BIN

NESTED = bool(os.environ.get('SUPERVISOR_CONTROL_TEST_SUPERVISOR_BIN'))
skip_when_nested = pytest.mark.skipif(NESTED, reason='already inside the run against another supervisord release')

# The module integration tests (both paths), the lookups, the polling source and the push listener: those of
# their tests that check supervisord behaviour that differs between releases (marked ``releases``).
MATRIX = ('tests/integration/modules', 'tests/integration/lookups',
          'tests/integration/event_sources/test_supervisord_source.py',
          'tests/integration/event_sources/test_push_listener.py')
# The skips a release run may have: what that release cannot be asked (the reasons the tests give).
EXPECTED_SKIPS = (
    # tests/support/odd_names.py: names that the config parser of a Python before 3.10 cuts
    re.compile(r'supervisord \d+\.\d+\.\d+ runs on Python (2\.7|3\.[6-9]), whose config parser cuts'),
)
_SKIPPED = re.compile(r'^SKIPPED \[\d+\] [^:]+:\d+: (.*)$', re.M)
_SUMMARY = re.compile(r'=* ?(\d+) passed(, \d+ skipped)?(, \d+ deselected)?(, \d+ warnings?)? in .*')


def run_release(release, paths=MATRIX):
    """Run the tests ``paths`` against supervisord ``release``; fail with their output unless all pass.

    Every skip must be one the release explains (EXPECTED_SKIPS), so that a run that skipped its way to
    green fails. The wall time is printed (``-s``, or the captured output of a failure).
    """
    bin_dir = os.path.join(REPO, '.venv-supervisor-%s' % release, 'bin')
    if not os.access(os.path.join(bin_dir, 'supervisord'), os.X_OK):
        pytest.fail('%s has no supervisord: run scripts/bootstrap --with-supervisor-releases' % bin_dir)
    # The daemons' unix sockets live under pytest's temp dirs: a path of more than 107 bytes cannot be
    # bound, so the inner run gets a short base of its own.
    base = tempfile.mkdtemp(prefix='sv-%s-' % release, dir='/tmp')
    env = dict(os.environ, SUPERVISOR_CONTROL_TEST_SUPERVISOR_BIN=bin_dir,
               PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''))
    # Its own workers, as the outer run has (scripts/test): most of these tests wait on supervisord's
    # one-second tick, so a release's run takes about half the time on two.
    workers = os.environ.get('PYTEST_WORKERS', '2')
    cmd = [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-q', '-rfEs', '-m', 'releases',
           '-n', workers, '--dist', 'loadfile', '--basetemp', os.path.join(base, 'run')] + list(paths)
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800, check=False)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print('supervisord %s: %s in %.0f s' % (release, ' '.join(paths), time.monotonic() - started))
    output = proc.stdout[-20000:] + proc.stderr[-5000:]
    assert proc.returncode == 0, output
    summary = proc.stdout.strip().splitlines()[-1]
    assert _SUMMARY.fullmatch(summary), summary
    unexplained = [reason for reason in _SKIPPED.findall(proc.stdout)
                   if not any(expected.match(reason) for expected in EXPECTED_SKIPS)]
    assert unexplained == [], output
    return proc.stdout
