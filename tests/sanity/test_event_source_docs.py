# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every EDA event source documents itself the way Galaxy renders it.

galaxy-importer runs ``ansible-doc -M <extensions/eda/plugins/event_source> --json NAME``
for each event source (ansible-doc has no plugin type for them), so that is what runs here;
the EXAMPLES must be a rulebook (a list of rule sets with sources and rules) that names the
source by its FQCN.
"""

import ast
import json
import os
import re

import pytest
import yaml

from tests.sanity.test_ansible_doc import ansible_doc
from tests.support.paths import REPO

SOURCE_DIR = os.path.join(REPO, 'extensions', 'eda', 'plugins', 'event_source')
SOURCES = sorted(name[:-3] for name in os.listdir(SOURCE_DIR)
                 if name.endswith('.py') and not name.startswith('_'))


def test_both_event_sources_are_found():
    assert SOURCES == ['supervisord', 'supvisors']


def module_strings(name):
    """The module-level string constants of a source, read without importing it."""
    with open(os.path.join(SOURCE_DIR, name + '.py')) as handle:
        tree = ast.parse(handle.read())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


@pytest.mark.parametrize('name', SOURCES)
def test_ansible_doc_renders_the_source_as_galaxy_does(name):
    result = ansible_doc('-M', SOURCE_DIR, '--json', name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'WARNING' not in result.stderr and 'ERROR' not in result.stderr, result.stderr
    doc = json.loads(result.stdout)[name]['doc']
    assert doc['short_description'].strip(), doc
    assert doc['description'] and all(isinstance(item, str) and item.strip() for item in doc['description'])
    assert doc['author'], doc
    options = doc['options']
    assert options, 'no options for %s' % name
    for option, spec in options.items():
        assert spec.get('description'), '%s: option %s has no description' % (name, option)
        assert spec.get('type') in ('str', 'int', 'float', 'bool', 'list', 'dict', 'path'), (name, option, spec)
        if spec['type'] == 'list':
            assert spec.get('elements'), '%s: list option %s has no elements' % (name, option)

    # The text view too: every option shown, no warning.
    text = ansible_doc('-M', SOURCE_DIR, name)
    assert text.returncode == 0, text.stdout + text.stderr
    assert 'WARNING' not in text.stderr, text.stderr
    for option in options:
        assert re.search(r'^[-=]? *%s\b' % re.escape(option), text.stdout, re.MULTILINE), (name, option, text.stdout)


@pytest.mark.parametrize('name', SOURCES)
def test_examples_are_rulebooks_that_use_the_source(name):
    strings = module_strings(name)
    examples = yaml.safe_load(strings['EXAMPLES'])
    options = yaml.safe_load(strings['DOCUMENTATION'])['options']
    fqcn = 'supervisor.control.%s' % name
    assert isinstance(examples, list) and examples, strings['EXAMPLES']
    for ruleset in examples:
        assert set(ruleset) >= {'name', 'hosts', 'sources', 'rules'}, ruleset
        used = [source[fqcn] for source in ruleset['sources'] if fqcn in source]
        assert used, 'rule set %r does not use %s' % (ruleset['name'], fqcn)
        for args in used:
            assert set(args) <= set(options), (ruleset['name'], sorted(set(args) - set(options)))
        for rule in ruleset['rules']:
            assert rule.get('condition') and rule.get('action'), rule


def specs():
    """What each source reads, by name (the Supvisors source's is in its pure module)."""
    from tests.support.eda import load_source
    from ansible_collections.supervisor.control.plugins.plugin_utils import push_endpoint, supvisors_events
    return {'supervisord': (load_source('supervisord').SPEC, {'listen': push_endpoint.SPEC}),
            'supvisors': (supvisors_events.SPEC, {})}


def assert_documented(documented, spec, where):
    assert sorted(documented) == sorted(spec), where
    for option, entry in spec.items():
        doc = documented[option]
        assert (doc['type'], doc.get('default'), bool(doc.get('required'))) == (
            entry.get('type', 'str'), entry.get('default'), bool(entry.get('required'))), (where, option)
        if entry.get('type') == 'list':
            assert doc['elements'] == entry.get('elements', 'str'), (where, option)


@pytest.mark.parametrize('name', SOURCES)
def test_the_documented_options_are_the_options_the_source_reads(name):
    """A source refuses what its spec does not have: its DOCUMENTATION must say exactly that spec."""
    documented = yaml.safe_load(module_strings(name)['DOCUMENTATION'])['options']
    spec, nested = specs()[name]
    assert_documented(documented, spec, name)
    for option, suboptions in nested.items():
        assert_documented(documented[option]['suboptions'], suboptions, '%s.%s' % (name, option))
