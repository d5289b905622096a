"""module_utils/diff.py: the one way a module builds Ansible's before/after diff."""

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.diff import Diff  # noqa: E402


def test_a_thing_on_both_sides_and_things_on_one_side_only():
    diff = Diff().add('web', 'STOPPED', 'RUNNING').add('gone', before='RUNNING').add('updated', after=['web'])
    assert diff.as_dict() == {'before': {'web': 'STOPPED', 'gone': 'RUNNING'},
                              'after': {'web': 'RUNNING', 'updated': ['web']}}


def test_items_keep_their_order_and_a_value_may_be_none():
    before = [{'name': 'b', 'state': None}, {'name': 'a', 'state': 'STOPPED'}]
    after = [{'name': 'a', 'state': 'RUNNING'}]
    diff = Diff().add_items(before, after, lambda i: i['name'], lambda i: i['state']).as_dict()
    assert diff == {'before': {'b': None, 'a': 'STOPPED'}, 'after': {'a': 'RUNNING'}}
    assert list(diff['before']) == ['b', 'a']
