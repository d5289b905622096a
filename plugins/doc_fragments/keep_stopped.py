# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment(object):
    # The keep_stopped option of the modules that replace changed groups (group, daemon): both go through
    # group_controller.apply_group_plan, so the option means the same in both. Ansible merges fragment
    # options whole, so a module adds to it elsewhere (daemon says in its state option that it applies
    # only to state=reloaded). What is said here of /proc and of the freeze is checked on a real daemon by
    # tests/integration/modules/test_keep_stopped.py.
    DOCUMENTATION = r'''
options:
  keep_stopped:
    description:
      - "A group whose configuration changed on disk is replaced (stopped, removed, added again), and supervisord
        starts its C(autostart) processes again, even those an operator had stopped on purpose
        (U(https://github.com/Supervisor/supervisor/issues/214)).
        With V(true), the processes of a replaced group that were STOPPED before the update are STOPPED after it,
        and RV(kept_stopped) lists them."
      - Only STOPPED counts; EXITED and FATAL processes come back as their new configuration says, the update being
        the usual way to fix what made them fail.
      - A kept process whose new configuration says C(autostart=false) is simply not started.
      - "An C(autostart) one cannot be added without being spawned: supervisord has no call for that. A stop signal
        sent at once would not do: it reaches the child between its fork and its exec, while it still runs
        supervisord's code, whose handlers swallow it, and the program would then run until supervisord kills it
        after C(stopwaitsecs). So, in the request that adds the group, each such process is started and frozen
        (C(SIGSTOP), which nothing can catch) microseconds after its fork, then looked at in C(/proc). Frozen before
        its exec (the usual case), it is killed (C(SIGKILL)): its program never ran. Frozen just after its exec, it
        is given its C(stopsignal) and resumed: its program acts on it at once, as on any stop, having run only for
        the instant between its exec and the freeze. RV(kept_stopped_detail) says which, for each process."
      - "That look needs the module to run on supervisord's host, in its pid namespace (the usual case with a
        C(unix://) socket; each child is checked to be supervisord's, so another pid namespace is detected, not
        trusted). Elsewhere (supervisord on another host, or in a container whose pids differ), every such process
        is killed while frozen, without the check: its program never ran if the freeze came before its exec, as it
        did for about 9 children in 10 on an idle test machine; otherwise its program had run for the instant
        between its exec and the freeze (a few milliseconds at most on that machine; longer if the host keeps
        supervisord off the CPU between the fork and the freeze) and is killed without its stop signal. RV(kept_stopped_detail) then says
        C(unverified) and the task warns. Run the task on supervisord's host to rule that out."
      - Either way supervisord records the process as started and stopped, and an event listener sees it go
        through STARTING (RUNNING with C(startsecs=0)), STOPPING and STOPPED, then stay STOPPED.
      - Needs C(supervisor.signalProcess) (supervisord 3.2.0 and later) when a kept process would be spawned; an
        older supervisord fails the task before anything is changed.
      - V(false) (the default) does what C(supervisorctl update) does.
    type: bool
    default: false
    version_added: 0.2.0
'''
