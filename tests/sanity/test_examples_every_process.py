"""No example names every process ``all``: a program may be called ``all``, and an exact name always wins.

``process_names.match`` reads ``all`` as the process or group so called when there is one (a documented deviation
from supervisorctl); ``*`` (or, for the state lookup, no term) always means every process. An example that stops
"everything" with ``name: all`` would stop that one program alone on such a daemon. Checked in every plugin's
EXAMPLES and in every example a user reads or runs (README, docs, role READMEs, playbooks, the demo, Molecule).
"""

import glob
import importlib
import os
import re

import pytest

from tests.support.paths import REPO, ensure_collection_link

ensure_collection_link()

# ``name: all`` (quoted or not, alone or in a list), and ``all`` as a term of the state or log lookup.
ALL_AS_EVERY = re.compile(
    r"""(?:\bname:\s*\[?\s*["']?all["']?\s*(?:,|\]|$))"""
    r"""|(?:supervisor\.control\.(?:state|log)["']\s*,\s*["']all["'])""", re.M)

PLUGIN_DIRECTORIES = ('modules', 'lookup', 'inventory')


def plugin_examples():
    for directory in PLUGIN_DIRECTORIES:
        for path in sorted(glob.glob(os.path.join(REPO, 'plugins', directory, '*.py'))):
            name = os.path.basename(path)[:-3]
            if name.startswith('_'):
                continue
            module = importlib.import_module('ansible_collections.supervisor.control.plugins.%s.%s' % (directory, name))
            yield '%s/%s' % (directory, name), getattr(module, 'EXAMPLES', '')


def example_files():
    patterns = ('README.md', 'docs/*.md', 'roles/*/README.md', 'playbooks/**/*.yml', 'demo/**/*.yml',
                'extensions/molecule/**/*.yml', 'extensions/eda/rulebooks/*.yml')
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(REPO, pattern), recursive=True)):
            with open(path) as handle:
                yield os.path.relpath(path, REPO), handle.read()


def test_the_pattern_finds_what_it_looks_for():
    for text in ('name: all\n', 'name: "all"\n', "name: [all, web]\n", "query('supervisor.control.state', 'all')"):
        assert ALL_AS_EVERY.search(text), text
    for text in ('name: "*"\n', 'name: allowed\n', "query('supervisor.control.state', what='supervisord')",
                 'versions: [all]\n'):
        assert not ALL_AS_EVERY.search(text), text


@pytest.mark.parametrize('where, text', list(plugin_examples()) + list(example_files()))
def test_no_example_names_every_process_all(where, text):
    assert [match.group(0) for match in ALL_AS_EVERY.finditer(text)] == [], where
