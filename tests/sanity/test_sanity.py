# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``ansible-test sanity`` on the collection, as pytest runs it.

ansible-test wants the collection at ``.../ansible_collections/supervisor/control``
and in a git repository, so the files of this checkout (tracked, plus untracked
ones that are not ignored) are copied into such a tree in a temporary directory
and committed there.

ansible-test runs most tests in virtual environments of its own and bootstraps
pip into them with a script it downloads from a host that is not reachable here.
It looks in its cache first, so a stand-in that installs pip with ``ensurepip``
is written there; the pinned requirements then come from PyPI as usual.

Its cache and its virtual environments live in ``~/.ansible/test``: HOME is
pointed at ``.cache/ansible-test`` in the repository (gitignored), so nothing is
written to the real home directory and a second run reuses the environments
(about 20 s instead of 1 to 1.5 min), and pip's download cache with them.
"""

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from tests.support.paths import REPO, VENV_BIN

pytestmark = pytest.mark.slow

# The ansible-test sanity tests this collection runs; the others ansible-test has are not run, to save time.
SANITY_TESTS = (
    'action-plugin-docs',
    'compile',
    'import',
    'line-endings',
    'no-assert',
    'pep8',
    'pylint',
    'shebang',
    'validate-modules',
    'yamllint',
)

# The controller's Python (3.11 on this project's machines); only this version is tested.
PYTHON_VERSION = '%d.%d' % sys.version_info[:2]

# A sanity run takes 1 to 1.5 min with a cold cache, about 20 s with a warm one; never let a hang eat the CI budget.
TIMEOUT = 20 * 60

GET_PIP_STAND_IN = '''\
"""Stand-in for get-pip.py, written by tests/sanity/test_sanity.py.

