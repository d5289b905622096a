# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the daemon is and how to log in: the shared connection options.

Modules, lookups and event sources all resolve their options through
``resolve_settings``, so the same ``server_url``/``config`` give the same URL
everywhere, with the same environment fallbacks and the same errors.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
from urllib.parse import urlsplit, unquote

from ansible_collections.supervisor.control.plugins.module_utils.errors import ConfigurationError

DEFAULT_TIMEOUT = 30.0

# The connection options of every module, lookup, inventory and event source, declared once:
# the modules' argument spec (connection_argument_spec), the lookups' and the inventory's
# client (plugin_utils/lookup.py) and the event sources' checks (plugin_utils/event_source.py)
# are made from this table. ``env`` is the variable resolve_settings falls back to. It is not
# an argument-spec fallback: an explicit ``config`` must win over SUPERVISOR_SERVER_URL, which
# a fallback would have put into server_url before resolve_settings could see the config.
# Their documentation is doc_fragments/connection.py (tests/unit/test_connection_options.py
# checks that both say the same).
CONNECTION_OPTIONS = dict(
    server_url=dict(type='str', env='SUPERVISOR_SERVER_URL'),
    username=dict(type='str', env='SUPERVISOR_USERNAME'),
    password=dict(type='str', no_log=True, env='SUPERVISOR_PASSWORD'),
    config=dict(type='path', env='SUPERVISOR_CONFIG'),
    timeout=dict(type='float', default=DEFAULT_TIMEOUT),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
)
ARGUMENT_SPEC_KEYS = ('type', 'default', 'no_log')

ENV_SERVER_URL = CONNECTION_OPTIONS['server_url']['env']
ENV_USERNAME = CONNECTION_OPTIONS['username']['env']
ENV_PASSWORD = CONNECTION_OPTIONS['password']['env']
ENV_CONFIG = CONNECTION_OPTIONS['config']['env']
# Beyond a day a wait is a mistake, and far beyond it the platform's clock
# arithmetic fails (1e12 s is out of time_t's range).
MAX_TIMEOUT = 86400.0
FALLBACK_URLS = ('unix:///var/run/supervisor.sock', 'http://localhost:9001')

# supervisorctl's own search path (supervisor/options.py, Options.__init__),
# minus the entries relative to sys.argv[0], which mean nothing for a module.
CONFIG_SEARCH_PATH = (
    'supervisord.conf',
    'etc/supervisord.conf',
    '/etc/supervisord.conf',
    '/etc/supervisor/supervisord.conf',
)

URL_FORMS = 'unix:///path/to/supervisor.sock, http://host:port or https://host:port'


class ConnectionSettings(object):
    """A parsed, validated endpoint: everything the transport needs."""

    def __init__(self, scheme, username=None, password=None, socket_path=None,
                 host=None, port=None, path='/RPC2', timeout=DEFAULT_TIMEOUT,
                 validate_certs=True, ca_path=None, source=None):
        self.scheme = scheme
        self.username = username or None
        self.password = password or None
        self.socket_path = socket_path
        self.host = host
        self.port = port
        self.path = path
        self.timeout = float(timeout or DEFAULT_TIMEOUT)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.source = source

    @property
    def url(self):
        """The URL without credentials: safe to print."""
        if self.scheme == 'unix':
            return 'unix://%s' % self.socket_path
        host = self.host
        if ':' in host:
            host = '[%s]' % host
        return '%s://%s:%s%s' % (self.scheme, host, self.port, self.path)

    def __repr__(self):
        return '<ConnectionSettings %s>' % self.url

    @property
    def secrets(self):
        """Values that must never be printed (for ``no_log_values``)."""
        return [s for s in (self.password,) if s]

    def is_loopback(self):
        if self.scheme == 'unix':
            return True
        host = (self.host or '').lower()
        return host in ('localhost', '::1') or host.startswith('127.')


