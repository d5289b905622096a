"""Which path a task takes: in-process on the controller, or the module shipped as before.

The action plugins say which at -vvv ("running in-process" / "shipping the module (REASON)");
ansible-core's own "Using module file" line appears only when a module is shipped.
"""

import importlib
import os
import re

import yaml

from tests.support.ansible import REPO, run_playbook, sv_task

IN_PROCESS = 'supervisor.control.info: running in-process on the controller'
USING_MODULE = 'Using module file '


def test_every_module_has_its_action_plugin_naming_it():
    def names(kind):
        return sorted(f[:-3] for f in os.listdir(os.path.join(REPO, 'plugins', kind))
                      if f.endswith('.py') and f != '__init__.py')
    assert names('action') == names('modules')
    for name in names('action'):
        action = importlib.import_module('ansible_collections.supervisor.control.plugins.action.' + name)
        assert action.ActionModule.MODULE == name


def sections(output):
    """The -vvv output of each task, by task name."""
    parts = re.split(r'^TASK \[(.*?)\] \*+$', output, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def shipped(reason):
    return 'supervisor.control.info: shipping the module (%s)' % reason


def test_local_tasks_run_in_process_and_become_async_or_the_variable_ship(daemon, tmp_path):
    tasks = [
        sv_task('info', 'local', daemon),
        dict(sv_task('info', 'variable false', daemon), vars={'supervisor_control_in_process': False}),
        dict(sv_task('info', 'variable templated', daemon),
             vars={'ship': True, 'supervisor_control_in_process': '{{ not ship }}'}),
        dict(sv_task('info', 'become', daemon), become=True, become_method='su', become_user='root'),
        dict(sv_task('info', 'async', daemon), **{'async': 60, 'poll': 1}),
    ]
    run = run_playbook(tasks, tmp_path, verbosity=3, vars={'supervisor_control_in_process': True})
    assert run.returncode == 0, run
    out = sections(run.output)
    assert IN_PROCESS in out['local'] and USING_MODULE not in out['local'], out['local']
    for title, reason in [('variable false', 'supervisor_control_in_process is false'),
                          ('variable templated', 'supervisor_control_in_process is false'),
                          ('become', 'become'), ('async', 'async')]:
        assert shipped(reason) in out[title] and USING_MODULE in out[title], out[title]
        assert IN_PROCESS not in out[title], out[title]
    for title in ['local', 'variable false', 'become', 'async']:
        assert run.result(title)['supervisord']['pid'] == daemon.proc.pid, title


def test_delegate_to_localhost_runs_in_process_for_a_host_reached_by_ssh(daemon, tmp_path):
    # ssh to a documentation address would fail: only the delegation to localhost may run.
    inventory = tmp_path / 'hosts.ini'
    inventory.write_text('far ansible_connection=ssh ansible_host=192.0.2.1\nlocalhost ansible_connection=local\n')
    play = [{'hosts': 'far', 'gather_facts': False, 'tasks': [
        dict(sv_task('info', 'delegated', daemon), delegate_to='localhost')]}]
    run = run_playbook(yaml.safe_dump(play), tmp_path, args=['-i', str(inventory)], verbosity=3)
    assert run.returncode == 0, run
    out = sections(run.output)['delegated']
    assert IN_PROCESS in out and USING_MODULE not in out, out
    assert run.result('delegated')['supervisord']['pid'] == daemon.proc.pid


def test_a_variable_that_is_not_a_boolean_fails_the_task_in_one_line(daemon, tmp_path):
    run = run_playbook([sv_task('info', 'bad', daemon)], tmp_path,
                       vars={'supervisor_control_in_process': 'sometimes'})
    result = run.result('bad')
    assert run.task('bad')['status'] == 'failed'
    assert result['msg'].startswith('supervisor_control_in_process must be a boolean: '), result['msg']
    assert "'sometimes'" in result['msg'] and '\n' not in result['msg'], result['msg']


def test_the_task_environment_reaches_the_module_on_either_path(daemon, tmp_path):
    # No server_url: the daemon is found through SUPERVISOR_SERVER_URL from the task's
    # environment keyword, as a shipped module's process would see it.
    tasks = [dict(sv_task('info', 'from environment'), environment={'SUPERVISOR_SERVER_URL': daemon.server_url})]
    run = run_playbook(tasks, tmp_path)
    assert run.task('from environment')['status'] == 'ok', run
    assert run.result('from environment')['supervisord']['server_url'] == daemon.server_url


def test_a_password_from_the_environment_is_masked_in_errors_on_either_path(daemon, tmp_path):
    # The password is nowhere in the task: the client finds it in SUPERVISOR_PASSWORD, and the
    # daemon's fault quotes it back, as it would quote any parameter.
    secret = 'env-Pa55-93f1c2'
    task = sv_task('rpc', 'echoed', daemon, method='supervisor.getProcessInfo',
                   params=["{{ lookup('env', 'SUPERVISOR_PASSWORD') }}"])
    run = run_playbook([task], tmp_path, verbosity=4,
                       extra_env={'SUPERVISOR_USERNAME': 'admin', 'SUPERVISOR_PASSWORD': secret})
    result = run.result('echoed')
    assert run.task('echoed')['status'] == 'failed', run
    assert result['msg'] == 'supervisor.getProcessInfo failed with BAD_NAME: ********', result['msg']
    assert secret not in run.output and secret not in str(run.results)
