#!/usr/bin/env python
"""Profile one run of the process module against a real supervisord (benchmark aid, not a test).

    .venv/bin/python tests/benchmarks/bench_profile.py [--processes 500] [--names 500] [--cold]
                                                        [--state started] [--repeat 3] [--html FILE]
                                                        [--against CHECKOUT]

Starts a supervisord with ``--processes`` copies of one program (running, or
stopped with startsecs=1 with ``--cold``), then runs
``supervisor.control.process`` the way Ansible's module runner does (a new
Python process reading its arguments from a file), first ``--repeat`` times
for the wall time, then once under pyinstrument (installed by scripts/bench
into .cache/bench-venv), and prints the call tree. What it shows is the
module's own cost on the target, without Ansible's controller around it.

``--against CHECKOUT`` (another checkout of this repository, for instance
``mkdir /tmp/base && git archive HEAD | tar -x -C /tmp/base``) runs that collection's module too,
interleaved with this one's on the same daemon (A B, B A, ...), and prints
the ratio of the medians: an A/B measure of a change, insensitive to the load.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from run import BENCH_VENV, SLEEPER, BenchDaemon  # noqa: E402
from tests.support.paths import ensure_collection_link  # noqa: E402

MODULE = 'ansible_collections.supervisor.control.plugins.modules.process'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--processes', type=int, default=500, help='processes in the daemon')
    parser.add_argument('--names', type=int, default=None, help='names in the task (default: all)')
    parser.add_argument('--state', default='started')
    parser.add_argument('--cold', action='store_true', help='processes stopped, startsecs=1 (item 3)')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--html', help='write pyinstrument HTML here too')
    parser.add_argument('--against', help='another checkout of the collection, run interleaved with this one')
    args = parser.parse_args()
    names = ['w:w_%03d' % i for i in range(args.names or args.processes)]
    program = dict(command=SLEEPER, numprocs=args.processes, process_name='w_%(process_num)03d', stopwaitsecs=2)
    program.update(dict(startsecs=1, autostart=False) if args.cold else dict(startsecs=0))
    directory = tempfile.mkdtemp(prefix='svprof-')
    daemon = BenchDaemon(os.path.join(directory, 'daemon'), programs={'w': program}, groups={})
    os.makedirs(daemon.directory)
    env = dict(os.environ, PYTHONPATH=ensure_collection_link())
    try:
        daemon.start(timeout=60)
        if not args.cold:
            daemon.wait_all('RUNNING')
        params = os.path.join(directory, 'args.json')
        with open(params, 'w') as handle:
            json.dump({'ANSIBLE_MODULE_ARGS': {'name': names, 'state': args.state, 'timeout': 120,
                                               'server_url': daemon.server_url}}, handle)

        def reset():
            if args.cold:
                daemon.stop_now(names)

        variants = [('this checkout', env)]
        if args.against:
            root = os.path.join(directory, 'against')
            os.makedirs(os.path.join(root, 'ansible_collections', 'supervisor'))
            os.symlink(os.path.abspath(args.against), os.path.join(root, 'ansible_collections', 'supervisor',
                                                                   'control'))
            variants.append(('--against', dict(os.environ, PYTHONPATH=root)))
        times = dict((label, []) for label, dummy in variants)
        for repetition in range(args.repeat):
            for label, variant_env in (variants if repetition % 2 == 0 else variants[::-1]):
                reset()
                started = time.monotonic()
                proc = subprocess.run([sys.executable, '-m', MODULE, params], env=variant_env, capture_output=True,
                                      text=True, check=False)
                times[label].append(time.monotonic() - started)
                result = json.loads(proc.stdout or '{}')
                print('module run (%s): %.3f s (changed=%s, failed=%s)' % (
                    label, times[label][-1], result.get('changed'), result.get('failed', False)))
        if args.against:
            this, other = (statistics.median(times[label]) for label, dummy in variants)
            print('median: this checkout %.3f s, --against %.3f s; this / against = %.2f' % (
                this, other, this / other))
        pyinstrument = os.path.join(BENCH_VENV, 'bin', 'pyinstrument')
        if not os.path.exists(pyinstrument):
            print('pyinstrument is not in %s: run scripts/bench --setup' % BENCH_VENV)
            return 0
        reset()
        cmd = [pyinstrument, '-r', 'text', '-o', os.path.join(directory, 'profile.txt'),
               '-m', MODULE, params]
        subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        with open(os.path.join(directory, 'profile.txt')) as handle:
            print(handle.read())
        if args.html:
            reset()
            subprocess.run([pyinstrument, '-r', 'html', '-o', args.html, '-m', MODULE, params], env=env,
                           capture_output=True, text=True, check=False)
            print('HTML profile: %s' % args.html)
    finally:
        daemon.stop()
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