def connection_argument_spec():
    """The table as AnsibleModule's ``argument_spec`` entries (a new dict each call: callers may change it)."""
    return dict((name, dict((key, value) for key, value in option.items() if key in ARGUMENT_SPEC_KEYS))
                for name, option in CONNECTION_OPTIONS.items())


def check_timeout(value):
    """``value`` as seconds, or DEFAULT_TIMEOUT for None; ConfigurationError when out of range."""
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = None
    # ``not 0 < x`` also refuses NaN, which every comparison fails
    if seconds is None or not 0 < seconds <= MAX_TIMEOUT:
        raise ConfigurationError('timeout must be a number of seconds more than 0 and at most %d (one day), '
                                 'got %r' % (MAX_TIMEOUT, value))
    return seconds


def connection_warnings(settings):
    """What a user should be told about these settings before anything is sent."""
    warnings = []
    if settings.scheme == 'https' and not settings.validate_certs:
        warnings.append('validate_certs=false: the certificate of %s is not checked' % settings.url)
    if settings.scheme == 'http' and settings.password and not settings.is_loopback():
        warnings.append('credentials are sent in clear text to %s: use https:// or a unix socket' % settings.url)
    return warnings


def mask_url(url):
    """Hide the password of a ``scheme://user:pass@host`` URL."""
    if not url:
        return url
    return re.sub(r'(://[^/@:]*):[^/@]*@', r'\1:********@', str(url))


def parse_server_url(url, username=None, password=None, **kwargs):
    """Parse ``unix://``, ``http://`` or ``https://`` into ConnectionSettings.

    Credentials embedded as ``user:pass@`` win over none given separately, and
    are taken out of the URL so that it can be printed.
    """
    text = (url or '').strip()
    if not text:
        raise ConfigurationError('server_url is empty: expected %s' % URL_FORMS)
    masked = mask_url(text)
    if text.startswith('unix://'):
        path = text[len('unix://'):]
        if not path.startswith('/'):
            raise ConfigurationError(
                'malformed server_url %r: a unix socket URL needs an absolute path, '
                'such as unix:///var/run/supervisor.sock' % masked)
        return ConnectionSettings('unix', username, password, socket_path=os.path.normpath(path),
                                  **kwargs)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError('malformed server_url %r (%s): expected %s' % (masked, exc, URL_FORMS))
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ConfigurationError('malformed server_url %r: expected %s' % (masked, URL_FORMS))
    if parts.query or parts.fragment:
        raise ConfigurationError('malformed server_url %r: a query or fragment is not allowed' % masked)
    if parts.username is not None:
        username = username or unquote(parts.username)
        if parts.password is not None:
            password = password or unquote(parts.password)
    path = parts.path.rstrip('/') or '/RPC2'
    if port is None:
        port = 443 if parts.scheme == 'https' else 80
    return ConnectionSettings(parts.scheme, username, password, host=parts.hostname,
                              port=port, path=path, **kwargs)


def _expand(value, expansions, config_path):
    try:
        return value % expansions
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigurationError('cannot expand %r in %s: %s' % (value, config_path, exc))


