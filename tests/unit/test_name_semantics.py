"""match() against a reference model of supervisorctl's name handling plus our documented extensions.

The model is written the way supervisorctl and supervisord read a name
(``supervisor.options.split_namespec``, then ``_getGroupAndProcess``), not the
way match() is written, so that a change to match() that departs from
supervisorctl shows up as a counterexample.
"""

import fnmatch

import pytest
from hypothesis import given, settings, strategies as st

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import process_names as P  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import NameNotFoundError  # noqa: E402


def split_namespec(namespec):
    """supervisor/options.py split_namespec, verbatim in behaviour."""
    names = namespec.split(':', 1)
    if len(names) == 2:
        group_name, process_name = names
        if not process_name or process_name == '*':
            process_name = None
    else:
        group_name, process_name = namespec, namespec
    return group_name, process_name


def supervisorctl_selects(spec, table):
    """What ``supervisorctl start SPEC`` acts on, or None where supervisorctl fails (BAD_NAME)."""
    group, process = split_namespec(spec)
    members = [(g, p) for g, p in table if g == group]
    if not members:
        return None
    if process is None:
        return members
    return [(group, process)] if (group, process) in members else None


def model(specs, table):
    """The documented semantics: supervisorctl's, then the extensions of the ``name`` option."""
    selected = set()
    for spec in specs:
        spec = spec.strip()
        if spec in ('all', '*'):
            hits = list(table)
        elif any(c in spec for c in '*?['):  # extension: globs on group:proc and on the short name
            hits = [(g, p) for g, p in table
                    if fnmatch.fnmatchcase('%s:%s' % (g, p), spec)
                    or fnmatch.fnmatchcase(p if g == p else '%s:%s' % (g, p), spec)]
        else:
            hits = supervisorctl_selects(spec, table)
            if hits is None and ':' not in spec:
                # extension: a bare group name with no process of its own name is the whole group
                hits = [(g, p) for g, p in table if g == spec]
        if not hits and spec not in ('all', '*'):
            return None
        selected.update(hits)
    return [entry for entry in table if entry in selected]


def infos_of(table):
    return [{'group': g, 'name': p, 'statename': 'RUNNING'} for g, p in table]


def run_match(specs, table):
    try:
        return [(i['group'], i['name']) for i in P.match(specs, infos_of(table))]
    except NameNotFoundError:
        return None


# Names in the alphabet supervisord accepts, with the characters that trip parsers.
NAME = st.text(alphabet='abdx-._0', min_size=1, max_size=4).filter(lambda n: n not in ('all',))


@st.composite
def tables(draw):
    """A daemon's process table: homonymous groups, numprocs-style groups, plain programs."""
    table = []
    groups = draw(st.lists(NAME, min_size=1, max_size=5, unique=True))
    for group in groups:
        kind = draw(st.sampled_from(['alone', 'homonym', 'numprocs', 'mixed']))
        if kind == 'alone':
            processes = [group]
        elif kind == 'homonym':  # [group:db] programs=db,dbworker
            processes = [group] + draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
        elif kind == 'numprocs':
            processes = ['%s_%02d' % (group, i) for i in range(draw(st.integers(1, 3)))]
        else:
            processes = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
        for process in dict.fromkeys(processes):
            table.append((group, process))
    return table


@st.composite
def tables_and_specs(draw):
    table = draw(tables())
    known = [g for g, dummy in table] + [p for dummy, p in table] + ['%s:%s' % e for e in table]
    known += ['%s:*' % g for g, dummy in table] + ['%s:' % g for g, dummy in table]
    spec = st.one_of(st.sampled_from(known), NAME, st.sampled_from(['all', '*', '*_0?', 'd*', '*:x*']),
                     st.builds(lambda g, p: '%s:%s' % (g, p), NAME, NAME))
    return table, draw(st.lists(spec, min_size=1, max_size=4))


@settings(max_examples=400, deadline=None, database=None)
@given(tables_and_specs())
def test_match_agrees_with_the_reference_model(case):
    table, specs = case
    assert run_match(specs, table) == model(specs, table)


@settings(max_examples=200, deadline=None, database=None)
@given(tables_and_specs())
def test_where_supervisorctl_succeeds_match_selects_exactly_what_it_selects(case):
    table, specs = case
    for spec in specs:
        if any(c in spec for c in '*?[') or spec in ('all', '*'):
            continue
        expected = supervisorctl_selects(spec, table)
        if expected is not None:
            assert run_match([spec], table) == [e for e in table if e in expected]


@pytest.mark.parametrize('specs, expected', [
    (['db'], [('db', 'db')]),                              # supervisorctl start db: db:db only
    (['db:*'], [('db', 'db'), ('db', 'dbworker')]),
    (['db:'], [('db', 'db'), ('db', 'dbworker')]),
    (['db:dbworker'], [('db', 'dbworker')]),
    (['worker'], [('worker', 'worker_00'), ('worker', 'worker_01')]),  # extension: numprocs group
    (['dbworker'], None),                                  # a process name alone is not enough
    ([], []),                                              # an empty list selects nothing
])
def test_homonymous_group_and_numprocs(specs, expected):
    table = [('db', 'db'), ('db', 'dbworker'), ('worker', 'worker_00'), ('worker', 'worker_01')]
    assert run_match(specs, table) == expected


def test_the_returned_fullname_selects_that_process_only():
    table = [('db', 'db'), ('db', 'dbworker')]
    for info in P.match(['db:*'], infos_of(table)):
        assert run_match([P.fullname(info)], table) == [(info['group'], info['name'])]
