# Mirrors CPython test_selector_events.SelectorTransportTests.test_set_protocol /
# test_get_protocol and test_sslproto-free protocol switching (test_buffered_proto's
# switch from a Protocol to a BufferedProtocol): set_protocol makes the transport deliver
# the next data, EOF and connection_lost to the new protocol; get_protocol returns it.
import asyncio


class First(asyncio.Protocol):
    def __init__(self, second):
        self.second = second
        self.events = []

    def connection_made(self, transport):
        self.transport = transport
        self.events.append("connection_made")

    def data_received(self, data):
        self.events.append("data_received " + data.decode())
        self.transport.set_protocol(self.second)
        self.second.switched.set_result(None)


class Second(asyncio.BufferedProtocol):
    def __init__(self):
        loop = asyncio.get_running_loop()
        self.buf = bytearray(100)
        self.events = []
        self.switched = loop.create_future()
        self.lost = loop.create_future()

    def get_buffer(self, sizehint):
        return self.buf

    def buffer_updated(self, nbytes):
        self.events.append("buffer_updated " + self.buf[:nbytes].decode())

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    made = loop.create_future()

    class Peer(asyncio.Protocol):
        def connection_made(self, transport):
            made.set_result(transport)

    server = await loop.create_server(Peer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    second = Second()
    transport, first = await loop.create_connection(lambda: First(second), "127.0.0.1", port)
    peer = await made
    print("get_protocol is the first:", transport.get_protocol() is first)
    peer.write(b"one")
    await second.switched
    print("get_protocol is the second:", transport.get_protocol() is second)
    peer.write(b"two")
    peer.close()
    await second.lost
    print("first:", first.events)
    print("second:", second.events)
    server.close()
    await server.wait_closed()


asyncio.run(main())
