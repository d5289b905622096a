"""Connection options and every way of failing to connect, against real daemons."""

import json
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from tests.support.ansible import ansible_env, run_playbook, sv_task
from tests.support.paths import VENV_BIN
from tests.support.supervisord import AUTH_PASSWORD as SECRET, Supervisord, free_port


def info(title, **args):
    return sv_task('info', title, **args)


def test_http_basic_auth_with_module_defaults_and_no_password_in_verbose_output(auth_daemon, tmp_path):
    play = {
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'module_defaults': {'group/supervisor.control.all': {
            'server_url': auth_daemon.http_url, 'username': 'admin', 'password': '{{ lookup("env", "SV_PW") }}'}},
        'tasks': [
            info('http'),
            sv_task('process', 'process', name='echo', state='started'),
            info('wrong password', password='{{ lookup("env", "SV_PW") }}-wrong'),
            info('url with credentials', server_url='http://admin:{{ lookup("env", "SV_PW") }}@127.0.0.1:%d'
                 % auth_daemon.inet_port, username=None, password=None),
        ],
    }
    import yaml
    run = run_playbook(yaml.safe_dump([play]), tmp_path, verbosity=4, diff=True, extra_env={'SV_PW': SECRET})
    assert run.task('http')['status'] == 'ok', run
    assert run.result('http')['server_url'] == 'http://127.0.0.1:%d/RPC2' % auth_daemon.inet_port
    assert run.task('process')['status'] == 'ok'
    assert run.result('wrong password')['msg'] == (
        'authentication failed for http://127.0.0.1:%d/RPC2 (HTTP 401): check username and password'
        % auth_daemon.inet_port)
    assert run.task('url with credentials')['status'] == 'ok', run
    assert SECRET not in run.output
    assert SECRET not in str(run.results)


def test_unix_socket_auth_from_environment(auth_daemon, tmp_path):
    run = run_playbook([info('env', server_url=auth_daemon.server_url),
                        info('env no password', server_url=auth_daemon.server_url, password='')],
                       tmp_path, verbosity=3,
                       extra_env={'SUPERVISOR_USERNAME': 'admin', 'SUPERVISOR_PASSWORD': SECRET})
    assert run.task('env')['status'] == 'ok', run
    # an empty password counts as not given: the environment's is used
    assert run.task('env no password')['status'] == 'ok', run
    assert run.result('env no password')['supervisord']['state'] == 'RUNNING'
    assert SECRET not in run.output


def test_config_option_reads_supervisorctl_section_with_here(auth_daemon, tmp_path):
    conf = tmp_path / 'ctl' / 'supervisord.conf'
    conf.parent.mkdir()
    sock = tmp_path / 'ctl' / 'link.sock'
    os.symlink(auth_daemon.socket, str(sock))
    conf.write_text('[supervisorctl]\nserverurl = unix://%(here)s/link.sock ; comment\n'
                    'username = admin\npassword = %(ENV_SV_PW)s\n')
    broken = tmp_path / 'broken.conf'
    broken.write_text('[supervisorctl\nserverurl=unix:///nope\n')
    run = run_playbook([
        info('config', config=str(conf)),
        info('broken config', config=str(broken)),
        info('missing config', config=str(tmp_path / 'nope.conf')),
    ], tmp_path, extra_env={'SV_PW': SECRET})
    assert run.task('config')['status'] == 'ok', run
    assert run.result('config')['server_url'] == 'unix://%s' % sock
    assert run.result('broken config')['msg'] == (
        "cannot parse supervisord config file %s: File contains no section headers. file: '%s', line: 1 "
        "'[supervisorctl\\n'" % (broken, broken))
    assert run.result('missing config')['msg'] == 'supervisord config file %s does not exist' % (
        tmp_path / 'nope.conf')
    assert SECRET not in run.output


