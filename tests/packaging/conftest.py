# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built tarball, installed once, and the publishing tools' environment (.venv-tools)."""

import glob
import os
import subprocess

import pytest

from tests.support.paths import REPO, VENV_BIN

TOOLS_BIN = os.path.join(REPO, '.venv-tools', 'bin')


def tool(name):
    """The path of a publishing tool; the tests fail (not skip) when the environment is missing."""
    path = os.path.join(TOOLS_BIN, name)
    if not os.access(path, os.X_OK):
        pytest.fail('%s is missing: run scripts/bootstrap --with-tools' % path)
    return path


def tools_env(**extra):
    env = dict(os.environ)
    env['PATH'] = TOOLS_BIN + os.pathsep + env.get('PATH', '')
    env['ANSIBLE_NOCOLOR'] = '1'
    env['NO_COLOR'] = '1'
    for key in ('ANSIBLE_CONFIG', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATHS', 'VIRTUAL_ENV'):
        env.pop(key, None)
    env.update(extra)
    return env


def run(cmd, **kwargs):
    kwargs.setdefault('timeout', 600)
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)


def build_tarball(source, output):
    build = run([os.path.join(VENV_BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(output),
                 str(source)], cwd=str(output))
    assert build.returncode == 0, build.stdout + build.stderr
    found = glob.glob(os.path.join(str(output), 'supervisor-control-*.tar.gz'))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope='session')
def tarball(tmp_path_factory):
    """The collection as ``ansible-galaxy collection build`` makes it from the working tree."""
    return build_tarball(REPO, tmp_path_factory.mktemp('build'))


@pytest.fixture(scope='session')
def installed(tarball, tmp_path_factory):
    """The tarball installed with ansible-galaxy: the collections directory that holds it."""
    root = tmp_path_factory.mktemp('installed')
    local_temp = tmp_path_factory.mktemp('ansible-local')
    install = run([os.path.join(VENV_BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '--no-deps',
                   '-p', str(root), tarball], env=tools_env(ANSIBLE_LOCAL_TEMP=str(local_temp)))
    assert install.returncode == 0, install.stdout + install.stderr
    assert (root / 'ansible_collections' / 'supervisor' / 'control' / 'MANIFEST.json').is_file()
    return root
