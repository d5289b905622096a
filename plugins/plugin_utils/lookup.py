# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the lookups (and the inventory plugin) share on the controller: a client from their connection options."""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.utils.display import Display

from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient
from ansible_collections.supervisor.control.plugins.module_utils.connection import (
    CONNECTION_OPTIONS,
    connection_warnings,
)

display = Display()


def connect(plugin):
    """A SupervisorClient from a lookup's (or the inventory's) connection options, by the modules' rules."""
    client = SupervisorClient.from_options(**dict((name, plugin.get_option(name)) for name in CONNECTION_OPTIONS))
    for warning in connection_warnings(client.settings):
        display.warning(warning)
    return client


def set_options(plugin, variables, options):
    """``plugin.set_options``, refusing options the lookup does not have.

    Ansible ignores unknown keyword options of a lookup; a typo such as
    ``server_ur=`` would then silently read whichever daemon discovery finds.
    """
    plugin.set_options(var_options=variables, direct=options)
    unknown = sorted(name for name in options if not plugin.has_option(name))
    if unknown:
        raise AnsibleLookupError('unknown option%s %s for lookup %s: valid options are %s' % (
            's' if len(unknown) > 1 else '', ', '.join(unknown), plugin.ansible_name,
            ', '.join(sorted(name for name in plugin.get_options() if not name.startswith('_')))))
    refuse_loose_booleans(plugin, options, AnsibleLookupError)


def refuse_loose_booleans(plugin, given, error):
    """Refuse a boolean option given as anything but a boolean, as the modules refuse it.

    Ansible reads a plugin's boolean option leniently: any word it does not know
    is false, so ``validate_certs='maybe'`` would not check the certificate.
    """
    for name, value in given.items():
        if not isinstance(value, bool) and isinstance(plugin.get_option(name), bool):
            try:
                boolean(value, strict=True)
            except TypeError:
                raise error('%s must be a boolean (true or false), got %r' % (name, value))


def process_specs(terms):
    """The terms of a lookup as process specs: lists flattened, each a non-empty string."""
    flat = []
    for term in terms or []:
        flat.extend(term if isinstance(term, (list, tuple)) else [term])
    specs = []
    for term in flat:
        if not isinstance(term, str) or not term.strip():
            raise AnsibleLookupError('a term must be a non-empty process spec, got %r' % (term,))
        specs.append(term.strip())
    return specs
