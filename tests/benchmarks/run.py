#!/usr/bin/env python
"""The supervisor.control benchmarks: ratios, not absolute times.

Run from the repository root with the project's virtual environment (or
through ``scripts/bench``, which also prepares the benchmark's own
environment)::

    .venv/bin/python tests/benchmarks/run.py [--quick] [--only 1,2,3,7,4,5,6,8,9,10]

Every ratio compares two things measured in the same run, on the same daemon,
interleaved (A, B, C, A, B, C, ...), and takes the median of the repetitions,
so that the noise of a shared machine hits both sides alike. Prints a table
and writes ``tests/benchmarks/results/bench-<time>.json``.

This is not a test: nothing here asserts on a time, and pytest never collects
this directory.
"""

from __future__ import print_function

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import yaml  # noqa: E402

from tests.support.ansible import ansible_env  # noqa: E402
from tests.support.paths import VENV_BIN, ensure_collection_link  # noqa: E402
from tests.support.supervisord import Supervisord  # noqa: E402

RESULTS_DIR = os.path.join(HERE, 'results')
CALLBACKS = os.path.join(HERE, 'callback_plugins')
BENCH_VENV = os.path.join(REPO, '.cache', 'bench-venv')
BENCH_COLLECTIONS = os.path.join(REPO, '.cache', 'bench', 'collections')
SLEEPER = 'sleep 100000'
FLEET_SIZE = 20
STARTSECS = 1
# Benchmarks of their own files, run as they are (their own output is shown).
EXTERNAL = [
    ('4', 'log lookup', 'bench_log_lookup.py'),
    ('5', 'event path', 'bench_event_path.py'),
    ('6', 'reaction time', 'bench_reaction.py'),
    ('8', 'pushed events', 'bench_push.py'),
    ('9', 'rolling restart', 'bench_rolling.py'),
    ('10', 'push faults', 'bench_push_faults.py'),
]


# --------------------------------------------------------------------------
# the benchmark's own environment: community.general, for comparison only

def community_general_root():
    """A collections root holding community.general alone, or None.

    community.general comes from the ``ansible`` package installed into
    .cache/bench-venv (scripts/bench does it); only its community/general is
    linked into .cache/bench/collections, so nothing else of that package is
    seen by the runs.
    """
    found = None
    lib = os.path.join(BENCH_VENV, 'lib')
    if os.path.isdir(lib):
        for entry in sorted(os.listdir(lib)):
            candidate = os.path.join(lib, entry, 'site-packages', 'ansible_collections', 'community', 'general')
            if os.path.isdir(candidate):
                found = candidate
    if found is None:
        return None
    link_dir = os.path.join(BENCH_COLLECTIONS, 'ansible_collections', 'community')
    os.makedirs(link_dir, exist_ok=True)
    link = os.path.join(link_dir, 'general')
    if os.path.realpath(link) != os.path.realpath(found):
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(found, link)
    return BENCH_COLLECTIONS


def collection_version(root, namespace, name):
    try:
        with open(os.path.join(root, 'ansible_collections', namespace, name, 'MANIFEST.json')) as handle:
            return json.load(handle)['collection_info']['version']
    except (OSError, ValueError, KeyError):
        return None


# --------------------------------------------------------------------------
# daemons

