"""Helpers for the net_* and tls_* pairs (net_trace.hpp is their C++ side)."""
import asyncio
import os
import ssl


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


def cert(name):
    """A file of the certificates CTest made for this run (test/tls/make_certs.sh)."""
    return os.path.join(os.environ["ASYNCIO_TEST_CERTS"], name)


def client_context():
    return ssl.create_default_context(cafile=cert("ca.pem"))


def server_context():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert("server.pem"), cert("server.key"))
    return ctx
