# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``ansible-doc`` renders the documentation of every module and lookup of the collection."""

import json
import os
import re
import subprocess

import pytest

from tests.support.paths import REPO, VENV_BIN, ensure_collection_link

COLLECTION = 'supervisor.control'
# plugins/ directory -> ansible-doc plugin type
PLUGIN_TYPES = {'modules': 'module', 'lookup': 'lookup', 'inventory': 'inventory'}


def plugins(directory):
    path = os.path.join(REPO, 'plugins', directory)
    if not os.path.isdir(path):
        return []
    return sorted(
        name[:-3] for name in os.listdir(path)
        if name.endswith('.py') and not name.startswith('_'))


ALL_PLUGINS = [
    (plugin_type, name) for directory, plugin_type in sorted(PLUGIN_TYPES.items()) for name in plugins(directory)]


def ansible_doc(*args):
    env = dict(os.environ)
    env['ANSIBLE_COLLECTIONS_PATH'] = ensure_collection_link()
    env['ANSIBLE_NOCOLOR'] = '1'
    env['ANSIBLE_DEPRECATION_WARNINGS'] = '1'
    env.pop('ANSIBLE_CONFIG', None)
    return subprocess.run(
        [os.path.join(VENV_BIN, 'ansible-doc')] + list(args),
        env=env, cwd=REPO, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=120)


def test_every_module_is_found():
    assert plugins('modules'), 'no module found in plugins/modules'


@pytest.mark.parametrize('plugin_type,name', ALL_PLUGINS, ids=['%s:%s' % item for item in ALL_PLUGINS])
def test_ansible_doc_renders(plugin_type, name):
    fqcn = '%s.%s' % (COLLECTION, name)

    # The text a user reads: exit 0, no warning, and every option shown.
    text = ansible_doc('-t', plugin_type, fqcn)
    assert text.returncode == 0, 'ansible-doc -t %s %s failed:\n%s\n%s' % (plugin_type, fqcn, text.stdout, text.stderr)
    assert 'WARNING' not in text.stderr and 'ERROR' not in text.stderr, text.stderr
    assert fqcn in text.stdout, text.stdout

    # The structured documentation, to check what the text must contain.
    data = ansible_doc('-t', plugin_type, '--json', fqcn)
    assert data.returncode == 0, data.stderr
    entry = json.loads(data.stdout)[fqcn]
    doc = entry['doc']
    assert doc.get('short_description'), 'no short_description for %s' % fqcn
    assert doc.get('description'), 'no description for %s' % fqcn
    options = doc.get('options') or {}
    assert options, 'no options documented for %s' % fqcn
    for option, spec in options.items():
        assert spec.get('description'), '%s: option %s has no description' % (fqcn, option)
        assert re.search(r'^[-=]? *%s ' % re.escape(option), text.stdout, re.MULTILINE), (
            '%s: option %s is not rendered:\n%s' % (fqcn, option, text.stdout))
    if plugin_type == 'module':
        assert entry.get('examples'), 'no EXAMPLES for %s' % fqcn
        assert entry.get('return'), 'no RETURN for %s' % fqcn
        assert 'EXAMPLES' in text.stdout and 'RETURN VALUES' in text.stdout, text.stdout


@pytest.mark.parametrize('directory', sorted(PLUGIN_TYPES))
def test_ansible_doc_lists_every_plugin(directory):
    names = plugins(directory)
    if not names:
        pytest.skip('no plugin in plugins/%s yet' % directory)
    listing = ansible_doc('-t', PLUGIN_TYPES[directory], '-l', COLLECTION)
    assert listing.returncode == 0, listing.stderr
    listed = set(re.findall(r'^(%s\.\S+)' % re.escape(COLLECTION), listing.stdout, re.MULTILINE))
    expected = set('%s.%s' % (COLLECTION, name) for name in names)
    assert listed == expected, listing.stdout
