"""The client against servers that real supervisord cannot imitate: wrong, slow, hostile."""

import socket
import threading
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils import api_versions  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils import transport  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient, last_exception  # noqa: E402,E501
from ansible_collections.supervisor.control.plugins.module_utils.connection import parse_server_url  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.errors import (  # noqa: E402
    RequestError, SupervisorConnectionError, SupervisorFault, UnparseableAnswer, Unsupported)

BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<methodResponse><params><param><value><string>&lol2;</string></value></param></params>'
        b'</methodResponse>')


class Canned(BaseHTTPRequestHandler):
    status = 200
    body = b''
    headers_extra = {}
    length = None

    release = '4.3.0'

    def do_POST(self):
        request = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.server.requests.append(xmlrpc.client.loads(request))
        body, length = self.body, self.length
        if body is None:  # an answer naming the method, one per call of a multicall
            params, method = xmlrpc.client.loads(request)
            body = response([u'answer of %s' % call['methodName'] for call in params[0]]
                            if method == 'system.multicall' else u'answer of %s' % method)
        if b'<methodName>supervisor.getSupervisorVersion</methodName>' in request:
            # The client asks before a multicall of more than two calls, as a single call.
            body, length = response(self.release), None
        self.send_response(self.status)
        self.send_header('Content-Type', 'text/xml')
        self.send_header('Content-Length', str(length if length is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    servers = []

    def make(status=200, body=b'', length=None, release='4.3.0'):
        handler = type('H', (Canned,), {'status': status, 'body': body, 'length': length, 'release': release})
        httpd = HTTPServer(('127.0.0.1', 0), handler)
        httpd.requests = []
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        servers.append(httpd)
        client = SupervisorClient(parse_server_url('http://127.0.0.1:%d' % httpd.server_port, timeout=5))
        client.requests_seen = httpd.requests
        return client

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


# A log as supervisord 3.x (Python 2) sends it: its bytes as they are, valid UTF-8 or not.
RAW_LOG = (b'caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 bad:\xff\xfe cut:\xe4\xb8 '
           b'\x1b[31mred\x1b[0m\r\nlast \xc3')


def raw_answer(*log_bytes):
    """supervisord 3.4.0's answer to a multicall of readProcessStdoutLog calls, byte for byte (captured)."""
    values = b''.join(b'<value><string>%s</string></value>\n' % data for data in log_bytes)
    return (b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n" + values
            + b'</data></array></value>\n</param>\n</params>\n</methodResponse>\n')


def test_a_lenient_answer_decodes_bytes_that_are_not_utf8_as_python_decodes_the_log(server):
    client = server(body=raw_answer(RAW_LOG, b'clean caf\xc3\xa9', b'\xa9 starts inside a character'))
    assert client.multicall([('supervisor.readProcessStdoutLog', ['p', 0, 0])] * 3, lenient=True) == [
        RAW_LOG.decode('utf-8', 'replace'), u'clean caf\u00e9', u'\ufffd starts inside a character']


def test_a_strict_answer_with_bytes_that_are_not_utf8_is_not_called_another_server(server):
    client = server(body=raw_answer(b'bad:\xff'))
    with pytest.raises(UnparseableAnswer) as err:
        client.multicall([('supervisor.readProcessStdoutLog', ['p', 0, 0])])
    assert str(err.value) == (
        'supervisord at http://127.0.0.1:%d/RPC2 answered system.multicall with bytes that are not UTF-8 (0xff), so '
        'its answer is not XML: a supervisord before 4.0 sends log text as it is; the '
        'supervisor.control.log lookup reads such logs' % client.settings.port)


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


def requests(client):
    """What the server was sent: ``getSupervisorVersion``, or the methods of each multicall."""
    seen = []
    for params, method in client.requests_seen:
        seen.append([c['methodName'] for c in params[0]] if method == 'system.multicall' else method)
    return seen


CALLS = [('supervisor.getProcessInfo', ['p%d' % i]) for i in range(5)]
ASKED = 'supervisor.getSupervisorVersion'


def test_a_multicall_of_two_calls_is_sent_as_it_is_without_asking_the_release(server):
    client = server(body=None)
    assert client.multicall(CALLS[:2]) == ['answer of supervisor.getProcessInfo'] * 2
    assert requests(client) == [['supervisor.getProcessInfo'] * 2]


def test_a_longer_multicall_asks_the_release_once_then_goes_in_one_request(server):
    client = server(body=None)
    client.multicall(CALLS)
    client.multicall(CALLS, lenient=True)
    assert requests(client) == [ASKED, ['supervisor.getProcessInfo'] * 5, ['supervisor.getProcessInfo'] * 5]


def test_a_release_in_an_answer_is_remembered(server):
    client = server(body=None, release='3.1.4')
    client._learn(ASKED, '4.3.0')  # what a multicall that read the facts saw
    client.multicall(CALLS)
    assert requests(client) == [['supervisor.getProcessInfo'] * 5]


@pytest.mark.parametrize('release', ['3.1.4', '3.0'])
def test_a_supervisord_before_3_2_0_gets_the_calls_of_a_multicall_two_at_a_time_in_order(server, release):
    # It serves one call of a multicall per main-loop tick (a second when idle), but answers two at once.
    client = server(body=None, release=release)
    calls = CALLS[:2] + [('supervisor.startProcess', ['p', False])] + CALLS[2:]
    assert client.multicall(calls) == ['answer of %s' % method for method, dummy in calls]
    assert requests(client) == [ASKED, ['supervisor.getProcessInfo'] * 2,
                                ['supervisor.startProcess', 'supervisor.getProcessInfo'],
                                ['supervisor.getProcessInfo'] * 2]


LATER_METHODS = sorted(m for m in api_versions.ADDED_IN if api_versions.came_later(m))


def test_the_methods_that_some_3_x_release_lacks_are_the_signals():
    assert LATER_METHODS == ['supervisor.signalAllProcesses', 'supervisor.signalProcess',
                             'supervisor.signalProcessGroup']


@pytest.mark.parametrize('method', LATER_METHODS)
def test_a_method_that_the_release_lacks_is_refused_before_anything_is_sent(server, method):
    client = server(body=None, release='3.1.4')
    line = api_versions.cannot('3.1.4', method)
    for send in (lambda: client.call(method, 'x'),
                 lambda: client.multicall([('supervisor.getState', []), (method, ['x'])]),
                 lambda: client.call('system.multicall', [{'methodName': method, 'params': ['x']}])):
        with pytest.raises(Unsupported) as err:
            send()
        assert str(err.value) == line
    assert requests(client) == [ASKED]
    modern = server(body=None, release='3.2.0')
    modern.multicall([(method, ['x'])])
    modern.multicall([(method, ['y'])])
    assert requests(modern) == [ASKED, [method], [method]]


def test_methods_every_release_has_cost_no_question(server):
    client = server(body=None, release='3.1.4')
    client.call('supervisor.stopProcess', 'x', False)
    client.multicall([('supervisor.startProcess', ['x', False]), ('supervisor.readLog', [0, 0])])
    assert requests(client) == ['supervisor.stopProcess', ['supervisor.startProcess', 'supervisor.readLog']]


def test_a_failure_after_a_first_request_of_a_split_multicall_says_that_some_was_sent(monkeypatch):
    client = SupervisorClient(parse_server_url('unix:///nowhere.sock'))
    sent = []

    def post(settings, body):
        params, method = xmlrpc.client.loads(body)
        sent.append(method)
        if method != 'system.multicall':
            return 200, 'OK', response('3.1.4')
        if len(sent) > 2:
            raise SupervisorConnectionError('socket gone', nobody_listens=True)
        return 200, 'OK', response(['ok'] * len(params[0]))
    monkeypatch.setattr(transport, 'post', post)
    with pytest.raises(SupervisorConnectionError) as err:
        client.multicall([('supervisor.startProcess', ['p%d' % i, False]) for i in range(4)])
    assert err.value.sent is True and str(err.value) == 'socket gone'
    assert sent == [ASKED, 'system.multicall', 'system.multicall']


class RefusesItsSecondMulticall(Canned):
    """A supervisord 3.1.4 that carries out the first pair of a split multicall, then answers HTTP 500 (a method
    that raised: the traceback is in its main log) or a fault for the whole request."""

    refusal = 500

    def do_POST(self):
        request = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        params, method = xmlrpc.client.loads(request)
        self.server.requests.append((params, method))
        multicalls = sum(1 for dummy, m in self.server.requests if m == 'system.multicall')
        status, body = 200, None
        if method == 'supervisor.getSupervisorVersion':
            body = response('3.1.4')
        elif method == 'supervisor.readLog':
            body = response('')
        elif multicalls == 1:
            body = response([True] * len(params[0]))
        elif self.refusal == 500:
            status, body = 500, b''
        else:
            body = xmlrpc.client.dumps(xmlrpc.client.Fault(self.refusal, 'refused'), methodresponse=True).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'text/xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize('refusal, error', [(500, RequestError), (2, SupervisorFault)])
def test_any_error_after_a_first_request_of_a_split_multicall_says_that_some_was_sent(refusal, error):
    # The first pair of starts acted: the task must not end with changed=false.
    httpd = HTTPServer(('127.0.0.1', 0), type('H', (RefusesItsSecondMulticall,), {'refusal': refusal}))
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        client = SupervisorClient(parse_server_url('http://127.0.0.1:%d' % httpd.server_port, timeout=5))
        starts = [('supervisor.startProcess', ['p%d' % i, False]) for i in range(4)]
        with pytest.raises(error) as err:
            client.multicall(starts)
        assert err.value.sent is True
        # Refused at its first request (the server refuses every multicall after its first): nothing was done.
        with pytest.raises(error) as err:
            client.multicall(starts[:2])
        assert err.value.sent is False
    finally:
        httpd.shutdown()
        httpd.server_close()


# supervisord 3.1.4's main log after supervisor.startProcess(123), then supervisor.readLog('x', 0): before 3.2.3 a
# traceback is logged bare, without the request that raised it (captured from a real daemon, paths shortened).
MAIN_LOG_3_1_4 = '''2026-12-05 01:51:34,514 INFO success: sleeper entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)
2026-12-05 01:51:47,030 CRIT Traceback (most recent call last):
  File "/sv/supervisor/xmlrpc.py", line 345, in continue_request
    value = self.call(method, params)
  File "/sv/supervisor/xmlrpc.py", line 411, in traverse
    return func(*params)
  File "/sv/supervisor/rpcinterface.py", line 258, in startProcess
    group, process = self._getGroupAndProcess(name)
  File "/sv/supervisor/options.py", line 1999, in split_namespec
    names = namespec.split(':', 1)
AttributeError: 'int' object has no attribute 'split'
2026-12-05 01:51:47,031 CRIT Traceback (most recent call last):
  File "/sv/supervisor/xmlrpc.py", line 411, in traverse
    return func(*params)
  File "/sv/supervisor/rpcinterface.py", line 109, in readLog
    raise RPCError(getattr(Faults, why))
AttributeError: class Faults has no attribute 'invalid literal for int() with base 10: 'x''
2026-12-05 01:51:48,000 INFO exited: web_a (exit status 3; not expected)
'''


@pytest.mark.parametrize('method, line', [
    ('supervisor.startProcess', "AttributeError: 'int' object has no attribute 'split'"),
    ('supervisor.readLog', "AttributeError: class Faults has no attribute 'invalid literal for int() with base 10: "
                           "'x''"),
    ('supervisor.getState', ''),
    ('supervisor.split_namespec', ''),  # a frame below the method's is not the method
])
def test_the_exception_of_a_bare_traceback_is_found_by_the_method_in_its_frames(method, line):
    assert last_exception(MAIN_LOG_3_1_4, method) == line
