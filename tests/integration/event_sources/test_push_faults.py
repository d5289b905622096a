"""The push path's delivery rule, as a property under faults.

Every event supervisord hands the listener is either delivered exactly once, in order per
process, or counted once in ``dropped``; the listener never acknowledges an event it has not
spooled or counted. Events supervisord never hands it (its buffer overflowed meanwhile) are
counted once in ``missing``.

A real supervisord, in a mount namespace of its own (its listener's spool on a small tmpfs),
runs programs that flap (one every 0.2 s, three with a Unicode space in their name) and one
that writes CR, CRLF, Unicode spaces and 64 KB of text (PROCESS_LOG events); the real listener
posts through a proxy to the real source (``listen``). Meanwhile, at random (seeded): the
listener is SIGKILLed, the receiver is down, answers 500, hangs, or takes an event and loses
the answer, the spool's disk is read-only or full, the source restarts. Then the account:
supervisord's main log (states, and the events it discarded) against what the source emitted.
tests/support/faults.py has the run; tests/benchmarks/bench_push_faults.py runs it for longer.
"""

import pytest

from tests.support.faults import FaultRun

pytestmark = pytest.mark.slow

SEED = 20
SECONDS = 40


def test_every_event_is_delivered_once_or_counted_once_whatever_the_faults(tmp_path):
    with FaultRun(str(tmp_path / 'run'), SEED) as run:
        run.inject(SECONDS)
        run.settle()
        violations, checked = run.violations()
    assert sum(run.faults.values()) >= 10
    assert set(run.faults) == {'kill', 'down', 'error', 'hang', 'lose', 'readonly', 'full', 'restart'}
    assert checked > 200
    assert violations == []
