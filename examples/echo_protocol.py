# An echo server and client with asyncio's protocol API; echo_protocol.cpp is its port.
import asyncio


class EchoServer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        print("server: connection from a client")

    def data_received(self, data):
        print("server: echoing", data.decode())
        self.transport.write(data)

    def eof_received(self):
        print("server: client sent EOF")  # returning None closes the transport

    def connection_lost(self, exc):
        print("server: connection closed")


class EchoClient(asyncio.Protocol):
    def __init__(self, message, done):
        self.message = message
        self.done = done
        self.received = b""

    def connection_made(self, transport):
        transport.write(self.message.encode())
        transport.write_eof()  # the server answers, then closes

    def data_received(self, data):
        self.received += data

    def connection_lost(self, exc):
        print("client: got back", self.received.decode())
        self.done.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(EchoServer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    done = loop.create_future()
    await loop.create_connection(lambda: EchoClient("hello world", done), "127.0.0.1", port)
    await done
    server.close()
    await server.wait_closed()


asyncio.run(main())