class BenchDaemon(Supervisord):
    """A test-harness supervisord with room for many processes."""

    def write_config(self):
        super(BenchDaemon, self).write_config()
        with open(self.conf) as handle:
            text = handle.read()
        # 500 processes need ~2,500 descriptors (3 pipes and 2 logs each).
        text = text.replace('[supervisord]\n', '[supervisord]\nminfds=8192\n', 1)
        with open(self.conf, 'w') as handle:
            handle.write(text)

    def wait_all(self, statename, names=None, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            states = self.statenames()
            wanted = states if names is None else dict((n, states.get(n)) for n in names)
            if all(s == statename for s in wanted.values()):
                return
            if time.monotonic() > deadline:
                bad = dict((n, s) for n, s in wanted.items() if s != statename)
                raise RuntimeError('not all %s after %ss: %s' % (statename, timeout, sorted(bad.items())[:5]))
            time.sleep(0.2)

    def stop_now(self, namespecs):
        """Stop processes (wait=False in one multicall), then wait until none of them runs."""
        self.client(timeout=60).multicall([('supervisor.stopProcess', [n, False]) for n in namespecs])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = self.statenames()
            if all(states.get(n) in ('STOPPED', 'EXITED', 'FATAL') for n in namespecs):
                return
            time.sleep(0.1)


class Daemons(object):
    """Every daemon the run starts, all stopped by ``close()`` whatever happens."""

    def __init__(self, root):
        self.root = root
        self.daemons = []

    def start(self, name, programs, groups=None):
        daemon = BenchDaemon(os.path.join(self.root, name), programs=programs, groups=groups or {})
        os.makedirs(daemon.directory)
        self.daemons.append(daemon)  # registered before starting: cleaned up even if start fails
        daemon.start(timeout=60)
        return daemon

    def start_many(self, specs):
        """Start several daemons at once: ``specs`` is a list of (name, programs, groups)."""
        errors = []
        daemons = []
        for name, programs, groups in specs:
            daemon = BenchDaemon(os.path.join(self.root, name), programs=programs, groups=groups or {})
            os.makedirs(daemon.directory)
            self.daemons.append(daemon)
            daemons.append(daemon)

        def start(daemon):
            try:
                daemon.start(timeout=90)
            except Exception as exc:  # reported below
                errors.append(exc)
        threads = [threading.Thread(target=start, args=(d,)) for d in daemons]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return daemons

    def close(self):
        for daemon in reversed(self.daemons):
            try:
                daemon.stop()
            except Exception as exc:  # keep stopping the others
                print('warning: could not stop %s: %s' % (daemon.directory, exc), file=sys.stderr)
        self.daemons = []


# --------------------------------------------------------------------------
# running playbooks

class Runner(object):
    def __init__(self, workdir, cg_root, verbose=False):
        self.workdir = workdir
        self.cg_root = cg_root
        self.verbose = verbose
        self.count = 0

    def env(self, extra=None):
        paths = [ensure_collection_link()]
        if self.cg_root:
            paths.append(self.cg_root)
        env = ansible_env()
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': os.pathsep.join(paths),
            'ANSIBLE_CALLBACK_PLUGINS': CALLBACKS,
            'ANSIBLE_CALLBACKS_ENABLED': 'bench_timer',
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, 'ansible-local'),
            'ANSIBLE_GATHERING': 'explicit',
        })
        env.pop('RECORD_RESULTS_FILE', None)
        env.update(extra or {})
        return env

    def playbook(self, plays, inventory=None, forks=None, timeout=900):
        """Run ``plays``; return {task name: [seconds, ...]} and the raw record."""
        self.count += 1
        base = os.path.join(self.workdir, 'play-%02d' % self.count)
        with open(base + '.yml', 'w') as handle:
            yaml.safe_dump(plays, handle, sort_keys=False)
        timer = base + '.times.json'
        cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), base + '.yml']
        if inventory is None:
            cmd += ['-i', 'localhost,']
        else:
            with open(base + '.inventory.yml', 'w') as handle:
                yaml.safe_dump(inventory, handle, sort_keys=False)
            cmd += ['-i', base + '.inventory.yml']
        extra = {'BENCH_TIMER_FILE': timer}
        if forks:
            extra['ANSIBLE_FORKS'] = str(forks)
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.env(extra), capture_output=True, text=True,
                              timeout=timeout, check=False)
        wall = time.monotonic() - started
        if self.verbose:
            print(proc.stdout[-3000:])
        if proc.returncode != 0:
            raise RuntimeError('ansible-playbook failed (rc=%s):\n%s\n%s' % (
                proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
        with open(timer) as handle:
            record = json.load(handle)
        times = {}
        items = {}
        for task in record['tasks']:
            if task['failed']:
                raise RuntimeError('task %r failed:\n%s' % (task['name'], proc.stdout[-4000:]))
            key = task['name'].split(' #')[0]
            times.setdefault(key, []).append(task['seconds'])
            items.setdefault(key, []).extend(task.get('item_seconds') or [])
        return times, dict(record, wall_seconds=wall, item_seconds=items)


def local_play(tasks):
    return {'name': 'bench', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
            'tasks': tasks}


# A task's vars that make supervisor.control ship its module even on a local connection.
SHIPPED = {'supervisor_control_in_process': False}


def task(title, module, args=None, loop=None, vars=None):
    entry = {'name': title, module: args or {}}
    if loop is not None:
        entry['loop'] = loop
    if vars:
        entry['vars'] = vars
    return entry


def rotate(items, k):
    k %= len(items)
    return items[k:] + items[:k]


def median(values):
    return statistics.median(values)


class Report(object):
    def __init__(self):
        self.rows = []
        self.measures = {}
        self.notes = []

    def measure(self, key, values, unit='s', **details):
        self.measures[key] = dict(details, unit=unit, values=[round(v, 4) for v in values],
                                  median=round(median(values), 4))
        return median(values)

    def ratio(self, item, label, value, target=None, met=None, baseline=None, detail=''):
        self.rows.append({'item': item, 'label': label, 'ratio': round(value, 3), 'target': target,
                          'met': met, 'baseline': baseline, 'detail': detail})

    def note(self, text):
        self.notes.append(text)
        print('  note: ' + text)


def verdict(met):
    return {True: 'met', False: 'MISSED', None: '-'}[met]


def print_table(report):
    print()
    header = ('item', 'ratio', 'value', 'target', 'verdict', 'detail')
    rows = [(r['item'], r['label'], '%.2f' % r['ratio'], r['target'] or '-', verdict(r['met']), r['detail'])
            for r in report.rows]
    widths = [max(len(str(x[i])) for x in rows + [header]) for i in range(len(header))]
    line = '  '.join('%-*s' % (w, h) for w, h in zip(widths, header))
    print(line)
    print('-' * len(line))
    for row in rows:
        print('  '.join('%-*s' % (w, c) for w, c in zip(widths, row)))
    print()


# --------------------------------------------------------------------------
# the benchmarks

def running_programs(count, prefix='p'):
    return dict(('%s%03d' % (prefix, i), dict(command=SLEEPER, startsecs=0, stopwaitsecs=2)) for i in range(count))


def bench_per_task(runner, daemon, report, sizes):
    """Item 1: N loop items, state started on running processes: our module in-process and shipped, others.

    ``sizes`` is a list of (N, repetitions). ``process`` runs in-process (a local play), ``shipped``
    is the same task with ``supervisor_control_in_process: false``; ``debug`` is the floor of any
    task, ``ping`` the floor of any shipped module.
    """
    url = daemon.server_url
    names = ['p%03d' % i for i in range(100)]
    kinds = ['process', 'shipped', 'supervisorctl', 'ping', 'debug']
    if not runner.cg_root:
        kinds.remove('supervisorctl')
        report.note('community.general is not installed (run scripts/bench): item 1 without supervisorctl')
    per_item = {}
    totals = {}
    for n, reps in sizes:
        loop = names[:n]
        tasks = []
        for rep in range(reps):
            for kind in rotate(kinds, rep):
                title = '%s loop %d #%d' % (kind, n, rep)
                if kind in ('process', 'shipped'):
                    tasks.append(task(title, 'supervisor.control.process',
                                      {'name': '{{ item }}', 'state': 'started', 'server_url': url}, loop,
                                      vars=SHIPPED if kind == 'shipped' else None))
                elif kind == 'debug':
                    tasks.append(task(title, 'ansible.builtin.debug', {'msg': '{{ item }}'}, loop))
                elif kind == 'supervisorctl':
                    tasks.append(task(title, 'community.general.supervisorctl',
                                      {'name': '{{ item }}', 'state': 'started', 'server_url': url}, loop))
                else:
                    tasks.append(task(title, 'ansible.builtin.ping', {}, loop))
        print('  item 1: %d loop items x %s, %d repetitions' % (n, '/'.join(kinds), reps))
        times, record = runner.playbook([local_play(tasks)])
        for kind in kinds:
            key = '%s loop %d' % (kind, n)
            seconds = report.measure('1.%s_loop_%d' % (kind, n), times[key], items=n)
            # The median of the items' own times: a burst of load from elsewhere
            # on the machine moves it much less than a mean would move.
            item = report.measure('1.%s_item_%d' % (kind, n), record['item_seconds'][key], items=n)
            totals[(kind, n)] = seconds
            per_item[(kind, n)] = item
            print('    %-14s %3d items: %6.2f s (median item %.3f s, mean %.3f s)' % (
                kind, n, seconds, item, seconds / n))
        ping = per_item[('ping', n)]
        debug = per_item[('debug', n)]
        process = per_item[('process', n)]
        shipped = per_item[('shipped', n)]
        report.ratio('1', 'in-process process / debug per item, N=%d' % n, process / debug, '<= 1.5',
                     process / debug <= 1.5, detail='median item %.1f ms vs %.1f ms' % (process * 1000, debug * 1000))
        report.ratio('1', 'ping / in-process process per item, N=%d' % n, ping / process, '>= 10',
                     ping / process >= 10, detail='median item %.0f ms vs %.1f ms' % (ping * 1000, process * 1000))
        report.ratio('1', 'shipped process / ping per item, N=%d' % n, shipped / ping, '<= 1.1', shipped / ping <= 1.1,
                     detail='median item %.0f ms vs %.0f ms; whole loops %.2f' % (
                         shipped * 1000, ping * 1000, totals[('shipped', n)] / totals[('ping', n)]))
        if 'supervisorctl' in kinds:
            cg = per_item[('supervisorctl', n)]
            report.ratio('1', 'c.g.supervisorctl / in-process process per item, N=%d' % n, cg / process, '>= 15',
                         cg / process >= 15, detail='median item %.0f ms vs %.1f ms' % (cg * 1000, process * 1000))
            report.ratio('1', 'c.g.supervisorctl / ping per item, N=%d' % n, cg / ping, None, None,
                         detail='median item %.0f ms (about 1.4 when the benchmarks were written)' % (cg * 1000))
            report.ratio('1', 'shipped process / c.g.supervisorctl, N=%d' % n, shipped / cg, '< 1', shipped / cg < 1,
                         detail='whole loops %.2f' % (totals[('shipped', n)] / totals[('supervisorctl', n)]))
    return totals


def bare_read_all(daemon, reps):
    """The floor of any client: one getAllProcessInfo from a plain XML-RPC client, median seconds."""
    client = daemon.client(timeout=60)
    times = []
    for dummy in range(reps):
        started = time.monotonic()
        client.call('supervisor.getAllProcessInfo')
        times.append(time.monotonic() - started)
    return times


def bench_batching(runner, small, big, report, reps, loop_100=None):
    """Item 2: one task with 100 and 500 names against one ping task (and 100 loop items)."""
    names_100 = ['p%03d' % i for i in range(100)]
    names_500 = ['w:w_%03d' % i for i in range(500)]
    variants = [
        ('ping', 'ansible.builtin.ping', {}, None),
        # Shipped: the targets are for the shipped path (remote hosts with unix sockets).
        ('list 100', 'supervisor.control.process',
         {'name': names_100, 'state': 'started', 'server_url': small.server_url}, SHIPPED),
        ('list 500', 'supervisor.control.process',
         {'name': names_500, 'state': 'started', 'server_url': big.server_url}, SHIPPED),
        # The same 500 processes and the same result, without 500 names to match.
        ('all 500', 'supervisor.control.process',
         {'name': 'all', 'state': 'started', 'server_url': big.server_url}, SHIPPED),
        ('list 500 in-process', 'supervisor.control.process',
         {'name': names_500, 'state': 'started', 'server_url': big.server_url}, None),
    ]
    tasks = []
    for rep in range(reps):
        for title, module, args, task_vars in rotate(variants, rep):
            tasks.append(task('%s #%d' % (title, rep), module, args, vars=task_vars))
    print('  item 2: one task each: ping, 100 names, 500 names, name=all (500); %d repetitions' % reps)
    floor_small = bare_read_all(small, reps)
    floor_big = bare_read_all(big, reps)
    times = runner.playbook([local_play(tasks)])[0]
    floor_small += bare_read_all(small, reps)
    floor_big += bare_read_all(big, reps)
    ping = report.measure('2.ping_task', times['ping'])
    list100 = report.measure('2.list_100', times['list 100'], names=100)
    list500 = report.measure('2.list_500', times['list 500'], names=500)
    all500 = report.measure('2.all_500', times['all 500'], names=1, processes=500)
    bare100 = report.measure('2.bare_getAllProcessInfo_200', floor_small, processes=200)
    bare500 = report.measure('2.bare_getAllProcessInfo_500', floor_big, processes=500)
    print('    one ping task %.3f s, 100 names %.3f s, 500 names %.3f s, name=all on 500 processes %.3f s'
          % (ping, list100, list500, all500))
    print('    floor: a bare client reads getAllProcessInfo in %.3f s (200 processes), %.3f s (500)'
          % (bare100, bare500))
    report.ratio('2', 'one task, 100 names / one ping task', list100 / ping, '<= 1.5', list100 / ping <= 1.5,
                 detail='%.0f ms vs %.0f ms' % (list100 * 1000, ping * 1000))
    report.ratio('2', 'one task, 500 names / one ping task', list500 / ping, '<= 1.5', list500 / ping <= 1.5,
                 detail='%.0f ms, of which supervisord answers in %.0f ms' % (list500 * 1000, bare500 * 1000))
    report.ratio('2', 'name=all, 500 processes / one ping task', all500 / ping, None, None,
                 detail='same result as 500 names, one name to match')
    inproc500 = report.measure('2.list_500_in_process', times['list 500 in-process'], names=500)
    report.ratio('2', 'one task, 500 names, in-process / shipped', inproc500 / list500, None, None,
                 detail='%.0f ms vs %.0f ms' % (inproc500 * 1000, list500 * 1000))
    if loop_100:
        report.ratio('2', '100 loop items (in-process) / one task with 100 names', loop_100 / list100, None, None,
                     detail='%.1f s vs %.2f s' % (loop_100, list100))


def bare_converge(daemon, names, timeout=120):
    """The floor of a cold start: startProcess(wait=False) in one multicall, then poll every 50 ms.

    Returns (seconds until the multicall returned, seconds until all are RUNNING).
    """
    client = daemon.client(timeout=timeout)
    started = time.monotonic()
    client.multicall([('supervisor.startProcess', ['%s:%s' % (n, n), False]) for n in names])
    spawned = time.monotonic() - started
    wanted = set(names)
    while time.monotonic() - started < timeout:
        infos = client.call('supervisor.getAllProcessInfo')
        if all(i['statename'] == 'RUNNING' for i in infos if i['name'] in wanted):
            break
        time.sleep(0.05)
    total = time.monotonic() - started
    daemon.stop_now(['%s:%s' % (n, n) for n in names])
    return spawned, total


def bench_converge(runner, daemon, report, reps, count=100, loop_count=5):
    """Item 3: 100 stopped processes (startsecs=1) to started, wait: true, list form."""
    names = ['c%03d' % i for i in range(count)]
    args = {'name': names, 'server_url': daemon.server_url, 'wait': True, 'timeout': 120}
    tasks = []
    for rep in range(reps):
        tasks.append(task('stop #%d' % rep, 'supervisor.control.process', dict(args, state='stopped')))
        tasks.append(task('ping #%d' % rep, 'ansible.builtin.ping'))
        tasks.append(task('start %d cold #%d' % (count, rep), 'supervisor.control.process',
                          dict(args, state='started')))
        tasks.append(task('stop again #%d' % rep, 'supervisor.control.process', dict(args, state='stopped')))
        tasks.append(task('start loop %d #%d' % (loop_count, rep), 'supervisor.control.process',
                          dict(args, name='{{ item }}', state='started'), names[:loop_count]))
    tasks.append(task('stop at the end', 'supervisor.control.process', dict(args, state='stopped')))
    print('  item 3: %d stopped processes, startsecs=%d, to started with wait (list form, and %d loop items);'
          ' %d repetitions' % (count, STARTSECS, loop_count, reps))
    floors = [bare_converge(daemon, names)]
    times = runner.playbook([local_play(tasks)])[0]
    floors.append(bare_converge(daemon, names))
    start = report.measure('3.start_%d_cold' % count, times['start %d cold' % count], processes=count,
                           startsecs=STARTSECS)
    ping = report.measure('3.ping_task', times['ping'])
    loop = report.measure('3.start_loop_%d' % loop_count, times['start loop %d' % loop_count], items=loop_count)
    spawn = report.measure('3.bare_spawn_%d' % count, [f[0] for f in floors])
    floor = report.measure('3.bare_converge_%d' % count, [f[1] for f in floors])
    serial = loop / loop_count * count
    print('    start %d (list): %.2f s; one ping task %.3f s; %d loop items %.2f s (%.2f s each, so %.0f s for %d)'
          % (count, start, ping, loop_count, loop, loop / loop_count, serial, count))
    print('    floor: a bare client starts all %d in %.2f s (supervisord forks them in %.2f s, then startsecs)'
          % (count, floor, spawn))
    # supervisord declares RUNNING on its main-loop tick (at most 1 s) after
    # startsecs has elapsed: 1 to 2 startsecs is "one startsecs".
    over = (start - ping) / STARTSECS
    report.ratio('3', '(list of %d - ping) / startsecs' % count, over, '<= 2 (about 1)', over <= 2,
                 detail='%.2f s; supervisord spends %.2f s forking them' % (start, spawn))
    report.ratio('3', 'list of %d / bare-client floor + ping' % count, start / (floor + ping), None, None,
                 detail='floor %.2f s' % floor)
    report.ratio('3', 'list of %d / %d loop items (measured %d)' % (count, count, loop_count), start / serial,
                 '<< 1', start / serial < 0.2, detail='%.0f s in a loop; N x startsecs = %d s'
                 % (serial, count * STARTSECS))


def bench_fleet(runner, daemons, report, reps):
    """Item 7: restart a group on 20 hosts (forks 20) against one host; in-process, and shipped to each host."""
    hosts = dict(('h%02d' % (i + 1), {'sv_url': d.server_url}) for i, d in enumerate(daemons))
    host_vars = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    inventory = {'all': {'hosts': hosts, 'vars': host_vars}}
    restart = {'supervisor.control.group': {'name': 'g', 'state': 'restarted', 'server_url': '{{ sv_url }}'}}

    def play(target, label, task_vars=None):
        entry = {'name': label, 'hosts': target, 'gather_facts': False,
                 'tasks': [dict(restart, name='%s #%d' % (label, rep)) for rep in range(reps)]}
        if task_vars:
            entry['vars'] = task_vars
        return entry
    shipped_label = 'restart %d hosts, shipped' % len(daemons)
    plays = [play('h01', 'restart one host'), play('all', 'restart %d hosts' % len(daemons)),
             play('all', shipped_label, SHIPPED), play('h01', 'restart one host again')]
    print('  item 7: restart group g on 1 host, on %d hosts (forks %d), on 1 host; %d repetitions each'
          % (len(daemons), len(daemons), reps))
    times = runner.playbook(plays, inventory=inventory, forks=len(daemons))[0]
    one = report.measure('7.restart_one_host', times['restart one host'] + times['restart one host again'])
    fleet = report.measure('7.restart_fleet', times['restart %d hosts' % len(daemons)], hosts=len(daemons))
    shipped = report.measure('7.restart_fleet_shipped', times[shipped_label], hosts=len(daemons))
    print('    one host %.2f s, %d hosts %.2f s (shipped: %.2f s)' % (one, len(daemons), fleet, shipped))
    report.ratio('7', '%d hosts: in-process / shipped' % len(daemons), fleet / shipped, '< 1', fleet / shipped < 1,
                 detail='%.2f s vs %.2f s' % (fleet, shipped))
    report.ratio('7', '%d hosts / one host' % len(daemons), fleet / one, None, None,
                 detail='%.2f s vs %.2f s' % (fleet, one))
    report.ratio('7', '%d hosts / (%d x one host)' % (len(daemons), len(daemons)), fleet / (len(daemons) * one),
                 '< 1', fleet / (len(daemons) * one) < 1,
                 detail='%.2f s vs %.2f s serial' % (fleet, len(daemons) * one))


# Ratios printed by the other benchmarks of this directory, and their targets (README.md).
_SOURCE_ROW = r'supervisor\.control\.supvisors main\(\)\s+\d+\s+\S+\s+(\d+)\s+(\d+)'
_PUSH_REACTION = r'polling rulebook \(interval 1\) \| [0-9.]+ s \| push / poll = ([0-9.]+)'
EXTERNAL_RATIOS = [
    # (regular expression on their output, group, scale, label, target text, test)
    (r'ratio large/small:\s*([0-9.]+)', 1, 1, 'log lookup: 1 GB log / 1 KB log', '<= 1.5', lambda v: v <= 1.5),
    (r'throughput ratio source/bare:\s*([0-9.]+)', 1, 1, 'events/s: supvisors source / bare pyzmq', '>= 0.5',
     lambda v: v >= 0.5),
    (r'median latency ratio source/bare:\s*([0-9.]+)', 1, 1, 'latency median: source / bare', None, None),
    (r'p99 ratio:\s*([0-9.]+)', 1, 1, 'latency p99: source / bare', None, None),
    # absolute values (ms, not ratios), because their target is absolute
    (_SOURCE_ROW, 1, 0.001, 'latency median of the source, in ms (absolute)', '< 1 ms', lambda v: v < 1),
    (_SOURCE_ROW, 2, 0.001, 'latency p99 of the source, in ms (absolute)', '< 1 ms', lambda v: v < 1),
    (r'reaction ratio supvisors/polling:\s*([0-9.]+)', 1, 1, 'crash to RUNNING: supvisors / polling (interval 1)',
     '< 1', lambda v: v < 1),
    (r'reaction ratio in-process/shipped:\s*([0-9.]+)', 1, 1, 'crash to RUNNING: run_module in-process / shipped',
     '< 1', lambda v: v < 1),
    # bench_push.py's table (no targets: ratios to watch)
    (r'source / bare = ([0-9.]+)', 1, 1, 'events/s: push listener to the source / to a bare receiver', None, None),
    (_PUSH_REACTION, 1, 1, 'SIGKILL to RUNNING: push rulebook / polling (interval 1)', None, None),
    (r'push / poll: events ([0-9.]+)', 1, 1, 'fleet events/s: pushing / polling', None, None),
    (r'push / poll: events [0-9.]+, CPU per event ([0-9.]+)', 1, 1, 'fleet source CPU per event: pushing / polling',
     None, None),
    # bench_rolling.py
    (r'ratio roll/ideal:\s*([0-9.]+)', 1, 1, 'rolling restart of 12, size 3: roll / 4 x (stop + warm-up)', '<= 1.3',
     lambda v: v <= 1.3),
    (r'ratio lowest capacity/\(N - size\):\s*([0-9.]+)', 1, 1, 'rolling restart: lowest capacity / (N - size)',
     '= 1', lambda v: v == 1),
    (r'ratio ours/by-hand:\s*([0-9.]+)', 1, 1, 'rolling restart: ours / by hand (process + wait_for loop)', '< 1',
     lambda v: v < 1),
    # bench_push_faults.py: a count, not a ratio (the rule holds, so 0)
    (r'^violations: (\d+)$', 1, 1, 'push faults: events neither delivered once nor counted once (count)', '0',
     lambda v: v == 0),
]
# Shorter settings for --quick, used only when the script has the option.
EXTERNAL_QUICK = {
    'bench_log_lookup.py': ['--repeat', '10'],
    'bench_event_path.py': ['--count', '10000', '--latency-count', '1000', '--rounds', '1'],
    'bench_reaction.py': ['--crashes', '3'],
    'bench_push.py': ['--events', '2000', '--repeat', '2', '--crashes', '3', '--daemons', '20', '--seconds', '8'],
    'bench_rolling.py': ['--repeat', '1'],
    'bench_push_faults.py': ['--runs', '1', '--seconds', '60'],
}


def run_external(key, title, filename, quick, report, results):
    """Run one of those benchmarks as it is; show its output and pick its ratios for the table."""
    path = os.path.join(HERE, filename)
    if not os.path.exists(path):
        report.note('item %s (%s): %s is not there; skipped' % (key, title, filename))
        return
    cmd = [sys.executable, path]
    with open(path) as handle:
        source = handle.read()
    if quick:
        options = EXTERNAL_QUICK.get(filename, [])
        flags = options[0::2]
        if all(flag in source for flag in flags):
            cmd += options
    print('  item %s: %s' % (key, ' '.join(os.path.relpath(c, REPO) if c.startswith(REPO) else c for c in cmd)))
    started = time.monotonic()
    # Its own session, and SIGINT (not SIGKILL) to stop it: a KeyboardInterrupt
    # lets the script's finally stop the daemons it started.
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=600)
    except (subprocess.TimeoutExpired, KeyboardInterrupt) as exc:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        if isinstance(exc, KeyboardInterrupt):
            raise
        report.note('item %s: %s took more than 600 s; stopped' % (key, filename))
        return
    output = stdout + stderr
    for line in stdout.rstrip().splitlines():
        print('    ' + line)
    results[filename] = {'command': cmd, 'returncode': proc.returncode,
                         'seconds': round(time.monotonic() - started, 2), 'output': output[-10000:]}
    if proc.returncode != 0:
        report.note('item %s: %s exited with %s: %s' % (key, filename, proc.returncode, output.strip()[-500:]))
        return
    found = False
    for pattern, group, scale, label, target, test in EXTERNAL_RATIOS:
        match = re.search(pattern, stdout, re.MULTILINE)
        if match:
            value = float(match.group(group)) * scale
            found = True
            report.ratio(key, label, value, target, test(value) if test else None, detail=filename)
    if not found:
        skipped = [line for line in stdout.splitlines() if line.startswith('skipped:')]
        report.note(skipped[0] if skipped else
                    'item %s: no ratio found in the output of %s (shown above)' % (key, filename))


def derive_supvisors_against_push(report):
    """Supvisors' reaction against push, from items 6 and 8: each is a ratio against polling at interval 1.

    Supvisors needs root and a network namespace, the push listener a supervisord of its
    own: the two are not measured side by side, so this row is derived, and says so.
    """
    ratios = dict((r['label'], r['ratio']) for r in report.rows)
    supvisors = ratios.get('crash to RUNNING: supvisors / polling (interval 1)')
    push = ratios.get('SIGKILL to RUNNING: push rulebook / polling (interval 1)')
    if supvisors and push:
        report.ratio('6/8', 'crash to RUNNING: supvisors / push', supvisors / push,
                     detail='derived: (supvisors / polling) / (push / polling), one run')


# --------------------------------------------------------------------------

def machine():
    return {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'cpus': os.cpu_count(),
        'python': platform.python_version(),
        'platform': platform.platform(),
        'load_average_at_start': os.getloadavg(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions, N=20 only for item 1 (about 4 minutes)')
    parser.add_argument('--only', default='1,2,3,7,4,5,6,8,9,10', help='comma-separated items to run (default: all)')
    parser.add_argument('--reps', type=int, help='repetitions of each measurement (default 3, quick 2)')
    parser.add_argument('--verbose', action='store_true', help='show the playbook output')
    args = parser.parse_args(argv)
    only = set(x.strip() for x in args.only.split(','))
    reps = args.reps or (2 if args.quick else 3)

    # A SIGTERM ends the run like Ctrl-C does: the finally below stops every daemon.
    def terminate(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, terminate)

    cg_root = community_general_root()
    workdir = tempfile.mkdtemp(prefix='svbench-')
    daemons = Daemons(workdir)
    runner = Runner(workdir, cg_root, verbose=args.verbose)
    report = Report()
    external = {}
    info = machine()
    info['ansible_core'] = subprocess.run([os.path.join(VENV_BIN, 'ansible'), '--version'],
                                          capture_output=True, text=True, check=False).stdout.splitlines()[0]
    info['community_general'] = collection_version(cg_root, 'community', 'general') if cg_root else None
    print('supervisor.control benchmarks: %s, %s CPUs, Python %s, %s, community.general %s, load %.1f' % (
        info['date'], info['cpus'], info['python'], info['ansible_core'], info['community_general'],
        info['load_average_at_start'][0]))
    print('  repetitions: %d%s' % (reps, ' (quick)' if args.quick else ''))
    started = time.monotonic()
    interrupted = failed = False
    try:
        loop_100 = None
        if only & set('123'):
            programs = running_programs(100)
            programs.update(('c%03d' % i, dict(command=SLEEPER, startsecs=STARTSECS, autostart=False,
                                               stopwaitsecs=2)) for i in range(100))
            small = daemons.start('small', programs)
            small.wait_all('RUNNING', ['p%03d:p%03d' % (i, i) for i in range(100)])
            if '1' in only:
                # 100 items take ~70 s per module here: N=100 once, N=20 ``reps`` times.
                sizes = [(20, reps)] if args.quick else [(20, reps), (100, max(1, reps // 3))]
                totals = bench_per_task(runner, small, report, sizes)
                loop_100 = totals.get(('process', 100))
            if '2' in only:
                big = daemons.start('big', {'w': dict(command=SLEEPER, startsecs=0, numprocs=500,
                                                      process_name='w_%(process_num)03d', stopwaitsecs=2)})
                big.wait_all('RUNNING')
                bench_batching(runner, small, big, report, 3 if args.quick else 5, loop_100)
                big.stop()
            if '3' in only:
                bench_converge(runner, small, report, reps)
            small.stop()
        if '7' in only:
            fleet = daemons.start_many([
                ('fleet%02d' % i, {'g_a': dict(command=SLEEPER, startsecs=0, stopwaitsecs=2),
                                   'g_b': dict(command=SLEEPER, startsecs=0, stopwaitsecs=2)},
                 {'g': ['g_a', 'g_b']}) for i in range(FLEET_SIZE)])
            bench_fleet(runner, fleet, report, reps)
            daemons.close()
        for key, title, filename in EXTERNAL:
            if key in only:
                run_external(key, title, filename, args.quick, report, external)
        derive_supvisors_against_push(report)
    except KeyboardInterrupt:
        interrupted = True
        print('\ninterrupted: stopping the daemons', file=sys.stderr)
    except Exception as exc:  # show what was measured before the failure, then fail
        failed = True
        report.note('the run stopped on an error: %s: %s' % (type(exc).__name__, str(exc)[-3000:]))
    finally:
        daemons.close()
        shutil.rmtree(workdir, ignore_errors=True)
    info['seconds'] = round(time.monotonic() - started, 1)
    if interrupted:
        return 130
    print_table(report)
    for text in report.notes:
        print('note: ' + text)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    out = os.path.join(RESULTS_DIR, 'bench-%s%s.json' % (stamp, '-quick' if args.quick else ''))
    with open(out, 'w') as handle:
        json.dump({'machine': info, 'quick': args.quick, 'repetitions': reps, 'failed': failed,
                   'ratios': report.rows,
                   'measures': report.measures, 'notes': report.notes, 'external': external},
                  handle, indent=2, default=str)
    print('%.0f s; results written to %s' % (info['seconds'], os.path.relpath(out, REPO)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
