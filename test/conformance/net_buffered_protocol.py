# Mirrors CPython test_buffered_proto.BaseTestBufferedProtocol.test_buffered_protocol and
# test_selector_events.SelectorSocketTransportBufferedProtocolTests (test_ctor,
# test_get_buffer_error...): over TCP a BufferedProtocol is asked for a buffer with
# get_buffer(-1), gets each read's size in buffer_updated (never more than its buffer), then
# eof_received and connection_lost(None).
import asyncio


class Buffered(asyncio.BufferedProtocol):
    def __init__(self):
        self.buf = bytearray(4)
        self.hints = set()
        self.data = b""
        self.sizes = []
        self.events = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.events.append("connection_made")

    def get_buffer(self, sizehint):
        self.hints.add(sizehint)
        return self.buf

    def buffer_updated(self, nbytes):
        self.sizes.append(nbytes)
        self.data += bytes(self.buf[:nbytes])

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


async def main():
    loop = asyncio.get_running_loop()

    async def handle(reader, writer):
        writer.write(b"0123456789" * 10)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, proto = await loop.create_connection(Buffered, "127.0.0.1", port)
    await proto.lost
    print("sizehints:", sorted(proto.hints))
    print("data:", proto.data)
    print("every read fits the buffer:", all(0 < n <= 4 for n in proto.sizes))
    print("reads:", len(proto.sizes))
    print("events:", proto.events)
    server.close()
    await server.wait_closed()


asyncio.run(main())
