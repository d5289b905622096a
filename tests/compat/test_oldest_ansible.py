# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What meta/runtime.yml and the README claim about versions is what runs.

- ``requires_ansible`` names the oldest ansible-core that .venv-ansible-2.16 holds, and the
  module and lookup integration tests pass with its ansible-playbook (a pytest run of its own,
  with SUPERVISOR_CONTROL_TEST_ANSIBLE_BIN pointing at that environment).
- The modules run on the oldest target Python the README claims for each ansible-core:
  3.6 with ansible-core 2.16, 3.8 with 2.19 (from pyenv, where this machine has it).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest
import yaml

from tests.support.ansible import run_playbook, sv_task
from tests.support.paths import REPO, VENV_BIN

OLDEST_BIN = os.path.join(REPO, '.venv-ansible-2.16', 'bin')
PYENV = os.path.expanduser('~/.pyenv/versions')
NESTED = bool(os.environ.get('SUPERVISOR_CONTROL_TEST_ANSIBLE_BIN'))


def claimed_minimum():
    with open(os.path.join(REPO, 'meta', 'runtime.yml')) as handle:
        spec = yaml.safe_load(handle)['requires_ansible']
    match = re.fullmatch(r'>=(\d+)\.(\d+)\.\d+', spec)
    assert match, spec
    return tuple(int(part) for part in match.groups())


def core_version(bin_dir):
    if not os.access(os.path.join(bin_dir, 'ansible-playbook'), os.X_OK):
        pytest.fail('%s has no ansible-playbook: run scripts/bootstrap --with-ansible-2.16' % bin_dir)
    out = subprocess.run([os.path.join(bin_dir, 'ansible-playbook'), '--version'], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    return tuple(int(part) for part in re.search(r'\[core (\d+)\.(\d+)\.', out).groups())


pytestmark = pytest.mark.skipif(NESTED, reason='already inside the run with another ansible-core')


def test_the_claimed_minimum_is_the_ansible_core_tested():
    assert core_version(OLDEST_BIN) == claimed_minimum() == (2, 16)


@pytest.fixture
def short_tmp():
    # The daemons' unix sockets live under pytest's temp dirs: a path of more than 107
    # bytes cannot be bound, so the inner run gets a short base of its own.
    path = tempfile.mkdtemp(prefix='compat-', dir='/tmp')
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_module_and_lookup_tests_pass_on_the_oldest_ansible_core(short_tmp):
    core_version(OLDEST_BIN)
    env = dict(os.environ, SUPERVISOR_CONTROL_TEST_ANSIBLE_BIN=OLDEST_BIN,
               PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''))
    cmd = [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-q', '-rfE',
           '--basetemp', os.path.join(short_tmp, 'run'), 'tests/integration/modules', 'tests/integration/lookups']
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800, check=False)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''
    assert proc.returncode == 0, proc.stdout[-20000:] + proc.stderr[-5000:]
    assert re.fullmatch(r'=* ?\d+ passed(, \d+ deselected)?(, \d+ warnings?)? in .*', summary), summary


def oldest_targets():
    return [((2, 16), OLDEST_BIN, os.path.join(PYENV, '3.6.15', 'bin', 'python3.6')),
            ((2, 19), VENV_BIN, os.path.join(PYENV, '3.8.18', 'bin', 'python3.8'))]


@pytest.mark.parametrize('core,bin_dir,python', oldest_targets(), ids=['core2.16-python3.6', 'core2.19-python3.8'])
def test_modules_run_on_the_oldest_target_python(daemon, tmp_path, core, bin_dir, python):
    if not os.access(python, os.X_OK):
        pytest.skip('%s is not on this machine' % python)
    assert core_version(bin_dir) == core
    tasks = [
        sv_task('process', 'restart', daemon, name='web:*', state='restarted'),
        sv_task('info', 'info', daemon),
        {'name': 'interpreter', 'ansible.builtin.setup': {'gather_subset': ['!all', 'min']}},
    ]
    # Shipped: in-process, the modules would run in the controller's Python, not the target's.
    run = run_playbook(tasks, tmp_path, extra_env={'ANSIBLE_PYTHON_INTERPRETER': python}, ansible_bin=bin_dir,
                       vars={'supervisor_control_in_process': False})
    assert run.returncode == 0, run
    restarted = run.result('restart')
    assert restarted['changed'] is True
    assert sorted(p['fullname'] for p in restarted['processes']) == ['web:web_a', 'web:web_b']
    assert {p['statename'] for p in run.result('info')['processes'] if p['group'] == 'web'} == {'RUNNING'}
    facts = run.result('interpreter')['ansible_facts']
    assert facts['ansible_python']['executable'] == python
