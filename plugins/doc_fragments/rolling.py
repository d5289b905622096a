# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment(object):
    # The rolling and ready options of process and group (rolling restarts with readiness checks): both go through
    # process_task.bring_to_state and rolling.Rolling, so the options mean the same in both.
    # Their return keys (batches, restarted, not_restarted) are in each module's RETURN.
    DOCUMENTATION = r'''
options:
  rolling:
    description:
      - Restart (O(state=restarted)) or start (O(state=started)) the processes a few at a time, so that the others
        keep serving; a rolling restart within one daemon, where Ansible's C(serial) rolls across hosts.
      - Processes that are not RUNNING go first, together, in a batch of their own (they cost no capacity, and a
        new version that cannot start is found before any running process is touched). The others follow in
        supervisord's order (as C(getAllProcessInfo) lists them, by group then name), C(size) at a time. With
        O(state=started), the processes to start are taken C(size) at a time, to throttle a cold start.
      - Each batch is stopped, started, and waited for until every process in it is RUNNING, or ready by
        O(ready), before the next batch is stopped.
      - "The first batch that fails stops the roll. The failed batch is left as supervisord has it, later batches
        are not touched (they keep their pids), nothing is rolled back. The task fails with one line naming the
        batch, the process and what it waited for, such as C(rolling restart stopped at batch 2 of 3:
        pool:pool_3 not ready after 6 s: no line matching 'ready on' since its start; 3 restarted, 2 not
        touched), and returns RV(batches), RV(restarted) and RV(not_restarted)."
      - O(timeout) bounds each process's stop, start and readiness; the roll as a whole is bounded by the task's
        own C(timeout) keyword, if any.
      - In check mode nothing is stopped or started, and RV(batches) gives the planned batches.
      - Needs O(wait=true). Not with the C(strategy) option of M(supervisor.control.process) (Supvisors) for now.
    type: dict
    version_added: 0.2.0
    suboptions:
      size:
        description:
          - How many processes are out of service at a time, as Ansible's C(serial) counts hosts.
          - A number, or a percentage of the processes of the task, such as V("25%") (rounded down, at least 1).
          - A list, such as V([1, "25%"]), for batches of different sizes, a canary first; the last value
            repeats, and the last batch holds what remains.
        type: raw
        default: 1
      pause:
        description:
          - Seconds to wait after a batch is ready, before the next one is stopped (with O(rolling.window=true),
            after each process is ready, before the next one is stopped).
        type: float
        default: 0
      window:
        description:
          - V(false) moves in lockstep batches. V(true) keeps at most O(rolling.size) processes out of service
            and stops the next one as soon as one is ready, so that a process slow to stop (a long
            C(stopwaitsecs)) does not hold the others back.
          - With a list of sizes, every value but the last is a batch of its own, ready before anything after it
            is stopped (a canary); the last value is the window.
        type: bool
        default: false
  ready:
    description:
      - Wait until every process the task starts is ready, not only RUNNING (which means that it stayed up for
        C(startsecs)); all the checks given must hold. With O(rolling), each batch waits so; without it, the whole
        task does.
      - A process that exits, or fails to start, before it is ready fails the task; one that supervisord restarts
        meanwhile (C(autorestart)) is waited for again under its new pid. O(timeout) bounds the wait.
      - "O(ready.port), O(ready.url) and O(ready.host) may hold C({name}) and C({group}) of each process, and
        C({num}), the number at the end of its name (V(pool_03) gives 3; C({num:02d}) gives V(03)), as
        C(numprocs) names processes: V(\"80{num:02d}\") gives the port 8003 for V(pool_03)."
      - Checked before anything is done, in check mode too (without probing anything); the regular expression,
        the templates for every process, and that each process has a stdout log for O(ready.log).
      - Needs O(wait=true), and O(state=restarted) or O(state=started). Not with the C(strategy) option of M(supervisor.control.process) (Supvisors) for now.
    type: dict
    version_added: 0.2.0
    suboptions:
      log:
        description:
          - A regular expression (Python C(re.search)) that a line the process writes to its stdout or stderr log
            after this start must match, such as V(ready on).
          - The log is read through supervisord's own API (so it works wherever its XML-RPC server is reachable,
            unix socket or http, from the target or the controller). Its size is marked in the request that starts
            the process, so older lines never count, and it is read forward (never tailed, so no line is skipped),
            across rotations. ANSI colours are removed before matching; bytes that are not UTF-8 read as U+FFFD.
          - A line counts once it ends with a newline.
          - A process with C(stdout_logfile=NONE) is refused before anything is done.
        type: str
      uptime:
        description:
          - Seconds the process must have been up with the same pid, by supervisord's clock (its own start time,
            as C(supervisorctl status) shows the uptime), to catch a process that crashes after C(startsecs).
        type: float
      port:
        description:
          - A TCP port that must accept a connection, probed from where the module runs (the controller for a
            task run in-process, else the target) to O(ready.host).
          - A number, or a template such as V("80{num:02d}").
        type: raw
      url:
        description:
          - A URL that must answer an HTTP GET with one of O(ready.status_code), probed from where the module runs.
            No proxy is used and redirects are not followed; C(https) certificates are checked.
          - A path such as V(/healthz) means C(http://HOST:PORT/healthz) with O(ready.host) and O(ready.port).
          - A template; C({host}) and C({port}) are O(ready.host) and O(ready.port) for the process.
        type: str
      status_code:
        description: The HTTP status codes that O(ready.url) may answer.
        type: list
        elements: int
        default: [200]
      host:
        description:
          - Where O(ready.port) and O(ready.url) (when a path) are probed. A template.
          - Defaults to the host of O(server_url) for C(http://) and C(https://), and to V(127.0.0.1) for a unix
            socket.
          - Failures say where the probe ran and what it reached.
        type: str
notes:
  - Probes of O(ready.port) and O(ready.url) are throttled to one every 0.25 s per process, each waiting 1 s at most.
'''
