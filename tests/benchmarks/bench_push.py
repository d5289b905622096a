"""Benchmark (not a test): pushed events, ratios measured in one run.

1. Throughput: the push listener (roles/supervisord/files/supervisor_control_push.py)
   drains a spool of N events to (a) a bare HTTP receiver (http.server, keeps the
   JSON) and (b) the supervisor.control.supervisord source's ``listen`` endpoint
   with a consumer on ansible-rulebook's one-slot queue. Events per second,
   interleaved repetitions, medians; the ratio source / bare.
2. Reaction: a process without autorestart killed with SIGKILL, time until it
   RUNS again (new pid), started by a real ansible-rulebook: the push rulebook
   (supervisord_push_restart.yml) against the polling one (supervisord_crashes.yml,
   ``interval: 1``), two identical daemons, interleaved; the ratio push / poll.

3. Fleet: 50 daemons, each with a process that exits every ~0.6 s, pushing to one
   source (``listen``) against the same source polling all 50 (``interval: 1``):
   events per second and the source's CPU (in a process of its own), interleaved.

Not measured here: Supvisors' reaction (bench_reaction.py has Supvisors against polling).

    .venv/bin/python tests/benchmarks/bench_push.py [--events 5000] [--repeat 3] [--crashes 5] [--daemons 50]
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from tests.support.paths import ensure_collection_link  # noqa: E402

COLLECTIONS_ROOT = ensure_collection_link()
from tests.support.eda import RULEBOOKS, Rulebook, load_source  # noqa: E402
from tests.support.push import LISTENER, NO_TICKS, SYSTEM_PYTHON, TOKEN, Receiver, listener_section  # noqa: E402
from tests.support.supervisord import SLEEPER, Supervisord, free_port  # noqa: E402

source_module = load_source('supervisord')


def records(count, boot):
    return [{'format': 'supervisor.control.push/1', 'host': 'bench', 'boot': boot, 'serial': serial,
             'poolserial': serial, 'pool': 'push', 'server': 'supervisor', 'eventname': 'PROCESS_STATE_RUNNING',
             'payload': {'processname': 'p%d' % (serial % 50), 'groupname': 'g', 'from_state': 'STARTING',
                         'pid': 1000 + serial}, 'time': 0.0} for serial in range(count)]


def drain(directory, url, count, arrived):
    """Run the listener on a spool of ``count`` events; seconds until ``arrived()`` reaches count."""
    spool = os.path.join(directory, 'spool.jsonl')
    for suffix in ('', '.ack'):
        if os.path.exists(spool + suffix):
            os.unlink(spool + suffix)
    with open(spool, 'w') as handle:
        # A boot of its own each time: the source would drop the same serials as duplicates.
        for record in records(count, 'bench-%d' % time.monotonic_ns()):
            handle.write(json.dumps(record) + '\n')
    token = os.path.join(directory, 'token')
    with open(token, 'w') as handle:
        handle.write(TOKEN)
    start = arrived()
    listener = subprocess.Popen([SYSTEM_PYTHON, LISTENER, '--url', url, '--token-file', token, '--spool', spool,
                                 '--max-events', str(count + 10)],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        began = None
        while arrived() - start < count:
            if began is None and arrived() > start:
                began = time.perf_counter()
            time.sleep(0.001)
        return time.perf_counter() - (began or time.perf_counter())
    finally:
        listener.stdin.close()
        listener.kill()
        listener.wait()


class SourceThread(object):
    """The source with ``listen``, in its own event loop, and a consumer on a one-slot queue."""

    def __init__(self, port):
        self.count = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(port,), daemon=True)
        self.thread.start()
        self.ready.wait(30)

    def _run(self, port):
        asyncio.set_event_loop(self.loop)

        async def main():
            queue = asyncio.Queue(maxsize=1)

            async def consume():
                while True:
                    await queue.get()
                    self.count += 1
            self.consumer = asyncio.ensure_future(consume())
            self.task = asyncio.ensure_future(source_module.main(queue, {'listen': {'port': port, 'token': TOKEN}}))
            await asyncio.sleep(0.5)
            self.ready.set()
            await asyncio.gather(self.task, self.consumer, return_exceptions=True)
        self.loop.run_until_complete(main())

    def stop(self):
        def cancel():
            self.task.cancel()
            self.consumer.cancel()
        self.loop.call_soon_threadsafe(cancel)
        self.thread.join(10)


def throughput(directory, count, repeat):
    receiver = Receiver()
    port = free_port()
    source = SourceThread(port)
    results = {'bare': [], 'source': []}
    try:
        for index in range(repeat):
            order = ('bare', 'source') if index % 2 == 0 else ('source', 'bare')
            for mode in order:
                if mode == 'bare':
                    seconds = drain(directory, receiver.url, count, lambda: len(receiver.records))
                else:
                    seconds = drain(directory, 'http://127.0.0.1:%d/' % port, count, lambda: source.count)
                results[mode].append(count / seconds)
                print('  %-6s %8.0f events/s' % (mode, count / seconds), flush=True)
    finally:
        source.stop()
        receiver.close()
    return results


def wait_restarted(daemon, name, pid, rulebook):
    killed = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    while True:
        info = daemon.info(name)
        if info['statename'] == 'RUNNING' and info['pid'] != pid:
            return time.perf_counter() - killed
        if time.perf_counter() - killed > 120:
            raise RuntimeError('%s not restarted:\n%s' % (name, rulebook.output[-3000:]))
        time.sleep(0.02)


def reaction(directory, crashes):
    """Two identical daemons, one pushing to the push rulebook, one polled; both rulebooks up all along.

    Each daemon has its own rulebook: a rulebook runs its actions one after
    another, so a backlog of another daemon's restarts would delay the one measured.
    """
    port = free_port()
    victims = ['victim_%d' % i for i in range(crashes)]
    programs = dict((name, dict(command=SLEEPER, startsecs=0, autorestart=False)) for name in victims)
    inventory = os.path.join(directory, 'inventory.yml')
    with open(inventory, 'w') as handle:
        yaml.safe_dump({'all': {'hosts': {'app1': {'ansible_connection': 'local',
                                                   'ansible_python_interpreter': sys.executable}}}}, handle)
    daemons, rulebooks = {}, {}
    results = {'push': [], 'poll': []}
    try:
        for mode in ('push', 'poll'):
            svd = os.path.join(directory, mode)
            os.makedirs(os.path.join(svd, 'rulebook'))
            extra = listener_section('http://127.0.0.1:%d/' % port, svd, events=NO_TICKS) if mode == 'push' else {}
            daemons[mode] = Supervisord(svd, programs=programs, extra_sections=extra).start()
        rulebooks['push'] = Rulebook(
            os.path.join(RULEBOOKS, 'supervisord_push_restart.yml'), inventory,
            os.path.join(directory, 'push', 'rulebook'),
            variables={'push_port': port, 'push_token': TOKEN, 'supervisord_url': daemons['push'].server_url})
        rulebooks['poll'] = Rulebook(
            os.path.join(RULEBOOKS, 'supervisord_crashes.yml'), inventory, os.path.join(directory, 'poll', 'rulebook'),
            variables={'supervisord_host': 'app1', 'supervisord_url': daemons['poll'].server_url,
                       'supervisord_interval': 1})
        for rulebook in rulebooks.values():
            rulebook.wait_for('Waiting for events')
        time.sleep(3)      # the first poll; the listener's start-up events
        for index, name in enumerate(victims):
            for mode in (('push', 'poll') if index % 2 == 0 else ('poll', 'push')):
                daemon = daemons[mode]
                seconds = wait_restarted(daemon, name, daemon.info(name)['pid'], rulebooks[mode])
                results[mode].append(seconds)
                print('  %-4s %.2f s' % (mode, seconds), flush=True)
                time.sleep(1)
    finally:
        for rulebook in rulebooks.values():
            rulebook.stop()
        for daemon in daemons.values():
            daemon.cleanup()
    return results


SOURCE_RUNNER = r"""
import asyncio, json, os, signal, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.supervisor.control.extensions.eda.plugins.event_source import supervisord
count = 0

