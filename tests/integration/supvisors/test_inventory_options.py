"""The supervisor.control.supvisors inventory's options are templates, as in any inventory file.

A one-host Supvisors cluster with basic auth, read by a real ``ansible-inventory`` of each
ansible-core the collection supports, from a file written as the plugin's EXAMPLES write it:
URL and password from the environment through ``lookup('ansible.builtin.env', ...)``.
"""

import os

import pytest
import yaml

from tests.integration.supvisors.test_cluster import inventory
from tests.support.paths import REPO, VENV_BIN
from tests.support.supvisors import running_cluster

HOST = 'solo'
USER, PASSWORD = 'admin', 'inventory-s3cret'
ANSIBLE_BINS = {'2.19': VENV_BIN, '2.16': os.path.join(REPO, '.venv-ansible-2.16', 'bin')}


@pytest.fixture(scope='module')
def cluster():
    with running_cluster([HOST], programs={'idler': {'command': 'sleep 100000', 'startsecs': 0}},
                         credentials=(USER, PASSWORD), timeout=90,
                         running=[(HOST, 'idler:idler')]) as instance:
        yield instance


def write(tmp_path, **options):
    source = tmp_path / 'cluster.supvisors.yml'
    source.write_text(yaml.safe_dump(dict({'plugin': 'supervisor.control.supvisors'}, **options)))
    return source


@pytest.mark.parametrize('core', sorted(ANSIBLE_BINS))
def test_templated_options_are_templated(cluster, tmp_path, core):
    source = write(tmp_path, server_url="{{ lookup('ansible.builtin.env', 'SUPVISORS_URL') }}",
                   username='{{ supvisors_user }}',
                   password="{{ lookup('ansible.builtin.env', 'SUPVISORS_PASSWORD') }}")
    rc, listed, stderr = inventory(source, ['-e', 'supvisors_user=%s' % USER], ansible_bin=ANSIBLE_BINS[core],
                                   extra_env={'SUPVISORS_URL': cluster.server_url(HOST),
                                              'SUPVISORS_PASSWORD': PASSWORD})
    assert rc == 0 and listed is not None, stderr
    assert sorted(listed['_meta']['hostvars']) == [HOST], (listed, stderr)
    assert listed['_meta']['hostvars'][HOST]['supvisors_identifier'] == cluster.identifier(HOST)
    assert listed['application_idler']['hosts'] == [HOST]
    assert PASSWORD not in stderr


def test_a_template_that_gives_the_wrong_password_is_refused_by_the_daemon(cluster, tmp_path):
    """The cluster does check the password: the test above would fail with an untemplated one."""
    source = write(tmp_path, server_url=cluster.server_url(HOST), username=USER,
                   password="{{ lookup('ansible.builtin.env', 'SUPVISORS_PASSWORD') }}")
    rc, listed, stderr = inventory(source, extra_env={'SUPVISORS_PASSWORD': 'wrong'})
    assert ('supervisor.control.supvisors inventory: authentication failed for %s/RPC2 (HTTP 401): check username '
            'and password' % cluster.server_url(HOST)) in ' '.join(stderr.split()), stderr
    assert sorted(listed['_meta']['hostvars']) == []


def test_an_option_the_plugin_does_not_have_is_refused_with_the_closest_name(cluster, tmp_path):
    """A typo is not ignored: ignored, server_ur would leave the plugin to find a daemon on its own."""
    source = write(tmp_path, server_ur=cluster.server_url(HOST), username=USER, password=PASSWORD)
    rc, listed, stderr = inventory(source)
    assert ('supervisor.control.supvisors inventory: unknown option server_ur (did you mean server_url?)'
            in ' '.join(stderr.split())), stderr
    assert 'connection refused' not in stderr, stderr
    assert sorted(listed['_meta']['hostvars']) == []


def test_a_boolean_that_is_none_is_refused(cluster, tmp_path):
    """Not read as false, as Ansible reads a plugin option: strict=maybe would turn a failure into an empty inventory."""
    source = write(tmp_path, server_url='http://127.0.0.1:9', strict='maybe')
    rc, listed, stderr = inventory(source)
    assert ("supervisor.control.supvisors inventory: strict must be a boolean (true or false), got 'maybe'"
            in ' '.join(stderr.split())), stderr
    assert 'connection refused' not in stderr, stderr
