"""The README's main job, the demo, runs and leaves nothing behind."""

import os
import subprocess
import sys

from tests.support.paths import REPO


def test_demo_runs_and_cleans_up():
    env = dict(os.environ)
    env.pop('SUPERVISOR_SERVER_URL', None)
    proc = subprocess.run([sys.executable, os.path.join(REPO, 'demo', 'run_demo.py')], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert 'failed=0' in out, out
    assert "no process matches 'web:web_09'; closest names: web:web_00, web:web_01, web:web_02" in out
    assert '"queue": "RUNNING"' in out and '"report": "STOPPED"' in out, out
    tmp = [line.split()[-1] for line in out.splitlines() if line.startswith('==> stopped supervisord and removed')]
    assert tmp and not os.path.exists(tmp[0])
