# Mirrors CPython test_sslproto.SslProtoHandshakeTests.test_handshake_timeout and
# test_ssl.TestSSL.test_shutdown_timeout_handler_*: a peer that never answers the
# ClientHello fails create_connection with ConnectionAbortedError after
# ssl_handshake_timeout; a peer that never answers close_notify ends the connection with
# TimeoutError('SSL shutdown timed out') after ssl_shutdown_timeout.
import asyncio

from net_trace import client_context, server_context


class Silent(asyncio.Protocol):  # a plain TCP server that never speaks TLS
    def connection_made(self, transport):
        self.transport = transport


class Deaf(asyncio.Protocol):  # a TLS server that stops reading once connected
    def connection_made(self, transport):
        transport.pause_reading()


class Client(asyncio.Protocol):
    def __init__(self):
        self.lost = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc):
        self.lost.set_result(exc)


async def main():
    loop = asyncio.get_running_loop()
    client_ctx = client_context()
    server_ctx = server_context()

    silent = await loop.create_server(Silent, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    start = loop.time()
    try:
        await loop.create_connection(Client, "127.0.0.1", port, ssl=client_ctx,
                                     ssl_handshake_timeout=0.2)
    except ConnectionAbortedError as e:
        print("handshake:", type(e).__name__, e)
    print("waited at least the timeout:", loop.time() - start >= 0.15)
    silent.close()

    deaf = await loop.create_server(Deaf, "127.0.0.1", 0, ssl=server_ctx)
    port = deaf.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(
        Client, "127.0.0.1", port, ssl=client_ctx, ssl_shutdown_timeout=0.2)
    start = loop.time()
    transport.close()
    exc = await client.lost
    print("shutdown:", type(exc).__name__, exc)
    print("waited at least the timeout:", loop.time() - start >= 0.15)
    deaf.close()


asyncio.run(main())