def test_connection_failures_are_one_line_messages(tmp_path):
    port = free_port()
    run = run_playbook([
        info('missing socket', server_url='unix:///nonexistent/supervisor.sock'),
        info('refused', server_url='http://127.0.0.1:%d' % port),
        info('malformed scheme', server_url='ftp://host:21'),
        info('malformed unix', server_url='unix://relative.sock'),
        info('malformed port', server_url='http://127.0.0.1:notaport'),
        sv_task('process', 'process missing socket', server_url='unix:///nonexistent/supervisor.sock',
                name='x'),
    ], tmp_path)
    assert run.result('missing socket')['msg'] == (
        'socket /nonexistent/supervisor.sock does not exist: is supervisord running, and is this the file of '
        'its [unix_http_server] section?')
    assert run.result('refused')['msg'] == (
        'connection refused by http://127.0.0.1:%d/RPC2: is supervisord running with an [inet_http_server] '
        'on that address and port?' % port)
    assert run.result('malformed scheme')['msg'] == (
        "malformed server_url 'ftp://host:21': expected unix:///path/to/supervisor.sock, http://host:port or "
        "https://host:port")
    assert run.result('malformed unix')['msg'] == (
        "malformed server_url 'unix://relative.sock': a unix socket URL needs an absolute path, such as "
        "unix:///var/run/supervisor.sock")
    assert run.result('malformed port')['msg'] == (
        "malformed server_url 'http://127.0.0.1:notaport' (Port could not be cast to integer value as 'notaport'): "
        "expected unix:///path/to/supervisor.sock, http://host:port or https://host:port")
    assert run.result('process missing socket')['msg'] == run.result('missing socket')['msg']
    assert 'Traceback' not in run.output


def test_stopped_daemon_with_stale_socket(tmp_path):
    daemon = Supervisord(str(tmp_path / 'stale'), programs={})
    os.makedirs(daemon.directory)
    try:
        daemon.start()
        daemon.kill()  # SIGKILL leaves the socket file behind
        assert os.path.exists(daemon.socket)
        run = run_playbook([info('stale', server_url=daemon.server_url)], tmp_path)
        assert run.result('stale')['msg'] == (
            'connection refused on socket %s: supervisord is not running (the socket file is stale)' % daemon.socket)
    finally:
        daemon.cleanup()


@pytest.mark.skipif(os.geteuid() != 0 and os.environ.get('CI') != 'true',
                    reason='needs root to run ansible-playbook as another user')
def test_socket_without_permission(execution_path):
    """A user who may not open the socket gets its path, mode and owner in the message."""
    nobody = pwd.getpwnam('nobody')
    # nobody may read and search any directory (the checkout can be a clone in a 0700 mktemp
    # directory) but gains no write access: connecting to a socket needs write, so it is refused.
    as_nobody = [shutil.which('setpriv'), '--reuid', str(nobody.pw_uid), '--regid', str(nobody.pw_gid),
                 '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search']
    # A real start, not test -x: access(2) ignores capabilities for a non-root user.
    reachable = subprocess.run(as_nobody + [os.path.join(VENV_BIN, 'python'), '-c', 'import ansible'],
                               capture_output=True, check=False).returncode == 0
    if not reachable:
        pytest.skip('nobody cannot run ansible-playbook here, even with CAP_DAC_READ_SEARCH')
    top = tempfile.mkdtemp(prefix='svperm-')
    daemon = Supervisord(os.path.join(top, 'daemon'), programs={}, socket_mode='0770')
    home = os.path.join(top, 'home')
    try:
        os.chmod(top, 0o755)
        os.makedirs(daemon.directory, mode=0o755)
        os.chmod(daemon.directory, 0o755)
        daemon.start()
        os.makedirs(home)
        os.chown(home, nobody.pw_uid, nobody.pw_gid)
        playbook = os.path.join(home, 'play.yml')
        with open(playbook, 'w') as handle:
            handle.write('- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n'
                         '    - supervisor.control.info:\n        server_url: unix://%s\n' % daemon.socket)
        env = ansible_env({'HOME': home, 'ANSIBLE_LOCAL_TEMP': os.path.join(home, 'tmp'), 'TMPDIR': home,
                           'ANSIBLE_REMOTE_TMP': os.path.join(home, 'remote-tmp'),
                           # a bare system python: the shipped module needs only the standard library
                           'ANSIBLE_PYTHON_INTERPRETER': '/usr/bin/python3'})
        env.pop('ANSIBLE_CALLBACKS_ENABLED')
        cmd = as_nobody + [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', 'localhost,', playbook,
                           '-e', json.dumps({'supervisor_control_in_process': execution_path})]
        proc = subprocess.run(cmd, env=env, cwd=home, capture_output=True, text=True, timeout=120,
                              check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out
        failure = [line for line in out.splitlines() if line.startswith('fatal: [localhost]: FAILED! => ')]
        assert len(failure) == 1, out
        assert json.loads(failure[0].split(' => ', 1)[1])['msg'] == (
            'permission denied on socket %s (mode 0770, owner root:root): run as a user who may open it '
            '(become: true), or set chmod/chown in [unix_http_server]' % daemon.socket), out
    finally:
        daemon.cleanup()
        shutil.rmtree(top, ignore_errors=True)
