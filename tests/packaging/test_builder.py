# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-builder gives execution and decision environments the collection's Python requirements.

``ansible-builder create`` needs no container engine: it writes the build context, whose
Containerfile installs the collections, runs the context's own ``introspect.py`` on them and
pip-installs what it finds. The test runs that same script on the installed tarball.
"""

import os
import re

import yaml

from tests.packaging.conftest import run, tool, tools_env
from tests.support.paths import REPO

DEFINITION = os.path.join(REPO, 'extensions', 'eda', 'decision-environment.yml')


def test_introspect_reports_pyzmq_for_the_installed_collection(installed):
    proc = run([tool('ansible-builder'), 'introspect', str(installed)], env=tools_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # "# Dependency data for DIR", then YAML: python (lines annotated with their collection), system.
    report = yaml.safe_load(proc.stdout)
    assert report == {'python': ['pyzmq>=27.0  # from collection supervisor.control'], 'system': []}, proc.stdout


def test_decision_environment_context_installs_the_collection_requirements(installed, tmp_path):
    with open(DEFINITION) as handle:
        definition = yaml.safe_load(handle)
    assert definition['version'] == 3
    assert 'ansible-rulebook' in definition['images']['base_image']['name']
    collections = definition['dependencies']['galaxy']['collections']
    assert [c['name'] for c in collections] == ['supervisor.control']

    context = tmp_path / 'context'
    proc = run([tool('ansible-builder'), 'create', '-f', DEFINITION, '--context', str(context)],
               env=tools_env(), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    build_file = context / 'Containerfile' if (context / 'Containerfile').exists() else context / 'Dockerfile'
    steps = build_file.read_text()
    galaxy = yaml.safe_load((context / '_build' / 'requirements.yml').read_text())
    assert [c['name'] for c in galaxy['collections']] == ['supervisor.control']
    # The build installs the collections, introspects them into /tmp/src/requirements.txt,
    # and assemble pip-installs that file: check the steps are there, in that order.
    install = steps.index('ansible-galaxy collection install')
    introspect = steps.index('introspect.py introspect')
    assemble = steps.index('/output/scripts/assemble')
    assert install < introspect < assemble, steps
    assert re.search(r'introspect\.py introspect .*--write-pip=/tmp/src/requirements\.txt', steps), steps
    assemble_script = (context / '_build' / 'scripts' / 'assemble').read_text()
    assert '-r /tmp/src/requirements.txt' in assemble_script

    # What introspect.py of this very context writes for the installed collection.
    written = tmp_path / 'requirements.txt'
    proc = run([tool('python'), str(context / '_build' / 'scripts' / 'introspect.py'), 'introspect',
                '--write-pip=%s' % written, str(installed)], env=tools_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in written.read_text().splitlines() if line.strip()]
    assert len(lines) == 1 and re.match(r'^pyzmq\b.*# from collection supervisor\.control$', lines[0]), lines
