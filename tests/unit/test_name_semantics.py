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
from ansible_collections.supervisor.control.plugins.module_utils import process_names  # noqa: E402
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
    """The documented semantics: an exact name first (supervisorctl's reading, then a group's name), then
    ``*``/``all`` for every process, then a glob."""
    selected = set()
    for spec in specs:
        spec = spec.strip()
        hits = supervisorctl_selects(spec, table) if spec != '*' else None
        if hits is None and ':' not in spec and spec != '*':
            # extension: a bare group name with no process of its own name is the whole group
            hits = [(g, p) for g, p in table if g == spec] or None
        if hits is None and spec in ('all', '*'):
            hits = list(table)
        elif hits is None and any(c in spec for c in '*?['):  # extension: globs on group:proc and the short name
            hits = [(g, p) for g, p in table
                    if fnmatch.fnmatchcase('%s:%s' % (g, p), spec)
                    or fnmatch.fnmatchcase(p if g == p else '%s:%s' % (g, p), spec)] or None
        if hits is None and spec not in ('all', '*'):
            return None
        selected.update(hits or [])
    return [entry for entry in table if entry in selected]


def infos_of(table):
    return [{'group': g, 'name': p, 'statename': 'RUNNING'} for g, p in table]


def run_match(specs, table):
    try:
        return [(i['group'], i['name']) for i in process_names.match(specs, infos_of(table))]
    except NameNotFoundError:
        return None


# Names in the alphabet supervisord accepts (no space, ``:`` or ``/``: supervisor.datatypes.process_or_group_name),
# with the characters that trip parsers: glob characters, a no-break space, a tab, and the word ``all``.
NAME = st.one_of(
    st.text(alphabet='abdx-._0[]*?\u00a0\t', min_size=1, max_size=4).map(str.strip).filter(bool),
    st.just('all'))
# A process named ``*`` breaks supervisord's own getAllProcessInfo (BAD_NAME on its namespec): no daemon has one.
PROCESS_NAME = NAME.filter(lambda n: n != '*')


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
            processes = [group] + draw(st.lists(PROCESS_NAME, min_size=1, max_size=3, unique=True))
        elif kind == 'numprocs':
            processes = ['%s_%02d' % (group, i) for i in range(draw(st.integers(1, 3)))]
        else:
            processes = draw(st.lists(PROCESS_NAME, min_size=1, max_size=3, unique=True))
        for process in dict.fromkeys(processes):
            if process != '*':  # kind 'alone' of the group '*'
                table.append((group, process))
    return table


