# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: supvisors
short_description: An inventory of the instances of a Supvisors cluster, read from any one of its nodes
version_added: 0.2.0
description:
  - Asks one node of a L(Supvisors,https://github.com/julien6387/supvisors) cluster (O(server_url)) for every
    instance of the cluster and every process, and makes one inventory host per instance.
  - Each host is named as the C(supervisor.control.supvisors) event source names it in C(meta.hosts) (the
    instance's C(node_name), else the host part of its C(host:port) identifier), so that a rulebook's
    C(run_playbook) and C(run_module) reach the host the event was about.
  - Host variables are C(supervisor_server_url) (the instance's XML-RPC URL, with the scheme of O(server_url),
    the node name and the instance's port; without credentials), C(supvisors_identifier),
    C(supvisors_nick_identifier), C(supvisors_state) (such as V(RUNNING)) and C(supvisors_load) (the loading
    Supvisors computes, in percent).
  - Each host is in the group C(application_NAME) of every application that has a process running on it.
  - Several Supvisors instances on one node share that node's name, as they do in the event source; the
    inventory then keeps the first and warns.
  - The connection options may be templates, such as C({{ lookup('ansible.builtin.env', 'SUPVISORS_PASSWORD') }}),
    rendered with the extra variables (C(-e)) when the inventory is read. A key that is not an option of the
    plugin fails the inventory, with the closest option's name.
  - The file must be named C(*supvisors.yml) or C(*supvisors.yaml).
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; it must be V(supervisor.control.supvisors).
    type: str
    required: true
    choices: [supervisor.control.supvisors]
  strict:
    description:
      - What to do when the node does not answer, or is not a Supvisors node.
      - V(true) fails with the node's one-line error; V(false) gives an empty inventory and a warning.
    type: bool
    default: true
notes:
  - Processes are read only when Supvisors is in OPERATION or CONCILIATION; before that, the hosts have no
    C(application_NAME) groups, and a warning says so.
seealso:
  - module: supervisor.control.supvisors
  - module: supervisor.control.application
'''

EXAMPLES = r'''
# cluster.supvisors.yml
plugin: supervisor.control.supvisors
server_url: http://node1:60000
username: admin
password: "{{ lookup('ansible.builtin.env', 'SUPVISORS_PASSWORD') }}"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-supvisors
cache_timeout: 300

# Then, for example:
#   ansible-inventory -i cluster.supvisors.yml --graph
#   ansible -i cluster.supvisors.yml application_web -m supervisor.control.info \
#     -a 'server_url={{ supervisor_server_url }}'
'''

from ansible.errors import AnsibleParserError
from ansible.inventory.group import to_safe_group_name
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable
from ansible.utils.display import Display

from ansible_collections.supervisor.control.plugins.module_utils.client import to_builtin
from ansible_collections.supervisor.control.plugins.module_utils.connection import CONNECTION_OPTIONS
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_controller import read_status
from ansible_collections.supervisor.control.plugins.module_utils.supvisors_plans import SupvisorsStates, host_of
from ansible_collections.supervisor.control.plugins.plugin_utils.event_source import unknown_options
from ansible_collections.supervisor.control.plugins.plugin_utils.lookup import connect, refuse_loose_booleans

display = Display()

# Supvisors answers process queries in these states only.
PROCESS_STATES = (SupvisorsStates.OPERATION, SupvisorsStates.CONCILIATION)


def instance_url(scheme, instance):
    """The XML-RPC URL of one instance, by its node name and port."""
    host = instance_host(instance)
    if ':' in host:
        host = '[%s]' % host
    return '%s://%s:%s' % ('https' if scheme == 'https' else 'http', host, instance.get('port'))


def instance_host(instance):
    """The name the event source gives this instance in ``meta.hosts``."""
    node = instance.get('node_name')
    return node if isinstance(node, str) and node else host_of(instance.get('identifier'))


class InventoryModule(BaseInventoryPlugin, Cacheable):

    NAME = 'supervisor.control.supvisors'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(('supvisors.yml', 'supvisors.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_options(self._read_config_data(path))
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache')
        data = None
        if use_cache and cache:
            data = self._cache.get(cache_key)
        if data is None:
            data = self._read_cluster()
            if data is None:
                return
            if use_cache:
                self._cache[cache_key] = data
        self._populate(data)

    def _read_options(self, config):
        """The connection options as their templates say, as in any inventory file (``{{ lookup('env', ...) }}``);
        an option the plugin does not have is refused, and so is a boolean that is none.

        Read from the file itself: Ansible has already made a ``path`` option such as
        ``config`` absolute, template and all, by the time ``get_option`` returns it.
        ``set_option`` then checks and converts the result as it did the option.
        """
        # Ansible ignores a key that is no option; a typo such as server_ur would then
        # leave the plugin to read whichever daemon discovery finds.
        unknown = sorted(str(name) for name in config if not self.has_option(name))
        if unknown:
            raise AnsibleParserError('supervisor.control.supvisors inventory: %s' % unknown_options(
                unknown, [name for name in self.get_options() if not name.startswith('_')]))
        self.templar.available_variables = self._vars
        given = dict(config)
        for name in CONNECTION_OPTIONS:
            value = config.get(name)
            if isinstance(value, str) and self.templar.is_template(value):
                given[name] = self.templar.template(value)
                self.set_option(name, given[name])
        refuse_loose_booleans(self, given, lambda message: AnsibleParserError(
            'supervisor.control.supvisors inventory: %s' % message))

    def _read_cluster(self):
        """``{'scheme', 'instances', 'processes'}`` from the node, or None (strict=false) when it cannot say."""
        try:
            client = connect(self)
            status = read_status(client, 'the supervisor.control.supvisors inventory')
            instances = to_builtin(client.call('supvisors.get_all_instances_info'))
            processes = []
            if status.get('fsm_statename') in PROCESS_STATES:
                processes = to_builtin(client.call('supvisors.get_all_process_info'))
            else:
                display.warning('supervisor.control.supvisors inventory: Supvisors at %s is in state %s: no '
                                'application groups until it reaches OPERATION' % (
                                    client.url, status.get('fsm_statename')))
        except SupervisorError as exc:
            return self._unreadable(str(exc))
        return {'scheme': client.settings.scheme, 'instances': instances, 'processes': processes}

    def _unreadable(self, message):
        message = 'supervisor.control.supvisors inventory: %s' % message
        if self.get_option('strict'):
            raise AnsibleParserError(message)
        display.warning(message + ' (strict=false: the inventory is empty)')
        return None

    def _populate(self, data):
        by_identifier = {}
        for instance in data['instances']:
            host = instance_host(instance)
            if not host:
                continue
            if host in by_identifier.values():
                display.warning('supervisor.control.supvisors inventory: instances %s share the node %s; the '
                                'inventory keeps the first' % (instance.get('identifier'), host))
                continue
            by_identifier[instance.get('identifier')] = host
            self.inventory.add_host(host)
            for name, value in (('supervisor_server_url', instance_url(data['scheme'], instance)),
                                ('supvisors_identifier', instance.get('identifier')),
                                ('supvisors_nick_identifier', instance.get('nick_identifier')),
                                ('supvisors_state', instance.get('statename')),
                                ('supvisors_load', instance.get('loading'))):
                self.inventory.set_variable(host, name, value)
        for process in data['processes']:
            application = process.get('application_name')
            if not isinstance(application, str) or not application:
                continue
            for identifier in process.get('identifiers') or []:
                host = by_identifier.get(identifier)
                if host:
                    group = self.inventory.add_group(to_safe_group_name('application_%s' % application))
                    self.inventory.add_child(group, host)
