"""A TLS reverse proxy in front of a supervisord inet_http_server, for https:// tests.

supervisord speaks only plain HTTP; in production https:// means a TLS proxy
(nginx, stunnel) in front of it. This one terminates TLS with a self-signed
certificate made by ``openssl`` and pipes bytes to the daemon's port.
"""

import os
import socket
import ssl
import subprocess
import threading


def make_self_signed(directory, cn='localhost'):
    """Write cert.pem and key.pem for ``cn`` and 127.0.0.1; return (cert, key)."""
    cert = os.path.join(directory, 'cert.pem')
    key = os.path.join(directory, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                    '-days', '1', '-subj', '/CN=%s' % cn,
                    '-addext', 'subjectAltName=DNS:%s,IP:127.0.0.1' % cn],
                   check=True, capture_output=True)
    return cert, key


class Listener(object):
    """Accepts connections on ``listener`` (a bound, listening socket) in a thread, each handled by ``_handle``
    in a thread of its own, until the ``with`` block ends."""

    def __init__(self, listener):
        self.listener = listener
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        # close() does not wake a thread blocked in accept(); a connection does, so the join is quick.
        try:
            waker = socket.socket(self.listener.family, socket.SOCK_STREAM)
            waker.settimeout(1)
            waker.connect(self.listener.getsockname())
            waker.close()
        except OSError:
            pass
        self.listener.close()
        self._thread.join(timeout=5)

    def _serve(self):
        while not self._stop.is_set():
            try:
                client = self.listener.accept()[0]
            except OSError:
                return
            if self._stop.is_set():
                client.close()
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client):
        raise NotImplementedError


class TLSProxy(Listener):
    def __init__(self, backend_port, cert, key, address=('127.0.0.1', 0), backend_host='127.0.0.1'):
        """Listen on ``address`` (any loopback address, 127.0.0.N: a host of its own; port 0: any free one)
        and pass the bytes to ``backend_host:backend_port``."""
        self.backend = (backend_host, backend_port)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(16)
        self.port = listener.getsockname()[1]
        super(TLSProxy, self).__init__(listener)

    def _handle(self, client):
        try:
            tls = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()  # the client refused our certificate: that is the point of some tests
            return
        upstream = socket.create_connection(self.backend, timeout=30)
        threading.Thread(target=self._pipe, args=(upstream, tls), daemon=True).start()
        self._pipe(tls, upstream)

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
