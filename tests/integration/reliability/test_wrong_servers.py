"""Servers that are slow, wrong or not supervisord, seen through a real playbook."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import pytest

from tests.support.ansible import run_playbook, sv_task

BOMB = (b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaaaaaaaa">'
        + b''.join(b'<!ENTITY a%d "&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;">'
                   % ((i,) + (b'' if i == 1 else str(i - 1).encode(),) * 10) for i in range(1, 10))
        + b']><methodResponse><params><param><value><string>&a9;</string></value></param></params>'
        b'</methodResponse>')

CANNED = {
    '/html': (200, b'<html><body>Welcome to nginx!</body></html>', None),
    '/missing': (404, b'<html>Not Found</html>', None),
    '/broken': (500, b'Internal Server Error', None),
    '/truncated': (200, b'<?xml version="1.0"?><methodResponse><params><param><value>', 4000),
    '/notrpc': (200, b'<?xml version="1.0"?><feed><entry>hello</entry></feed>', None),
    '/bomb': (200, BOMB, None),
}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        status, body, length = CANNED[self.path]
        self.send_response(status)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(length or len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope='module')
def servers():
    canned = serve(HTTPServer(('127.0.0.1', 0), Handler))
    rpc = SimpleXMLRPCServer(('127.0.0.1', 0), requestHandler=SimpleXMLRPCRequestHandler, logRequests=False)
    rpc.register_introspection_functions()
    rpc.register_multicall_functions()
    rpc.register_function(lambda: 'pong', 'ping')
    serve(rpc)
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(8)  # accepts (the kernel does), never answers
    try:
        yield {'canned': canned.server_port, 'rpc': rpc.server_address[1], 'silent': silent.getsockname()[1]}
    finally:
        canned.shutdown()
        canned.server_close()
        rpc.shutdown()
        rpc.server_close()
        silent.close()


def test_wrong_servers_give_one_line_messages(servers, tmp_path):
    canned = 'http://127.0.0.1:%d' % servers['canned']
    tasks = [sv_task('info', path, server_url=canned + path) for path in sorted(CANNED)]
    tasks.append(sv_task('process', 'plain xmlrpc', server_url='http://127.0.0.1:%d' % servers['rpc'], name='x'))
    tasks.append(sv_task('info', 'silent', server_url='http://127.0.0.1:%d' % servers['silent'], timeout=2))
    run = run_playbook(tasks, tmp_path)
    msg = dict((r['task'], r['result']['msg']) for r in run.results)
    prefix = 'not a supervisord XML-RPC endpoint: %s' % canned
    not_rpc = ' answered HTTP 200 with a body that is not XML-RPC (%d bytes)'
    assert msg['/html'] == prefix + '/html' + not_rpc % len(CANNED['/html'][1])
    assert msg['/missing'] == prefix + '/missing answered HTTP 404 Not Found'
    assert msg['/broken'] == prefix + '/broken answered HTTP 500 Internal Server Error'
    assert msg['/notrpc'] == prefix + '/notrpc' + not_rpc % len(CANNED['/notrpc'][1])
    assert msg['/bomb'] == prefix + '/bomb answered XML with a DOCTYPE (refused)'
    assert msg['/truncated'] == 'connection lost to %s/truncated: the answer was cut short (%d of 4000 bytes)' % (
        canned, len(CANNED['/truncated'][1]))
    assert msg['plain xmlrpc'] == (
        'not a supervisord XML-RPC endpoint: http://127.0.0.1:%d/RPC2 is an XML-RPC server without '
        'supervisor.getState' % servers['rpc'])
    assert msg['silent'] == (
        'no answer from http://127.0.0.1:%d/RPC2 within 2 seconds: the daemon is busy or hung, or the address '
        'is wrong' % servers['silent'])
    assert all(r['status'] == 'failed' for r in run.results)
    assert 'Traceback' not in run.output
