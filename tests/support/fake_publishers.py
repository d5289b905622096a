"""Fakes of Supvisors' publishers, for what a real Supvisors cannot produce.

They speak the Supvisors protocols exactly (two frames header + JSON for ZeroMQ, one
JSON array per WebSocket message with the headers in the URL path) and produce
malformed messages, silence on demand, a slow consumer.
"""

import asyncio
import json

import zmq
import zmq.asyncio


class Publisher(object):
    """An in-process ZeroMQ PUB socket bound like Supvisors' ZmqEventPublisher."""

    def __init__(self):
        self.context = zmq.asyncio.Context()
        self.socket = self.context.socket(zmq.PUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        # Default high-water mark (1000), as Supvisors' ZmqEventPublisher.
        self.port = self.socket.bind_to_random_port('tcp://127.0.0.1')

    async def send(self, header, body):
        await self.socket.send_multipart([header.encode(), json.dumps(body).encode()])

    async def send_frames(self, frames):
        await self.socket.send_multipart(frames)

    async def sync(self, source, header='supvisors'):
        """PUB/SUB drops messages until the subscription has arrived: publish probes until one is seen."""
        for attempt in range(600):
            await self.send(header, {'probe': attempt})
            try:
                event = await source.get(timeout=0.05)
            except AssertionError:
                continue
            if event['supvisors']['data'].get('probe') is not None:
                # Drain the probes still in flight.
                while True:
                    try:
                        await source.get(timeout=0.2)
                    except AssertionError:
                        return
        raise AssertionError('the source never received a probe')

    def close(self):
        self.socket.close(0)
        self.context.term()


class WsPublisher(object):
    """An in-process WebSocket server with the protocol of Supvisors' WsEventPublisher.

    The URL path lists the subscribed headers (``/process/event``, or ``/all``);
    each message is one JSON array ``[header, body]``.
    """

    def __init__(self):
        self.clients = {}
        self.paths = []
        self.server = None
        self.port = None

    async def start(self, port=0):
        from websockets.asyncio.server import serve

        async def handler(ws):
            path = ws.request.path
            self.paths.append(path)
            headers = set(p for p in path.split('/') if p)
            self.clients[ws] = headers
            try:
                await ws.wait_closed()
            finally:
                self.clients.pop(ws, None)

        self.server = await serve(handler, '127.0.0.1', port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def wait_client(self):
        for _attempt in range(600):
            if self.clients:
                return
            await asyncio.sleep(0.05)
        raise AssertionError('no WebSocket client connected')

    async def send(self, header, body):
        await self.send_raw(json.dumps([header, body]), header)

    async def send_raw(self, message, header=None):
        for ws, headers in list(self.clients.items()):
            if header is None or 'all' in headers or header in headers:
                await ws.send(message)

    async def close(self):
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
