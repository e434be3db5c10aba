# Mirrors CPython test_events.EventLoopTestsMixin.test_create_connection and
# test_create_server, and test_selector_events.SelectorSocketTransportTests (test_read_ready,
# test_read_ready_eof, test_close): over TCP each side sees connection_made (before
# create_connection returns, for the client), data_received, eof_received and
# connection_lost(None) last; a transport closed by its owner skips eof_received.
import asyncio

from net_trace import Recorder


async def main():
    loop = asyncio.get_running_loop()
    servers = []

    def server_factory():
        servers.append(Recorder(reply=bytes.upper))
        return servers[-1]

    server = await loop.create_server(server_factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    # The client half-closes: the server sees EOF, its eof_received returns None, so the
    # server transport closes and the client sees EOF in turn.
    got = loop.create_future()
    transport, client = await loop.create_connection(Recorder, "127.0.0.1", port)
    print("client events when create_connection returns:", client.events)
    transport.write(b"hello")
    transport.write_eof()
    await client.lost
    await servers[0].lost
    print("client:", client.events)
    print("server:", servers[0].events)

    # The client closes its own transport: no eof_received on its side.
    transport, client = await loop.create_connection(Recorder, "127.0.0.1", port)
    transport.close()
    print("is_closing after close():", transport.is_closing())
    await client.lost
    await servers[1].lost
    print("client:", client.events)
    print("server:", servers[1].events)

    server.close()
    await server.wait_closed()


asyncio.run(main())
