# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What both event sources share in reading their arguments."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def boolean(value):
    """A rulebook argument as a boolean: YAML gives bools, ``-e`` and templates give strings."""
    if isinstance(value, str):
        return value.strip().lower() in ('1', 'true', 'yes', 'on')
    return bool(value)
