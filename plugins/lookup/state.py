# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: state
short_description: Read the state of supervisord processes, of the daemon, or its configuration
version_added: 0.1.0
description:
  - Returns the process dicts that the M(supervisor.control.process) module returns, one per process
    matched by the terms, in supervisord's order; or the daemon's own state with O(what=supervisord);
    or the configuration entries of the matched processes with O(what=config).
  - Runs on the controller, so the daemon must be reachable from there (C(http://), C(https://), or a
    unix socket that the controller can open).
  - Every call asks the daemon again, so the lookup can be used in C(until) loops and C(assert) conditions.
  - Ansible's C(lookup()) returns a single element instead of a list when there is only one,
    so use C(query()) (or C(wantlist=true)) when a term may match one process and a list is needed.
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
options:
  _terms:
    description:
      - Process specs, as C(supervisorctl) accepts them, and as the O(supervisor.control.process#module:name)
        option of the M(supervisor.control.process) module takes them.
      - C(group:proc), C(group:*), C(proc) (the process C(proc:proc), as C(supervisorctl) reads it), a group name that
        has no process of its own name (the whole group), C(*) or C(all), or shell-style globs such as C(web:worker_*).
      - An exact name always wins over a glob, and over C(all) as every process; see the
        O(supervisor.control.process#module:name) option.
      - No term means every process. A list of specs counts as that many terms.
      - A spec that matches nothing fails, naming the spec and the closest existing names.
    type: list
    elements: str
    required: false
  what:
    description:
      - V(processes) returns one dict per matched process, with the keys of the
        RV(supervisor.control.process#module:processes) return value of the M(supervisor.control.process) module.
      - V(supervisord) returns one dict about the daemon, with C(state), C(statecode), C(version),
        C(api_version), C(identification), C(pid) and C(server_url). No term is allowed. C(state) is
        V(SHUTDOWN_STATE) while supervisord is shutting down or restarting (it then answers every call with that
        fault, and nothing else, so the other keys but C(server_url) are null); the other values of O(what) fail
        then, saying so.
      - V(config) returns the C(getAllConfigInfo) entries of the matched processes (C(command), C(autostart),
        C(stdout_logfile), C(inuse), ...), with C(fullname) added. Which keys an entry has depends on the release
        of supervisord, see RV(_raw).
      - V(applications) (only for a daemon with the Supvisors XML-RPC interface) returns one dict per Supvisors
        application with C(name), C(managed), C(statename), C(statecode), C(major_failure) and C(minor_failure);
        the terms are application names or globs (none, or V(*), means every application). An exact name always
        wins, a term being read as a glob only when no application has that name (V(a[1]) is the application
        C(a[1]), not C(a1)).
      - V(instances) (only with Supvisors) returns one dict per Supvisors instance with C(identifier),
        C(nick_identifier), C(host), C(port), C(statename), C(statecode), C(loading) and C(process_failure);
        the terms are host names, nicks, identifiers or globs (none means every instance), an exact name winning
        over a glob as for applications.
    type: str
    choices: [processes, supervisord, config, applications, instances]
    default: processes
seealso:
  - module: supervisor.control.process
  - plugin: supervisor.control.log
    plugin_type: lookup
'''

EXAMPLES = r'''
- name: Wait until every web process runs
  ansible.builtin.assert:
    that:
      - query('supervisor.control.state', 'web:*', server_url='http://127.0.0.1:9001')
        | map(attribute='statename') | unique == ['RUNNING']

- name: Poll until the worker is up
  ansible.builtin.debug:
    msg: worker is up
  retries: 30
  delay: 1
  until: (query('supervisor.control.state', 'worker') | first).statename == 'RUNNING'

- name: Show a status page
  ansible.builtin.debug:
    msg: "{{ item.fullname }} {{ item.statename }} {{ item.description }}"
  loop: "{{ query('supervisor.control.state', server_url='unix:///run/supervisor.sock') }}"

- name: Daemon version
  ansible.builtin.debug:
    msg: "{{ lookup('supervisor.control.state', what='supervisord').version }}"

- name: Hosts of a Supvisors cluster that are not RUNNING
  ansible.builtin.debug:
    msg: "{{ query('supervisor.control.state', what='instances', server_url='http://node1:60000')
             | rejectattr('statename', 'equalto', 'RUNNING') | map(attribute='host') }}"

- name: Commands of the queue programs (supervisord 4.0.0 and later report the command)
  ansible.builtin.debug:
    msg: "{{ query('supervisor.control.state', 'queue:*', what='config') | map(attribute='command') }}"
'''

RETURN = r'''
_raw:
  description:
    - With O(what=processes), one dict per matched process, in supervisord's order, with C(name), C(group),
      C(fullname), C(statename), C(state), C(pid), C(description), C(start), C(stop), C(exitstatus),
      C(spawnerr), C(stdout_logfile) and C(stderr_logfile).
    - With O(what=supervisord), one dict with C(state) (such as C(RUNNING), or C(SHUTDOWN_STATE) while the daemon is
      shutting down or restarting), C(statecode), C(version), C(api_version), C(identification), C(pid) and
      C(server_url) (the URL used, without credentials).
    - With O(what=config), one C(getAllConfigInfo) entry per matched process, plus C(fullname). Every release
      gives C(name), C(group), C(inuse), C(autostart), C(group_prio) and C(process_prio); supervisord 4.0.0 added
      C(command), C(exitcodes), C(killasgroup), C(redirect_stderr), C(startretries), C(startsecs), C(stopsignal),
      C(stopwaitsecs), and for C(stdout) and C(stderr) each C(_logfile), C(_logfile_backups), C(_logfile_maxbytes),
      C(_capture_maxbytes), C(_events_enabled) and C(_syslog); 4.2.5 added C(directory), C(uid) and C(serverurl).
    - With O(what=applications) or O(what=instances), one dict per Supvisors application or instance
      (see O(what)).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.supervisor.control.plugins.module_utils.client import to_builtin
from ansible_collections.supervisor.control.plugins.module_utils.daemon_facts import read_daemon_facts
from ansible_collections.supervisor.control.plugins.module_utils.process_controller import read_processes
from ansible_collections.supervisor.control.plugins.plugin_utils.lookup import connect, process_specs, set_options
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError
from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import supvisors_plans
from ansible_collections.supervisor.control.plugins.module_utils import supvisors_controller


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        set_options(self, variables, kwargs)
        what = self.get_option('what')
        # No term is every process: '*', not 'all', which names a program called all when there is one.
        specs = process_specs(terms)
        try:
            client = connect(self)
            if what == 'supervisord':
                if specs:
                    raise AnsibleLookupError('what=supervisord takes no terms, got %s'
                                             % ', '.join(specs))
                return [self._daemon(client)]
            if what == 'config':
                entries = to_builtin(client.call('supervisor.getAllConfigInfo'))
                selected = process_names.match(specs or ['*'], entries)
                return [dict(entry, fullname=process_names.fullname(entry)) for entry in selected]
            if what in ('applications', 'instances'):
                return self._supvisors(client, what, specs)
            # Exact names read those processes alone: an until loop on a large daemon polls a few.
            return [process_names.normalize(info) for info in to_builtin(read_processes(client, specs or ['*']))]
        except SupervisorError as exc:
            raise AnsibleLookupError(str(exc))

    @staticmethod
    def _supvisors(client, what, specs):
        """Supvisors applications or instances, as the application and supvisors modules return them."""
        supvisors_controller.read_status(client, 'what=%s' % what)
        if what == 'applications':
            infos = to_builtin(client.call('supvisors.get_all_applications_info'))
            selected, unknown, dummy = supvisors_plans.select_applications(specs or ['*'], infos)
            if unknown:
                raise AnsibleLookupError(supvisors_plans.unknown_message(unknown, infos))
            return [supvisors_plans.normalize_application(info) for info in selected]
        answer = to_builtin(client.call('supvisors.get_all_instances_info'))
        instances = [supvisors_plans.normalize_instance(i) for i in answer]
        selected, unknown = supvisors_plans.select_instances(specs, instances)
        if unknown:
            raise AnsibleLookupError(supvisors_plans.unknown_instances_message(unknown, instances))
        return selected

    @staticmethod
    def _daemon(client):
        return read_daemon_facts(client, shutting_down=True)[0]
