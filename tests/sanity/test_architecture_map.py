"""docs/architecture.md names every file of the code and every test directory, and no file that is gone.

Its "Every file" section is read as a list: a ``###`` heading names a directory (its first backticked path
ending in ``/``; none means the repository's root), and each bullet begins with the backticked names it
describes, relative to that directory. A file under plugins/, extensions/eda/, scripts/, tests/support/ or
roles/*/files/ must be named itself; a Molecule scenario may be named as its directory. A test directory is
named in the Tests table, or by a file of it in the list.
"""

import glob
import os
import re

from tests.support.paths import REPO

PAGE = os.path.join(REPO, 'docs', 'architecture.md')
ONE_BY_ONE = ['plugins/', 'extensions/eda/', 'scripts/', 'tests/support/'] + [
    os.path.relpath(path, REPO) + '/' for path in sorted(glob.glob(os.path.join(REPO, 'roles', '*', 'files')))]
BY_DIRECTORY = ['extensions/molecule/']


def read_page():
    with open(PAGE) as handle:
        return handle.read()


def files_under(top):
    found = []
    for root, dirs, names in os.walk(os.path.join(REPO, top)):
        dirs[:] = [d for d in dirs if d != '__pycache__' and not d.startswith('.')]
        found.extend(os.path.relpath(os.path.join(root, name), REPO) for name in names
                     if not name.endswith('.pyc') and not name.startswith('.'))
    return sorted(found)


def named():
    """The paths the "Every file" section names (directories end with ``/``)."""
    section = read_page().split('\n## Every file\n', 1)[1].split('\n## ', 1)[0]
    directory, paths = '', set()
    for line in section.splitlines():
        if line.startswith('### '):
            heading = [token for token in re.findall(r'`([^`]+)`', line) if token.endswith('/')]
            directory = heading[0] if heading else ''
            continue
        lead = re.match(r'- ((?:`[^`]+`(?:,? (?:and )?)?)+)', line)
        if lead:
            paths.update(os.path.normpath(directory + token) + ('/' if token.endswith('/') else '')
                         for token in re.findall(r'`([^`]+)`', lead.group(1)))
    return paths


def test_the_section_is_read():
    paths = named()
    assert 'plugins/modules/process.py' in paths and 'scripts/test' in paths and 'galaxy.yml' in paths


def test_every_file_of_the_code_is_named():
    paths = named()
    missing = [path for top in ONE_BY_ONE for path in files_under(top) if path not in paths]
    missing += [path for top in BY_DIRECTORY for path in files_under(top)
                if path not in paths and not any(path.startswith(d) for d in paths if d.endswith('/'))]
    assert missing == []


def test_every_name_is_a_file_that_exists():
    assert sorted(path for path in named() if not os.path.exists(os.path.join(REPO, path))) == []


def test_every_test_directory_is_in_the_tests_table():
    page, paths = read_page(), named()
    directories = sorted(os.path.relpath(root, REPO) + '/' for root, dirs, names in os.walk(os.path.join(REPO, 'tests'))
                         if '__pycache__' not in root and any(n.endswith('.py') for n in names))
    assert [d for d in directories if '`%s`' % d not in page and not any(p.startswith(d) for p in paths)] == []
