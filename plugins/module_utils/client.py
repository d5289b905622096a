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
    Unsupported,
)
from ansible_collections.supervisor.control.plugins.module_utils.connection import resolve_settings
from ansible_collections.supervisor.control.plugins.module_utils import api_versions
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
BARE_TRACEBACK = ' CRIT Traceback (most recent call last):'
# Every release answers a multicall of this many calls at once. A supervisord before 3.2.0 hands out
# one result per pass of its main loop after these (api_versions.one_call_per_tick): a second each on
# an idle daemon, so it is sent more calls this many at a time.
FEW_CALLS = 2
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


def _trace(lines, start):
    """The lines of the traceback whose log line is ``lines[start]``: those up to the next log line."""
    end = start + 1
    while end < len(lines) and not _LOG_LINE.match(lines[end]):
        end += 1
    return lines[start + 1:end]


def _raised_by(trace, function):
    """Whether ``trace`` is of a call of ``function``: the frame that XML-RPC's ``traverse`` called."""
    frames = [line.strip() for line in trace if line.strip().startswith('File ')]
    for caller, called in zip(frames, frames[1:]):
        if caller.endswith(', in traverse'):
            return called.endswith(', in %s' % function)
    return False


def last_exception(main_log, method):
    """The exception line of supervisord's last traceback for ``method`` in its main log, or ''.

    From 3.2.3 on the log line names the request that raised; before, the
    traceback is bare, and is ``method``'s when the method's frame is in it.
    """
    lines = main_log.splitlines()
    marker = '<methodName>%s</methodName>' % method
    function = method.rsplit('.', 1)[-1]
    for start in range(len(lines) - 1, -1, -1):
        line = lines[start]
        if UNEXPECTED in line:
            if marker not in line:
                continue
        elif not (line.endswith(BARE_TRACEBACK) and _raised_by(_trace(lines, start), function)):
            continue
        found = ''
        for line in _trace(lines, start):
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


def first_undecodable(data):
    """The first byte of ``data`` that is not UTF-8 (a bytes of one), or None when all of it is."""
    try:
        data.decode('utf-8')
    except UnicodeDecodeError as exc:
        return data[exc.start:exc.start + 1]
    return None


def _as_utf8(data):
    """``data``, its bytes that are not UTF-8 replaced by U+FFFD.

    supervisord before 4.0 (Python 2) sends log bytes as they are. Its markup
    is ASCII, so decoding the whole body with replacement gives each log text
    exactly what ``text_bytes.decode('utf-8', 'replace')`` gives.
    """
    if first_undecodable(data) is None:
        return data
    return data.decode('utf-8', 'replace').encode('utf-8')


def parse_answer(data, lenient=False):
    """The values of an XML-RPC answer body (raises xmlrpclib.Fault for a fault answer).

    The XML parser turns a raw CR into LF; supervisord's markup has none, so
    every CR is log text, kept as a character reference. ``lenient`` also
    carries the control characters that XML forbids (see _XML_ILLEGAL), and
    decodes bytes that are not UTF-8 with replacement (``_as_utf8``).
    Raises ExpatError, xmlrpclib.ResponseError, ValueError, TypeError or
    IndexError for a body that is not XML-RPC.
    """
    data = data.replace(b'\r', b'&#13;')
    if not lenient:
        return xmlrpclib.loads(data, use_builtin_types=True)[0]
    return _unswap(xmlrpclib.loads(_XML_ILLEGAL.sub(_swap, _as_utf8(data)), use_builtin_types=True)[0])


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


def called_methods(method, params):
    """``method``, and the methods of the calls inside it when it is ``system.multicall``."""
    methods = [method]
    if method == 'system.multicall' and params and isinstance(params[0], list):
        methods += [c.get('methodName') for c in params[0] if isinstance(c, dict)]
    return methods


class SupervisorClient(object):
    """Talks to one supervisord. Cheap to create; holds no open socket.

    It learns the daemon's release (``release``) when it must: to send a method
    that an older release lacks (``require``), or a multicall of more than
    FEW_CALLS calls (``multicall``). Then it asks once, and remembers.
    """

    def __init__(self, settings):
        self.settings = settings
        self._release = None

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
            undecodable = first_undecodable(data)
            if undecodable and data.lstrip().startswith(b'<?xml'):
                raise UnparseableAnswer(
                    'supervisord at %s answered %s with bytes that are not UTF-8 (0x%02x), so its answer '
                    'is not XML: a supervisord before 4.0 sends log text as it is; the supervisor.control.log '
                    'lookup reads such logs' % (self.url, method, ord(undecodable)), data)
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

    def release(self):
        """The daemon's release as it says it (``'4.3.0'``): asked once (``getSupervisorVersion``), then known.

        None while it answers that call with a fault (shutting down): the calls
        that follow are then sent as to any release, and get the same fault.
        """
        if self._release is None:
            try:
                self._release = self._request('supervisor.getSupervisorVersion', [])
            except SupervisorFault:
                return None
        return self._release

    def _learn(self, method, value):
        if method == 'supervisor.getSupervisorVersion' and isinstance(value, str) and self._release is None:
            self._release = value

    def require(self, methods):
        """Raise Unsupported, before anything is sent, when the daemon's release lacks one of ``methods``.

        The release is asked only for a method that some release lacks
        (``api_versions.came_later``): the others cost nothing.
        """
        later = [method for method in methods if api_versions.came_later(method)]
        if later:
            reason = api_versions.first_lacking(self.release(), later)
            if reason:
                raise Unsupported(reason)

    def call(self, method, *params):
        """Call one method; raise SupervisorFault or SupervisorConnectionError (Unsupported before sending a
        method that the daemon's release lacks)."""
        self.require(called_methods(method, params))
        value = self._request(method, params)
        self._learn(method, value)
        return value

    def multicall(self, calls, lenient=False):
        """Call ``[(method, params), ...]`` in one ``system.multicall``.

        Returns one entry per call: the value, or a SupervisorFault instance
        (not raised) for a call that faulted. supervisord returns each value
        bare rather than in the one-element list of the XML-RPC convention,
        which is why ``xmlrpc.client.MultiCall`` cannot be used. ``lenient``:
        the answer may hold raw control characters (log text), which come
        back as they are.

        A supervisord before 3.2.0 gets more than FEW_CALLS calls FEW_CALLS at
        a time, in order: it would take a second per call in one. Any error
        after the first of those requests (no answer, HTTP 500, a fault) is
        raised with ``sent`` set: the requests before it acted.
        Unsupported, before anything is sent, when it lacks a method.
        """
        calls = [(method, list(params)) for method, params in calls]
        if not calls:
            return []
        self.require([method for method, dummy in calls])
        if len(calls) <= FEW_CALLS or not api_versions.one_call_per_tick(self.release()):
            return self.send_multicall(calls, lenient)
        results = []
        for start in range(0, len(calls), FEW_CALLS):
            try:
                results += self.send_multicall(calls[start:start + FEW_CALLS], lenient)
            except SupervisorError as exc:
                exc.sent = exc.sent or bool(results)
                raise
        return results

    def send_multicall(self, calls, lenient=False):
        """One ``system.multicall`` request of ``calls`` (``multicall`` decides how many go in one)."""
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
                self._learn(method, value)
                decoded.append(value)
        return decoded

    def multicall_or_raise(self, calls):
        """Like multicall, but raise the first fault."""
        return raise_first_fault(self.multicall(calls))
