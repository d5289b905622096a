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
    FAULT_CODES,
    RequestError,
    ShuttingDown,
    SupervisorConnectionError,
    SupervisorError,
    SupervisorFault,
    UnparseableAnswer,
)
from ansible_collections.supervisor.control.plugins.module_utils.connection import resolve_settings
from ansible_collections.supervisor.control.plugins.module_utils import transport

# Methods every supervisord has; the server lacks the supervisor namespace when they are unknown.
CORE_METHODS = frozenset(('system.multicall', 'supervisor.getState', 'supervisor.getAllProcessInfo',
                          'supervisor.getPID', 'supervisor.getSupervisorVersion'))
_DOCTYPE = re.compile(br'<!DOCTYPE|<!ENTITY', re.IGNORECASE)
# Characters outside XML 1.0's Char production: supervisord's parser answers
# HTTP 400 to a request that holds one. Written as the characters that are out
# rather than the complement of those that are in: the same set, a sixth of the
# compile time, which a shipped module pays at every task.
_NOT_XML = re.compile(u'[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_LOG_LINE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d')
UNEXPECTED = 'raised an unexpected exception'
# Control characters that XML 1.0 forbids and supervisord sends raw from a log (supervisor
# issues #85, #1499). They never occur inside a multi-byte UTF-8 sequence, nor in
# supervisord's markup, so a lenient parse swaps them byte for byte with characters of plane
# 16's private use area before parsing, and swaps them back after.
_XML_ILLEGAL = re.compile(b'[\x00-\x08\x0b\x0c\x0e-\x1f]')
_PRIVATE_BASE = 0x10FF00
_UNSWAP = dict((_PRIVATE_BASE + code, code) for code in list(range(0, 9)) + [11, 12] + list(range(14, 32)))


def find_unsendable(value, path):
    """Why XML-RPC cannot carry ``value`` (one line naming ``path``), or None when it can."""
    if value is None:
        return '%s is null: XML-RPC has no null value, and supervisord accepts none' % path
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not xmlrpclib.MININT <= value <= xmlrpclib.MAXINT:
            return '%s is %d, outside the 32-bit integer range of XML-RPC (%d to %d)' % (
                path, value, xmlrpclib.MININT, xmlrpclib.MAXINT)
        return None
    if isinstance(value, str):
        bad = _NOT_XML.search(value)
        if bad:
            return ('%s holds the character U+%04X at position %d (counting from 1), which XML 1.0, and so '
                    'XML-RPC, cannot carry' % (path, ord(bad.group()), bad.start() + 1))
        return None
    if isinstance(value, (float, bytes, bytearray, datetime.datetime, xmlrpclib.DateTime, xmlrpclib.Binary)):
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            reason = find_unsendable(item, '%s[%d]' % (path, index))
            if reason:
                return reason
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return '%s has the key %r, but XML-RPC structs take only string keys' % (path, key)
            reason = find_unsendable(key, '%s key %r' % (path, key)) or find_unsendable(item, '%s.%s' % (path, key))
            if reason:
                return reason
        return None
    return '%s is a %s, which XML-RPC cannot carry' % (path, type(value).__name__)


def last_exception(main_log, method):
    """The exception line of supervisord's last traceback for ``method`` in its main log, or ''."""
    lines = main_log.splitlines()
    marker = '<methodName>%s</methodName>' % method
    for start in range(len(lines) - 1, -1, -1):
        if UNEXPECTED in lines[start] and marker in lines[start]:
            found = ''
            for line in lines[start + 1:]:
                if _LOG_LINE.match(line):
                    break
                if line.strip() and not line.startswith(' ') and not line.startswith('Traceback'):
                    found = line.strip()
            return found
    return ''


def _prolog(data):
    """The bytes before the root element: where a DOCTYPE would stand."""
    start = data.find(b'<methodResponse')
    return data if start < 0 else data[:start]


def _swap(match):
    return (u'%c' % (_PRIVATE_BASE + ord(match.group()))).encode('utf-8')


def _unswap(value):
    if isinstance(value, (list, tuple)):
        return [_unswap(item) for item in value]
    if isinstance(value, dict):
        return dict((key, _unswap(item)) for key, item in value.items())
    if isinstance(value, str):
        return value.translate(_UNSWAP)
    return value


