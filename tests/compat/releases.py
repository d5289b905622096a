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
_SKIPPED = re.compile(r'^SKIPPED \[(\d+)\] [^:]+:\d+: (.*)$', re.M)
_COLLECTED = re.compile(r'(\d+)(?:/\d+)? tests? collected\b')
_OUTCOME = re.compile(r'(\d+) (\w+)')
# What the last line of a release's run may count besides passed tests and explained skips.
_HARMLESS = {'deselected', 'warning', 'warnings'}
# pytest and its plugins take options from PYTEST_* variables (PYTEST_ADDOPTS, PYTEST_PLUGINS,
# PYTEST_DISABLE_PLUGIN_AUTOLOAD, xdist's PYTEST_XDIST_*): the outer run's must not choose what a release runs.
_OWN_PREFIX = 'PYTEST_'


def nested_env(bin_dir):
    """The environment of a release's run: this one's, without pytest's own variables, on ``bin_dir``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(_OWN_PREFIX)}
    env.update(SUPERVISOR_CONTROL_TEST_SUPERVISOR_BIN=bin_dir,
               PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''))
    return env


def collected_count(collect_output):
    """How many tests ``pytest --collect-only -q`` chose, from its last line (0 for 'no tests collected')."""
    last = collect_output.strip().splitlines()[-1] if collect_output.strip() else ''
    found = _COLLECTED.search(last)
    if found:
        return int(found.group(1))
    if last.startswith('no tests collected'):
        return 0
    raise AssertionError('no count of collected tests in: %r' % last)


def run_shortfalls(collected, run_output):
    """What is wrong with a release's run of ``collected`` tests, judged by its output; [] when nothing is.

    Each collected test must have passed or been skipped for a reason the release explains (EXPECTED_SKIPS):
    a run that skipped its way to green, or ran fewer tests than it collected, is not a pass.
    """
    lines = run_output.strip().splitlines()
    summary = re.sub(r'^=+ | =+$', '', lines[-1]) if lines else ''
    # 'N passed, M skipped, ... in 12.34s (0:00:12)': the counts come before ' in '.
    counts = {}
    for count, outcome in _OUTCOME.findall(summary.rpartition(' in ')[0]):
        counts[outcome] = counts.get(outcome, 0) + int(count)
    problems = ['the run ended with %s' % outcome for outcome in sorted(counts)
                if outcome not in _HARMLESS | {'passed', 'skipped'}]
    explained = 0
    for count, reason in _SKIPPED.findall(run_output):
        if any(expected.match(reason) for expected in EXPECTED_SKIPS):
            explained += int(count)
        else:
            problems.append('unexplained skip: %s' % reason)
    if counts.get('skipped', 0) != explained:
        problems.append('%d skipped, %d of them with an explained reason'
                        % (counts.get('skipped', 0), explained))
    if counts.get('passed', 0) + explained != collected:
        problems.append('%d collected, but %d passed and %d skipped as expected (%r)'
                        % (collected, counts.get('passed', 0), explained, summary))
    return problems


def release_of(bin_dir):
    """What ``bin_dir``'s supervisord says its release is."""
    proc = subprocess.run([os.path.join(bin_dir, 'supervisord'), '--version'], capture_output=True, text=True,
                          timeout=60, check=False)
    return proc.stdout.strip() or proc.stderr.strip()


def run_release(release, paths=MATRIX):
    """Run the tests ``paths`` against supervisord ``release``; fail with their output unless all pass.

    The tests marked ``releases`` in ``paths`` are collected first, with the same environment: each must
    pass, or be skipped for a reason the release explains (EXPECTED_SKIPS). The wall time and the counts are
    printed (``-s``, or the captured output of a failure).
    """
    bin_dir = os.path.join(REPO, '.venv-supervisor-%s' % release, 'bin')
    if not os.access(os.path.join(bin_dir, 'supervisord'), os.X_OK):
        pytest.fail('%s has no supervisord: run scripts/bootstrap --with-supervisor-releases' % bin_dir)
    assert release_of(bin_dir) == release, '%s/supervisord is not %s' % (bin_dir, release)
    env = nested_env(bin_dir)
    base_cmd = [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-q', '-m', 'releases']
    collect = subprocess.run(base_cmd + ['--collect-only'] + list(paths), cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=600, check=False)
    assert collect.returncode == 0, collect.stdout[-20000:] + collect.stderr[-5000:]
    collected = collected_count(collect.stdout)
    # The daemons' unix sockets live under pytest's temp dirs: a path of more than 107 bytes cannot be
    # bound, so the inner run gets a short base of its own.
    base = tempfile.mkdtemp(prefix='sv-%s-' % release, dir='/tmp')
    # Its own workers, as the outer run has (scripts/test): most of these tests wait on supervisord's
    # one-second tick, so a release's run takes about half the time on two.
    workers = os.environ.get('PYTEST_WORKERS', '2')
    cmd = base_cmd + ['-rfEs', '-n', workers, '--dist', 'loadfile', '--basetemp', os.path.join(base, 'run')]
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd + list(paths), cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=1800, check=False)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''
    print('supervisord %s: %s in %.0f s; %d collected: %s'
          % (release, ' '.join(paths), time.monotonic() - started, collected, summary))
    output = proc.stdout[-20000:] + proc.stderr[-5000:]
    assert proc.returncode == 0, output
    problems = run_shortfalls(collected, proc.stdout)
    assert problems == [], '%s\n%s' % ('; '.join(problems), output)
    return proc.stdout
