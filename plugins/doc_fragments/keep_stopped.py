# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The keep_stopped option of the modules that replace changed groups (group, daemon): both go through
    # group_controller.apply_group_plan, so the option means the same in both. Ansible merges fragment
    # options whole, so a module adds to it elsewhere (daemon says in its state option that it applies
    # only to state=reloaded).
    DOCUMENTATION = r'''
options:
  keep_stopped:
    description:
      - "A group whose configuration changed on disk is replaced (stopped, removed, added again), and supervisord
        starts its C(autostart) processes again, even those an operator had stopped on purpose (Supervisor#214).
        With V(true), the processes of a replaced group that were STOPPED before the update are STOPPED after it,
        and RV(kept_stopped) lists them."
      - Only STOPPED counts; EXITED and FATAL processes come back as their new configuration says, the update being
        the usual way to fix what made them fail.
      - supervisord offers no call to add a group without spawning its C(autostart) processes, so each kept process
        is started and stopped in the same multicall that adds its group; it receives its stop signal within
        milliseconds of being forked, before anything can depend on it running.
      - V(false) (the default) does what C(supervisorctl update) does.
    type: bool
    default: false
    version_added: 0.2.0
'''
