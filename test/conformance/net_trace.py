"""Helpers for the net_* and tls_* pairs (net_trace.hpp is their C++ side)."""
import asyncio
import os
import socket
import ssl


def closed_port():
    """A local TCP port nobody listens on (bound, then closed), as net_trace.hpp's."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def close_writer_and_server(writer, server):
    """The end of a streams pair: the writer closed, then the server, each awaited."""
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


def exc_str(exc):
    """What connection_lost received: None or the exception's type (net_trace.hpp's too)."""
    return "None" if exc is None else type(exc).__name__


class Recorder(asyncio.Protocol):
    """Records each callback; with reply, answers data_received with reply(data)."""

    def __init__(self, reply=None, record_made=True):
        self.reply = reply
        self.record_made = record_made
        self.events = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        if self.record_made:
            self.events.append("connection_made")

    def data_received(self, data):
        self.events.append("data_received " + data.decode())
        if self.reply:
            self.transport.write(self.reply(data))

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc_str(exc)}")
        self.lost.set_result(None)


class PausedSink(asyncio.Protocol):
    """A server protocol that starts with reading paused, so that what a client writes piles
    up in the client's buffer; counts what it receives once resumed."""

    def __init__(self):
        loop = asyncio.get_running_loop()
        self.made = loop.create_future()
        self.lost = loop.create_future()
        self.received = 0
        self.events = []

    def connection_made(self, transport):
        self.transport = transport
        transport.pause_reading()
        self.made.set_result(None)

    def data_received(self, data):
        self.received += len(data)

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc_str(exc)}")
        self.lost.set_result(None)


async def connect_to_sink(client_factory, sink_factory=PausedSink):
    """A server on 127.0.0.1 whose one connection gets a sink, and a client connected to it:
    (server, transport, client, sink), once the sink has its transport."""
    loop = asyncio.get_running_loop()
    sink = sink_factory()
    server = await loop.create_server(lambda: sink, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(client_factory, "127.0.0.1", port)
    await sink.made
    return server, transport, client, sink


class QuietRecorder(Recorder):
    """A Recorder that leaves connection_made out."""

    def __init__(self):
        super().__init__(record_made=False)


def cert(name):
    """A file of the certificates CTest made for this run (test/tls/make_certs.sh)."""
    return os.path.join(os.environ["ASYNCIO_TEST_CERTS"], name)


def client_context():
    return ssl.create_default_context(cafile=cert("ca.pem"))


def server_context():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert("server.pem"), cert("server.key"))
    return ctx
