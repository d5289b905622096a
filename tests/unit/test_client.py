"""The client against servers that real supervisord cannot imitate: wrong, slow, hostile."""

import socket
import threading
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import transport  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.connection import parse_server_url  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import (  # noqa: E402
    SupervisorConnectionError, SupervisorFault, UnparseableAnswer)

BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<methodResponse><params><param><value><string>&lol2;</string></value></param></params>'
        b'</methodResponse>')


class Canned(BaseHTTPRequestHandler):
    status = 200
    body = b''
    headers_extra = {}
    length = None

    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(self.status)
        self.send_header('Content-Type', 'text/xml')
        self.send_header('Content-Length', str(self.length if self.length is not None else len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    servers = []

    def make(status=200, body=b'', length=None):
        handler = type('H', (Canned,), {'status': status, 'body': body, 'length': length})
        httpd = HTTPServer(('127.0.0.1', 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        servers.append(httpd)
        return SupervisorClient(parse_server_url('http://127.0.0.1:%d' % httpd.server_port, timeout=5))

    yield make
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def response(value):
    return xmlrpc.client.dumps((value,), methodresponse=True).encode()


def test_fault_is_mapped_to_its_name(server):
    client = server(body=xmlrpc.client.dumps(xmlrpc.client.Fault(60, 'ALREADY_STARTED: web:a')).encode())
    with pytest.raises(SupervisorFault) as err:
        client.call('supervisor.startProcess', 'web:a')
    assert (err.value.name, err.value.detail) == ('ALREADY_STARTED', 'web:a')
    assert str(err.value) == 'supervisor.startProcess failed with ALREADY_STARTED: web:a'


def test_multicall_results_are_bare_and_faults_are_structs(server):
    client = server(body=response([{'statename': 'RUNNING'}, [1, 2],
                                   {'faultCode': 10, 'faultString': 'BAD_NAME: x'}]))
    state, listing, fault = client.multicall([('a', []), ('b', []), ('c', ['x'])])
    assert state == {'statename': 'RUNNING'} and listing == [1, 2]
    assert isinstance(fault, SupervisorFault) and fault.name == 'BAD_NAME' and fault.method == 'c'
    with pytest.raises(SupervisorFault) as err:
        client.multicall_or_raise([('a', []), ('b', []), ('c', ['x'])])
    assert str(err.value) == 'c failed with BAD_NAME: x'
    with pytest.raises(SupervisorConnectionError) as err:
        client.multicall([('a', []), ('b', [])])
    assert str(err.value) == ('unexpected system.multicall answer from http://127.0.0.1:%d/RPC2: 3 results for 2 calls'
                              % client.settings.port)


def test_shutdown_state_says_shutting_down_or_restarting_and_what_to_do(server):
    """supervisord gives a bare SHUTDOWN_STATE from the moment it is asked to shut down or to restart."""
    client = server(body=response([{'faultCode': 6, 'faultString': 'SHUTDOWN_STATE'}]))
    (fault,) = client.multicall([('supervisor.getState', [])])
    assert (fault.name, fault.method) == ('SHUTDOWN_STATE', 'supervisor.getState')
    assert str(fault) == (
        'supervisord at %s is shutting down or restarting (it answers every call with SHUTDOWN_STATE until it has '
        'stopped its processes, each within its stopwaitsecs): try again once it is back after a restart, or start '
        'it again after a shutdown' % client.url)
    # Without a URL (a fault made elsewhere), the detail is as true.
    assert str(SupervisorFault(6, 'SHUTDOWN_STATE', 'supervisor.getState')) == (
        'supervisor.getState failed with SHUTDOWN_STATE: supervisord is shutting down or restarting, and answers no '
        'call until it has stopped its processes')


LOG_TEXT = u'\x1b[31mred\x1b[0m nul:\x00 bell:\x07 tab:\t cr:\r crlf:\r\n caf\u00e9 \U0001f600\n'


def test_a_lenient_multicall_keeps_control_characters_and_carriage_returns(server):
    # What supervisord sends for a log with such bytes: xmlrpc.client.dumps leaves them raw.
    client = server(body=response([[LOG_TEXT, 42, False], LOG_TEXT, {'faultCode': 20, 'faultString': 'NO_FILE: /x'}]))
    with pytest.raises(UnparseableAnswer):
        client.multicall([('a', []), ('b', []), ('c', [])])
    tail, read, fault = client.multicall([('supervisor.tailProcessStdoutLog', []),
                                          ('supervisor.readProcessStdoutLog', []), ('supervisor.readLog', [])],
                                         lenient=True)
    assert tail == [LOG_TEXT, 42, False] and read == LOG_TEXT
    assert isinstance(fault, SupervisorFault) and fault.name == 'NO_FILE'


def test_carriage_returns_are_kept_whether_lenient_or_not(server):
    text = u'progress 10%\rprogress 100%\r\ndone\r'
    client = server(body=response([text]))
    assert client.multicall([('supervisor.readLog', [])]) == [text]
    assert client.multicall([('supervisor.readLog', [])], lenient=True) == [text]


@pytest.mark.parametrize('body', [
    b'not xml at all',
    BOMB,
    response(['one', 'two']),
])
def test_a_lenient_multicall_refuses_what_is_not_one_answer_per_call(server, body):
    with pytest.raises(SupervisorConnectionError):
        server(body=body).multicall([('supervisor.readLog', [])], lenient=True)


NOT_SUPERVISORD = 'not a supervisord XML-RPC endpoint: http://127.0.0.1:{port}/RPC2 '


@pytest.mark.parametrize('status, body, message', [
    (404, b'<html>nope</html>', NOT_SUPERVISORD + 'answered HTTP 404 Not Found'),
    (500, b'', NOT_SUPERVISORD + 'answered HTTP 500 Internal Server Error'),
    (401, b'', 'authentication failed for http://127.0.0.1:{port}/RPC2 (HTTP 401): check username and password'),
    (200, b'<html><body>hello</body></html>',
     NOT_SUPERVISORD + 'answered HTTP 200 with a body that is not XML-RPC (31 bytes)'),
    (200, b'<?xml version="1.0"?><rss><channel/></rss>',
     NOT_SUPERVISORD + 'answered HTTP 200 with a body that is not XML-RPC (42 bytes)'),
    (200, BOMB, NOT_SUPERVISORD + 'answered XML with a DOCTYPE (refused)'),
])
def test_wrong_servers(server, status, body, message):
    client = server(status=status, body=body)
    port = client.settings.port
    with pytest.raises(SupervisorConnectionError) as err:
        client.call('supervisor.getState')
    assert str(err.value) == message.format(port=port)


def test_truncated_body(server):
    client = server(body=response('x')[:40], length=400)
    with pytest.raises(SupervisorConnectionError) as err:
        client.call('supervisor.getState')
    assert str(err.value) == ('connection lost to http://127.0.0.1:%d/RPC2: the answer was cut short (40 of 400 bytes)'
                              % client.settings.port)


def test_an_answer_longer_than_its_content_length_in_characters_is_read_whole(server):
    # What supervisord does with a deferred answer: Content-Length counts characters, not bytes.
    text = response([{'name': u'caf\u00e9', 'group': u'\u4e2d\u6587', 'status': 80}]).decode('utf-8')
    client = server(body=text.encode('utf-8'), length=len(text))
    expected = [{'name': u'caf\u00e9', 'group': u'\u4e2d\u6587', 'status': 80}]
    assert client.call('supervisor.startProcessGroup') == expected


def test_bytes_after_a_complete_answer_are_not_read(server):
    body = response('x')
    client = server(body=body + b'<html>trailing garbage</html>', length=len(body))
    assert client.call('supervisor.getState') == 'x'


def test_oversized_answer_is_refused(server, monkeypatch):
    monkeypatch.setattr(transport, 'MAX_RESPONSE_BYTES', 1000)
    client = server(body=response('x' * 5000))
    with pytest.raises(SupervisorConnectionError) as err:
        client.call('supervisor.getState')
    assert str(err.value) == ('the answer of http://127.0.0.1:%d/RPC2 is larger than 0 MiB: refused (not supervisord, '
                              'or a hostile server)' % client.settings.port)


def test_server_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    try:
        client = SupervisorClient(parse_server_url('http://127.0.0.1:%d' % listener.getsockname()[1], timeout=0.5))
        with pytest.raises(SupervisorConnectionError) as err:
            client.call('supervisor.getState')
        assert str(err.value) == ('no answer from http://127.0.0.1:%d/RPC2 within 0.5 seconds: the daemon is busy '
                                  'or hung, or the address is wrong' % listener.getsockname()[1])
    finally:
        listener.close()


def test_unix_socket_that_is_not_a_socket(tmp_path):
    regular = tmp_path / 'file'
    regular.write_text('x')
    client = SupervisorClient(parse_server_url('unix://%s' % regular))
    with pytest.raises(SupervisorConnectionError) as err:
        client.call('supervisor.getState')
    assert str(err.value) == '%s is not a socket: check the path in server_url' % regular
