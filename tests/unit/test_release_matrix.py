"""The release matrix (tests/compat/releases.py) judges a release's run by what it collected: a run that tested
less than its marked tests, or skipped its way to green, fails."""

import pytest

from tests.compat import releases

EXPLAINED = 'supervisord 4.2.5 runs on Python 3.9, whose config parser cuts [program:a[1]]'
RUN = ('bringing up nodes...\n\n..ss..                                                [100%]\n'
       '=========================== short test summary info ============================\n'
       'SKIPPED [2] tests/integration/modules/test_odd.py:12: ' + EXPLAINED + '\n'
       '4 passed, 2 skipped, 3 warnings in 145.20s (0:02:25)\n')


@pytest.mark.parametrize('output, count', [
    ('tests/a.py::test_one\n\n198/321 tests collected (123 deselected) in 0.79s\n', 198),
    ('tests/a.py::test_one\n\n1 test collected in 0.10s\n', 1),
    ('\nno tests collected (321 deselected) in 0.70s\n', 0),
])
def test_the_collected_count_is_read_from_the_last_line(output, count):
    assert releases.collected_count(output) == count


def test_a_collection_without_a_count_is_an_error():
    with pytest.raises(AssertionError, match='no count of collected tests'):
        releases.collected_count('ERROR: file or directory not found: tests/gone.py\n')


def test_a_run_of_every_collected_test_passed_or_skipped_as_explained_is_whole():
    assert releases.run_shortfalls(6, RUN) == []


def test_a_run_that_passed_fewer_tests_than_it_collected_fails():
    # An inherited -k, a plugin that deselects, a test that vanished between collection and run.
    problems = releases.run_shortfalls(198, RUN)
    assert problems == ["198 collected, but 4 passed and 2 skipped as expected "
                        "('4 passed, 2 skipped, 3 warnings in 145.20s (0:02:25)')"]


def test_one_passed_test_is_not_a_pass_of_many():
    assert releases.run_shortfalls(198, '.\n1 passed in 3.00s\n') == [
        "198 collected, but 1 passed and 0 skipped as expected ('1 passed in 3.00s')"]


def test_a_skip_the_release_does_not_explain_fails_even_when_the_counts_add_up():
    run = RUN.replace(EXPLAINED, 'supervisord did not start')
    assert releases.run_shortfalls(6, run) == [
        'unexplained skip: supervisord did not start', '2 skipped, 0 of them with an explained reason',
        "6 collected, but 4 passed and 0 skipped as expected ('4 passed, 2 skipped, 3 warnings in 145.20s "
        "(0:02:25)')"]


@pytest.mark.parametrize('summary, outcome', [
    ('5 passed, 1 xfailed in 2.00s', 'xfailed'),
    ('5 passed, 1 xpassed in 2.00s', 'xpassed'),
    ('5 passed, 1 rerun in 2.00s', 'rerun'),
    ('5 passed, 1 error in 2.00s', 'error'),
])
def test_an_outcome_other_than_passed_or_skipped_fails(summary, outcome):
    assert 'the run ended with %s' % outcome in releases.run_shortfalls(6, summary + '\n')


def test_the_summary_between_rules_is_read_as_without():
    assert releases.run_shortfalls(5, '==== 5 passed, 12 deselected in 2.00s ====\n') == []


def test_pytest_variables_of_the_outer_run_do_not_reach_a_release_run(monkeypatch):
    monkeypatch.setenv('PYTEST_ADDOPTS', '-k one_test')
    monkeypatch.setenv('PYTEST_PLUGINS', 'some_plugin')
    monkeypatch.setenv('PYTEST_XDIST_WORKER', 'gw0')
    monkeypatch.setenv('SUPERVISOR_CONTROL_SOMETHING', 'kept')
    env = releases.nested_env('/opt/supervisor/bin')
    assert sorted(name for name in env if name.startswith('PYTEST_')) == []
    assert env['SUPERVISOR_CONTROL_TEST_SUPERVISOR_BIN'] == '/opt/supervisor/bin'
    assert env['SUPERVISOR_CONTROL_SOMETHING'] == 'kept'
    assert env['PATH'].split(':')[0] == releases.VENV_BIN


def test_the_release_is_what_the_environment_s_supervisord_prints(tmp_path):
    fake = tmp_path / 'supervisord'
    fake.write_text('#!/bin/sh\necho 4.3.0\n')
    fake.chmod(0o755)
    assert releases.release_of(str(tmp_path)) == '4.3.0'