def read_supervisorctl_config(config_path):
    """Return ``(serverurl, username, password)`` as ``supervisorctl -c`` reads them.

    Like supervisorctl: ``[supervisorctl] serverurl`` (default
    ``http://localhost:9001``) with ``%(here)s`` and ``%(ENV_X)s`` expanded.
    Unlike supervisorctl, a file without a ``[supervisorctl]`` section is not an
    error: the URL is taken from ``[unix_http_server] file`` or
    ``[inet_http_server] port``, which is where the daemon listens.
    """
    path = os.path.abspath(os.path.expanduser(config_path))
    if not os.path.isfile(path):
        raise ConfigurationError('supervisord config file %s does not exist' % path)
    import configparser  # here: a task given server_url never reads a config file, and a shipped module pays for imports
    parser = configparser.RawConfigParser(inline_comment_prefixes=(';', '#'), strict=False)
    try:
        with open(path) as handle:
            parser.read_file(handle, source=path)
    except (configparser.Error, UnicodeDecodeError) as exc:
        detail = ' '.join(str(exc).split())
        raise ConfigurationError('cannot parse supervisord config file %s: %s' % (path, detail))
    except (IOError, OSError) as exc:
        raise ConfigurationError('cannot read supervisord config file %s: %s' % (path, exc.strerror or exc))
    expansions = dict(('ENV_%s' % key, value) for key, value in os.environ.items())
    expansions['here'] = os.path.dirname(path)

    def get(section, key):
        if parser.has_section(section) and parser.has_option(section, key):
            return _expand(parser.get(section, key), expansions, path)
        return None

    serverurl = get('supervisorctl', 'serverurl')
    username = get('supervisorctl', 'username')
    password = get('supervisorctl', 'password')
    if serverurl is None or serverurl.strip().upper() == 'AUTO':
        sock = get('unix_http_server', 'file')
        port = get('inet_http_server', 'port')
        server_section = None
        if sock:
            serverurl, server_section = 'unix://%s' % os.path.abspath(sock), 'unix_http_server'
        elif port:
            host, port_number = port.rpartition(':')[::2]
            if host in ('', '*', '0.0.0.0'):
                host = 'localhost'
            serverurl, server_section = 'http://%s:%s' % (host, port_number), 'inet_http_server'
        else:
            serverurl = 'http://localhost:9001'
        if server_section and not parser.has_section('supervisorctl'):
            username = username or get(server_section, 'username')
            password = password or get(server_section, 'password')
    serverurl = serverurl.strip()
    if serverurl.startswith('unix://'):
        serverurl = 'unix://%s' % os.path.normpath(os.path.expanduser(serverurl[len('unix://'):]))
    return serverurl, username, password


def discover_config(search_path=CONFIG_SEARCH_PATH):
    for candidate in search_path:
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    return None


def resolve_settings(server_url=None, username=None, password=None, config=None,
                     timeout=None, validate_certs=True, ca_path=None, environ=None,
                     search_path=CONFIG_SEARCH_PATH):
    """Turn the user's connection options into ConnectionSettings.

    Order: explicit ``server_url``; else explicit ``config``; else
    ``SUPERVISOR_SERVER_URL``; else ``SUPERVISOR_CONFIG``; else
    supervisorctl's config search path; else the first of ``FALLBACK_URLS``
    whose socket exists, else the last. ``settings.source`` says which one
    was used. Modules, lookups and event sources all come here, so the
    environment ranks the same for all of them.
    """
    environ = os.environ if environ is None else environ
    username = username or environ.get(ENV_USERNAME) or None
    password = password or environ.get(ENV_PASSWORD) or None
    common = dict(timeout=check_timeout(timeout), validate_certs=validate_certs, ca_path=ca_path)
    if server_url:
        settings = parse_server_url(server_url, username, password, **common)
        settings.source = 'server_url'
        return settings
    source = 'config %s' % config if config else None
    if not config and environ.get(ENV_SERVER_URL):
        settings = parse_server_url(environ[ENV_SERVER_URL], username, password, **common)
        settings.source = 'environment %s' % ENV_SERVER_URL
        return settings
    if not config and environ.get(ENV_CONFIG):
        config = environ[ENV_CONFIG]
        source = 'environment %s=%s' % (ENV_CONFIG, config)
    if not config:
        config = discover_config(search_path)
        source = 'discovered config %s' % config if config else None
    if config:
        url, conf_user, conf_password = read_supervisorctl_config(config)
        settings = parse_server_url(url, username or conf_user, password or conf_password, **common)
        settings.source = source
        return settings
    for url in FALLBACK_URLS:
        if not url.startswith('unix://') or os.path.exists(url[len('unix://'):]):
            break
    settings = parse_server_url(url, username, password, **common)
    settings.source = 'default'
    return settings
