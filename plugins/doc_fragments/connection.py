# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment(object):
    # The connection options shared by every module, lookup, the inventory and both event sources,
    # as module_utils/connection.CONNECTION_OPTIONS declares them (tests/unit/test_connection_options.py).
    DOCUMENTATION = r'''
options:
  server_url:
    description:
      - Where supervisord listens for XML-RPC.
      - C(unix:///path/to/supervisor.sock) for the unix socket of C([unix_http_server]),
        C(http://host:port) for C([inet_http_server]) (the C(/RPC2) path is optional),
        or C(https://host:port) for supervisord behind a TLS proxy.
      - Credentials may be embedded as C(http://user:password@host:port); the password is then masked in all output.
      - "The daemon is chosen in this order, the same for modules, lookups and event sources: O(server_url);
        O(config); the environment variable E(SUPERVISOR_SERVER_URL); the environment variable E(SUPERVISOR_CONFIG)
        (a C(supervisord.conf) path); the configuration file discovered the way C(supervisorctl) does
        (C(supervisord.conf), C(etc/supervisord.conf), C(/etc/supervisord.conf), C(/etc/supervisor/supervisord.conf));
        C(unix:///var/run/supervisor.sock) if that socket exists; C(http://localhost:9001)."
      - For modules the environment is the one of the host where the module runs; for lookups and event sources,
        the controller's.
      - Modules return the URL that was used, without credentials, as C(server_url).
    type: str
  username:
    description:
      - User name for HTTP basic authentication (the C(username) of C([unix_http_server]) or C([inet_http_server])).
      - Falls back to the environment variable E(SUPERVISOR_USERNAME).
    type: str
  password:
    description:
      - Password for HTTP basic authentication. Never shown in any output.
      - Falls back to the environment variable E(SUPERVISOR_PASSWORD).
    type: str
  config:
    description:
      - Path of a C(supervisord.conf) to read C([supervisorctl]) C(serverurl), C(username) and C(password) from,
        exactly as C(supervisorctl -c) does, including V(%(here\)s) and V(%(ENV_X\)s) expansion.
      - When the file has no C([supervisorctl]) section, the URL and credentials come from
        C([unix_http_server]) or C([inet_http_server]).
      - Explicit O(username) and O(password) override the file's.
      - Falls back to the environment variable E(SUPERVISOR_CONFIG), in the order that O(server_url) gives.
    type: path
  timeout:
    description:
      - Seconds to wait for supervisord to answer a call, and for processes to settle when waiting.
      - More than 0 and at most 86400 (one day); other values fail the task before anything is sent.
    type: float
    default: 30
  validate_certs:
    description:
      - Verify the server certificate for C(https://). Disabling it prints a warning.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify an C(https://) server with.
    type: path
'''
