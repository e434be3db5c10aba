# Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_pause_resume_reading
# and test_events.EventLoopTestsMixin.test_connect_accepted_socket's reading: while paused
# nothing is delivered; pause_reading/resume_reading twice are no-ops; is_reading follows;
# resume_reading delivers what arrived meanwhile; EOF is seen only after resuming.
import asyncio


class ServerProto(asyncio.Protocol):
    def __init__(self, made):
        self.made = made

    def connection_made(self, transport):
        self.made.set_result(transport)


class ClientProto(asyncio.Protocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.events = []
        self.chunk = self.loop.create_future()
        self.lost = self.loop.create_future()

    def data_received(self, data):
        self.events.append("data_received " + data.decode())
        if not self.chunk.done():
            self.chunk.set_result(None)

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


async def spin():
    for _ in range(10):
        await asyncio.sleep(0)


async def main():
    loop = asyncio.get_running_loop()
    made = loop.create_future()
    server = await loop.create_server(lambda: ServerProto(made), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(ClientProto, "127.0.0.1", port)
    peer = await made
    print("is_reading:", transport.is_reading())
    transport.resume_reading()  # not paused: a no-op
    transport.pause_reading()
    transport.pause_reading()  # a no-op
    print("after pause_reading: is_reading", transport.is_reading())
    peer.write(b"one")
    await spin()
    print("while paused:", client.events)
    transport.resume_reading()
    print("after resume_reading: is_reading", transport.is_reading())
    await client.chunk
    print("after resuming:", client.events)
    transport.pause_reading()
    peer.close()
    await spin()
    print("paused, the peer closed:", client.events)
    transport.resume_reading()
    await client.lost
    print("events:", client.events)
    print("is_reading once closed:", transport.is_reading())
    server.close()
    await server.wait_closed()


asyncio.run(main())
