# Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_close,
# test_write_ready_closing, test_abort, test_force_close) and test_events.test_close_flushes.
# With 32 MiB buffered behind a peer that is not reading:
# - close() keeps writing; connection_lost(None) comes only once the buffer is flushed, and the
#   peer gets every byte, then EOF; a second close() is a no-op;
# - abort() drops the buffer and closes at once; connection_lost(None) comes in the next loop
#   iteration, not inline; the peer gets less than was written.
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
        self.events.append("eof_received")

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


async def scenario(how):
    print(f"-- {how}()")
    loop = asyncio.get_running_loop()
    made = loop.create_future()
    done = loop.create_future()
    server = await loop.create_server(lambda: ServerProto(made, done), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(ClientProto, "127.0.0.1", port)
    peer = await made
    transport.write(b"x" * TOTAL)
    print("data buffered:", transport.get_write_buffer_size() > 0)
    getattr(transport, how)()
    getattr(transport, how)()  # a no-op the second time
    print("is_closing:", transport.is_closing(), "events:", client.events)
    for _ in range(5):
        await asyncio.sleep(0)
    print("client events after five iterations:", client.events)
    peer.transport.resume_reading()
    await client.lost
    await done
    print("client:", client.events)
    print("server:", peer.events)
    print("write buffer size at the end:", transport.get_write_buffer_size())
    print("server got every byte:", peer.received == TOTAL)
    server.close()
    await server.wait_closed()


async def main():
    await scenario("close")
    await scenario("abort")


asyncio.run(main())