async def main():
    queue = asyncio.Queue(maxsize=1)

    async def consume():
        global count
        while True:
            await queue.get()
            count += 1

    async def report():
        while True:
            times = os.times()
            print(json.dumps([time.monotonic(), count, times.user + times.system]), flush=True)
            await asyncio.sleep(1)
    tasks = [asyncio.ensure_future(c) for c in (consume(), report(), supervisord.main(queue, json.loads(sys.argv[2])))]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for task in tasks:
        task.cancel()

asyncio.run(main())
"""


def source_process(args, seconds, warmup=5):
    """(events/s, CPU seconds per second) of the source in a process of its own, after a warm-up."""
    proc = subprocess.Popen([sys.executable, '-c', SOURCE_RUNNER, COLLECTIONS_ROOT, json.dumps(args)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        samples = []
        for line in proc.stdout:
            samples.append(json.loads(line))
            if samples[-1][0] - samples[0][0] >= warmup + seconds:
                break
        start = next(sample for sample in samples if sample[0] - samples[0][0] >= warmup)
        end = samples[-1]
        elapsed = end[0] - start[0]
        return (end[1] - start[1]) / elapsed, (end[2] - start[2]) / elapsed
    finally:
        proc.terminate()
        proc.wait(10)


def fleet(directory, count, seconds, repeat):
    """``count`` daemons, each with a process that exits every ~0.6 s: one source listening, or polling all."""
    port = free_port()
    daemons = []
    results = {'push': [], 'poll': []}
    try:
        for index in range(count):
            svd = os.path.join(directory, 'fleet', 'd%02d' % index)
            os.makedirs(svd)
            daemons.append(Supervisord(svd, programs={'flapper': dict(
                command="sh -c 'echo up; sleep 0.5; echo down; exit 1'", startsecs=0, autorestart=True)},
                extra_sections=listener_section('http://127.0.0.1:%d/' % port, svd, host='d%02d' % index,
                                                spool=False, events=NO_TICKS)).start())
        servers = [{'server_url': d.server_url, 'host': 'd%02d' % i} for i, d in enumerate(daemons)]
        for index in range(repeat):
            for mode in (('push', 'poll') if index % 2 == 0 else ('poll', 'push')):
                if mode == 'push':
                    rate, cpu = source_process({'listen': {'port': port, 'token': TOKEN}}, seconds)
                else:
                    # The listeners keep posting (to a bare receiver): the same load on the machine,
                    # and no backlog for the next push measure.
                    receiver = Receiver(port)
                    try:
                        rate, cpu = source_process({'servers': servers, 'interval': 1}, seconds)
                    finally:
                        receiver.close()
                results[mode].append([rate, cpu])
                print('  %-4s %6.0f events/s, source CPU %3.0f%%' % (mode, rate, 100 * cpu), flush=True)
    finally:
        for daemon in daemons:
            daemon.cleanup()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--events', type=int, default=5000, help='events for the throughput measure (0: skip it)')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--crashes', type=int, default=5, help='crashes per rulebook (0: skip the reaction measure)')
    parser.add_argument('--daemons', type=int, default=50, help='daemons for the fleet measure (0: skip it)')
    parser.add_argument('--seconds', type=float, default=15, help='length of each fleet measure')
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix='bench-push-')
    try:
        rates = times = None
        if args.events:
            print('throughput, %d events from the spool:' % args.events, flush=True)
            rates = throughput(directory, args.events, args.repeat)
        if args.crashes:
            print('reaction, SIGKILL to RUNNING again:', flush=True)
            times = reaction(directory, args.crashes)
        fleets = {}
        if args.daemons:
            print('%d daemons, one source:' % args.daemons, flush=True)
            fleets = fleet(directory, args.daemons, args.seconds, args.repeat)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print('\n| measure | median | ratio |\n|---|---|---|')
    if rates:
        bare, source = statistics.median(rates['bare']), statistics.median(rates['source'])
        print('| events/s, listener to a bare HTTP receiver | %.0f | |' % bare)
        print('| events/s, listener to the source (listen) | %.0f | source / bare = %.2f |' % (source, source / bare))
    if times:
        push, poll = statistics.median(times['push']), statistics.median(times['poll'])
        print('| SIGKILL to RUNNING, push rulebook | %.2f s | |' % push)
        print('| SIGKILL to RUNNING, polling rulebook (interval 1) | %.2f s | push / poll = %.2f |' % (
            poll, push / poll))
    if fleets and min(len(fleets['push']), len(fleets['poll'])):
        medians = dict((mode, (statistics.median(r[0] for r in fleets[mode]),
                               statistics.median(r[1] for r in fleets[mode]))) for mode in fleets)
        print('| %d daemons pushing to one source: events/s, source CPU | %.0f, %.0f%% | |' % (
            args.daemons, medians['push'][0], 100 * medians['push'][1]))
        print('| one source polling the %d daemons (interval 1): events/s, source CPU | %.0f, %.0f%% | '
              'push / poll: events %.2f, CPU per event %.2f |' % (
                  args.daemons, medians['poll'][0], 100 * medians['poll'][1], medians['push'][0] / medians['poll'][0],
                  (medians['push'][1] / medians['push'][0]) / (medians['poll'][1] / medians['poll'][0])))
    print(json.dumps({'throughput': rates, 'reaction': times, 'fleet': fleets, 'loadavg': os.getloadavg()}))


if __name__ == '__main__':
    main()
