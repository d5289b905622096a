# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""galaxy-importer, the program Galaxy and Automation Hub run on every upload, accepts the tarball.

It runs as Galaxy runs it, minus ansible-test (which needs a container engine): ansible-doc on
every plugin and event source, ansible-lint, the role and changelog checks. Any ERROR or
WARNING it prints fails the test.
"""

import json
import os
import re

import pytest

from tests.packaging.conftest import run, tool, tools_env

CONFIG = '''[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
RUN_ANSIBLE_DOC = True
OFFLINE_ANSIBLE_LINT = True
CHECK_CHANGELOG = True
LOG_LEVEL_MAIN = INFO
'''

EXPECTED = {
    'module': ['application', 'daemon', 'group', 'info', 'process', 'rpc', 'stdin', 'supvisors'],
    'lookup': ['log', 'state'],
    'inventory': ['supvisors'],
    'role': ['program', 'supervisord'],
    'eda/plugins/event_source': ['supervisord', 'supvisors'],
}


@pytest.fixture(scope='module')
def imported(tarball, tmp_path_factory):
    work = tmp_path_factory.mktemp('importer')
    config = work / 'galaxy-importer.cfg'
    config.write_text(CONFIG)
    env = tools_env(GALAXY_IMPORTER_CONFIG=str(config),
                    GALAXY_IMPORTER_TMP_ROOT_DIR=str(work),
                    GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=str(work / 'ansible-tmp'))
    proc = run([tool('python'), '-m', 'galaxy_importer.main', tarball], cwd=str(work), env=env, timeout=900)
    result_file = work / 'importer_result.json'
    result = json.loads(result_file.read_text()) if result_file.exists() else None
    return proc, result


def test_importer_succeeds_without_error_or_warning(imported):
    proc, result = imported
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    flagged = [line for line in output.splitlines() if re.search(r'\b(ERROR|WARNING)\b', line)]
    assert flagged == [], output
    assert 'Importer processing completed successfully' in proc.stdout.splitlines(), output
    assert result is not None, output


@pytest.mark.parametrize('content_type', sorted(EXPECTED))
def test_importer_lists_the_contents(imported, content_type):
    result = imported[1]
    assert result is not None, imported[0].stdout + imported[0].stderr
    names = sorted(item['name'] for item in result['contents'] if item['content_type'] == content_type)
    assert names == EXPECTED[content_type]


@pytest.mark.parametrize('content_type', sorted(EXPECTED))
def test_importer_renders_the_documentation(imported, content_type):
    result = imported[1]
    assert result is not None, imported[0].stdout + imported[0].stderr
    docs = {item['content_name']: item for item in result['docs_blob']['contents']
            if item['content_type'] == content_type}
    assert sorted(docs) == EXPECTED[content_type]
    for name, item in docs.items():
        if content_type == 'role':
            # Galaxy shows a role's README (its argument spec is not rendered by the importer).
            assert item['readme_file'] == 'README.md', (name, item)
            assert item['readme_html'].startswith('<h1>supervisor.control.%s</h1>' % name), item['readme_html']
            continue
        doc = item['doc_strings']['doc']
        assert doc['short_description'] and doc['description'] and doc['options'], (name, doc)
        assert item['doc_strings']['examples'].strip(), name
        # ansible-doc names an event source by its file (it has no plugin type for them).
        expected = name if content_type == 'eda/plugins/event_source' else 'supervisor.control.' + name
        assert doc['plugin_name'] == expected, (name, doc)


def test_importer_reads_the_collection_metadata(imported):
    result = imported[1]
    assert result is not None, imported[0].stdout + imported[0].stderr
    with open(os.path.join(os.path.dirname(__file__), '..', '..', 'meta', 'runtime.yml')) as handle:
        claimed = re.search(r'requires_ansible:\s*"([^"]+)"', handle.read()).group(1)
    assert result['requires_ansible'] == claimed
    assert result['metadata']['license'] == ['GPL-3.0-or-later']
    assert result['docs_blob']['collection_readme']['html'], 'README.md not rendered'
