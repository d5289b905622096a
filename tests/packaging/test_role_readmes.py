# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each role's README (which Galaxy shows) agrees with the role: its defaults table gives the
values of defaults/main.yml, every variable it names exists in meta/argument_specs.yml, and it
points to docs/roles.md, the reference."""

import json
import os
import re

import pytest
import yaml

from tests.support.paths import REPO

ROLES = ['program', 'supervisord']


def rendered(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


@pytest.mark.parametrize('role', ROLES)
def test_readme_defaults_are_the_roles(role):
    base = os.path.join(REPO, 'roles', role)
    with open(os.path.join(base, 'README.md')) as handle:
        readme = handle.read()
    with open(os.path.join(base, 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(base, 'meta', 'argument_specs.yml')) as handle:
        options = yaml.safe_load(handle)['argument_specs']['main']['options']
    rows = re.findall(r'^\| `(\w+)` \| `([^`]*)` \|$', readme, re.MULTILINE)
    assert rows, readme
    for name, default in rows:
        assert name in options, '%s: README names %s, which meta/argument_specs.yml does not have' % (role, name)
        assert default == rendered(defaults[name]), (role, name, default, defaults[name])
    assert readme.startswith('# supervisor.control.%s\n' % role)
    assert '](../../docs/roles.md' in readme
