"""The connection options are declared once (module_utils/connection.py), documented once (the doc fragment).

Everything else is made from the table: the modules' argument spec, the lookups' and the
inventory's client, the event sources' specs. These tests fail when the table and its
documentation disagree, or when one of them is declared a second time.
"""

import re

import yaml

from tests.support.eda import load_source

from ansible_collections.supervisor.control.plugins.plugin_utils import supvisors_events
from ansible_collections.supervisor.control.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.supervisor.control.plugins.module_utils import connection
from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import CONNECTION_ARGUMENT_SPEC

DOCUMENTED = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']


def test_the_doc_fragment_documents_the_table():
    assert list(DOCUMENTED) == list(connection.CONNECTION_OPTIONS)
    for name, option in connection.CONNECTION_OPTIONS.items():
        doc = DOCUMENTED[name]
        assert (doc['type'], doc.get('default')) == (option['type'], option.get('default')), name
        # The environment variable an option falls back to is named in its description (and for
        # server_url, the order of every fallback).
        mentioned = set(re.findall(r'E\((\w+)\)', ' '.join(doc['description'])))
        expected = {option['env']} if 'env' in option else set()
        if name == 'server_url':
            expected.add(connection.ENV_CONFIG)
        assert mentioned == expected, name


def test_the_argument_spec_is_the_table():
    assert CONNECTION_ARGUMENT_SPEC == {
        'server_url': {'type': 'str'}, 'username': {'type': 'str'}, 'password': {'type': 'str', 'no_log': True},
        'config': {'type': 'path'}, 'timeout': {'type': 'float', 'default': 30.0},
        'validate_certs': {'type': 'bool', 'default': True}, 'ca_path': {'type': 'path'}}
    assert (connection.ENV_SERVER_URL, connection.ENV_CONFIG, connection.ENV_USERNAME, connection.ENV_PASSWORD) == (
        'SUPERVISOR_SERVER_URL', 'SUPERVISOR_CONFIG', 'SUPERVISOR_USERNAME', 'SUPERVISOR_PASSWORD')


def test_both_sources_read_every_connection_option_as_the_modules_do():
    for name, spec in (('supervisord', load_source('supervisord').SPEC), ('supvisors', supvisors_events.SPEC)):
        for option, entry in CONNECTION_ARGUMENT_SPEC.items():
            # Only the timeout differs: a poll or a snapshot that waits holds up the events behind it.
            expected = dict(entry, default=10.0) if option == 'timeout' else entry
            assert spec[option] == expected, (name, option)
