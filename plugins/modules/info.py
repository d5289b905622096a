#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: info
short_description: Read the state of supervisord, its processes and groups
version_added: 0.1.0
description:
  - Returns facts about a supervisord daemon and its processes in one round trip (C(system.multicall)).
  - Changes nothing.
  - When the daemon has the Supvisors XML-RPC interface, also returns RV(supvisors), the cluster facts.
  - A daemon that is shutting down or restarting is no error. RV(supervisord) says C(SHUTDOWN_STATE), and the task
    warns. supervisord then answers every call with that fault until it has stopped its processes, and says nothing
    else (not even which of the two), so RV(processes), RV(groups) and RV(config) are left out rather than empty.
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
  - supervisor.control.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  gather:
    description:
      - Extra facts to read. V(config) adds RV(config), the configuration of every process (C(getAllConfigInfo)).
    type: list
    elements: str
    choices: [config]
    default: []
seealso:
  - module: supervisor.control.process
'''

EXAMPLES = r'''
- name: Read the daemon and its processes
  supervisor.control.info:
  register: sv

- name: Fail when a process is not running
  ansible.builtin.assert:
    that: sv.processes | rejectattr('statename', 'equalto', 'RUNNING') | list | length == 0
    fail_msg: "{{ sv.processes | rejectattr('statename', 'equalto', 'RUNNING') | map(attribute='fullname') }}"

- name: Include the configuration of every process
  supervisor.control.info:
    gather: [config]
    server_url: http://127.0.0.1:9001
    username: admin
    password: "{{ supervisor_password }}"
'''

RETURN = r'''
supervisord:
  description: The daemon.
  returned: success
  type: dict
  contains:
    state:
      description:
        - C(RUNNING) (or C(FATAL)), as C(supervisor.getState) says.
        - C(SHUTDOWN_STATE) while supervisord is shutting down or restarting; the other keys but C(server_url) are
          then null.
      type: str
      sample: RUNNING
    statecode:
      description: The numeric state.
      type: int
      sample: 1
    version:
      description: The version of supervisor.
      type: str
      sample: 4.3.0
    api_version:
      description: The version of its XML-RPC API.
      type: str
      sample: '3.0'
    identification:
      description: The C(identifier) of the C([supervisord]) section.
      type: str
      sample: supervisor
    pid:
      description: The daemon's process id.
      type: int
    server_url:
      description: The URL that was used, without credentials.
      type: str
processes:
  description: Every process, in supervisord's order, with the keys that M(supervisor.control.process) returns.
  returned: success, but not while supervisord is shutting down or restarting
  type: list
  elements: dict
groups:
  description: Each group name with the full names of its processes.
  returned: success, but not while supervisord is shutting down or restarting
  type: dict
  sample: {"web": ["web:web_a", "web:web_b"], "sleeper": ["sleeper"]}
config:
  description:
    - With O(gather=[config]), the configuration of every process as C(getAllConfigInfo) returns it.
    - Every release gives C(name), C(group), C(inuse), C(autostart), C(group_prio) and C(process_prio).
    - supervisord 4.0.0 added C(command), C(exitcodes), C(killasgroup), C(redirect_stderr), C(startretries),
      C(startsecs), C(stopsignal), C(stopwaitsecs), and for C(stdout) and C(stderr) each C(_logfile),
      C(_logfile_backups), C(_logfile_maxbytes), C(_capture_maxbytes), C(_events_enabled) and C(_syslog)
      (C(stdout_logfile)...); 4.2.5 added C(directory), C(uid) and C(serverurl).
  returned: when requested, but not while supervisord is shutting down or restarting
  type: list
  elements: dict
supvisors:
  description:
    - Only when the daemon has the L(Supvisors,https://github.com/julien6387/supvisors) XML-RPC interface, the cluster.
    - The parts that Supvisors refuses before its DISTRIBUTION state (C(instances), C(applications), C(conflicts))
      are left out then.
  returned: when the daemon has the Supvisors XML-RPC interface
  type: dict
  version_added: 0.1.0
  contains:
    state:
      description: The Supvisors state, such as C(OPERATION).
      type: str
      sample: OPERATION
    master:
      description: The identifier (C(host:port)) of the master instance.
      type: str
      sample: node1:60000
    master_host:
      description: The host of the master instance.
      type: str
      sample: node1
    instances:
      description: Every instance with C(identifier), C(host), C(statename), C(loading) and C(process_failure).
      type: list
      elements: dict
    applications:
      description: Every application with C(name), C(managed), C(statename), C(major_failure) and C(minor_failure).
      type: list
      elements: dict
    conflicts:
      description: The processes running on several instances, with C(namespec) and C(hosts).
      type: list
      elements: dict
server_url:
  description:
    - The URL of the daemon that was used, without credentials.
    - Null when the task failed before it connected (an option it refuses, a O(server_url) or O(config) it cannot
      read).
  returned: always, unless Ansible refuses the options (an unknown or missing option, a wrong type or choice)
  type: str
'''

from ansible_collections.supervisor.control.plugins.module_utils.module_adapter import SupervisorModule
from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils.client import to_builtin
from ansible_collections.supervisor.control.plugins.module_utils.daemon_facts import SHUTDOWN_STATE, read_daemon_facts
from ansible_collections.supervisor.control.plugins.module_utils.errors import shutting_down_message
from ansible_collections.supervisor.control.plugins.module_utils import supvisors_controller


def run(task):
    client = task.client
    more = [('supervisor.getAllProcessInfo', [])]
    if 'config' in task.params['gather']:
        more.append(('supervisor.getAllConfigInfo', []))
    # Supvisors' facts in the same round trip: a plain supervisord answers them with faults.
    facts, answers = read_daemon_facts(client, more, optional=supvisors_controller.FACT_CALLS, shutting_down=True)
    result = {'changed': False, 'supervisord': facts}
    if facts['state'] == SHUTDOWN_STATE:
        # It answers nothing of its processes: listing none would say that it has none.
        task.warn(shutting_down_message(client.url))
    else:
        result['processes'] = [process_names.normalize(i) for i in answers[0]]
        result['groups'] = process_names.groups_of(answers[0])
        if len(more) > 1:
            result['config'] = to_builtin(answers[1])
    cluster = supvisors_controller.facts_from(answers[len(more):])
    if cluster is not None:
        result['supvisors'] = cluster
    return result


ARGUMENT_SPEC = dict(
    gather=dict(type='list', elements='str', default=[], choices=['config']),
)


def main():
    SupervisorModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(run)


if __name__ == '__main__':
    main()
