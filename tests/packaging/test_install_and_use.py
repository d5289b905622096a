"""The README's install path: build the collection, install the tarball, use it, on both execution paths."""

import pytest

from tests.support import ansible
from tests.support.ansible import run_playbook, sv_task


@pytest.mark.parametrize('in_process', [True, False], ids=['in-process', 'shipped'])
def test_build_install_and_use(installed, daemon, tmp_path, in_process):
    root = installed / 'ansible_collections' / 'supervisor' / 'control'
    assert (root / 'plugins' / 'modules' / 'process.py').exists()
    assert not (root / '.venv').exists() and not (root / '.cache').exists()
    with ansible.plays_in_process(in_process):
        run = run_playbook([sv_task('info', 'installed info', daemon)], tmp_path,
                           extra_env={'ANSIBLE_COLLECTIONS_PATH': str(installed)})
    assert run.task('installed info')['status'] == 'ok', run
