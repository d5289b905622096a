# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tarball holds what a user needs, and none of what the tools and tests generate.

The generated files are planted in a copy of the repository's tracked files, so that the
check does not depend on what happens to lie in the working tree.
"""

import os
import subprocess
import tarfile

import pytest

from tests.packaging.conftest import build_tarball
from tests.support.paths import REPO

NEEDED = [
    'README.md', 'LICENSE', 'CHANGELOG.md', 'changelogs/changelog.yaml', 'changelogs/config.yaml',
    'meta/runtime.yml', 'meta/extensions.yml', 'meta/execution-environment.yml', 'requirements.txt',
    'roles/supervisord/README.md', 'roles/program/README.md',
    'extensions/eda/plugins/event_source/supervisord.py', 'extensions/eda/plugins/event_source/supvisors.py',
    'extensions/eda/decision-environment.yml', 'docs/docsite/links.yml',
]
# What scripts/bench, pytest, hypothesis, ansible-lint, antsibull-changelog, galaxy-importer and
# ansible-builder leave in the repository when run there: a file each, and the directory (or the
# file itself) that must not reach the tarball.
GENERATED = {
    'tests/benchmarks/results/bench-20261201.json': 'tests/benchmarks/results',
    'changelogs/.plugin-cache.yaml': 'changelogs/.plugin-cache.yaml',
    'importer_result.json': 'importer_result.json',
    'context/Containerfile': 'context',
    '.hypothesis/examples/x': '.hypothesis',
    '.ansible/collections/x': '.ansible',
    '.pytest_cache/v/x': '.pytest_cache',
    'plugins/modules/__pycache__/process.cpython-311.pyc': 'plugins/modules/__pycache__',
    'tests/output/junit/x.xml': 'tests/output',
    '.venv-tools/bin/x': '.venv-tools',
    '.cache/collections/x': '.cache',
    '.mypy_cache/x': '.mypy_cache',
    'supervisor-control-0.0.9.tar.gz': 'supervisor-control-0.0.9.tar.gz',
}


@pytest.fixture(scope='module')
def members(tmp_path_factory):
    source = tmp_path_factory.mktemp('source')
    tracked = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=REPO,
                             capture_output=True, check=True).stdout.decode().split('\0')
    for name in filter(None, tracked):
        if os.path.isfile(os.path.join(REPO, name)):
            os.makedirs(os.path.dirname(str(source / name)), exist_ok=True)
            with open(os.path.join(REPO, name), 'rb') as src, open(str(source / name), 'wb') as dst:
                dst.write(src.read())
    for name in GENERATED:
        os.makedirs(os.path.dirname(str(source / name)), exist_ok=True)
        (source / name).write_text('generated\n')
    tarball = build_tarball(source, tmp_path_factory.mktemp('out'))
    with tarfile.open(tarball) as archive:
        return set(archive.getnames())


@pytest.mark.parametrize('name', NEEDED)
def test_the_tarball_holds(members, name):
    assert name in members


@pytest.mark.parametrize('name', sorted(GENERATED))
def test_the_tarball_leaves_out_generated(members, name):
    root = GENERATED[name]
    assert sorted(m for m in members if m == root or m.startswith(root + '/')) == []
