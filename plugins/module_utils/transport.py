# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP for XML-RPC over a unix socket, http or https, standard library only.

``xmlrpc.client.ServerProxy`` cannot speak to a unix socket, gives no hook
to bound the response size, and lets low-level exceptions through; this
module sends one POST per call and turns every failure into a one-line
SupervisorConnectionError that names the URL and what to check.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import errno
import http.client
import os
import socket
import ssl
import stat

from ansible_collections.supervisor.control.plugins.module_utils.errors import SupervisorConnectionError

# A log slice, the largest answer we ask for, stays far below this; a server
# that sends more is not supervisord, or is hostile.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
USER_AGENT = 'supervisor.control'


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTPConnection whose socket is a unix stream socket."""

    def __init__(self, socket_path, timeout):
        http.client.HTTPConnection.__init__(self, 'localhost', timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except Exception:
            sock.close()
            raise
        self.sock = sock


def _is_socket(path):
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def _socket_description(path):
    try:
        st = os.stat(path)
    except OSError:
        return path
    owner = str(st.st_uid)
    group = str(st.st_gid)
    try:
        import pwd
        import grp
        owner = pwd.getpwuid(st.st_uid).pw_name
        group = grp.getgrgid(st.st_gid).gr_name
    except (ImportError, KeyError):
        pass
    return '%s (mode %04o, owner %s:%s)' % (path, stat.S_IMODE(st.st_mode), owner, group)


def describe_os_error(settings, exc):
    """The one-line message for a socket-level failure."""
    url = settings.url
    code = getattr(exc, 'errno', None)
    if isinstance(exc, socket.timeout) or code == errno.ETIMEDOUT:
        return 'no answer from %s within %g seconds: the daemon is busy or hung, or the address is wrong' % (
            url, settings.timeout)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ('the certificate of %s is not trusted (%s): give ca_path, or validate_certs=false '
                'for a self-signed test setup' % (url, exc.verify_message or exc.reason))
    if isinstance(exc, ssl.SSLError):
        return 'TLS handshake with %s failed (%s): is it really https?' % (url, exc.reason or exc)
    if isinstance(exc, socket.gaierror):
        return 'cannot resolve the host of %s (%s)' % (url, exc.strerror or exc)
    if settings.scheme == 'unix':
        path = settings.socket_path
        if code == errno.ENOENT:
            return ('socket %s does not exist: is supervisord running, and is this the file of its '
                    '[unix_http_server] section?' % path)
        if code in (errno.EACCES, errno.EPERM):
            return ('permission denied on socket %s: run as a user who may open it (become: true), '
                    'or set chmod/chown in [unix_http_server]' % _socket_description(path))
        # Linux answers ECONNREFUSED, not ENOTSOCK, for a path that is a regular file.
        if code == errno.ENOTSOCK or (code == errno.ECONNREFUSED and not _is_socket(path)):
            return '%s is not a socket: check the path in server_url' % path
        if code == errno.ECONNREFUSED:
            return 'connection refused on socket %s: supervisord is not running (the socket file is stale)' % path
    if code == errno.ECONNREFUSED:
        return ('connection refused by %s: is supervisord running with an [inet_http_server] on '
                'that address and port?' % url)
    if isinstance(exc, (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError,
                        BrokenPipeError, ConnectionAbortedError)):
        return 'connection lost to %s: the daemon closed the connection (restarting, or killed?)' % url
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return 'cannot reach %s (%s)' % (url, os.strerror(code))
    return 'cannot talk to %s: %s' % (url, getattr(exc, 'strerror', None) or exc)


def _ssl_context(settings):
    if not settings.validate_certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=settings.ca_path)
    except (IOError, OSError, ssl.SSLError) as exc:
        raise SupervisorConnectionError('cannot load ca_path %s: %s' % (settings.ca_path, exc))


def open_connection(settings):
    if settings.scheme == 'unix':
        return UnixHTTPConnection(settings.socket_path, settings.timeout)
    if settings.scheme == 'https':
        return http.client.HTTPSConnection(settings.host, settings.port, timeout=settings.timeout,
                                           context=_ssl_context(settings))
    return http.client.HTTPConnection(settings.host, settings.port, timeout=settings.timeout)


_END = b'</methodResponse>'


def _read_body(response, expected):
    """The body, up to MAX_RESPONSE_BYTES + 1 bytes.

    supervisord counts a deferred answer's Content-Length in characters, not
    bytes (``xmlrpc.DeferredXMLRPCResponse``): the answer of
    ``startProcessGroup`` and the like naming a process outside ASCII is
    longer than announced. So the announced bytes are read, then more while
    an XML-RPC answer is unfinished; a server that sends what it announced
    costs nothing more.
    """
    expected = int(expected) if expected and expected.isdigit() else None
    response.length = None  # else http.client stops at Content-Length and drops the rest
    if expected is None or expected > MAX_RESPONSE_BYTES:
        return response.read(MAX_RESPONSE_BYTES + 1)
    parts = [response.read(expected)]
    size = len(parts[0])
    if size < expected or b'<methodResponse' not in parts[0]:
        return parts[0]
    while size <= MAX_RESPONSE_BYTES and not b''.join(parts[-2:])[-256:].rstrip().endswith(_END):
        chunk = response.read1(MAX_RESPONSE_BYTES + 1 - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b''.join(parts)


def post(settings, body):
    """POST an XML-RPC request body; return ``(status, reason, response_bytes)``.

    Raises SupervisorConnectionError for everything below HTTP and for a
    response larger than MAX_RESPONSE_BYTES.
    """
    headers = {
        'Content-Type': 'text/xml',
        'User-Agent': USER_AGENT,
        'Accept-Encoding': 'identity',
    }
    if settings.username is not None:
        token = '%s:%s' % (settings.username, settings.password or '')
        headers['Authorization'] = 'Basic ' + base64.b64encode(token.encode('utf-8')).decode('ascii')
    connection = open_connection(settings)
    sent = False
    try:
        connection.request('POST', settings.path if settings.scheme != 'unix' else '/RPC2', body, headers)
        sent = True
        response = connection.getresponse()
        expected = response.getheader('Content-Length')
        data = _read_body(response, expected)
        if len(data) > MAX_RESPONSE_BYTES:
            raise SupervisorConnectionError(
                'the answer of %s is larger than %d MiB: refused (not supervisord, or a hostile server)' % (
                    settings.url, MAX_RESPONSE_BYTES // (1024 * 1024)), sent=True)
        if expected and expected.isdigit() and len(data) < int(expected):
            raise SupervisorConnectionError('connection lost to %s: the answer was cut short (%d of %s bytes)' % (
                settings.url, len(data), expected), sent=True)
        return response.status, response.reason, data
    except (socket.error, ssl.SSLError, http.client.HTTPException) as exc:
        code = getattr(exc, 'errno', None)
        if settings.scheme == 'unix':
            nobody = code == errno.ENOENT or (code == errno.ECONNREFUSED and _is_socket(settings.socket_path))
        else:
            nobody = code == errno.ECONNREFUSED
        raise SupervisorConnectionError(describe_os_error(settings, exc), nobody_listens=nobody, sent=sent)
    finally:
        connection.close()
