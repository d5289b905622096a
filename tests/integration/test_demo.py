"""The README's main job, the demo, runs and leaves nothing behind."""

import json
import os
import subprocess
import sys

from tests.support.paths import REPO


def shown(out, task):
    """The msg that the debug task ``task`` printed: ansible's default output shows it as JSON."""
    block = out.split('TASK [%s] ' % task, 1)[1].split('\n\n', 1)[0]
    return json.loads(block.split(' => ', 1)[1])['msg']


def test_demo_runs_and_cleans_up():
    env = dict(os.environ)
    env.pop('SUPERVISOR_SERVER_URL', None)
    proc = subprocess.run([sys.executable, os.path.join(REPO, 'demo', 'run_demo.py')], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    recap = [line.split() for line in out.splitlines() if line.startswith('localhost ')]
    assert recap == [['localhost', ':', 'ok=15', 'changed=5', 'unreachable=0', 'failed=0', 'skipped=0', 'rescued=0',
                      'ignored=0']], out
    assert shown(out, 'Show what the update did') == "added ['queue'], updated []"
    assert shown(out, 'The message') == (
        "no process matches 'web:web_09'; closest names: web:web_00, web:web_01, web:web_02")
    assert shown(out, 'The process table') == {
        'api': 'RUNNING', 'queue': 'RUNNING', 'report': 'STOPPED', 'web:web_00': 'RUNNING', 'web:web_01': 'RUNNING',
        'web:web_02': 'RUNNING'}, out
    tmp = [line.split()[-1] for line in out.splitlines() if line.startswith('==> stopped supervisord and removed')]
    assert len(tmp) == 1 and not os.path.exists(tmp[0]), out
