"""Start a throw-away supervisord, run demo/playbook.yml against it, clean up.

Everything lives in a temporary directory that is removed at the end, and the
daemon (with every process it started) is stopped even if the playbook fails.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
COLLECTIONS = os.path.join(REPO, '.cache', 'collections')

CONFIG = """\
[supervisord]
logfile={tmp}/supervisord.log
pidfile={tmp}/supervisord.pid
childlogdir={tmp}
nodaemon=true
identifier=demo

[unix_http_server]
file={tmp}/supervisor.sock
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{tmp}/supervisor.sock

[program:api]
command=sleep 100000
startsecs=1
stopwaitsecs=2

[program:web]
command=sleep 100000
process_name=%(program_name)s_%(process_num)02d
numprocs=3
startsecs=1
stopwaitsecs=2

[program:report]
command=sh -c 'echo building report; sleep 100000'
autostart=false
startsecs=0

[include]
files={tmp}/conf.d/*.conf
"""


def wait_for_socket(path, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit('supervisord exited early; see its log above')
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise SystemExit('supervisord did not create %s within %ss' % (path, timeout))


def kill_session(sid):
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as handle:
                    if int(handle.read().rsplit(')', 1)[1].split()[3]) == sid:
                        os.kill(int(entry), signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass


def main():
    tmp = tempfile.mkdtemp(prefix='supervisor-control-demo-')
    proc = None
    try:
        os.makedirs(os.path.join(tmp, 'conf.d'))
        conf = os.path.join(tmp, 'supervisord.conf')
        with open(conf, 'w') as handle:
            handle.write(CONFIG.format(tmp=tmp))
        print('==> starting a throw-away supervisord in %s' % tmp, flush=True)
        with open(os.path.join(tmp, 'supervisord.out'), 'wb') as out:
            proc = subprocess.Popen([os.path.join(BIN, 'supervisord'), '-c', conf], cwd=tmp, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_for_socket(os.path.join(tmp, 'supervisor.sock'), proc)
        env = dict(os.environ,
                   ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                   ANSIBLE_LOCALHOST_WARNING='False',
                   ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
                   SUPERVISOR_SERVER_URL='unix://%s/supervisor.sock' % tmp,
                   DEMO_CONF_D=os.path.join(tmp, 'conf.d'),
                   PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
        cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', os.path.join(HERE, 'playbook.yml')]
        cmd += sys.argv[1:]
        print('==> %s' % ' '.join(cmd), flush=True)
        return subprocess.call(cmd, env=env, cwd=tmp)
    finally:
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
            kill_session(proc.pid)
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        print('==> stopped supervisord and removed %s' % tmp, flush=True)


if __name__ == '__main__':
    sys.exit(main())
