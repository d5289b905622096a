"""A worker of a test pool (tests/support/pool.py), run by supervisord.

It prints ``warming up (pid PID) at TIME``, warms up for ``--warmup`` seconds, then listens on
``--base`` + ``--num`` (its process_num), prints ``ready on PORT at TIME`` and answers every connection with ``HTTP/1.0 200``. Marker files
in ``--control`` change it for one start, so a test sets them before the roll:
``never-ready-NUM`` (it never listens nor prints), ``slow-stop-NUM`` (on SIGTERM it prints
``stopping at TIME`` and takes 4 s to exit). ``--noisy`` writes 700 bytes of junk in one write,
then its ready line with bytes that are not UTF-8 and ANSI colours.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time

SLOW_STOP_SECONDS = 4


def answer(conn):
    try:
        conn.settimeout(2)
        if conn.recv(4096):
            conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')
    except OSError:
        pass
    finally:
        conn.close()


def say(data):
    os.write(1, data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--base', type=int, required=True)
    parser.add_argument('--num', type=int, required=True)
    parser.add_argument('--warmup', type=float, default=1.0)
    parser.add_argument('--control', required=True)
    parser.add_argument('--noisy', action='store_true')
    args = parser.parse_args()

    def marked(name):
        return os.path.exists(os.path.join(args.control, '%s-%d' % (name, args.num)))

    if marked('slow-stop'):
        def slow_stop(signum, frame):
            say(b'stopping at %.6f\n' % time.time())
            time.sleep(SLOW_STOP_SECONDS)
            sys.exit(0)
        signal.signal(signal.SIGTERM, slow_stop)
    say(b'warming up (pid %d) at %.6f\n' % (os.getpid(), time.time()))
    time.sleep(args.warmup)
    if marked('never-ready'):
        while True:
            time.sleep(1000)
    port = args.base + args.num
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', port))
    sock.listen(64)
    if args.noisy:
        say(b'junk ' * 140)  # 700 bytes, no newline: one write
        time.sleep(0.3)
        say(b'\n\xff\xfe \x1b[32mready on %d\x1b[0m\n' % port)
    else:
        say(b'ready on %d at %.6f\n' % (port, time.time()))
    while True:
        conn, dummy = sock.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


if __name__ == '__main__':
    main()
