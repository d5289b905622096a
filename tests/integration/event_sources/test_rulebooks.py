"""Every example rulebook is valid for ansible-rulebook, and its source arguments for our sources.

The rulebooks that the integration tests run end to end are checked there; this
catches a typo in the others (schema, condition syntax, source options) without
starting Java.
"""

import glob
import os
import subprocess

import jinja2
import pytest
import yaml
from ansible_rulebook.conf import settings
from ansible_rulebook.rules_parser import parse_rule_sets
from ansible_rulebook.validators import Validate

from tests.support.ansible import ansible_env
from tests.support.eda import RULEBOOKS, load_source
from tests.support.paths import REPO, VENV_BIN

SOURCES = {'supervisor.control.supvisors': load_source('supvisors'),
           'supervisor.control.supervisord': load_source('supervisord')}
VARIABLES = {
    'supvisors_host': 'supvisors01', 'supvisors_event_port': 60002, 'supvisors_http_port': 60000,
    'memmon_limit_percent': 10, 'supervisord_host': 'app1',
    'supervisord_url': 'http://app1.example.com:9001',
    'push_port': 5080, 'push_token': 'push-token', 'memmon_limit_bytes': 209715200,
}
PLAYBOOKS = ('drain_host.yml',)
RULEBOOK_FILES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(RULEBOOKS, '*.yml'))
                        if os.path.basename(p) not in PLAYBOOKS)


def test_every_example_rulebook_is_listed():
    # every rulebook is listed: the tests below run each one, so a new one gets checked too
    assert RULEBOOK_FILES == ['supervisord_crashes.yml', 'supervisord_push_crashmail.yml',
                              'supervisord_push_memmon.yml', 'supervisord_push_restart.yml',
                              'supvisors_application_failure.yml', 'supvisors_crashmail.yml',
                              'supvisors_instance_down.yml', 'supvisors_memmon.yml', 'supvisors_restart_fatal.yml']


@pytest.fixture
def galaxy(monkeypatch):
    """parse_rule_sets looks collections up with ansible-galaxy, as ansible-rulebook does."""
    monkeypatch.setattr(settings, 'ansible_galaxy_path', os.path.join(VENV_BIN, 'ansible-galaxy'))
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_PATH', ansible_env()['ANSIBLE_COLLECTIONS_PATH'])


@pytest.mark.parametrize('name', RULEBOOK_FILES)
def test_rulebook_is_valid(name, galaxy):
    with open(os.path.join(RULEBOOKS, name)) as handle:
        data = yaml.safe_load(handle)
    Validate.rulebook(data)
    parse_rule_sets(data, dict(VARIABLES))   # conditions must parse
    modules = []
    for ruleset in data:
        for source in ruleset['sources']:
            plugin = [key for key in source if key not in ('name', 'filters')]
            assert len(plugin) == 1, source
            args = source[plugin[0]]
            assert plugin[0] in SOURCES, plugin[0]
            rendered = yaml.safe_load(jinja2.Environment().from_string(yaml.safe_dump(args)).render(VARIABLES))
            if plugin[0] == 'supervisor.control.supvisors':
                SOURCES[plugin[0]].Options(rendered)
            else:
                SOURCES[plugin[0]].SupervisordSource(None, rendered)
        for rule in ruleset['rules']:
            for action in rule.get('actions', [rule.get('action')]):
                if 'run_module' in action:
                    modules.append(action['run_module']['name'])
                if 'run_playbook' in action:
                    assert os.path.exists(os.path.join(RULEBOOKS, action['run_playbook']['name']))
    for module in modules:
        if module.startswith('supervisor.control.'):
            assert os.path.exists(os.path.join(REPO, 'plugins', 'modules', module.split('.')[-1] + '.py')), module


@pytest.mark.parametrize('name', PLAYBOOKS)
def test_playbook_next_to_the_rulebooks_is_valid(name, tmp_path):
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '--syntax-check', '-i', 'localhost,',
                           os.path.join(RULEBOOKS, name)], cwd=str(tmp_path), env=ansible_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
