# Mirrors CPython test_server.BaseStartServer.test_start_server_1 (serve_forever),
# test_base_events.BaseEventLoopWithSelectorTests.test_create_server_no_getaddrinfo /
# start_serving=False and test_server.test_start_server_2: with start_serving=False the
# server is not serving (not listening) until start_serving(); serve_forever runs until
# cancelled, then the server is closed; a second concurrent serve_forever and a
# serve_forever on a closed server raise RuntimeError.
import asyncio


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data.upper())


class Client(asyncio.Protocol):
    def __init__(self):
        self.chunk = asyncio.get_running_loop().create_future()

    def data_received(self, data):
        self.chunk.set_result(data.decode())


async def echo_once(port, text):
    transport, client = await asyncio.get_running_loop().create_connection(
        Client, "127.0.0.1", port)
    transport.write(text.encode())
    reply = await client.chunk
    transport.close()
    return reply


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", 0, start_serving=False)
    port = server.sockets[0].getsockname()[1]
    print("start_serving=False: is_serving", server.is_serving())
    try:
        await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    except ConnectionRefusedError:
        print("not listening yet: ConnectionRefusedError")
    await server.start_serving()
    print("after start_serving(): is_serving", server.is_serving())
    await server.start_serving()  # a no-op
    print("echo:", await echo_once(port, "served"))

    task = asyncio.create_task(server.serve_forever())
    await asyncio.sleep(0)
    print("serve_forever running: is_serving", server.is_serving())
    try:
        await server.serve_forever()
    except RuntimeError:
        print("second serve_forever: RuntimeError")
    print("echo:", await echo_once(port, "forever"))
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("serve_forever cancelled: CancelledError")
    print("after cancelling: is_serving", server.is_serving(), "sockets:", len(server.sockets))
    try:
        await server.serve_forever()
    except RuntimeError:
        print("serve_forever on a closed server: RuntimeError")
    await server.wait_closed()


asyncio.run(main())
