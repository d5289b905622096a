# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The changelog is managed by antsibull-changelog and in step with galaxy.yml; LICENSE is the GPL-3.0.

Fragments in changelogs/fragments/ are the unreleased changes: they must lint, and no
release may already list one of their names (antsibull-changelog would skip it silently).
"""

import hashlib
import os
import shutil

import yaml

from tests.packaging.conftest import run, tool, tools_env
from tests.support.paths import REPO

CHANGELOGS = os.path.join(REPO, 'changelogs')
# sha256 of the GNU GPL version 3 text (Debian's /usr/share/common-licenses/GPL-3, gnu.org's gpl-3.0.txt).
GPL3_SHA256 = '3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986'


def version_key(version):
    return tuple(int(part) for part in version.split('.'))


def galaxy_version():
    with open(os.path.join(REPO, 'galaxy.yml')) as handle:
        return yaml.safe_load(handle)['version']


def changelog():
    with open(os.path.join(CHANGELOGS, 'changelog.yaml')) as handle:
        return yaml.safe_load(handle)


def fragments():
    return sorted(name for name in os.listdir(os.path.join(CHANGELOGS, 'fragments'))
                  if name.endswith(('.yml', '.yaml')))


def test_antsibull_changelog_lint_accepts_the_fragments():
    proc = run([tool('antsibull-changelog'), 'lint'], cwd=REPO, env=tools_env())
    assert proc.returncode == 0 and proc.stdout == '' and proc.stderr == '', proc.stdout + proc.stderr


def test_antsibull_changelog_lint_rejects_a_bad_fragment(tmp_path):
    # The lint must be able to fail: the same configuration, one fragment with an unknown section.
    shutil.copytree(CHANGELOGS, str(tmp_path / 'changelogs'))
    shutil.copy(os.path.join(REPO, 'galaxy.yml'), str(tmp_path))
    (tmp_path / 'changelogs' / 'fragments' / 'broken.yml').write_text('bugfixes: not a list\nwhatever:\n  - x\n')
    proc = run([tool('antsibull-changelog'), 'lint'], cwd=str(tmp_path), env=tools_env())
    assert proc.returncode != 0
    assert 'broken.yml' in proc.stdout and 'invalid section: whatever' in proc.stdout, proc.stdout


def test_changelog_yaml_is_valid_and_records_the_galaxy_version():
    proc = run([tool('antsibull-changelog'), 'lint-changelog-yaml', os.path.join(CHANGELOGS, 'changelog.yaml')],
               cwd=REPO, env=tools_env())
    assert proc.returncode == 0 and proc.stdout == '', proc.stdout + proc.stderr
    releases = changelog()['releases']
    assert galaxy_version() in releases or version_key(max(releases, key=version_key)) < version_key(
        galaxy_version()), 'galaxy.yml version %s is older than the last release' % galaxy_version()
    first = releases['0.1.0']
    assert first['changes']['release_summary'].strip()
    assert sorted(m['name'] for m in first['modules']) == [
        'application', 'daemon', 'group', 'info', 'process', 'rpc', 'stdin', 'supvisors']
    assert sorted(p['name'] for p in first['plugins']['lookup']) == ['log', 'state']
    assert sorted(r['name'] for r in first['objects']['role']) == ['program', 'supervisord']


def test_no_unreleased_fragment_is_already_in_a_release():
    released = set()
    for release in changelog()['releases'].values():
        released.update(release.get('fragments', []))
    assert sorted(released.intersection(fragments())) == []


def test_generated_changelog_is_up_to_date(tmp_path):
    # ``antsibull-changelog generate`` writes CHANGELOG.md from changelog.yaml alone, so a copy
    # of the two must give back the committed file (unreleased fragments are not in it).
    shutil.copytree(CHANGELOGS, str(tmp_path / 'changelogs'))
    shutil.copy(os.path.join(REPO, 'galaxy.yml'), str(tmp_path))
    proc = run([tool('antsibull-changelog'), 'generate'], cwd=str(tmp_path), env=tools_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(REPO, 'CHANGELOG.md')) as handle:
        committed = handle.read()
    assert (tmp_path / 'CHANGELOG.md').read_text() == committed, (
        'CHANGELOG.md is stale: run .venv-tools/bin/antsibull-changelog generate')
    # Every release has its section; galaxy.yml may already name the next, unreleased version.
    for version in changelog()['releases']:
        assert '## v%s' % '\\.'.join(version.split('.')) in committed, version


def test_license_is_the_gpl3_text():
    with open(os.path.join(REPO, 'LICENSE'), 'rb') as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == GPL3_SHA256
