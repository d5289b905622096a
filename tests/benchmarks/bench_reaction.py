#!/usr/bin/env python
"""Benchmark (not a test): time from a crash to the process RUNNING again, through ansible-rulebook.

    .venv/bin/python tests/benchmarks/bench_reaction.py [--crashes 10]

Item 6 of tests/benchmarks/README.md. A real Supvisors (supervisord + supvisors 0.19 from
.venv-supvisors, in a network namespace of its own: needs root, see
tests/support/supvisors.py) runs ``web:crashy``, a program that, when a flag
file exists, removes it and dies at once (startretries=0: FATAL). A real
ansible-rulebook runs on that host, once with the example rulebook
``supvisors_restart_fatal.yml`` (the ``supervisor.control.supvisors`` source,
ZeroMQ events), then with ``supervisord_crashes.yml`` (the
``supervisor.control.supervisord`` polling source, ``interval: 1``), against
the same daemon, and once more with the first rulebook and
``supervisor_control_in_process: false``, so that its ``run_module`` ships
the module instead of running it in ansible-runner's worker. Each crash is: create the flag, SIGKILL the process
(supervisord restarts it, it dies, FATAL); the time runs from the kill until
supervisord shows it RUNNING again with a new pid (startsecs=1 included, for
both). Prints the medians and their ratio. Skips (exit status 0, a line
starting with "skipped:") when it cannot run here.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, REPO)

from tests.support.paths import SUPVISORS_VENV_BIN  # noqa: E402

HOST = 'svbench'
SLEEPER = 'sleep 100000'


def why_not():
    if os.geteuid() != 0:
        return 'needs root (network namespaces for Supvisors)'
    if not os.path.exists(os.path.join(SUPVISORS_VENV_BIN, 'supervisord')):
        return '.venv-supvisors is missing: run scripts/bootstrap --with-supvisors'
    if not shutil.which('java') and not os.environ.get('JAVA_HOME'):
        return 'ansible-rulebook needs a JDK 17 (java)'
    return None


def crash_once(cluster, flag, rulebook, timeout=60):
    """Crash web:crashy into FATAL; return seconds from the kill to RUNNING with a new pid."""
    before = cluster.wait_process(HOST, 'web:crashy', 'RUNNING', timeout=timeout)
    mark = len(rulebook.lines)
    with open(flag, 'w'):
        pass
    client = cluster.client(HOST)
    started = time.monotonic()
    client.call('supervisor.signalProcess', 'web:crashy', 'KILL')
    deadline = started + timeout
    while True:
        info = client.call('supervisor.getProcessInfo', 'web:crashy')
        if info['statename'] == 'RUNNING' and info['pid'] != before['pid']:
            elapsed = time.monotonic() - started
            break
        if time.monotonic() > deadline:
            raise RuntimeError('web:crashy not RUNNING again after %ss (%s):\n%s' % (
                timeout, info['statename'], rulebook.output[-4000:]))
        time.sleep(0.02)
    # Let the rule's playbook finish before the next crash.
    rulebook.wait_for(' : ok=', start=mark, timeout=timeout)
    time.sleep(0.5)
    return elapsed


def measure(cluster, flag, rulebook, crashes, settle):
    rulebook.wait_for('Waiting for events', timeout=120)
    time.sleep(settle)  # subscription reaches the publisher / first poll taken
    return [crash_once(cluster, flag, rulebook) for dummy in range(crashes)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--crashes', type=int, default=10, help='crashes per rulebook (median reported)')
    args = parser.parse_args()
    reason = why_not()
    if reason:
        print('skipped: item 6 (reaction time) %s' % reason)
        return 0

    from tests.support.eda import RULEBOOKS, Rulebook
    from tests.support.supvisors import SupvisorsCluster

    directory = tempfile.mkdtemp(prefix='bench-reaction-')
    flag = os.path.join(directory, 'crash-on-next-start')
    programs = {'crashy': dict(command="sh -c 'if [ -e %s ]; then rm -f %s; exit 1; fi; exec %s'" % (
        flag, flag, SLEEPER), startsecs=1, startretries=0, autorestart=True)}
    cluster = SupvisorsCluster([HOST], programs=programs, groups={'web': ['crashy']},
                               directory=os.path.join(directory, 'cluster'))
    inventories = {}
    for in_process in (True, False):
        # run_module runs supervisor.control.process on this local host: in-process, or shipped
        inventories[in_process] = os.path.join(directory, 'inventory-%s.yml' % in_process)
        with open(inventories[in_process], 'w') as handle:
            yaml.safe_dump({'all': {'hosts': {HOST: {'ansible_connection': 'local',
                                                     'ansible_python_interpreter': sys.executable,
                                                     'supervisor_control_in_process': in_process}}}}, handle)
    results = {}
    rulebook = None
    try:
        cluster.start(timeout=120)
        supvisors_vars = {'supvisors_host': HOST, 'supvisors_event_port': cluster.event_port,
                          'supvisors_http_port': cluster.http_port}
        setups = [
            ('supvisors', 'supvisors_restart_fatal.yml', supvisors_vars, 1.0, True),
            ('polling', 'supervisord_crashes.yml',
             {'supervisord_host': HOST, 'supervisord_url': cluster.host_url(HOST), 'supervisord_interval': 1},
             2.5, True),
            ('shipped', 'supvisors_restart_fatal.yml', supvisors_vars, 1.0, False),
        ]
        for label, book, variables, settle, in_process in setups:
            workdir = os.path.join(directory, label)
            os.makedirs(workdir)
            rulebook = Rulebook(os.path.join(RULEBOOKS, book), inventories[in_process], workdir, variables=variables,
                                popen=lambda argv, **kwargs: cluster.popen(HOST, argv, **kwargs))
            try:
                results[label] = measure(cluster, flag, rulebook, args.crashes, settle)
            finally:
                rulebook.stop()
                rulebook = None
            print('%-9s (%s): crash to RUNNING, median of %d: %.2f s (min %.2f, max %.2f)' % (
                label, book, args.crashes, statistics.median(results[label]), min(results[label]),
                max(results[label])))
    finally:
        if rulebook is not None:
            rulebook.stop()
        cluster.cleanup()
        shutil.rmtree(directory, ignore_errors=True)
    supvisors, polling = statistics.median(results['supvisors']), statistics.median(results['polling'])
    print('reaction ratio supvisors/polling: %.2f  (startsecs=1 is in both; all: supvisors %s, polling %s)' % (
        supvisors / polling, ['%.2f' % x for x in results['supvisors']], ['%.2f' % x for x in results['polling']]))
    shipped = statistics.median(results['shipped'])
    print('reaction ratio in-process/shipped: %.2f  (the supvisors rulebook, its run_module in the worker or shipped: '
          '%.2f s vs %.2f s)' % (supvisors / shipped, supvisors, shipped))
    return 0


def _terminate(signum, frame):
    raise KeyboardInterrupt()


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, _terminate)  # stop the cluster and the rulebook on SIGTERM too
    try:
        sys.exit(main())
    except subprocess.TimeoutExpired as exc:
        print('failed: %s' % exc)
        sys.exit(1)
