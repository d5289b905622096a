# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bring supervisord processes to a state: the logic the process and group modules share.

Plan (plans.plan_processes, pure), carry out (process_controller.ProcessController),
report (processes after the action, diff, failures): one path, whichever
module selected the processes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.supervisor.control.plugins.module_utils import process_names
from ansible_collections.supervisor.control.plugins.module_utils import plans
from ansible_collections.supervisor.control.plugins.module_utils.errors import TaskFailed


def check_rolling(params):
    """Refuse ``rolling``/``ready`` options that cannot be used (rolling.check_options), before anything is read."""
    if params.get('rolling') is not None or params.get('ready') is not None:
        from ansible_collections.supervisor.control.plugins.module_utils import rolling
        rolling.check_options(params)


def bring_to_state(task, controller, targets, state, signal=None, **extra):
    """Bring ``targets`` (process infos) to ``state``; return the result, or raise TaskFailed.

    ``extra`` keys are added to the result, failed or not. With ``rolling`` or ``ready``, a roll
    (rolling.Rolling, planned and checked before anything is done) carries out the plan.
    """
    # Before anything is planned or done, in check mode too: one line when the daemon lacks a method (signalled).
    controller.client.require(plans.STATE_METHODS[state])
    actions = plans.plan_processes(targets, state)
    roll = None
    if task.params.get('rolling') is not None or task.params.get('ready') is not None:
        from ansible_collections.supervisor.control.plugins.module_utils.rolling import Rolling
        roll = Rolling(task, actions, len(targets), state)
    if task.check_mode or not any(a.steps for a in actions):
        after = [dict(a.info, statename=a.expected) for a in actions]
    else:
        with controller.reporting_changes():
            if roll:
                failures = roll.run(controller)
            else:
                failures = controller.apply(actions, wait=task.params['wait'], signal=signal)
            after = controller.current_infos([process_names.namespec(info) for info in targets])
        if failures:
            extra.update(roll.result() if roll else {})
            processes = [process_names.normalize(i) for i in after]
            message = roll and roll.message(failures)
            if message:
                raise TaskFailed(message, failures, controller.acted, processes=processes, **extra)
            raise TaskFailed.of(failures, controller.acted, processes=processes, **extra)
    extra.update(roll.result() if roll else {})
    result = dict(extra, changed=any(a.changed for a in actions), processes=[process_names.normalize(i) for i in after])
    if task.diff:
        result['diff'] = plans.process_diff(targets, after)
    return result