@st.composite
def tables_and_specs(draw):
    table = draw(tables().filter(bool))
    known = [g for g, dummy in table] + [p for dummy, p in table] + ['%s:%s' % e for e in table]
    known += ['%s:*' % g for g, dummy in table] + ['%s:' % g for g, dummy in table]
    spec = st.one_of(st.sampled_from(known), NAME, st.sampled_from(['all', '*', '*_0?', 'd*', '*:x*', 'a[[]1]']),
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
        if spec.strip() in ('all', '*'):  # supervisorctl: always every process; here see test_all_is_a_name_first
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
    for info in process_names.match(['db:*'], infos_of(table)):
        assert run_match([process_names.fullname(info)], table) == [(info['group'], info['name'])]


@settings(max_examples=300, deadline=None, database=None)
@given(tables())
def test_every_fullname_selects_its_process_alone(table):
    """What a task or an event returns as ``fullname`` can be given back as a name, whatever the name holds."""
    for entry in table:
        fullname = process_names.fullname({'group': entry[0], 'name': entry[1]})
        assert run_match([fullname], table) == [entry], fullname


@settings(max_examples=300, deadline=None, database=None)
@given(tables_and_specs())
def test_a_suggested_name_selects_what_it_names(case):
    """A spec that selects nothing is answered with names that do select something: never the spec itself.

    Without groups' names for a reader of one process per name (the log lookup).
    """
    table, specs = case
    for spec in specs:
        for suggest_groups in (True, False):
            try:
                process_names.match([spec], infos_of(table), suggest_groups)
            except NameNotFoundError as exc:
                if not suggest_groups:
                    assert not any(s.endswith(':*') for s in exc.suggestions), exc.suggestions
                check_suggestions(spec, exc.suggestions, table)


def check_suggestions(spec, suggestions, table):
    for suggestion in suggestions:
        assert suggestion != spec.strip()
        selected = run_match([suggestion], table)
        if suggestion.endswith(':*'):
            assert selected == [e for e in table if e[0] == suggestion[:-2]], suggestion
        else:
            assert selected is not None and len(selected) == 1, suggestion
            assert process_names.fullname(dict(zip(('group', 'name'), selected[0]))) == suggestion


GLOBBY = [('a[1]', 'a[1]'), ('a1', 'a1'), ('q?', 'q?'), ('qa', 'qa'), ('g[x]', 'x*'), ('g[x]', 'xy'), ('gx', 'x1'),
          ('n\u00a0b', 'n\u00a0b'), ('all', 'all'), ('pool', 'pool_0'), ('pool', 'pool_1')]


@pytest.mark.parametrize('specs, expected', [
    (['a[1]'], [('a[1]', 'a[1]')]),                  # supervisorctl start 'a[1]': the process, not a1
    (['a[1]:a[1]'], [('a[1]', 'a[1]')]),
    (['a[1]:*'], [('a[1]', 'a[1]')]),
    (['a[[]1]'], [('a[1]', 'a[1]')]),                # a glob that matches the bracket itself
    (['a?'], [('a1', 'a1')]),                        # no process is named a?: a glob
    (['q?'], [('q?', 'q?')]),                        # the name wins over the glob, which would add qa
    (['g[x]:x*'], [('g[x]', 'x*')]),                 # the name wins over the glob, which selects gx:x1 alone
    (['g[x]'], [('g[x]', 'x*'), ('g[x]', 'xy')]),    # extension: a group's name, although it holds [ ]
    (['g[x]:*'], [('g[x]', 'x*'), ('g[x]', 'xy')]),  # supervisorctl's group:*, not the glob (gx:x1)
    (['g?:*'], [('gx', 'x1')]),                      # no group is named g?: a glob
    (['n\u00a0b'], [('n\u00a0b', 'n\u00a0b')]),  # a no-break space is part of a name (supervisorctl splits there)
    ([' n\u00a0b '], [('n\u00a0b', 'n\u00a0b')]),
    (['all'], [('all', 'all')]),                     # see test_all_is_a_name_first
    (['all:*'], [('all', 'all')]),
    (['*'], GLOBBY),
    (['pool'], [('pool', 'pool_0'), ('pool', 'pool_1')]),
    (['pool_?'], None),                              # globs match group:proc and the fullname, not the short name
    (['pool:pool_?'], [('pool', 'pool_0'), ('pool', 'pool_1')]),
    (['a b'], None),
])
def test_names_that_look_like_globs(specs, expected):
    assert run_match(specs, GLOBBY) == expected


def test_all_is_a_name_first():
    """``all`` names a process or group called ``all`` (deviation: supervisorctl reads it as every process); ``*``
    always means every process."""
    assert run_match(['all'], [('all', 'all'), ('b', 'b')]) == [('all', 'all')]
    assert run_match(['all'], [('all', 'x'), ('all', 'y'), ('b', 'b')]) == [('all', 'x'), ('all', 'y')]
    assert run_match(['all'], [('a', 'a'), ('b', 'b')]) == [('a', 'a'), ('b', 'b')]
    assert run_match(['*'], [('all', 'all'), ('b', 'b')]) == [('all', 'all'), ('b', 'b')]


@pytest.mark.parametrize('spec, suggested', [
    ('a[2]', ['a[1]']),
    ('g[x]:x', ['g[x]:x*', 'g[x]:xy']),
])
def test_suggestions_are_names_that_select(spec, suggested):
    with pytest.raises(NameNotFoundError) as caught:
        process_names.match([spec], infos_of(GLOBBY))
    assert set(suggested) <= set(caught.value.suggestions)
    for suggestion in caught.value.suggestions:
        assert run_match([suggestion], GLOBBY), suggestion
