# Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_write_eof,
# test_write_eof_buffer, test_write_after_write_eof...) and test_events.test_create_connection:
# a TCP transport can_write_eof; write_eof sends what is buffered first, then EOF; the
# transport stays open for reading (the peer can still reply); a second write_eof is a
# no-op.
import asyncio

from net_trace import Recorder

TOTAL = 32 * 1024 * 1024


class ServerProto(asyncio.Protocol):
    def __init__(self, made):
        self.made = made
        self.received = 0
        self.events = []

    def connection_made(self, transport):
        self.transport = transport
        transport.pause_reading()
        self.made.set_result(self)

    def data_received(self, data):
        self.received += len(data)

    def eof_received(self):
        self.events.append(f"eof_received after {self.received} bytes")
        self.transport.write(b"reply after eof")
        return False

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")


class ClientProto(Recorder):
    def __init__(self):
        super().__init__(record_made=False)


async def main():
    loop = asyncio.get_running_loop()
    made = loop.create_future()
    server = await loop.create_server(lambda: ServerProto(made), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(ClientProto, "127.0.0.1", port)
    peer = await made
    print("can_write_eof:", transport.can_write_eof())
    transport.write(b"x" * TOTAL)
    print("data buffered (the peer does not read):", transport.get_write_buffer_size() > 0)
    transport.write_eof()
    transport.write_eof()  # a no-op
    print("after write_eof: is_closing", transport.is_closing())
    peer.transport.resume_reading()
    await client.lost
    print("server:", peer.events)
    print("client:", client.events)
    print("write buffer size at the end:", transport.get_write_buffer_size())
    server.close()
    await server.wait_closed()


asyncio.run(main())
