"""Run real ansible-playbook against the collection and read its results."""

import atexit
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

from tests.support.paths import REPO, VENV_BIN, ensure_collection_link

CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins')
# ansible's controller-side temp dir: one per test session, removed at exit.
LOCAL_TEMP = tempfile.mkdtemp(prefix='ansible-local-tests-')
atexit.register(shutil.rmtree, LOCAL_TEMP, True)
# The ansible-playbook that runs the plays: .venv's, or another ansible-core's
# bin directory (tests/compat runs the module and lookup tests with the oldest
# ansible-core that meta/runtime.yml claims).
ANSIBLE_BIN = os.environ.get('SUPERVISOR_CONTROL_TEST_ANSIBLE_BIN') or VENV_BIN
_VERSION = []
# The value of supervisor_control_in_process given to every play run_playbook starts, as a
# host variable of localhost (so a play's own vars still win), or [] to give none:
# tests/integration/modules/conftest.py runs each test module once with true, once with false.
IN_PROCESS = []


@contextlib.contextmanager
def plays_in_process(value):
    """Within the block, every play run_playbook starts gives localhost supervisor_control_in_process=value."""
    IN_PROCESS[:] = [value]
    try:
        yield value
    finally:
        del IN_PROCESS[:]


def ansible_core_version():
    """(major, minor) of the ansible-core whose ansible-playbook runs the plays."""
    if not _VERSION:
        out = subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-playbook'), '--version'], capture_output=True,
                             text=True, check=True, timeout=120).stdout
        _VERSION.append(tuple(int(part) for part in re.search(r'\[core (\d+)\.(\d+)\.', out).groups()))
    return _VERSION[0]


def assert_lookup_failed(msg, plugin, message):
    """A task's ``msg`` is exactly what lookup ``plugin`` raised, as the running ansible-core words it.

    ansible-core 2.19 puts where it happened first and ends with "The lookup plugin 'P' failed:
    MESSAGE"; 2.16 gives the plugin's message alone.
    """
    if ansible_core_version() >= (2, 19):
        expected = "The lookup plugin '%s' failed: %s" % (plugin, message)
        assert msg.endswith(': ' + expected), '%s\nexpected the end: %s' % (msg, expected)
    else:
        assert msg == message, '%s\nexpected: %s' % (msg, message)


class PlaybookRun(object):
    def __init__(self, returncode, stdout, stderr, results):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.results = results

    @property
    def output(self):
        return self.stdout + self.stderr

    def task(self, name):
        """The result of the (last) task called ``name``."""
        found = [r for r in self.results if r['task'] == name]
        assert found, 'no task %r in %s\n%s' % (name, [r['task'] for r in self.results], self.output[-3000:])
        return found[-1]

    def tasks(self, name):
        return [r for r in self.results if r['task'] == name]

    def result(self, name):
        return self.task(name)['result']

    def __repr__(self):
        return '<PlaybookRun rc=%s>\n%s' % (self.returncode, self.output[-5000:])


def sv_task(module, title, daemon=None, **args):
    """A task of ``supervisor.control.MODULE`` named ``title`` that may fail (tests assert on it)."""
    if daemon is not None:
        args.setdefault('server_url', daemon.server_url)
    return {'name': title, 'supervisor.control.%s' % module: args, 'ignore_errors': True}


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': ensure_collection_link(),
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACKS,
        'ANSIBLE_CALLBACKS_ENABLED': 'record_results',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_LOCAL_TEMP': LOCAL_TEMP,
        'ANSIBLE_DEPRECATION_WARNINGS': 'False',
        'PATH': os.pathsep.join(dict.fromkeys([ANSIBLE_BIN, VENV_BIN, env.get('PATH', '')])),
    })
    for key in ('SUPERVISOR_SERVER_URL', 'SUPERVISOR_USERNAME', 'SUPERVISOR_PASSWORD', 'SUPERVISOR_CONFIG'):
        env.pop(key, None)
    env.update(extra or {})
    return env


def run_playbook(tasks, tmp_path, args=(), extra_env=None, check=False, diff=False, verbosity=0,
                 vars=None, gather_facts=False, timeout=300, ansible_bin=None):
    """Run ``tasks`` (a list of task dicts, or a whole playbook as text) on localhost.

    ``ansible_bin``: the bin directory of the ansible-core to run, instead of ANSIBLE_BIN.
    """
    if isinstance(tasks, str):
        text = tasks
    else:
        play = {'hosts': 'localhost', 'connection': 'local', 'gather_facts': gather_facts, 'tasks': tasks}
        if vars:
            play['vars'] = vars
        text = yaml.safe_dump([play], sort_keys=False)
    fd, playbook = tempfile.mkstemp(suffix='.yml', prefix='play-', dir=str(tmp_path))
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)
    results_file = playbook + '.results.json'
    ansible_bin = ansible_bin or ANSIBLE_BIN
    inventory = 'localhost,'
    if IN_PROCESS:
        inventory = playbook + '.inventory.yml'
        with open(inventory, 'w') as handle:
            yaml.safe_dump({'all': {'hosts': {'localhost': {'supervisor_control_in_process': IN_PROCESS[0]}}}},
                           handle)
    cmd = [os.path.join(ansible_bin, 'ansible-playbook'), '-i', inventory, playbook]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    if verbosity:
        cmd.append('-' + 'v' * verbosity)
    cmd.extend(args)
    env = ansible_env(dict(extra_env or {}, RECORD_RESULTS_FILE=results_file))
    env['PATH'] = ansible_bin + os.pathsep + env['PATH']
    proc = subprocess.run(cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    results = []
    if os.path.exists(results_file):
        with open(results_file) as handle:
            results = json.load(handle)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)


__all__ = ['run_playbook', 'sv_task', 'ansible_env', 'PlaybookRun', 'REPO', 'ansible_core_version',
           'assert_lookup_failed']
