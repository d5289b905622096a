"""docs/api-coverage.md is true: each plugin a row names can reach the method, and each method the code calls has a
row that names a plugin other than rpc.

What a plugin can reach: the method names (``'supervisor.getState'``, and templates such as
``'supervisor.tailProcess%sLog'``) in its own file and in the module_utils and plugin_utils files it imports,
transitively. The rows name plugins as ``process`` (a module), "the ``state`` lookup", "the inventory plugin", "the
supervisord event source", "the Supvisors event source".
"""

import glob
import os
import re

import pytest

from tests.support.paths import REPO

PAGE = os.path.join(REPO, 'docs', 'api-coverage.md')
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, 'plugins', 'modules', '*.py')))
ENTRY_POINTS = dict(
    [(name, 'plugins/modules/%s.py' % name) for name in MODULES]
    + [('lookup:%s' % os.path.basename(p)[:-3], 'plugins/lookup/%s' % os.path.basename(p))
       for p in glob.glob(os.path.join(REPO, 'plugins', 'lookup', '*.py'))]
    + [('inventory', 'plugins/inventory/supvisors.py'),
       ('source:supervisord', 'extensions/eda/plugins/event_source/supervisord.py'),
       ('source:supvisors', 'extensions/eda/plugins/event_source/supvisors.py')])
METHOD = re.compile(r"""['"]((?:supervisor|system|supvisors)\.[A-Za-z_%]+)['"]""")
IMPORTED = re.compile(r'plugins\.(module_utils|plugin_utils)(?:\.(\w+)|\s+import\s+\(?\s*([\w\s,]+))')


def read(path):
    with open(os.path.join(REPO, path)) as handle:
        return handle.read()


def closure(entry):
    """The files ``entry`` runs: itself and every module_utils / plugin_utils file it imports, transitively."""
    seen, todo = set(), [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for kind, name, names in IMPORTED.findall(read(path)):
            for candidate in [name] if name else re.findall(r'\w+', names):
                target = 'plugins/%s/%s.py' % (kind, candidate)
                if os.path.exists(os.path.join(REPO, target)):
                    todo.append(target)
    return seen


def reachable(entry):
    """The method names (regular expressions, for templates) that the files of ``entry`` hold."""
    found = set()
    for path in closure(entry):
        if path == 'plugins/module_utils/api_versions.py':
            continue  # the table of every method's release, which the client reads: it calls none of them
        for name in METHOD.findall(read(path)):
            if name.startswith('supervisor.control') or name.startswith('supvisors.y'):
                continue  # the collection's own name, the inventory file names
            found.add('^%s$' % re.escape(name).replace('%s', '[A-Za-z_]+'))
    return found


def plugins_named(text):
    """The plugins a "covered by" cell names."""
    named = set()
    for kind in re.findall(r'the `(\w+)` lookup', text):
        named.add('lookup:%s' % kind)
    text = re.sub(r'the `(\w+)` lookup', '', text)
    if 'inventory plugin' in text:
        named.add('inventory')
    if 'supervisord event source' in text:
        named.add('source:supervisord')
    if 'Supvisors event source' in text:
        named.add('source:supvisors')
    named.update(name for name in re.findall(r'`(\w+)`', text) if name in MODULES)
    return named


def rows():
    """(method, covered-by plugins, cell text) for each method of each row of both tables."""
    prefix = ''
    for line in read(PAGE).splitlines():
        if line.startswith('## Supvisors'):
            prefix = 'supvisors.'
        # Method | Covered by, or Method | Since | Covered by
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if not line.startswith('|') or len(cells) < 2 or cells[0].startswith('---') or cells[0].lower() == 'method':
            continue
        for name in re.findall(r'`([\w.]+)`', cells[0]):
            yield prefix + name, plugins_named(cells[-1]), cells[-1]


ROWS = list(rows())
REACHABLE = dict((entry, reachable(path)) for entry, path in ENTRY_POINTS.items())


def reaches(entry, method):
    return any(re.match(pattern, method) for pattern in REACHABLE[entry])


def test_the_page_has_rows_for_both_namespaces():
    names = [method for method, dummy, dummy in ROWS]
    assert 'supervisor.getState' in names and 'supvisors.start_application' in names
    assert set(plugins_named('`process` (`name: all`), the `state` lookup, the inventory plugin')) == {
        'process', 'lookup:state', 'inventory'}


@pytest.mark.parametrize('method, named, text', ROWS, ids=[row[0] for row in ROWS])
def test_every_plugin_a_row_names_reaches_the_method(method, named, text):
    assert [entry for entry in sorted(named - {'rpc'}) if not reaches(entry, method)] == [], text


def test_every_method_the_code_calls_has_a_row_that_names_a_plugin_beside_rpc():
    covered = dict((method, named - {'rpc'}) for method, named, dummy in ROWS)
    called = set()
    for entry, patterns in REACHABLE.items():
        for pattern in patterns:
            matching = [method for method in covered if re.match(pattern, method)]
            assert matching, '%s calls %s, which no row lists' % (entry, pattern)
            called.update(matching)
    assert sorted(method for method in called if not covered[method]) == []
