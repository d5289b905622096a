"""exec_check: what /proc says of a frozen child, before or after its exec (keep_stopped: a kept process must never run its program).

The classification is pure; ``frozen_child`` is tested on real processes of this test,
frozen by SIGSTOP before and after their execve, as supervisord's children are.
"""

import os
import signal
import time

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import exec_check as X  # noqa: E402

SLEEP = '/bin/sleep'


def test_parse_stat_counts_fields_from_the_last_parenthesis():
    assert X.parse_stat('42 (a) (b) c) T 7 42 7 0 -1') == ('T', 7, 7)


@pytest.mark.parametrize('child, parent, child_cmdline, expected', [
    (('T', 100, 5), ('S', 1, 5), b'supervisord\0-c\0x.conf\0', X.BEFORE_EXEC),
    (('T', 100, 5), ('S', 1, 5), b'sleep\0100\0', X.AFTER_EXEC),
    (('S', 100, 5), ('S', 1, 5), None, X.NOT_FROZEN),
    (('T', 99, 5), ('S', 1, 5), b'sleep\0100\0', X.UNSEEN),        # not supervisord's child
    (('T', 100, 6), ('S', 1, 5), b'sleep\0100\0', X.UNSEEN),       # same ppid, another session: another pid namespace
    (None, ('S', 1, 5), None, X.UNSEEN),
    (('T', 100, 5), None, None, X.UNSEEN),
    (('T', 100, 5), ('S', 1, 5), None, X.UNSEEN),                  # command line hidden
])
def test_classify(child, parent, child_cmdline, expected):
    assert X.classify(child, parent, 100, child_cmdline, b'supervisord\0-c\0x.conf\0') == expected


def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.01)


def stat_state(pid):
    with open('/proc/%d/stat' % pid) as handle:
        return X.parse_stat(handle.read())[0]


def cmdline(pid):
    with open('/proc/%d/cmdline' % pid, 'rb') as handle:
        return handle.read()


@pytest.fixture
def child():
    """A child of this process that freezes itself before its exec, then, resumed, becomes sleep."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            os.kill(os.getpid(), signal.SIGSTOP)
            os.execv(SLEEP, [SLEEP, '1000'])
        finally:
            os._exit(127)
    try:
        yield pid
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_frozen_child_before_and_after_its_exec(child):
    me = os.getpid()
    wait_until(lambda: stat_state(child) == 'T')
    assert X.frozen_child(child, me) == X.BEFORE_EXEC
    # Not this process's child: unseen, whatever it is.
    assert X.frozen_child(child, os.getppid()) == X.UNSEEN
    os.kill(child, signal.SIGCONT)
    wait_until(lambda: cmdline(child).startswith(SLEEP.encode()))
    assert X.frozen_child(child, me) == X.NOT_FROZEN
    os.kill(child, signal.SIGSTOP)
    wait_until(lambda: stat_state(child) == 'T')
    assert X.frozen_child(child, me) == X.AFTER_EXEC


def test_frozen_child_of_a_pid_that_does_not_exist_is_unseen(tmp_path):
    assert X.frozen_child(2 ** 22 + 1, os.getpid()) == X.UNSEEN
    # An empty /proc (another host's pids mean nothing here).
    assert X.frozen_child(os.getpid(), os.getppid(), proc=str(tmp_path)) == X.UNSEEN