def parse_answer(data, lenient=False):
    """The values of an XML-RPC answer body (raises xmlrpclib.Fault for a fault answer).

    The XML parser turns a raw CR into LF; supervisord's markup has none, so
    every CR is log text, kept as a character reference. ``lenient`` also
    carries the control characters that XML forbids (see _XML_ILLEGAL).
    Raises ExpatError, xmlrpclib.ResponseError, ValueError, TypeError or
    IndexError for a body that is not XML-RPC.
    """
    data = data.replace(b'\r', b'&#13;')
    if not lenient:
        return xmlrpclib.loads(data, use_builtin_types=True)[0]
    return _unswap(xmlrpclib.loads(_XML_ILLEGAL.sub(_swap, data), use_builtin_types=True)[0])


def raise_first_fault(answers):
    """``answers`` of a multicall, unless one is a fault: then the first one is raised."""
    for value in answers:
        if isinstance(value, (SupervisorFault, SupervisorConnectionError)):
            raise value
    return answers


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

    def _request(self, method, params, lenient=False):
        if not method or not isinstance(method, str):
            raise RequestError('cannot call %r: give a method name such as supervisor.getState' % (method,))
        reason = find_unsendable(list(params), 'the parameters')
        if reason:
            raise RequestError('cannot call %s on %s: %s' % (method, self.url, reason))
        body = xmlrpclib.dumps(tuple(params), method, allow_none=False).encode('utf-8')
        status, reason, data = transport.post(self.settings, body)
        if status == 401:
            raise SupervisorConnectionError(
                'authentication failed for %s (HTTP 401): check username and password' % self.url)
        if status in (400, 500) and method != 'supervisor.readLog':
            raise self._refused(method, status, reason)
        if status != 200:
            raise SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s answered HTTP %s %s' % (self.url, status, reason))
        if _DOCTYPE.search(_prolog(data)):
            raise SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s answered XML with a DOCTYPE (refused)' % self.url)
        try:
            result = parse_answer(data, lenient)
        except xmlrpclib.Fault as fault:
            raise self._fault(fault.faultCode, fault.faultString, method)
        except (ExpatError, xmlrpclib.ResponseError, ValueError, TypeError, IndexError):
            raise UnparseableAnswer(
                'not a supervisord XML-RPC endpoint: %s answered HTTP 200 with a body that is not XML-RPC '
                '(%d bytes)' % (self.url, len(data)), data)
        if len(result) != 1:
            raise SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s answered a response without one value' % self.url)
        return result[0]

    def _refused(self, method, status, reason):
        """The error for an HTTP 400/500: supervisord's own answer when it is supervisord.

        supervisord answers 500 when a method raises (parameters of the wrong
        type) and 400 to a request it cannot parse, with a bare error page; the
        traceback is only in its main log, so it is read from there.
        """
        try:
            main_log = self._request('supervisor.readLog', [-16384, 0], lenient=True)
        except SupervisorError:
            return SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s answered HTTP %s %s' % (self.url, status, reason))
        if status == 400:
            return RequestError('supervisord at %s refused the request for %s as malformed (HTTP 400 %s)' % (
                self.url, method, reason))
        detail = last_exception(main_log if isinstance(main_log, str) else '', method)
        return RequestError('supervisord at %s failed to run %s (HTTP 500 %s)%s: check the number and the types '
                            'of its parameters' % (self.url, method, reason,
                                                   ': %s, says its main log' % detail if detail else ''))

    def _fault(self, code, fault_string, method):
        if code == FAULT_CODES['SHUTDOWN_STATE']:
            return ShuttingDown(fault_string, method, self.url)
        fault = SupervisorFault(code, fault_string, method)
        if fault.is_('UNKNOWN_METHOD') and method in CORE_METHODS:
            # Every supervisord has these: this is some other XML-RPC server.
            return SupervisorConnectionError(
                'not a supervisord XML-RPC endpoint: %s is an XML-RPC server without %s' % (self.url, method))
        return fault

    def call(self, method, *params):
        """Call one method; raise SupervisorFault or SupervisorConnectionError."""
        return self._request(method, params)

    def multicall(self, calls, lenient=False):
        """Call ``[(method, params), ...]`` in one ``system.multicall``.

        Returns one entry per call: the value, or a SupervisorFault instance
        (not raised) for a call that faulted. supervisord returns each value
        bare rather than in the one-element list of the XML-RPC convention,
        which is why ``xmlrpc.client.MultiCall`` cannot be used. ``lenient``:
        the answer may hold raw control characters (log text), which come
        back as they are.
        """
        calls = [(method, list(params)) for method, params in calls]
        if not calls:
            return []
        payload = [{'methodName': method, 'params': params} for method, params in calls]
        results = self._request('system.multicall', [payload], lenient)
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
        return raise_first_fault(self.multicall(calls))
