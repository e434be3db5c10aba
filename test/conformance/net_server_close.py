# Mirrors CPython test_server.BaseStartServer.test_start_server_1 / test_wait_closed_basic /
# test_wait_closed_race and test_events.test_create_server: a server is serving once created;
# close() stops listening (is_serving False, no sockets, new connections refused) but leaves
# accepted connections up; a second close() is a no-op; wait_closed returns once closed and
# the connections are gone.
import asyncio


class Echo(asyncio.Protocol):
    def __init__(self, lost):
        self.lost = lost

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data.upper())

    def connection_lost(self, exc):
        self.lost.set_result(None)


class Client(asyncio.Protocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.chunk = self.loop.create_future()
        self.lost = self.loop.create_future()

    def data_received(self, data):
        self.chunk.set_result(data.decode())

    def connection_lost(self, exc):
        self.lost.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    server_lost = loop.create_future()
    server = await loop.create_server(lambda: Echo(server_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("get_loop is the loop:", server.get_loop() is loop)
    print("is_serving:", server.is_serving(), "sockets:", len(server.sockets))
    transport, client = await loop.create_connection(Client, "127.0.0.1", port)
    server.close()
    print("after close(): is_serving", server.is_serving(), "sockets:", len(server.sockets))
    server.close()  # a no-op
    transport.write(b"still up")
    print("the accepted connection still echoes:", await client.chunk)
    try:
        await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    except ConnectionRefusedError:
        print("a new connection: ConnectionRefusedError")
    transport.close()
    await client.lost
    await server_lost
    await server.wait_closed()
    print("wait_closed returned; is_serving", server.is_serving())
    await server.wait_closed()
    print("wait_closed again returned")


asyncio.run(main())
