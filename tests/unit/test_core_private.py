"""The private ansible-core APIs that plugin_utils/action.py uses, on each ansible-core the collection supports.

ansible-core has no public API for the values that ``no_log`` masks in an argument
spec's validation, nor for the task's ``environment:`` as an action plugin computes
it: action.py reaches them through two helpers, and this test calls both with real
ansible-core objects, in the interpreter of every supported ansible-core. It fails
the day one of them changes (a renamed attribute, another signature, no templating).
"""

import json
import os
import subprocess

import pytest

from tests.support.paths import REPO, VENV_BIN, ensure_collection_link

CORES = {'2.19': VENV_BIN, '2.16': os.path.join(REPO, '.venv-ansible-2.16', 'bin')}

SCRIPT = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import ansible.template
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.action.normal import ActionModule
from ansible.plugins.connection.local import Connection
from ansible_collections.supervisor.control.plugins.plugin_utils.action import no_log_values, task_environment

spec = {'password': {'type': 'str', 'no_log': True}, 'name': {'type': 'str'},
        'nested': {'type': 'dict', 'options': {'token': {'type': 'str', 'no_log': True}}}}
validation = ArgumentSpecValidator(spec).validate({'password': 'p4ss', 'name': 'web', 'nested': {'token': 't0ken'}})

# 2.19 templates only what the playbook's loader marked as trusted; 2.16 templates every string.
trust = getattr(ansible.template, 'trust_as_template', lambda value: value)
task = Task()
task.environment = [{'A': trust('{{ x }}'), 'B': 'b'}, {'A': trust('again {{ x }}')}]
loader = DataLoader()
play_context = PlayContext()
action = ActionModule(task, Connection(play_context, None), play_context, loader,
                      ansible.template.Templar(loader=loader, variables={'x': 'templated'}), None)
print(json.dumps({'no_log': sorted(no_log_values(validation)), 'environment': task_environment(action)}))
'''


@pytest.mark.parametrize('core', sorted(CORES))
def test_the_private_apis_do_what_action_py_needs(core):
    python = os.path.join(CORES[core], 'python')
    proc = subprocess.run([python, '-c', SCRIPT, ensure_collection_link()], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {
        'no_log': ['p4ss', 't0ken'], 'environment': {'A': 'again templated', 'B': 'b'}}, proc.stdout + proc.stderr
