# Mirrors CPython test_events.EventLoopTestsMixin.test_create_server_sock and
# test_create_connection_sock: create_server(sock=) serves a socket we bound ourselves (the
# server lists that very socket), create_connection(sock=) adopts a socket we connected
# ourselves; data flows both ways; closing the transport closes the adopted socket.
import asyncio
import os
import socket


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data[::-1])


class Client(asyncio.Protocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.chunk = self.loop.create_future()
        self.lost = self.loop.create_future()

    def data_received(self, data):
        self.chunk.set_result(data.decode())

    def connection_lost(self, exc):
        self.lost.set_result(exc)


async def main():
    loop = asyncio.get_running_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listen_fd = listener.fileno()
    server = await loop.create_server(Echo, sock=listener)
    print("server serves our socket:", server.sockets[0].fileno() == listen_fd)
    print("is_serving:", server.is_serving())

    conn = socket.socket()
    conn.connect(("127.0.0.1", port))
    conn_fd = conn.fileno()
    transport, client = await loop.create_connection(Client, sock=conn)
    print("transport uses our socket:", transport.get_extra_info("socket").fileno() == conn_fd)
    print("peername port:", transport.get_extra_info("peername")[1] == port)
    transport.write(b"olleh")
    print("echo:", await client.chunk)
    transport.close()
    print("connection_lost:", await client.lost)
    try:
        os.fstat(conn_fd)
        print("adopted socket still open")
    except OSError:
        print("adopted socket closed")
    server.close()
    await server.wait_closed()
    try:
        os.fstat(listen_fd)
        print("listening socket still open")
    except OSError:
        print("listening socket closed")


asyncio.run(main())
