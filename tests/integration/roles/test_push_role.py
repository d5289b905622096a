"""The push path end to end: the example restart rulebook on events pushed by a daemon the role deployed.

The supervisord role (with supervisord_event_push_url) and the program role
deploy a daemon on localhost under a temporary prefix; a real ansible-rulebook
runs extensions/eda/rulebooks/supervisord_push_restart.yml; a program killed
with SIGKILL (autorestart off) is started again by the rule. The token never
shows in the playbook's output, even at -vvv.
"""

import os
import shutil
import signal
import sys
import tempfile

import pytest
import yaml

from tests.support.ansible import run_playbook
from tests.support.eda import RULEBOOKS, Rulebook
from tests.support.push import wait_until
from tests.support.supervisord import SupervisorClient, free_port, kill_session, parse_server_url

pytestmark = pytest.mark.slow


@pytest.fixture
def prefix():
    path = tempfile.mkdtemp(prefix='push-')     # short: unix socket paths are limited to 107 bytes
    try:
        yield path
    finally:
        try:
            with open(os.path.join(path, 'p', 'run', 'supervisord.pid')) as handle:
                kill_session(int(handle.read()))
        except (OSError, ValueError):
            pass
        shutil.rmtree(path, ignore_errors=True)


def test_restart_rulebook_on_a_daemon_deployed_by_the_role(prefix, tmp_path):
    port = free_port()
    token = 'role-push-%s' % os.urandom(8).hex()
    root = os.path.join(prefix, 'p')
    socket_url = 'unix://%s/run/supervisor.sock' % root
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'app1': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}))
    rulebook = Rulebook(os.path.join(RULEBOOKS, 'supervisord_push_restart.yml'), str(inventory), str(tmp_path),
                        variables={'push_port': port, 'push_token': token, 'supervisord_url': socket_url})
    try:
        rulebook.wait_for('Waiting for events')
        variables = {
            'supervisord_prefix': root, 'supervisord_service_manager': 'none',
            'supervisord_event_push_url': 'http://127.0.0.1:%d/' % port,
            'supervisord_event_push_token': '{{ lookup("ansible.builtin.env", "PUSH_TOKEN") }}',
            'supervisord_event_push_host': 'app1',
            'supervisor_programs': [
                {'name': 'victim', 'command': 'sleep 100000', 'startsecs': 0, 'autorestart': False}]}
        play = [{'hosts': 'localhost', 'connection': 'local', 'gather_facts': False, 'vars': variables,
                 'roles': [{'role': 'supervisor.control.supervisord'}, {'role': 'supervisor.control.program'}]}]
        run = run_playbook(yaml.safe_dump(play), tmp_path, verbosity=3, extra_env={'PUSH_TOKEN': token},
                           timeout=600)
        assert run.returncode == 0, run.output[-6000:]
        assert token not in run.output
        client = SupervisorClient(parse_server_url(socket_url, None, None, timeout=10))
        wait_until(lambda: client.call('supervisor.getProcessInfo', 'victim')['statename'] == 'RUNNING',
                   what='victim running')
        first = client.call('supervisor.getProcessInfo', 'victim')['pid']
        os.kill(first, signal.SIGKILL)
        rulebook.wait_for('app1: victim (pid %d) exited unexpectedly' % first)
        wait_until(lambda: client.call('supervisor.getProcessInfo', 'victim')['statename'] == 'RUNNING'
                   and client.call('supervisor.getProcessInfo', 'victim')['pid'] != first,
                   timeout=60, what='victim started again by the rule')
        token_file = os.path.join(root, 'push', 'token')
        assert os.stat(token_file).st_mode & 0o777 == 0o600
    finally:
        rulebook.stop()
