# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one XML-RPC client of the collection.

Modules, lookups and event sources all talk to supervisord through
``SupervisorClient``: ``call`` for one method, ``multicall`` for many in one
round trip. Faults come back as SupervisorFault, transport failures as
SupervisorConnectionError, both with one-line messages.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re
from xml.parsers.expat import ExpatError

try:
    import xmlrpc.client as xmlrpclib
except ImportError:  # pragma: no cover
    import xmlrpclib

from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    SupervisorConnectionError,
    SupervisorFault,
)
from ansible_collections.supervisor.control.plugins.module_utils.connection import resolve_settings
from ansible_collections.supervisor.control.plugins.module_utils import transport

# Methods every supervisord has; the server lacks the supervisor namespace when they are unknown.
CORE_METHODS = frozenset(('system.multicall', 'supervisor.getState', 'supervisor.getAllProcessInfo',
                          'supervisor.getPID', 'supervisor.getSupervisorVersion'))
_DOCTYPE = re.compile(br'<!DOCTYPE|<!ENTITY', re.IGNORECASE)


def _prolog(data):
    """The bytes before the root element: where a DOCTYPE would stand."""
    start = data.find(b'<methodResponse')
    return data if start < 0 else data[:start]


def to_builtin(value):
    """XML-RPC values to what JSON and Jinja2 can carry."""
    if isinstance(value, dict):
        return dict((k, to_builtin(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [to_builtin(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode('utf-8', 'replace')
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, xmlrpclib.DateTime):
        return value.value
    return value


class SupervisorClient(object):
    """Talks to one supervisord. Cheap to create; holds no open socket."""

    def __init__(self, settings):
        self.settings = settings

    @classmethod
    def from_options(cls, **options):
        """Build from the shared connection options (see connection.resolve_settings)."""
        return cls(resolve_settings(**options))

    @property
    def url(self):
        return self.settings.url

    def _request(self, method, params):
        body = xmlrpclib.dumps(tuple(params), method, allow_none=False).encode('utf-8')
        status, reason, data = transport.post(self.settings, body)
        if status == 401:
            raise SupervisorConnectionError(
                'authentication failed for %s (HTTP 401): check username and password' % self.url)
        if status != 200:
            raise SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s answered HTTP %s %s' % (self.url, status, reason))
        if _DOCTYPE.search(_prolog(data)):
            raise SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s answered XML with a DOCTYPE (refused)' % self.url)
        try:
            # The XML parser turns a raw CR into LF; supervisord's markup has none, so
            # every CR is log text, kept as a character reference.
            result = xmlrpclib.loads(data.replace(b'\r', b'&#13;'), use_builtin_types=True)[0]
        except xmlrpclib.Fault as fault:
            raise self._fault(fault.faultCode, fault.faultString, method)
        except (ExpatError, xmlrpclib.ResponseError, ValueError, TypeError, IndexError):
            raise SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s answered HTTP 200 with a body that is not XML-RPC '
                '(%d bytes)' % (self.url, len(data)))
        if len(result) != 1:
            raise SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s answered a response without one value' % self.url)
        return result[0]

    def _fault(self, code, fault_string, method):
        fault = SupervisorFault(code, fault_string, method)
        if fault.is_('UNKNOWN_METHOD') and method in CORE_METHODS:
            # Every supervisord has these: this is some other XML-RPC server.
            return SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s is an XML-RPC server without %s' % (self.url, method))
        return fault

    def call(self, method, *params):
        """Call one method; raise SupervisorFault or SupervisorConnectionError."""
        return self._request(method, params)

    def multicall(self, calls):
        """Call ``[(method, params), ...]`` in one ``system.multicall``.

        Returns one entry per call: the value, or a SupervisorFault instance
        (not raised) for a call that faulted. supervisord returns each value
        bare rather than in the one-element list of the XML-RPC convention,
        which is why ``xmlrpc.client.MultiCall`` cannot be used.
        """
        calls = [(method, list(params)) for method, params in calls]
        if not calls:
            return []
        payload = [{'methodName': method, 'params': params} for method, params in calls]
        results = self._request('system.multicall', [payload])
        if not isinstance(results, list) or len(results) != len(calls):
            raise SupervisorConnectionError(
                'unexpected system.multicall answer from %s: %d results for %d calls' % (
                    self.url, len(results) if isinstance(results, list) else -1, len(calls)))
        decoded = []
        for (method, dummy), value in zip(calls, results):
            if isinstance(value, dict) and set(value) == set(('faultCode', 'faultString')):
                decoded.append(self._fault(value['faultCode'], value['faultString'], method))
            else:
                decoded.append(value)
        return decoded

    def multicall_or_raise(self, calls):
        """Like multicall, but raise the first fault."""
        results = self.multicall(calls)
        for value in results:
            if isinstance(value, (SupervisorFault, SupervisorConnectionError)):
                raise value
        return results
