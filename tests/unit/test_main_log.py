"""What supervisord's main log says of a process: the lines about it, its last exit."""

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.main_log import (  # noqa: E402
    last_exit, lines_about, run_end)

# As supervisor 4.3.0 writes them (main log of a test daemon).
LOG = '''2026-12-01 21:31:11,560 INFO spawned: 'dier' with pid 5310
2026-12-01 21:31:11,570 INFO exited: dier (exit status 3; not expected)
2026-12-01 21:31:11,571 INFO gave up: dier entered FATAL state, too many start retries too quickly
2026-12-01 21:31:12,000 INFO exited: dier_2 (exit status 9; not expected)
2026-12-01 21:31:13,000 INFO exited: web_a (terminated by SIGKILL; not expected)
2026-12-01 21:31:14,000 INFO stopped: sleeper (terminated by SIGTERM)
2026-12-01 21:31:14,000 INFO waiting for sleeper to stop'''


def test_lines_about_one_process_and_not_its_prefixes():
    assert [line[24:] for line in lines_about(LOG, 'dier')] == [
        "INFO exited: dier (exit status 3; not expected)",
        "INFO gave up: dier entered FATAL state, too many start retries too quickly"]
    assert [line[24:] for line in lines_about(LOG, 'sleeper')] == [
        'INFO stopped: sleeper (terminated by SIGTERM)']


def test_last_exit_reason_and_status():
    assert last_exit(LOG, 'dier') == ('exit status 3; not expected', 3)
    assert last_exit(LOG, 'web_a') == ('terminated by SIGKILL; not expected', None)
    assert last_exit(LOG, 'sleeper') == (None, None)  # stopped, not exited
    assert last_exit('', 'dier') == (None, None) and last_exit(None, 'dier') == (None, None)


# From 4.2.5 on, an unexpected exit (and a stop whose status is not in exitcodes) is logged at WARN, not INFO;
# supervisord 3.x on Python 2 may name a signal by either of its names (SIGABRT or SIGIOT). Lines of real daemons.
LOG_4_2_5 = '''2026-12-05 01:00:00,100 INFO spawned: 'dier' with pid 77
2026-12-05 01:00:00,110 WARN exited: dier (exit status 3; not expected)
2026-12-05 01:00:01,000 WARN stopped: sleeper (terminated by SIGTERM)
2026-12-05 01:00:02,000 INFO exited: web_a (terminated by SIGIOT; not expected)'''


def test_the_level_of_a_line_and_the_name_of_a_signal_do_not_matter():
    assert last_exit(LOG_4_2_5, 'dier') == ('exit status 3; not expected', 3)
    assert last_exit(LOG_4_2_5, 'web_a') == ('terminated by SIGIOT; not expected', None)
    assert last_exit(LOG_4_2_5, 'sleeper') == (None, None)
    assert [line[24:] for line in lines_about(LOG_4_2_5, 'dier')] == ['WARN exited: dier (exit status 3; not expected)']


# A run that crashed, was restarted by autorestart, then stopped and started (supervisorctl restart): 4.3.0's lines.
RESTARTS = '''2026-12-05 05:00:00,100 INFO spawned: 'crasher' with pid 100
2026-12-05 05:00:00,110 WARN exited: crasher (exit status 3; not expected)
2026-12-05 05:00:01,000 INFO spawned: 'crasher' with pid 101
2026-12-05 05:00:01,000 INFO success: crasher entered RUNNING state, process has stayed up for > than 0 seconds
2026-12-05 05:00:02,000 INFO spawned: 'crasher_2' with pid 200
2026-12-05 05:00:02,100 INFO exited: crasher_2 (exit status 9; not expected)
2026-12-05 05:00:03,000 INFO waiting for crasher to stop
2026-12-05 05:00:03,010 WARN stopped: crasher (terminated by SIGTERM)
2026-12-05 05:00:03,020 INFO spawned: 'crasher' with pid 102
2026-12-05 05:00:04,000 WARN exited: crasher (terminated by SIGKILL; not expected)
2026-12-05 05:00:04,100 INFO spawned: 'crasher' with pid 103
2026-12-05 05:00:05,000 INFO exited: crasher (exit status 4; not expected)
2026-12-05 05:00:05,100 INFO gave up: crasher entered FATAL state, too many start retries too quickly'''


def test_the_end_of_a_run_is_the_last_end_line_between_its_spawn_and_the_next_one():
    # Restarted: the stop, not the older crash (exit 3) nor another process's line.
    assert run_end(RESTARTS, 'crasher', 101, 102) == ('stopped', 'terminated by SIGTERM', None)
    assert run_end(RESTARTS, 'crasher', 100, 101) == ('exited', 'exit status 3; not expected', 3)
    assert run_end(RESTARTS, 'crasher', 102, 103) == ('exited', 'terminated by SIGKILL; not expected', None)
    # Several runs between two polls: the one that ended last before the new run.
    assert run_end(RESTARTS, 'crasher', 100, 103) == ('exited', 'terminated by SIGKILL; not expected', None)
    # No new run (BACKOFF, FATAL: pid 0): the last end after the old run's spawn.
    assert run_end(RESTARTS, 'crasher', 103, 0) == ('exited', 'exit status 4; not expected', 4)
    # The old run's spawn before the tail: the new run's spawn bounds it still.
    tail = RESTARTS.split('\n', 4)[4]
    assert run_end(tail, 'crasher', 101, 102) == ('stopped', 'terminated by SIGTERM', None)


def test_no_end_without_its_window_in_the_tail():
    assert run_end(RESTARTS, 'crasher', 101, 999) is None           # the new run's spawn is not there
    assert run_end(RESTARTS, 'crasher', 999, 0) is None             # nor the old one's, and no new run
    no_end = '\n'.join(line for line in RESTARTS.splitlines() if 'exited: crasher (exit status 3' not in line)
    assert run_end(no_end, 'crasher', 100, 101) is None             # nothing ended between them
    # A log level above INFO leaves out every spawned: line; the crash of another run is not taken.
    warn_only = '\n'.join(line for line in RESTARTS.splitlines() if ' WARN ' in line)
    assert run_end(warn_only, 'crasher', 101, 102) is None
    assert run_end('', 'crasher', 1, 2) is None and run_end(None, 'crasher', 1, 0) is None


def test_the_spawned_line_of_supervisord_3():
    # 3.x writes %r of the name: 'NAME', or u'NAME' for a unicode name on Python 2.
    log = '''2026-12-05 05:00:00,100 INFO spawned: u'crasher' with pid 7
2026-12-05 05:00:03,010 INFO stopped: crasher (terminated by SIGTERM)
2026-12-05 05:00:03,020 INFO spawned: 'crasher' with pid 8'''
    assert run_end(log, 'crasher', 7, 8) == ('stopped', 'terminated by SIGTERM', None)
    assert run_end(log, 'crash', 7, 8) is None
