"""A Supvisors-like ZeroMQ publisher in a process of its own, for the stress tests.

    python publisher_process.py burst PORT COUNT SIZE
        Binds tcp://127.0.0.1:PORT (0: any free port) and prints the port. Sends a
        ``supvisors`` probe every 20 ms until a line arrives on stdin, then COUNT
        ``process`` messages of about SIZE bytes each (with ``seq``) as fast as the
        PUB socket takes them, then a ``supvisors`` message ``{"done": COUNT}``
        every 50 ms until a second line arrives; then it prints the last ``n``
        it sent (every message has ``n``, its number) and sends nothing more.

    python publisher_process.py ticks PORT INTERVAL GENERATION
        Binds tcp://127.0.0.1:PORT (retrying while the port is still taken) and
        prints ``ready``, then sends an ``instance`` message every INTERVAL seconds,
        as Supvisors does every ~5 s, with ``generation`` and a ``tick`` counter.

The socket has the options of Supvisors' ZmqEventPublisher (default high-water
mark). It is a separate process so that a test can SIGKILL it.
"""

import json
import select
import sys
import time

import zmq

PROCESS = {"application_name": "web", "process_name": "sleeper", "now_monotonic": 1096.7,
           "statecode": 20, "statename": "RUNNING", "expected_exit": True, "last_event_mtime": 1096.7,
           "identifiers": ["alpha:60000"], "extra_args": ""}
INSTANCE = {"identifier": "alpha:60000", "nick_identifier": "alpha", "node_name": "alpha", "port": 60000,
            "statecode": 3, "statename": "RUNNING", "loading": 0, "process_failure": False}


def bind(sock, port, patience=10.0):
    if port == 0:
        return sock.bind_to_random_port('tcp://127.0.0.1')
    deadline = time.monotonic() + patience
    while True:
        try:
            sock.bind('tcp://127.0.0.1:%d' % port)
            return port
        except zmq.ZMQError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def send(sock, header, body):
    sock.send_multipart([header.encode(), json.dumps(body).encode()])


def burst(sock, count, size):
    sent = 0       # ``n`` numbers every message, probes and markers included

    def numbered(header, body):
        send(sock, header, dict(body, n=sent))
        return sent + 1

    while not select.select([sys.stdin], [], [], 0.02)[0]:
        sent = numbered('supvisors', {'probe': True})
    sys.stdin.readline()
    padding = 'x' * max(0, size - len(json.dumps(PROCESS)) - 40)
    for seq in range(count):
        sent = numbered('process', dict(PROCESS, seq=seq, padding=padding))
    while not select.select([sys.stdin], [], [], 0.05)[0]:
        sent = numbered('supvisors', {'done': count})
    print(sent - 1, flush=True)       # the last ``n`` sent; silence from now on
    while True:
        time.sleep(60)


def ticks(sock, interval, generation):
    tick = 0
    while True:
        send(sock, 'instance', dict(INSTANCE, generation=generation, tick=tick))
        tick += 1
        time.sleep(interval)


def main(argv):
    mode, port = argv[1], int(argv[2])
    context = zmq.Context()
    sock = context.socket(zmq.PUB)
    sock.setsockopt(zmq.LINGER, 0)
    port = bind(sock, port)
    if mode == 'burst':
        print(port, flush=True)
        burst(sock, int(argv[3]), int(argv[4]))
    else:
        print('ready', flush=True)
        ticks(sock, float(argv[3]), int(argv[4]))


if __name__ == '__main__':
    main(sys.argv)
