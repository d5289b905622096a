# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: log
short_description: Read the end, or a byte slice, of a supervisord process log or of the main log
version_added: 0.1.0
description:
  - Returns one string per term, the last O(lines) lines of the process's stdout or stderr log, or the
    byte slice O(offset)/O(length) of it; with O(main=true), the same of supervisord's own log.
  - The log is read from its end in growing windows until O(lines) lines are collected or its start is
    reached, so the cost depends on O(lines), not on the size of the log.
  - Text is decoded as UTF-8; invalid bytes become U+FFFD, as with Python's C(errors='replace').
    supervisord 4 refuses to send invalid UTF-8, so each invalid sequence costs one or two more calls;
    supervisord 3 sends the bytes as they are, and they are replaced in the same call.
  - Control characters such as ANSI colour escapes come back as they are, although they make
    supervisord's XML answer invalid (the answer is parsed leniently, in the same call).
    Carriage returns come back as they are (C(\r), C(\r\n)).
  - Runs on the controller, so the daemon must be reachable from there (C(http://), C(https://), or a
    unix socket that the controller can open).
author:
  - supervisor.control developers (@supervisor-control)
extends_documentation_fragment:
  - supervisor.control.connection
options:
  _terms:
    description:
      - Process specs, each naming exactly one process, as C(supervisorctl tail) takes them
        (C(group:proc), or C(proc) for a program whose group has its name). Globs are allowed when they match one
        process; an exact name always wins over a glob (see the O(supervisor.control.process#module:name) option).
      - A spec that matches nothing fails, naming the spec and the closest existing processes; a spec that matches
        several processes fails, naming them.
      - A list of specs counts as that many terms. No term with O(main=true).
    type: list
    elements: str
  stream:
    description:
      - Which log of the process to read.
      - A process with C(redirect_stderr=true) has only a stdout log.
    type: str
    choices: [stdout, stderr]
    default: stdout
  lines:
    description:
      - Return the last O(lines) lines (split on newlines; the last one may lack its newline).
      - Defaults to 100 when neither O(offset) nor O(length) is given. Cannot be combined with them.
      - A single lookup reads at most 16 MiB of a log; with longer lines, fewer lines come back.
    type: int
  offset:
    description:
      - Return a byte slice instead of lines, as C(readProcessStdoutLog) does.
      - An offset of 0 or more starts there; a negative offset means the last -O(offset) bytes, and then
        O(length) must be 0.
      - Defaults to 0 when only O(length) is given.
    type: int
  length:
    description:
      - The number of bytes of the slice that starts at O(offset); 0 means up to the end of the log.
      - At most 16 MiB.
    type: int
  main:
    description:
      - Read supervisord's own log (C(readLog)) instead of a process log. No term is allowed then.
    type: bool
    default: false
notes:
  - A process whose log is not configured (C(stdout_logfile=NONE), or the stderr log of a process with
    C(redirect_stderr=true)) fails the lookup, naming the process and the stream. A configured log that does
    not exist yet (the process never wrote to it) reads as an empty string.
seealso:
  - plugin: supervisor.control.state
    plugin_type: lookup
  - module: supervisor.control.process
'''

EXAMPLES = r'''
- name: Show why the deploy failed
  ansible.builtin.debug:
    msg: "{{ lookup('supervisor.control.log', 'web:worker', stream='stderr', lines=50,
             server_url='http://127.0.0.1:9001', username='admin', password=supervisor_password) }}"

- name: The last 20 lines of supervisord's own log
  ansible.builtin.debug:
    msg: "{{ lookup('supervisor.control.log', main=true, lines=20) }}"

- name: The first kilobyte of two logs, one string each
  ansible.builtin.debug:
    msg: "{{ query('supervisor.control.log', 'api', 'queue:consumer', offset=0, length=1024) }}"

- name: The last 4 KiB of a stdout log
  ansible.builtin.debug:
    msg: "{{ lookup('supervisor.control.log', 'api', offset=-4096) }}"
'''

RETURN = r'''
_raw:
  description:
    - One string per term (one string with O(main=true)), the requested lines or bytes of the log,
      decoded as UTF-8 with U+FFFD in place of bytes that cannot be decoded.
  type: list
  elements: str
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.supervisor.control.plugins.module_utils.client import to_builtin
from ansible_collections.supervisor.control.plugins.plugin_utils.lookup import connect, process_specs, set_options
from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorError
from ansible_collections.supervisor.control.plugins.module_utils import log_reader as logs
from ansible_collections.supervisor.control.plugins.module_utils import process_names

DEFAULT_LINES = 100


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        set_options(self, variables, kwargs)
        stream = self.get_option('stream')
        main = self.get_option('main')
        # plain ints: Ansible's tagged values cannot be marshalled to XML-RPC
        lines, offset, length = [None if value is None else int(value)
                                 for value in (self.get_option(name) for name in ('lines', 'offset', 'length'))]
        specs = process_specs(terms)
        if main and specs:
            raise AnsibleLookupError('main=true reads supervisord\'s own log and takes no terms, got %s'
                                     % ', '.join(specs))
        if main and stream == 'stderr':
            raise AnsibleLookupError('main=true reads supervisord\'s own log, which has no stderr stream')
        if not main and not specs:
            raise AnsibleLookupError('give at least one process spec, such as web:worker, or main=true')
        sliced = offset is not None or length is not None
        if sliced and lines is not None:
            raise AnsibleLookupError('lines cannot be combined with offset or length: give either the last lines '
                                     'or a byte slice')
        if sliced:
            offset = offset or 0
            length = length or 0
        else:
            lines = DEFAULT_LINES if lines is None else lines
            if lines < 1:
                raise AnsibleLookupError('lines must be 1 or more, got %d' % lines)
        try:
            if sliced:
                logs.slice_bounds(offset, length, 0)  # bad arguments fail before any connection
            client = connect(self)
            if main:
                sources = [logs.MainLog(client)]
            else:
                sources = self._sources(client, specs, stream)
            if sliced:
                return [logs.read_slice(source, offset, length) for source in sources]
            return [logs.tail_lines(source, lines) for source in sources]
        except SupervisorError as exc:
            raise AnsibleLookupError(str(exc))

    @staticmethod
    def _sources(client, specs, stream):
        infos = to_builtin(client.call('supervisor.getAllProcessInfo'))
        sources = []
        for spec in specs:
            hits = process_names.match([spec], infos, suggest_groups=False)
            if len(hits) > 1:
                raise logs.LogError('%r matches %d processes (%s): the log lookup reads one process per term'
                                    % (spec, len(hits), ', '.join(process_names.fullname(i) for i in hits)))
            info = hits[0]
            name = process_names.fullname(info)
            if not info.get('%s_logfile' % stream):
                if stream == 'stderr':
                    why = 'stderr_logfile=NONE, or redirect_stderr=true sends stderr to the stdout log'
                else:
                    why = 'stdout_logfile=NONE'
                raise logs.LogError('%s has no %s log to read (%s)' % (name, stream, why))
            sources.append(logs.ProcessLog(client, process_names.namespec(info), stream, label=name))
        return sources
