# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The events of the supervisor.control.supervisord source, polled or pushed: their envelope, and what two
polls of one daemon differ by. Pure: no I/O, unit-tested without a daemon."""

from ansible_collections.supervisor.control.plugins.module_utils.main_log import run_end
from ansible_collections.supervisor.control.plugins.module_utils.process_names import namespec, normalize
from ansible_collections.supervisor.control.plugins.module_utils.states import ProcessStates, process_state_code

EXITED_CODE = process_state_code(ProcessStates.EXITED)
STOPPED_CODE = process_state_code(ProcessStates.STOPPED)
REPLACED = ('stopped between two polls: supervisord replaced the process (it restarted, or the group was removed '
            'and added again)')
UNEXPLAINED = ('exit inferred between two polls; the tail of supervisord\'s main log does not show how that run '
               'ended')
RESTARTED = 'stopped between two polls, then started again (main log: %s)'
# After RUNNING, these states are reached without an exit that the poll could miss:
# a stop (STOPPING, STOPPED), or the exit itself (EXITED).
NO_HIDDEN_EXIT = (ProcessStates.STOPPING, ProcessStates.STOPPED, ProcessStates.EXITED)


def envelope(host, server_url, kind, data, previous, **extra):
    """``{"supervisord": {type, host, server_url, data, previous, ...}, "meta": {"hosts": [host]}}``.

    ``meta`` only with a host: ansible-rulebook limits run_module/run_playbook to
    ``meta.hosts``, and an empty list fails there.
    """
    body = {'type': kind, 'host': host, 'server_url': server_url, 'data': data, 'previous': previous}
    body.update(extra)
    event = {'supervisord': body}
    if host:
        event['meta'] = {'hosts': [host]}
    return event


def brief(info):
    return {'statename': info['statename'], 'state': info['state']} if info else None


def daemon_data(reachable, daemon_state, error=None):
    """The ``data`` of a daemon event."""
    data = {'reachable': bool(reachable)}
    data.update(daemon_state or {'statename': None, 'state': None})
    if error:
        data['error'] = error
    return data


def replaced(before, proc):
    """Whether supervisord made a new process object between two polls: it restarted (reload or stop and start),
    or the group was removed and added again (``supervisorctl update``), and stopped the old one to do so.

    supervisord sets a process's ``stop`` (``laststop``) only when that object sees its child end
    (``Subprocess.finish``, in every release from 3.1.4 to 4.3.0), and a new object starts with 0. So a
    process whose pid changed while ``stop`` reads 0 had no exit seen by the object that now holds it,
    and one whose ``start`` or ``stop`` went back to 0 is new.

    Not a pid that went to 0 in state UNKNOWN: from 3.1.4 to 4.2.1, a ``kill`` or ``signal`` that fails
    sets that without ``finish``, and the child may still run.
    """
    changed_pid = (bool(before.get('pid')) and proc.get('pid') != before.get('pid')
                   and bool(proc.get('pid') or proc['statename'] != ProcessStates.UNKNOWN))
    return (changed_pid and not proc.get('stop')) or any(
        before.get(key) and not proc.get(key) for key in ('start', 'stop'))


def failed_kill(proc):
    """A process that a failed ``kill`` or ``signal`` left UNKNOWN with pid 0 (3.1.4 to 4.2.1): nothing ended."""
    return proc['statename'] == ProcessStates.UNKNOWN and not proc.get('pid')


def explain_exit(exited, following, log_text):
    """Set an inferred exit, and the event that follows it, to what supervisord's main log says ended that run.

    A restart between two polls (``supervisorctl restart``, a module's ``state=restarted``) looks like an exit
    that autorestart hid: a new pid, and a ``stop`` time. The log's order says which: the ``stopped:`` line of
    a stop makes it an inferred STOPPED; an ``exited:`` line gives ``exit_message`` and ``exitstatus``; a log
    that does not show that run's end says so in ``description``, and no status of another run is taken.
    """
    data = exited['supervisord']['data']
    end = run_end(log_text, data['name'], data.get('pid'), following['supervisord']['data'].get('pid'))
    if end is None:
        data['description'] = UNEXPLAINED
        return
    kind, reason, status = end
    if kind == 'stopped':
        data.update(statename=ProcessStates.STOPPED, state=STOPPED_CODE, description=RESTARTED % reason)
        following['supervisord']['previous'] = brief(data)
        return
    data['exit_message'] = reason
    if status is not None:
        data['exitstatus'] = status


def process_changes(host, server_url, previous, infos, inferable, initial=False):
    """``(events, current)`` for the change from ``previous`` (namespec -> process, or None on the first poll) to
    the polled ``infos``.

    ``inferable``: the daemon answered the poll before too, so a RUNNING process
    seen again with another pid or stop time exited in between (autorestart hid
    it): that exit is emitted first, ``inferred=true``; unless supervisord replaced the process (``replaced``),
    which is a stop by supervisord, emitted as STOPPED, ``inferred=true``. ``initial``: on the first
    poll, one event per process.
    """
    current = dict((namespec(info), normalize(info)) for info in infos)
    events = []

    def emit(data, before, **extra):
        events.append(envelope(host, server_url, 'process', data, before, **extra))
    if previous is None:
        if initial:
            for proc in current.values():
                emit(proc, None, initial=True)
        return events, current
    for key, proc in current.items():
        before = previous.get(key)
        if before is None:
            emit(dict(proc, statename='ADDED', state=None), None)
            if proc['statename'] != ProcessStates.STOPPED:
                emit(proc, {'statename': 'ADDED', 'state': None})
            continue
        hidden_exit = (inferable and before['statename'] == ProcessStates.RUNNING
                       and proc['statename'] not in NO_HIDDEN_EXIT
                       and (proc.get('stop') != before.get('stop')
                            or (proc.get('pid') != before.get('pid') and not failed_kill(proc))))
        if hidden_exit and replaced(before, proc):
            stopped = dict(proc, statename=ProcessStates.STOPPED, state=STOPPED_CODE, pid=before.get('pid'),
                           start=before.get('start'), description=REPLACED)
            emit(stopped, brief(before), inferred=True)
            emit(proc, {'statename': ProcessStates.STOPPED, 'state': STOPPED_CODE})
        elif hidden_exit:
            exited = dict(proc, statename=ProcessStates.EXITED, state=EXITED_CODE, pid=before.get('pid'),
                          start=before.get('start'))
            exited['description'] = 'exit inferred between two polls'
            emit(exited, brief(before), inferred=True)
            emit(proc, {'statename': ProcessStates.EXITED, 'state': EXITED_CODE})
        elif proc['statename'] != before['statename']:
            emit(proc, brief(before))
    for key, before in previous.items():
        if key not in current:
            emit(dict(before, statename='REMOVED', state=None), brief(before))
    return events, current
