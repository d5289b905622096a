"""Benchmark (not a test): rolling restarts with readiness, ratios measured in one run.

A pool of 12 real workers (tests/support/pool_worker.py) that warm up for 1 s, then listen and
print a ready line, restarted by ``supervisor.control.process`` with ``rolling: {size: 3}`` and
``ready: {log: ready on}``, while a prober counts every 50 ms how many workers accept connections.
Compared with, on the same daemon, interleaved, medians:

1. the ideal, 4 batches x (stop + warm-up), both measured with a bare XML-RPC client doing the
   least possible (stop a batch with ``wait=False`` and poll every 20 ms until it is stopped; start
   it and probe every 20 ms until every worker of it listens);
2. the same roll written by hand as users write it today: ``include_tasks`` in a loop over the
   batches, each one ``process`` task restarting the batch, then ``ansible.builtin.wait_for`` on each
   port of the batch. Both are timed as whole playbooks (so the include loop's own cost counts).

Prints the ratios roll / ideal (target <= 1.3), lowest capacity / (N - size) (target exactly 1)
and ours / by hand (target < 1); asserts nothing.

    .venv/bin/python tests/benchmarks/bench_rolling.py [--repeat 3]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from tests.benchmarks.run import Runner, local_play  # noqa: E402
from tests.support.pool import READY_LINE, Prober, free_base, listening, pool_program, wait_listening  # noqa: E402
from tests.support.supervisord import Supervisord  # noqa: E402

COUNT = 12
SIZE = 3
WARMUP = 1.0


def bare_batch(daemon, names, ports):
    """(seconds to stop ``names``, seconds until they listen again once started), with a bare client."""
    client = daemon.client()
    started = time.monotonic()
    client.multicall([('supervisor.stopProcess', [name, False]) for name in names])
    while any(client.call('supervisor.getProcessInfo', name)['statename'] != 'STOPPED' for name in names):
        time.sleep(0.02)
    stop = time.monotonic() - started
    started = time.monotonic()
    client.multicall([('supervisor.startProcess', [name, False]) for name in names])
    while len(listening(ports)) < len(ports):
        time.sleep(0.02)
    return stop, time.monotonic() - started


def hand_roll(workdir, url, batches):
    """The by-hand roll: a play that includes batch.yml for each batch (names and ports)."""
    batch_file = os.path.join(workdir, 'batch.yml')
    with open(batch_file, 'w') as handle:
        yaml.safe_dump([
            {'name': 'restart the batch', 'supervisor.control.process': {
                'name': '{{ batch.names }}', 'state': 'restarted', 'server_url': url}},
            {'name': 'wait until each worker of the batch listens', 'ansible.builtin.wait_for': {
                'host': '127.0.0.1', 'port': '{{ item }}', 'timeout': 60}, 'loop': '{{ batch.ports }}'},
        ], handle, sort_keys=False)
    return local_play([{'name': 'by hand', 'ansible.builtin.include_tasks': batch_file, 'loop': batches,
                        'loop_control': {'loop_var': 'batch'}}])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='bench-rolling-')
    control = os.path.join(workdir, 'control')
    os.makedirs(control)
    base = free_base(COUNT)
    ports = [base + n for n in range(1, COUNT + 1)]
    names = ['pool:pool_%d' % n for n in range(1, COUNT + 1)]
    try:
        with Supervisord(os.path.join(workdir, 'supervisord'),
                         programs={'pool': pool_program(base, COUNT, control, WARMUP)}) as daemon:
            wait_listening(ports)
            runner = Runner(workdir, None)
            ours = local_play([{'name': 'roll', 'supervisor.control.process': {
                'name': 'pool', 'state': 'restarted', 'server_url': daemon.server_url, 'timeout': 60,
                'rolling': {'size': SIZE}, 'ready': {'log': READY_LINE}}}])
            batches = [{'names': names[i:i + SIZE], 'ports': ports[i:i + SIZE]} for i in range(0, COUNT, SIZE)]
            by_hand = hand_roll(workdir, daemon.server_url, batches)
            measured = {'ours': [], 'ours task': [], 'hand': [], 'stop': [], 'warm': []}
            lowest = {'ours': [], 'hand': []}
            for rep in range(args.repeat):
                for kind, play in (('ours', ours), ('hand', by_hand))[::1 if rep % 2 == 0 else -1]:
                    with Prober(ports) as prober:
                        times, record = runner.playbook([play])
                    measured[kind].append(record['playbook_seconds'])
                    lowest[kind].append(prober.lowest)
                    if kind == 'ours':
                        measured['ours task'].append(times['roll'][0])
                    wait_listening(ports)
                stop, warm = bare_batch(daemon, names[:SIZE], ports[:SIZE])
                measured['stop'].append(stop)
                measured['warm'].append(warm)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    median = dict((key, statistics.median(values)) for key, values in measured.items())
    batches_count = COUNT // SIZE
    ideal = batches_count * (median['stop'] + median['warm'])
    print('pool of %d workers, %g s warm-up, size %d: %d repetitions' % (COUNT, WARMUP, SIZE, args.repeat))
    print('bare client: a batch stops in %.2f s, listens again %.2f s after its start' % (
        median['stop'], median['warm']))
    print('rolling restart task: %.2f s (whole playbook %.2f s); ideal %d x (%.2f + %.2f) = %.2f s' % (
        median['ours task'], median['ours'], batches_count, median['stop'], median['warm'], ideal))
    print('by hand (include_tasks loop, process + wait_for): whole playbook %.2f s' % median['hand'])
    print('lowest capacity seen: ours %s, by hand %s (of %d; N - size = %d)' % (
        lowest['ours'], lowest['hand'], COUNT, COUNT - SIZE))
    print('ratio roll/ideal: %.2f' % (median['ours task'] / ideal))
    print('ratio lowest capacity/(N - size): %.2f' % (min(lowest['ours']) / float(COUNT - SIZE)))
    print('ratio ours/by-hand: %.2f' % (median['ours'] / median['hand']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
