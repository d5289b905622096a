"""Benchmark (not a test): the push path's delivery rule under faults, for longer than the suite does.

Every event supervisord hands the listener is delivered exactly once, in order per process, or
counted once in ``dropped``; what supervisord never hands it is counted once in ``missing``.
Each run is tests/support/faults.py's ``FaultRun`` (the suite runs it once, 40 s, in
tests/integration/event_sources/test_push_faults.py): a real supervisord in a mount namespace,
flapping programs, a talker (CR, CRLF, Unicode spaces, 64 KB), the real listener and the real
source behind a proxy; at random, seeded: the listener SIGKILLed, the receiver down, answering
500, hanging or losing answers, the spool's disk read-only or full, the source restarted.

Prints, per run and in all, the events checked, the faults injected and the violations (0 when
the rule holds); the violations themselves if any. Needs root (mount namespaces).

    .venv/bin/python tests/benchmarks/bench_push_faults.py [--runs 3] [--seconds 100] [--seed 1000]
"""

import argparse
import collections
import os
import shutil
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from tests.support.faults import FaultRun  # noqa: E402


def describe(faults):
    return '%d (%s)' % (sum(faults.values()), ', '.join('%s %d' % item for item in sorted(faults.items())))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--runs', type=int, default=3, help='runs, each with a seed of its own (default 3)')
    parser.add_argument('--seconds', type=float, default=100, help='seconds of faults in each run (default 100)')
    parser.add_argument('--seed', type=int, default=1000, help='seed of the first run; the next ones follow')
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print('skipped: the runs need root (a mount namespace for the spool\'s disk)')
        return 0
    workdir = tempfile.mkdtemp(prefix='bench-push-faults-')
    checked, faults, violations = 0, collections.Counter(), []
    try:
        for index in range(args.runs):
            seed = args.seed + index
            started = time.monotonic()
            with FaultRun(os.path.join(workdir, 'run-%d' % seed), seed) as run:
                run.inject(args.seconds)
                try:
                    run.settle()
                    found, events = run.violations()
                except AssertionError as exc:         # nothing came to rest: that breaks the rule too
                    found, events = ['did not settle: %s' % exc], 0
            checked += events
            faults.update(run.faults)
            violations += ['seed %d: %s' % (seed, line) for line in found]
            print('run %d/%d, seed %d: %.0f s, %d events checked, faults injected %s, violations %d' % (
                index + 1, args.runs, seed, time.monotonic() - started, events, describe(run.faults), len(found)))
            sys.stdout.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for line in violations:
        print('  violation: ' + line)
    print('events checked: %d' % checked)
    print('faults injected: %s' % describe(faults))
    print('violations: %d' % len(violations))
    return 0


if __name__ == '__main__':
    sys.exit(main())
