"""The README's install path: build the collection, install the tarball, use it."""

import glob
import os
import subprocess

from tests.support.ansible import ansible_env, run_playbook, sv_task
from tests.support.paths import REPO, VENV_BIN


def test_build_install_and_use(daemon, tmp_path):
    galaxy = os.path.join(VENV_BIN, 'ansible-galaxy')
    build = subprocess.run([galaxy, 'collection', 'build', '--output-path', str(tmp_path), REPO],
                           capture_output=True, text=True, timeout=300, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = glob.glob(str(tmp_path / 'supervisor-control-*.tar.gz'))
    assert len(tarball) == 1
    installed = tmp_path / 'installed'
    install = subprocess.run([galaxy, 'collection', 'install', '--force', '-p', str(installed), tarball[0]],
                             capture_output=True, text=True, timeout=300, check=False, env=ansible_env())
    assert install.returncode == 0, install.stdout + install.stderr
    root = installed / 'ansible_collections' / 'supervisor' / 'control'
    assert (root / 'plugins' / 'modules' / 'process.py').exists()
    assert not (root / '.venv').exists() and not (root / '.cache').exists()
    run = run_playbook([sv_task('info', 'installed info', daemon)], tmp_path,
                       extra_env={'ANSIBLE_COLLECTIONS_PATH': str(installed)})
    assert run.task('installed info')['status'] == 'ok', run
