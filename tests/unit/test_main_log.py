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
