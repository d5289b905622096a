"""Benchmark (not a test): the cost of the supervisor.control.supvisors event path.

Publishes real Supvisors ``process`` messages through a real ZeroMQ PUB socket
(in another process) and measures, in the same run and on the same machine:

* throughput: events per second through the source (``main(queue, args)`` with
  ansible-rulebook's one-slot queue and a consumer task), next to a bare pyzmq
  ``recv_multipart`` + ``json.loads`` loop, which is the floor of any SUB client;
* latency: publish-to-queue time (median, p99) with paced publishing, for both.

Numbers depend on the machine and its load: read the ratios, not the absolutes.

    .venv/bin/python tests/benchmarks/bench_event_path.py [--count 50000] [--latency-count 2000]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time

import zmq
import zmq.asyncio

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from tests.support.paths import ensure_collection_link  # noqa: E402

ensure_collection_link()
from ansible_collections.supervisor.control.extensions.eda.plugins.event_source import supvisors  # noqa: E402

BODY = {"application_name": "web", "process_name": "sleeper", "now_monotonic": 1096.71307289,
        "statecode": 40, "statename": "STOPPING", "expected_exit": True, "last_event_mtime": 1096.712743001,
        "identifiers": ["svhost:60000"], "extra_args": ""}


def publisher(port, count, pace, ready, go):
    """Another process: bind, wait for the subscriber to be ready, publish ``count`` messages."""
    context = zmq.Context()
    sock = context.socket(zmq.PUB)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.setsockopt(zmq.LINGER, 5000)
    sock.bind('tcp://127.0.0.1:%d' % port)
    ready.set()
    # Probes until the subscriber says it sees them (PUB/SUB drops before the subscription arrives).
    while not go.is_set():
        sock.send_multipart([b'supvisors', b'{"probe": true}'])
        time.sleep(0.01)
    time.sleep(0.2)
    if not pace:
        # Throughput: prepared messages, so that the publisher is not the bottleneck.
        frames = [[b'process', json.dumps(dict(BODY, seq=seq, t=0)).encode()] for seq in range(count)]
        for message in frames:
            sock.send_multipart(message)
    for seq in range(count if pace else 0):
        body = dict(BODY, seq=seq, t=time.perf_counter_ns())
        sock.send_multipart([b'process', json.dumps(body).encode()])
        if pace:
            target = time.perf_counter() + pace
            while time.perf_counter() < target:
                time.sleep(pace / 4)
    sock.send_multipart([b'supvisors', b'{"end": true}'])
    time.sleep(0.5)
    sock.close()
    context.term()


def start_publisher(count, pace):
    with zmq.Context() as ctx, ctx.socket(zmq.PUB) as probe:
        port = probe.bind_to_random_port('tcp://127.0.0.1')
    ready, go = multiprocessing.Event(), multiprocessing.Event()
    proc = multiprocessing.Process(target=publisher, args=(port, count, pace, ready, go), daemon=True)
    proc.start()
    ready.wait(10)
    return proc, port, go


class Stats(object):
    def __init__(self):
        self.received = 0
        self.first = None
        self.last = None
        self.latencies = []

    def seen(self, body):
        now = time.perf_counter_ns()
        if self.first is None:
            self.first = now
        self.last = now
        self.received += 1
        if body['t']:
            self.latencies.append((now - body['t']) / 1e3)

    @property
    def rate(self):
        if not self.first or self.last == self.first:
            return float('nan')
        return (self.received - 1) / ((self.last - self.first) / 1e9)

    def percentile(self, fraction):
        if not self.latencies:
            return float('nan')
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def bare_loop(port, go):
    context = zmq.asyncio.Context()
    sock = context.socket(zmq.SUB)
    sock.setsockopt(zmq.RCVHWM, 0)
    for header in (b'supvisors', b'process'):
        sock.setsockopt(zmq.SUBSCRIBE, header)
    sock.connect('tcp://127.0.0.1:%d' % port)
    stats = Stats()
    try:
        while True:
            header, body = await sock.recv_multipart()
            body = json.loads(body.decode('utf-8'))
            if header == b'supvisors':
                if body.get('end'):
                    return stats
                go.set()
                continue
            stats.seen(body)
    finally:
        sock.close(0)
        context.term()


async def source_loop(port, go):
    queue = asyncio.Queue(maxsize=1)     # what ansible-rulebook gives a source
    task = asyncio.ensure_future(supvisors.main(queue, {
        'host': '127.0.0.1', 'port': port, 'heartbeat': 0, 'types': ['supvisors', 'process'],
        'high_water_mark': 0}))
    stats = Stats()
    try:
        while True:
            event = await queue.get()
            data = event['supvisors']['data']
            if event['supvisors']['type'] == 'supvisors':
                if data.get('end'):
                    return stats
                go.set()
                continue
            stats.seen(data)
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


def measure(kind, count, pace):
    proc, port, go = start_publisher(count, pace)
    loop = bare_loop if kind == 'bare' else source_loop
    try:
        stats = asyncio.run(asyncio.wait_for(loop(port, go), 300))
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.terminate()
    stats.sent = count
    return stats


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--count', type=int, default=50000, help='messages for the throughput runs')
    parser.add_argument('--latency-count', type=int, default=2000, help='paced messages for the latency runs')
    parser.add_argument('--pace', type=float, default=0.001, help='seconds between paced messages')
    parser.add_argument('--rounds', type=int, default=3, help='alternating rounds (best kept)')
    options = parser.parse_args()

    throughput = {'bare': [], 'source': []}
    latency = {}
    for _round in range(options.rounds):
        for kind in ('bare', 'source'):
            throughput[kind].append(measure(kind, options.count, 0))
    for kind in ('bare', 'source'):
        latency[kind] = measure(kind, options.latency_count, options.pace)

    best = dict((k, max(v, key=lambda s: s.rate)) for k, v in throughput.items())
    rows = [('path', 'events/s (best of %d)' % options.rounds, 'received/sent', 'median us', 'p99 us')]
    names = {'bare': 'bare pyzmq recv + json.loads', 'source': 'supervisor.control.supvisors main()'}
    for kind in ('bare', 'source'):
        rows.append((names[kind], '%.0f' % best[kind].rate,
                     '%d/%d' % (best[kind].received, best[kind].sent),
                     '%.0f' % latency[kind].percentile(0.5), '%.0f' % latency[kind].percentile(0.99)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)))
        if index == 0:
            print('  '.join('-' * width for width in widths))
    print()
    print('throughput ratio source/bare: %.2f  (all rounds: bare %s, source %s events/s)' % (
        best['source'].rate / best['bare'].rate,
        ', '.join('%.0f' % s.rate for s in throughput['bare']),
        ', '.join('%.0f' % s.rate for s in throughput['source'])))
    print('median latency ratio source/bare: %.2f; p99 ratio: %.2f  (%d paced messages, one every %s s)' % (
        latency['source'].percentile(0.5) / latency['bare'].percentile(0.5),
        latency['source'].percentile(0.99) / latency['bare'].percentile(0.99),
        options.latency_count, options.pace))
    print('python %s, pyzmq %s, libzmq %s, %d CPUs' % (
        sys.version.split()[0], zmq.__version__, zmq.zmq_version(), os.cpu_count()))


if __name__ == '__main__':
    main()
