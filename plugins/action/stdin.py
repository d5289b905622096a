# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""supervisor.control.stdin in the controller's worker when the task runs there; shipped otherwise."""

from ansible_collections.supervisor.control.plugins.plugin_utils.action import SupervisorAction


class ActionModule(SupervisorAction):
    MODULE = 'stdin'
