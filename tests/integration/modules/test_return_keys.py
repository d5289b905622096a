"""Every key a module's RETURN says is returned ``always`` is in every result, every key returned "always, unless
Ansible refuses the options" in every result but those (a wrong type here), and every ``success`` key in every
successful one: success, check mode, refusals before connecting, failures after.

The keys are read from each module's RETURN, so a key documented later is checked too. Real supervisord, real
ansible-playbook, both execution paths (conftest.py).
"""

import importlib

import yaml

from tests.support.ansible import run_playbook, sv_task

MODULES = ('application', 'daemon', 'group', 'info', 'process', 'rpc', 'stdin', 'supvisors')
# A key returned whenever the module itself runs: a module cannot add keys to what Ansible's own check of the
# options (argument_spec) fails with, before the module's code, on either path.
ONCE_ACCEPTED = 'always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)'
REFUSED_BY_ANSIBLE = 'refused by Ansible'


def documented(module, returned):
    """The RETURN keys of ``module`` whose ``returned`` is exactly ``returned``."""
    source = importlib.import_module('ansible_collections.supervisor.control.plugins.modules.%s' % module)
    return sorted(key for key, spec in yaml.safe_load(source.RETURN).items() if spec.get('returned') == returned)


def tasks_of(daemon, tmp_path):
    """(module, title, task) for each path of each module: success, check mode, refusals, failures."""
    nowhere = 'unix://%s' % (tmp_path / 'nothing-listens.sock')
    cases = [
        ('process', 'success', dict(name='sleeper', state='started')),
        ('process', 'check mode', dict(name='sleeper', state='restarted', _check=True)),
        ('process', 'refused', dict(name='sleeper', signal='HUP')),
        ('process', 'unknown name', dict(name='nope')),
        ('process', 'failed start', dict(name='dier', state='started')),
        ('process', 'strategy on a plain supervisord', dict(name='sleeper', strategy='CONFIG')),
        ('group', 'success', dict(name='web', state='started')),
        ('group', 'check mode', dict(name='web', state='present', _check=True)),
        ('group', 'refused', dict(name='web', state='started', keep_stopped=True)),
        ('group', 'unknown group', dict(name='nope', state='started')),
        ('daemon', 'success', dict(state='running')),
        ('daemon', 'check mode', dict(state='reloaded', _check=True)),
        ('daemon', 'refused', dict(state='running', wait=False)),
        ('info', 'success', dict()),
        ('info', 'check mode', dict(_check=True)),
        ('rpc', 'success', dict(method='supervisor.getState')),
        ('rpc', 'check mode', dict(method='supervisor.clearLog', _check=True)),
        ('rpc', 'refused', dict(method=' ')),
        ('rpc', 'fault', dict(method='supervisor.getProcessInfo', params=['nope'])),
        ('stdin', 'success', dict(name='sleeper', chars='')),
        ('stdin', 'check mode', dict(name='sleeper', chars='x', _check=True)),
        ('stdin', 'refused', dict(name='sleeper', chars='', newline=False)),
        ('stdin', 'not running', dict(name='idle', chars='x')),
        ('application', 'no Supvisors', dict(name='web')),
        ('application', 'check mode without Supvisors', dict(name='web', _check=True)),
        ('supvisors', 'no Supvisors', dict()),
    ]
    for module in MODULES:
        cases.append((module, REFUSED_BY_ANSIBLE, dict(timeout='soon', **REQUIRED.get(module, {}))))
        cases.append((module, 'nothing listens', dict(_url=nowhere, **REQUIRED.get(module, {}))))
        cases.append((module, 'bad server_url', dict(_url='ftp://host', **REQUIRED.get(module, {}))))
    for module, title, args in cases:
        args = dict(args)
        check = args.pop('_check', False)
        args['server_url'] = args.pop('_url', daemon.server_url)
        task = sv_task(module, '%s %s' % (module, title), **args)
        if check:
            task['check_mode'] = True
        yield module, title, task


REQUIRED = {'application': dict(name='web'), 'group': dict(name='web'), 'process': dict(name='sleeper'),
            'rpc': dict(method='supervisor.getState'), 'stdin': dict(name='sleeper', chars='x')}


def test_documented_keys_are_returned(daemon, tmp_path):
    assert [m for m in MODULES if 'server_url' not in documented(m, 'always') + documented(m, ONCE_ACCEPTED)] == []
    cases = list(tasks_of(daemon, tmp_path))
    run = run_playbook([task for dummy, dummy, task in cases], tmp_path)
    missing = []
    statuses = set()
    for module, title, task in cases:
        result = run.task(task['name'])
        statuses.add((module, result['status']))
        keys = documented(module, 'always')
        if title == REFUSED_BY_ANSIBLE:
            assert result['status'] == 'failed' and 'timeout' in result['result']['msg'], result
        else:
            keys += documented(module, ONCE_ACCEPTED)
        if result['status'] in ('ok', 'changed'):
            keys += documented(module, 'success')
        missing.extend('%s: %s' % (task['name'], key) for key in keys if key not in result['result'])
    assert missing == [], '\n'.join(missing + [repr(run)])
    # Each module went through failures, and each but application and supvisors (no Supvisors here) succeeded.
    assert set(m for m, status in statuses if status == 'failed') == set(MODULES)
    succeeded = set(m for m, status in statuses if status in ('ok', 'changed'))
    assert succeeded == set(MODULES) - {'application', 'supvisors'}
