"""Helpers for the event source tests: load a source, run it, talk to it, run ansible-rulebook."""

import asyncio
import glob
import importlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

from tests.support.ansible import ansible_env
from tests.support.paths import REPO, VENV_BIN, ensure_collection_link

COLLECTIONS_ROOT = ensure_collection_link()
SOURCE_DIR = os.path.join(COLLECTIONS_ROOT, 'ansible_collections', 'supervisor', 'control',
                          'extensions', 'eda', 'plugins', 'event_source')
RULEBOOKS = os.path.join(REPO, 'extensions', 'eda', 'rulebooks')
DEADLINE = 30.0    # generous: only there to turn a hang into a failure


def load_source(name):
    return importlib.import_module(
        'ansible_collections.supervisor.control.extensions.eda.plugins.event_source.%s' % name)


def run(coro, timeout=60):
    """Run a test coroutine with a deadline (a hang becomes a failure, not a stuck CI job)."""
    async def guarded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(guarded())


class SourceTask(object):
    """A source's ``main(queue, args)`` running as a task, with ansible-rulebook's one-slot queue."""

    def __init__(self, module, args, maxsize=1, engine=False):
        self.queue = asyncio.Queue(maxsize=maxsize)
        self.task = asyncio.ensure_future(module.main(self.queue, args))
        # engine=True: events are taken from the queue as soon as they are put, as ansible-rulebook's
        # rule engine takes them, and wait in ``inbox`` for the test (the push endpoint answers a
        # record only once its events were taken). Else the test's get() is the engine.
        self.inbox = self.queue
        self.engine = None
        if engine:
            self.inbox = asyncio.Queue()

            async def take():
                while True:
                    self.inbox.put_nowait(await self.queue.get())
            self.engine = asyncio.ensure_future(take())

    async def get(self, timeout=DEADLINE):
        getter = asyncio.ensure_future(self.inbox.get())
        done = (await asyncio.wait([getter, self.task], timeout=timeout, return_when=asyncio.FIRST_COMPLETED))[0]
        if getter in done:
            return getter.result()
        getter.cancel()
        if self.task in done:
            self.task.result()     # raises the source's exception
            raise AssertionError('the source ended without an event')
        raise AssertionError('no event within %ss' % timeout)

    async def get_until(self, predicate, timeout=DEADLINE):
        """Events up to and including the first one that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('no matching event within %ss; got %s' % (timeout, json.dumps(seen)[-3000:]))
            try:
                event = await self.get(timeout=left)
            except AssertionError:
                raise AssertionError('no matching event within %ss; got %s' % (timeout, json.dumps(seen)[-3000:]))
            seen.append(event)
            if predicate(event):
                return seen

    async def no_event(self, seconds):
        """Assert that nothing arrives for ``seconds`` (used only to check absence)."""
        try:
            event = await asyncio.wait_for(self.inbox.get(), seconds)
        except asyncio.TimeoutError:
            return
        raise AssertionError('unexpected event %r' % (event,))

    async def stop(self):
        self.task.cancel()
        try:
            await asyncio.wait_for(self.task, DEADLINE)
        except asyncio.CancelledError:
            pass
        finally:
            if self.engine is not None:
                self.engine.cancel()


def java_home():
    if os.environ.get('JAVA_HOME'):
        return os.environ['JAVA_HOME']
    java = shutil.which('java')
    if java:
        return os.path.dirname(os.path.dirname(os.path.realpath(java)))
    candidates = sorted(glob.glob('/usr/lib/jvm/java-17-*'))
    return candidates[0] if candidates else None


def rulebook_env(extra=None):
    env = ansible_env(extra)
    home = java_home()
    if home:
        env['JAVA_HOME'] = home
        env['PATH'] = os.path.join(home, 'bin') + os.pathsep + env['PATH']
    env['PATH'] = VENV_BIN + os.pathsep + env['PATH']
    env.pop('ANSIBLE_CALLBACKS_ENABLED', None)
    env['PYTHONUNBUFFERED'] = '1'
    return env


class Rulebook(object):
    """A running ansible-rulebook whose output is collected by a thread.

    ``argv_wrapper`` (for example ``cluster.argv``) runs it on a test host.
    """

    def __init__(self, rulebook, inventory, directory, variables=None, argv_wrapper=None, popen=None,
                 extra_env=None, verbosity='-v'):
        self.directory = directory
        cmd = [os.path.join(VENV_BIN, 'ansible-rulebook'), '--rulebook', rulebook, '-i', inventory, verbosity]
        if variables:
            vars_file = os.path.join(directory, 'rulebook-vars.json')
            with open(vars_file, 'w') as handle:
                json.dump(variables, handle)
            cmd += ['--vars', vars_file]
        if argv_wrapper:
            cmd = argv_wrapper(cmd)
        self.lines = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        starter = popen or (lambda argv, **kw: subprocess.Popen(argv, start_new_session=True,
                                                                stdin=subprocess.DEVNULL, **kw))
        # ansible-runner leaves a private data dir per run_playbook/run_module in
        # TMPDIR: give it one of ours, removed by stop(). Not inside `directory`,
        # which ansible-runner may copy as the project (into itself).
        self.tmpdir = tempfile.mkdtemp(prefix='rulebook-runner-')
        os.chmod(self.tmpdir, 0o755)
        env = rulebook_env(dict(extra_env or {}, TMPDIR=self.tmpdir))
        self.proc = starter(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=directory,
                            env=env, text=True, errors='replace', bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        # Also kept in DIRECTORY/ansible-rulebook.log, for a look after a failure.
        with open(os.path.join(self.directory, 'ansible-rulebook.log'), 'w') as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                with self._changed:
                    self.lines.append(line.rstrip('\n'))
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self):
        with self._lock:
            return '\n'.join(self.lines)

    def wait_for(self, text, timeout=90, start=0):
        """Wait until a line after line ``start`` contains ``text``; return that line's index."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index in range(start, len(self.lines)):
                    if text in self.lines[index]:
                        return index
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError('ansible-rulebook exited (%s) before %r:\n%s' % (
                        self.proc.returncode, text, '\n'.join(self.lines)[-6000:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('no %r from ansible-rulebook within %ss:\n%s' % (
                        text, timeout, '\n'.join(self.lines)[-6000:]))
                self._changed.wait(min(left, 1.0))

    def wait_count(self, text, number, timeout=90):
        """Wait until ``number`` lines contain ``text``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(1 for line in self.lines if text in line) < number:
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError('ansible-rulebook exited (%s) before %d x %r:\n%s' % (
                        self.proc.returncode, number, text, '\n'.join(self.lines)[-6000:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('fewer than %d %r from ansible-rulebook within %ss:\n%s' % (
                        number, text, timeout, '\n'.join(self.lines)[-6000:]))
                self._changed.wait(min(left, 1.0))

    def count(self, text):
        with self._lock:
            return sum(1 for line in self.lines if text in line)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        shutil.rmtree(self.tmpdir, ignore_errors=True)
