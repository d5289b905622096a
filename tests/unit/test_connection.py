"""URL parsing, masking, supervisorctl config reading and the order of resolution."""

import os

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.connection import (  # noqa: E402
    mask_url, parse_server_url, read_supervisorctl_config, resolve_settings)
from ansible_collections.supervisor.control.plugins.module_utils.errors import ConfigurationError  # noqa: E402


@pytest.mark.parametrize('url, expected', [
    ('unix:///run/supervisor.sock', 'unix:///run/supervisor.sock'),
    ('unix:///run//x/../supervisor.sock', 'unix:///run/supervisor.sock'),
    ('http://localhost:9001', 'http://localhost:9001/RPC2'),
    ('http://localhost:9001/', 'http://localhost:9001/RPC2'),
    ('http://localhost:9001/RPC2', 'http://localhost:9001/RPC2'),
    ('https://sv.example.com', 'https://sv.example.com:443/RPC2'),
    ('http://[::1]:9001', 'http://[::1]:9001/RPC2'),
    ('http://10.0.0.1/custom/path', 'http://10.0.0.1:80/custom/path'),
])
def test_parse_server_url(url, expected):
    assert parse_server_url(url).url == expected


def test_credentials_in_url_are_taken_out():
    settings = parse_server_url('http://adm%40x:p%40ss@host:9001')
    assert (settings.username, settings.password) == ('adm@x', 'p@ss')
    assert settings.url == 'http://host:9001/RPC2'
    explicit = parse_server_url('http://u:p@host:9001', 'other', 'secret')
    assert (explicit.username, explicit.password) == ('other', 'secret')


EXPECTED = 'expected unix:///path/to/supervisor.sock, http://host:port or https://host:port'


@pytest.mark.parametrize('url, message', [
    ('', 'server_url is empty: ' + EXPECTED),
    ('ftp://host', "malformed server_url 'ftp://host': " + EXPECTED),
    ('unix://relative', "malformed server_url 'unix://relative': a unix socket URL needs an absolute path, such as "
                        "unix:///var/run/supervisor.sock"),
    ('http://host:99999', "malformed server_url 'http://host:99999' (Port out of range 0-65535): " + EXPECTED),
    ('http://u:topsecret@host:x', "malformed server_url 'http://u:********@host:x' (Port could not be cast to "
                                  "integer value as 'x'): " + EXPECTED),
    ('http://host:9001?x=1', "malformed server_url 'http://host:9001?x=1': a query or fragment is not allowed"),
    ('localhost:9001', "malformed server_url 'localhost:9001': " + EXPECTED),
])
def test_malformed_urls(url, message):
    with pytest.raises(ConfigurationError) as info:
        parse_server_url(url)
    assert str(info.value) == message


def test_mask_url():
    assert mask_url('http://user:pw@host:1/RPC2') == 'http://user:********@host:1/RPC2'
    assert mask_url('http://host:1') == 'http://host:1'
    assert mask_url(None) is None


def test_read_config_like_supervisorctl(tmp_path, monkeypatch):
    monkeypatch.setenv('SVTEST_PW', 'from-env')
    conf = tmp_path / 'supervisord.conf'
    conf.write_text('[supervisorctl]\nserverurl=unix://%(here)s/s.sock ; inline comment\n'
                    'username=admin\npassword=%(ENV_SVTEST_PW)s\n')
    assert read_supervisorctl_config(str(conf)) == ('unix://%s/s.sock' % tmp_path, 'admin', 'from-env')


def test_read_config_defaults_and_server_sections(tmp_path):
    conf = tmp_path / 'a.conf'
    conf.write_text('[supervisorctl]\n')
    assert read_supervisorctl_config(str(conf)) == ('http://localhost:9001', None, None)
    conf.write_text('[unix_http_server]\nfile=/run/x.sock\nusername=u\npassword=p\n')
    assert read_supervisorctl_config(str(conf)) == ('unix:///run/x.sock', 'u', 'p')
    conf.write_text('[inet_http_server]\nport=*:9010\n')
    assert read_supervisorctl_config(str(conf)) == ('http://localhost:9010', None, None)


def test_read_config_errors(tmp_path):
    with pytest.raises(ConfigurationError) as err:
        read_supervisorctl_config(str(tmp_path / 'missing.conf'))
    assert str(err.value) == 'supervisord config file %s does not exist' % (tmp_path / 'missing.conf')
    bad = tmp_path / 'bad.conf'
    bad.write_text('[supervisorctl\nx=1\n')
    with pytest.raises(ConfigurationError) as err:
        read_supervisorctl_config(str(bad))
    assert str(err.value) == ("cannot parse supervisord config file %s: File contains no section headers. "
                              "file: '%s', line: 1 '[supervisorctl\\n'" % (bad, bad))
    bad.write_text('[supervisorctl]\nserverurl=%(nope)s\n')
    with pytest.raises(ConfigurationError) as err:
        read_supervisorctl_config(str(bad))
    assert str(err.value) == "cannot expand '%%(nope)s' in %s: 'nope'" % bad


def test_resolution_order(tmp_path):
    conf = tmp_path / 'supervisord.conf'
    conf.write_text('[supervisorctl]\nserverurl=http://fromconf:1\nusername=cu\npassword=cp\n')
    env = {'SUPERVISOR_SERVER_URL': 'http://fromenv:2', 'SUPERVISOR_PASSWORD': 'envpw'}
    explicit = resolve_settings(server_url='http://explicit:3', environ=env)
    assert (explicit.url, explicit.source, explicit.password) == ('http://explicit:3/RPC2', 'server_url', 'envpw')
    from_config = resolve_settings(config=str(conf), environ=env)
    assert from_config.url == 'http://fromconf:1/RPC2'
    assert (from_config.username, from_config.password) == ('cu', 'envpw')
    from_env = resolve_settings(environ=env)
    assert from_env.url == 'http://fromenv:2/RPC2' and from_env.source == 'environment SUPERVISOR_SERVER_URL'
    discovered = resolve_settings(environ={}, search_path=[str(tmp_path / 'nope'), str(conf)])
    assert (discovered.url, discovered.source) == ('http://fromconf:1/RPC2', 'discovered config %s' % conf)
    fallback = resolve_settings(environ={}, search_path=[])
    expected = 'unix:///var/run/supervisor.sock' if os.path.exists('/var/run/supervisor.sock') \
        else 'http://localhost:9001/RPC2'
    assert fallback.url == expected and fallback.source == 'default'
