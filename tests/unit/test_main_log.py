"""What supervisord's main log says of a process: the lines about it, its last exit."""

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.main_log import last_exit, lines_about  # noqa: E402

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
