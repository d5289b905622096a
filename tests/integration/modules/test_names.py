"""Names that look like syntax, through real ansible-playbook: an exact name always wins over a glob reading.

The daemon (tests/support/odd_names.py) has ``a[1]`` next to ``a1``, ``q?`` next to ``qa``, ``g[x]:x*``
next to ``gx:x1``, names with a no-break space and a tab, and a program called ``all``. Each name a task
gives must select what it names, and nothing that a glob reading would add.
"""

import os
import re
import subprocess

import pytest

from tests.support.ansible import run_playbook, sv_task
from tests.support.paths import VENV_BIN
from tests.support.odd_names import NBSP_NAME, ODD_NAMESPECS, TAB_NAME, odd_names_daemon, running, stop_all


@pytest.fixture(scope='module')
def odd(execution_path, tmp_path_factory):
    with odd_names_daemon(str(tmp_path_factory.mktemp('odd'))) as daemon:
        yield daemon


@pytest.fixture
def clean(odd):
    """The odd daemon with every process stopped again after the test, whatever it did."""
    assert running(odd) == []
    yield odd
    stop_all(odd)


# The name a task gives, and the processes (group:name) it must select.
SELECTIONS = [
    ('a[1]', ['a[1]:a[1]']),                 # not a1, as a glob would have it
    ('q?', ['q?:q?']),                       # not qa
    ('g[x]:x*', ['g[x]:x*']),                # not gx:x1 (the glob), not g[x]:xy
    ('g[x]', ['g[x]:x*', 'g[x]:xy']),        # a group's name
    (NBSP_NAME, ['%s:%s' % (NBSP_NAME, NBSP_NAME)]),
    (TAB_NAME, ['%s:%s' % (TAB_NAME, TAB_NAME)]),
    ('all', ['all:all']),                    # the program called all, not every process
]


def supervisorctl_status(daemon, spec):
    """The full names ``supervisorctl status SPEC`` lists, and the names it says do not exist."""
    out = subprocess.run([os.path.join(VENV_BIN, 'supervisorctl'), '-c', daemon.conf, 'status', spec],
                         capture_output=True, text=True, timeout=60, check=False).stdout
    listed = re.findall(r'^(.+?) +(?:STOPPED|RUNNING|STARTING|EXITED|FATAL|BACKOFF) ', out, re.M)
    return listed, re.findall(r'^(.+): ERROR \(no such process\)$', out, re.M)


# Where the process module reads a name as supervisorctl does not, on purpose (README, "process"): what
# supervisorctl status lists, and the names it reports missing.
DEVIATIONS = {
    'g[x]': ([], ['g[x]']),                      # a bare group name: no such process to supervisorctl
    NBSP_NAME: ([], ['n', 'b']),                 # supervisorctl splits its arguments on any whitespace
    TAB_NAME: ([], ['t', 'b']),
    'all': (['a1', 'a[1]', 'all', 'g[x]:x*', 'g[x]:xy', 'gx:x1', NBSP_NAME, 'q?', 'qa', TAB_NAME], []),
}


@pytest.mark.parametrize('spec, expected', SELECTIONS)
def test_supervisorctl_reads_each_name_alike_but_where_the_docs_say(odd, spec, expected):
    fullnames = [name if group == name else '%s:%s' % (group, name) for group, name in
                 (namespec.split(':', 1) for namespec in expected)]
    assert supervisorctl_status(odd, spec) == DEVIATIONS.get(spec, (fullnames, []))


def namespecs(result):
    return ['%s:%s' % (p['group'], p['name']) for p in result['processes']]


def test_each_name_starts_what_it_names(clean, tmp_path):
    run = run_playbook([sv_task('process', 'start %d' % i, clean, name=[spec], state='started')
                        for i, (spec, dummy) in enumerate(SELECTIONS)], tmp_path)
    for i, (spec, expected) in enumerate(SELECTIONS):
        task = run.task('start %d' % i)
        assert task['status'] == 'changed', (spec, task)
        assert namespecs(task['result']) == expected, spec
    assert running(clean) == sorted(set(sum((expected for dummy, expected in SELECTIONS), [])))
    assert sorted(set(ODD_NAMESPECS) - set(running(clean))) == ['a1:a1', 'gx:x1', 'qa:qa']


def test_the_returned_fullnames_are_names_again(clean, tmp_path):
    """Every fullname a task returns selects that process alone when given back (as a rulebook does with events)."""
    run = run_playbook([sv_task('process', 'everything', clean, name=['*'], state='started')], tmp_path)
    fullnames = [p['fullname'] for p in run.result('everything')['processes']]
    assert sorted(namespecs(run.result('everything'))) == ODD_NAMESPECS
    run = run_playbook([sv_task('process', 'stop %d' % i, clean, name=[fullname], state='stopped')
                        for i, fullname in enumerate(fullnames)], tmp_path)
    for i, fullname in enumerate(fullnames):
        assert [p['fullname'] for p in run.result('stop %d' % i)['processes']] == [fullname]
        assert run.task('stop %d' % i)['status'] == 'changed', fullname
    assert running(clean) == []


def test_a_name_that_selects_nothing_suggests_names_that_do(clean, tmp_path):
    run = run_playbook([
        sv_task('process', 'typo', clean, name=['a1', 'a[2]'], state='started'),
        sv_task('process', 'typo in a group', clean, name=['g[x]:x'], state='started'),
    ], tmp_path)
    typo = run.result('typo')
    assert typo['msg'] == "no process matches 'a[2]'; closest names: a[1], a[1]:*"
    assert typo['changed'] is False
    assert run.result('typo in a group')['msg'] == (
        "no process matches 'g[x]:x'; closest names: g[x]:x*, g[x]:xy, g[x]:*")
    assert running(clean) == []


def test_stdin_writes_to_the_named_process_alone(clean, tmp_path):
    clean.rpc('supervisor.startProcessGroup', 'a[1]', True)
    clean.rpc('supervisor.startProcessGroup', 'a1', True)
    run = run_playbook([sv_task('stdin', 'send', clean, name=['a[1]'], chars='to a[1]')], tmp_path)
    assert run.result('send')['sent_to'] == ['a[1]'], run
    assert clean.rpc('supervisor.readProcessStdoutLog', 'a[1]', 0, 0) == 'to a[1]\n'
    assert clean.rpc('supervisor.readProcessStdoutLog', 'a1', 0, 0) == ''


def test_group_names_are_exact(clean, tmp_path):
    run = run_playbook([sv_task('group', 'restart', clean, name=['g[x]'], state='restarted')], tmp_path)
    assert namespecs(run.result('restart')) == ['g[x]:x*', 'g[x]:xy'], run
    assert running(clean) == ['g[x]:x*', 'g[x]:xy']
