"""The README's "Supported supervisord versions" table is what the suite tests.

A release the table says is tested is .venv's (the whole suite) or has a run of its own in tests/compat, with an
environment that scripts/bootstrap makes from requirements/supervisor-X.Y.Z.txt; every such run is in the table.
"""

import glob
import os
import re

from tests.compat.releases import MATRIX
from tests.support.paths import REPO


def table():
    """``{release: tested cell}`` of the README's table."""
    with open(os.path.join(REPO, 'README.md')) as handle:
        text = handle.read()
    section = text.split('### Supported supervisord versions', 1)[1].split('\n#', 1)[0]
    return dict(re.findall(r'^\| (\d+\.\d+\.\d+) \| ([^|]+) \|', section, re.M))


def compat_runs():
    return set(re.match(r'test_supervisor_(\d+)_(\d+)_(\d+)\.py$', os.path.basename(path)).group(1, 2, 3)
               for path in glob.glob(os.path.join(REPO, 'tests', 'compat', 'test_supervisor_*.py')))


def test_the_tested_releases_are_the_suites_and_the_runs_of_tests_compat():
    rows = table()
    tested = set(release for release, cell in rows.items() if not cell.startswith('no'))
    with open(os.path.join(REPO, 'requirements', 'test.txt')) as handle:
        suite = re.search(r'^supervisor==(\S+)$', handle.read(), re.M).group(1)
    runs = set('.'.join(parts) for parts in compat_runs())
    assert tested == runs | {suite}
    assert rows[suite] == 'the whole suite'
    environments = set(os.path.basename(path)[len('supervisor-'):-len('.txt')]
                       for path in glob.glob(os.path.join(REPO, 'requirements', 'supervisor-*.txt')))
    assert environments == runs


def test_each_run_is_described_as_what_it_runs():
    rows = table()
    assert MATRIX == ('tests/integration/modules', 'tests/integration/lookups',
                      'tests/integration/event_sources/test_supervisord_source.py',
                      'tests/integration/event_sources/test_push_listener.py')
    for release in ('3.4.0', '4.1.0', '4.2.5'):
        assert rows[release] == 'modules (both paths), lookups, polling source, push listener', release
    assert rows['3.1.4'].startswith('every module ([a file of its own](tests/integration/modules/test_supervisord_3_1.py)')
    assert rows['3.1.4'].endswith('lookups, polling source, push listener')
