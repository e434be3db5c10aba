# Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_close and
# test_write_ready_closing, and test_events.test_close_flushes (flush then close): close()
# with data still buffered keeps writing it; connection_lost(None) comes only once the buffer
# is flushed; the peer gets every byte, then EOF; a second close() is a no-op.
import asyncio

TOTAL = 32 * 1024 * 1024


class ServerProto(asyncio.Protocol):
    def __init__(self, made, done):
        self.made = made
        self.done = done
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

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.done.set_result(None)


class ClientProto(asyncio.Protocol):
    def __init__(self):
        self.events = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    made = loop.create_future()
    done = loop.create_future()
    server = await loop.create_server(lambda: ServerProto(made, done), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(ClientProto, "127.0.0.1", port)
    peer = await made
    transport.write(b"x" * TOTAL)
    print("data buffered:", transport.get_write_buffer_size() > 0)
    transport.close()
    transport.close()
    print("is_closing:", transport.is_closing())
    for _ in range(5):
        await asyncio.sleep(0)
    print("client events while the buffer is not flushed:", client.events)
    peer.transport.resume_reading()
    await client.lost
    await done
    print("client:", client.events)
    print("server:", peer.events)
    print("write buffer size at the end:", transport.get_write_buffer_size())
    server.close()
    await server.wait_closed()


asyncio.run(main())
