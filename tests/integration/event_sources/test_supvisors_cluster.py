"""Example rulebooks on a real two-node Supvisors cluster (needs root: network namespaces).

One ansible-rulebook runs the rulesets of supvisors_crashmail.yml,
supvisors_application_failure.yml and supvisors_instance_down.yml together (one
Java process instead of three), on node alpha:

* a required process of a managed application is killed: crashmail reports the
  unexpected exit, and the application's major failure is reported;
* node beta is cut off the network: Supvisors isolates it (auto_fence), and
  drain_host.yml runs on beta (event.meta.hosts).
"""

import os
import shutil
import sys
import time

import pytest
import yaml

from tests.support.eda import RULEBOOKS, Rulebook
from tests.support.supvisors import managed_application, running_cluster

RULES = managed_application('web')
HOSTS = ['alpha', 'beta']


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    programs = {'api': dict(command='sleep 100000', autostart=False, autorestart=False, startsecs=0)}
    with running_cluster(HOSTS, programs=programs, groups={'web': ['api']}, rules=RULES,
                         options={'auto_fence': 'true'}, timeout=90,
                         directory=str(tmp_path_factory.mktemp('supvisors-cluster'))) as instance:
        yield instance


def combined_rulebook(directory):
    rulesets = []
    for name in ('supvisors_crashmail.yml', 'supvisors_application_failure.yml', 'supvisors_instance_down.yml'):
        with open(os.path.join(RULEBOOKS, name)) as handle:
            rulesets.extend(yaml.safe_load(handle))
    path = os.path.join(directory, 'cluster-rulebook.yml')
    with open(path, 'w') as handle:
        yaml.safe_dump(rulesets, handle, sort_keys=False)
    # run_playbook finds drain_host.yml in the working directory.
    shutil.copy(os.path.join(RULEBOOKS, 'drain_host.yml'), directory)
    return path


def where_api_runs(cluster):
    for host in HOSTS:
        info = cluster.rpc(host, 'supervisor.getProcessInfo', 'web:api')
        if info['statename'] == 'RUNNING':
            return host
    return None


def test_crash_application_failure_and_isolated_node(cluster, tmp_path):
    deadline = time.monotonic() + 60
    while where_api_runs(cluster) is None:     # Supvisors starts the managed application itself
        assert time.monotonic() < deadline, cluster.log('alpha')
        time.sleep(0.2)
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': dict(
        (host, {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}) for host in HOSTS)}}))
    rulebook = Rulebook(combined_rulebook(str(tmp_path)), str(inventory), str(tmp_path),
                        variables={'supvisors_host': 'alpha', 'supvisors_event_port': cluster.event_port,
                                   'supvisors_http_port': cluster.http_port},
                        popen=lambda argv, **kwargs: cluster.popen('alpha', argv, **kwargs))
    try:
        rulebook.wait_for('Waiting for events')
        # PUB/SUB drops what is published before a subscriber is connected: wait for the three.
        rulebook.wait_count('supervisor.control.supvisors: connected to tcp://alpha:%d' % cluster.event_port, 3)
        host = where_api_runs(cluster)
        mark = len(rulebook.lines)
        cluster.rpc(host, 'supervisor.signalProcess', 'web:api', 'KILL')
        rulebook.wait_for('Process web:api (pid', start=mark)
        line = rulebook.wait_for('exited unexpectedly', start=mark)
        assert host + ':%d' % cluster.http_port in ' '.join(rulebook.lines[mark:line + 1])
        rulebook.wait_for('PAGE: application web has a major failure', start=mark)

        mark = len(rulebook.lines)
        cluster.network.isolate('beta')
        line = rulebook.wait_for('beta (beta:%d) is ISOLATED: draining' % cluster.http_port, start=mark, timeout=120)
        recap = rulebook.wait_for(' : ok=', start=line)
        assert rulebook.lines[recap].split()[0] == 'beta' and 'failed=0' in rulebook.lines[recap]
        assert rulebook.count('is ISOLATED: draining') == 1          # throttled, and alpha never drained
        assert 'alpha (alpha' not in rulebook.output
    finally:
        rulebook.stop()
        cluster.network.reconnect('beta')   # so that it can shut down cleanly (and fast)
