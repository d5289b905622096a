#!/usr/bin/env python
"""Benchmark (not a test): the last 50 lines of a 1 KB log against a large log, through the log lookup.

    .venv/bin/python tests/benchmarks/bench_log_lookup.py [--size-mb 1024] [--repeat 20]

Starts a real supervisord with two programs whose stdout logs are a 1 KB file
and a sparse file of --size-mb MiB ending with real lines, loads the
supervisor.control.log lookup plugin the way ansible-playbook does, times
``lookup('supervisor.control.log', NAME, lines=50)`` on each, and prints the
median times and their ratio, which should stay near 1.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from tests.support.paths import COLLECTIONS_ROOT, ensure_collection_link  # noqa: E402

ensure_collection_link()
sys.path.remove(COLLECTIONS_ROOT)  # Ansible's collection loader finds the collection, as in a playbook
os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS_ROOT

from ansible.plugins.loader import init_plugin_loader, lookup_loader  # noqa: E402

init_plugin_loader([COLLECTIONS_ROOT])

from tests.support.supervisord import SLEEPER, Supervisord  # noqa: E402


def make_logs(logdir, size_mb):
    os.makedirs(logdir)
    small = os.path.join(logdir, 'small.out')
    with open(small, 'wb') as handle:
        handle.write(b''.join(b'small line %03d\n' % i for i in range(68)))
    large = os.path.join(logdir, 'large.out')
    with open(large, 'wb') as handle:
        handle.truncate(size_mb * 1024 * 1024)
        handle.seek(0, 2)
        handle.write(b''.join(b'large line %05d: some typical log text\n' % i for i in range(2000)))
    return small, large


def timed(lookup, names, url, repeat):
    """Median seconds per name; the names take turns, so that load on the machine hits them alike."""
    times = dict((name, []) for name in names)
    results = {}
    for _round in range(repeat):
        for name in names:
            start = time.perf_counter()
            results[name] = lookup.run([name], variables={}, lines=50, server_url=url)[0]
            times[name].append(time.perf_counter() - start)
    return dict((name, (statistics.median(times[name]), results[name])) for name in names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size-mb', type=int, default=1024)
    parser.add_argument('--repeat', type=int, default=50)
    args = parser.parse_args()
    lookup = lookup_loader.get('supervisor.control.log')
    directory = tempfile.mkdtemp(prefix='bench-log-')
    small, large = make_logs(os.path.join(directory, 'logs'), args.size_mb)
    programs = {
        'small': dict(command=SLEEPER, startsecs=0, stdout_logfile=small, stdout_logfile_maxbytes=0),
        'large': dict(command=SLEEPER, startsecs=0, stdout_logfile=large, stdout_logfile_maxbytes=0),
    }
    daemon = Supervisord(directory, programs=programs)
    try:
        daemon.start()
        timed(lookup, ['small', 'large'], daemon.server_url, 3)  # warm up
        measured = timed(lookup, ['small', 'large'], daemon.server_url, args.repeat)
        (small_time, small_text), (large_time, large_text) = measured['small'], measured['large']
        assert small_text.count('\n') == 50 and large_text.count('\n') == 50, (small_text, large_text)
        print('log sizes: %d bytes and %d bytes' % (os.path.getsize(small), os.path.getsize(large)))
        print('last 50 lines, median of %d: 1 KB log %.2f ms, %d MiB log %.2f ms'
              % (args.repeat, small_time * 1000, args.size_mb, large_time * 1000))
        print('ratio large/small: %.2f' % (large_time / small_time))
    finally:
        daemon.cleanup()
        for path in (small, large):
            if os.path.exists(path):
                os.unlink(path)
        if os.path.isdir(directory):
            import shutil
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == '__main__':
    main()