ansible-test downloads get-pip.py from a host that is not reachable on this
project's machines; this installs pip from the standard library instead and
then the packages ansible-test asked for (the pinned pip) from the package index.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
DROP = ("--disable-pip-version-check", "--no-setuptools", "--no-wheel")
args = [arg for arg in sys.argv[1:] if arg not in DROP]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args)
'''

# Linux limits a shebang to 127 characters, and the console scripts that pip writes
# into ansible-test's virtual environments start with the path of their python:
# HOME/.ansible/test/venv/sanity.validate-modules/3.11/12345678/bin/python.
_VENV_SUFFIX_LENGTH = len('/.ansible/test/venv/sanity.validate-modules/3.11/12345678/bin/python')
_SHEBANG_LIMIT = 120


def sanity_home():
    """Where ansible-test keeps its cache and virtual environments for these tests."""
    home = os.path.join(REPO, '.cache', 'ansible-test')
    if len(home) + _VENV_SUFFIX_LENGTH > _SHEBANG_LIMIT:
        # A checkout at a very deep path: a short directory of its own in the temp dir.
        digest = hashlib.sha256(REPO.encode('utf-8')).hexdigest()[:8]
        home = os.path.join(tempfile.gettempdir(), 'sc-sanity-%s' % digest)
    return home


def pip_bootstrap_version():
    """The pip version whose get-pip script ansible-test looks for (24.2 in ansible-core 2.19)."""
    try:
        from ansible_test._internal.python_requirements import get_venv_packages

        class Python(object):  # get_venv_packages only reads the version
            version = PYTHON_VERSION

        return get_venv_packages(Python())['pip']
    except Exception:
        return '24.2'


def write_get_pip_stand_in(home):
    version = pip_bootstrap_version()
    cache = os.path.join(home, '.ansible', 'test', 'cache')
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
    current = None
    if os.path.exists(path):
        with open(path) as handle:
            current = handle.read()
    if current != GET_PIP_STAND_IN:
        with open(path + '.tmp', 'w') as handle:
            handle.write(GET_PIP_STAND_IN)
        os.replace(path + '.tmp', path)
    return path


def drop_broken_venvs(home):
    """Remove cached virtual environments whose python is gone (the interpreter they came from was removed)."""
    venvs = os.path.join(home, '.ansible', 'test', 'venv')
    if not os.path.isdir(venvs):
        return
    for label in os.listdir(venvs):
        for version in os.listdir(os.path.join(venvs, label)):
            for digest in os.listdir(os.path.join(venvs, label, version)):
                venv = os.path.join(venvs, label, version, digest)
                if not os.path.exists(os.path.join(venv, 'bin', 'python')):
                    shutil.rmtree(venv, ignore_errors=True)


def git(args, cwd, env=None):
    return subprocess.run(
        ['git', '-c', 'user.name=sanity', '-c', 'user.email=sanity@localhost', '-c', 'commit.gpgsign=false',
         '-c', 'core.hooksPath=/dev/null'] + args,
        cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def collection_files():
    """The files of the checkout that belong in the collection: tracked ones and untracked ones not ignored."""
    listing = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO).stdout
    names = sorted(set(name for name in listing.decode('utf-8').split('\0') if name))
    # A tracked file deleted in the work tree is not part of what is being tested.
    return [name for name in names if os.path.lexists(os.path.join(REPO, name))]


def copy_collection(destination):
    for name in collection_files():
        source = os.path.join(REPO, name)
        target = os.path.join(destination, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        elif os.path.isfile(source):
            shutil.copy2(source, target)  # keeps the executable bit, which the shebang test checks


@pytest.fixture(scope='module')
def collection_tree():
    """A committed copy of the collection at TMP/ansible_collections/supervisor/control."""
    if shutil.which('git') is None:
        pytest.fail('git is needed to run ansible-test sanity on the collection')
    root = tempfile.mkdtemp(prefix='sanity-')
    try:
        tree = os.path.join(root, 'ansible_collections', 'supervisor', 'control')
        os.makedirs(tree)
        copy_collection(tree)
        git(['init', '-q'], tree)
        git(['add', '-A'], tree)
        git(['commit', '-q', '--no-verify', '-m', 'collection under test'], tree)
        yield tree
    finally:
        shutil.rmtree(root, ignore_errors=True)


def sanity_environment(home):
    env = dict(os.environ)
    env.update(
        HOME=home,
        # The project's virtual environment first: its ansible-test, and a python of the
        # requested version from which ansible-test derives the real interpreter.
        PATH=os.pathsep.join([VENV_BIN, env.get('PATH', '')]),
        PYTHONDONTWRITEBYTECODE='1',
    )
    for name in ('ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATHS', 'ANSIBLE_CONFIG', 'PYTHONPATH',
                 'VIRTUAL_ENV', 'PIP_REQUIRE_VIRTUALENV'):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def exclusive(home):
    """One sanity run at a time per cache: two would race to build the same virtual environments."""
    with open(os.path.join(home, '.lock'), 'w') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def test_ansible_test_sanity(collection_tree):
    home = sanity_home()
    os.makedirs(home, exist_ok=True)
    command = [os.path.join(VENV_BIN, 'ansible-test'), 'sanity', '--color', 'no', '--python', PYTHON_VERSION]
    for name in SANITY_TESTS:
        command += ['--test', name]
    with exclusive(home):
        write_get_pip_stand_in(home)
        drop_broken_venvs(home)
        started = time.monotonic()
        # A session of its own, so that a timeout ends ansible-test and the linters it started.
        process = subprocess.Popen(
            command, cwd=collection_tree, env=sanity_environment(home),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            stdout = process.communicate(timeout=TIMEOUT)[0]
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout = process.communicate()[0]
            pytest.fail('ansible-test sanity did not finish within %d s:\n%s' % (
                TIMEOUT, stdout.decode('utf-8', 'replace')), pytrace=False)
        elapsed = time.monotonic() - started
    output = stdout.decode('utf-8', 'replace')
    ran = re.findall(r'^Running sanity test "([^"]+)"', output, re.MULTILINE)
    findings = [line for line in output.splitlines() if line.startswith(('ERROR:', 'FATAL:'))]
    if process.returncode != 0:
        pytest.fail('ansible-test sanity failed (exit %d, %.0f s):\n%s\n\n--- full output ---\n%s' % (
            process.returncode, elapsed, '\n'.join(findings), output), pytrace=False)
    # Every requested test really ran (none skipped for want of a requirement).
    missing = sorted(set(SANITY_TESTS) - set(ran))
    if missing:
        pytest.fail('ansible-test sanity did not run %s:\n%s' % (', '.join(missing), output), pytrace=False)
    sys.stdout.write('ansible-test sanity: %d tests passed in %.0f s\n' % (len(SANITY_TESTS), elapsed))
