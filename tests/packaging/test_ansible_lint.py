# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-lint at the repository root, production profile, as Galaxy runs it on the collection.

No path is given, so it lints everything it finds (roles, playbooks, rulebooks, Molecule
scenarios, meta/, changelogs/, galaxy.yml), minus the generated directories that
.ansible-lint excludes.
"""

import os
import re

from tests.packaging.conftest import run
from tests.support.ansible import ansible_env
from tests.support.paths import REPO, VENV_BIN


def test_ansible_lint_production_profile_at_the_root():
    env = ansible_env()
    for key in ('ANSIBLE_CALLBACKS_ENABLED', 'ANSIBLE_CALLBACK_PLUGINS'):
        env.pop(key, None)
    env['NO_COLOR'] = '1'
    proc = run([os.path.join(VENV_BIN, 'ansible-lint'), '--profile', 'production', '--offline', '--nocolor'],
               cwd=REPO, env=env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert re.search(r"^Passed: 0 failure\(s\), 0 warning\(s\) in \d+ files processed of \d+ encountered\. "
                     r"Profile 'production' was required, and it passed\.$", proc.stderr, re.MULTILINE), output
    # ansible-lint only logs the plugins whose documentation ansible-doc cannot parse; Galaxy refuses them.
    assert '[ERROR]' not in output, output
