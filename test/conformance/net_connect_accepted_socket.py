# Mirrors CPython test_events.EventLoopTestsMixin.test_connect_accepted_socket (on a
# socketpair, as test_unix_events does): the transport adopts the connected socket; the
# protocol sees connection_made, data_received, eof_received, connection_lost(None); writes
# reach the peer; the transport closes the socket.
import asyncio
import os
import socket


class Proto(asyncio.Protocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.events = []
        self.chunk = self.loop.create_future()
        self.lost = self.loop.create_future()

    def connection_made(self, transport):
        self.events.append("connection_made")

    def data_received(self, data):
        self.events.append("data_received " + data.decode())
        self.chunk.set_result(None)

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    fd = a.fileno()
    transport, proto = await loop.connect_accepted_socket(Proto, a)
    print("events when it returns:", proto.events)
    print("socket is the fd:", transport.get_extra_info("socket").fileno() == fd)
    print("sockname:", repr(transport.get_extra_info("sockname")))
    transport.write(b"to the peer")
    print("peer got:", b.recv(100))
    b.send(b"from the peer")
    await proto.chunk
    b.shutdown(socket.SHUT_WR)
    await proto.lost
    print("events:", proto.events)
    try:
        os.fstat(fd)
        print("fd still open")
    except OSError:
        print("fd closed by the transport")
    b.close()


asyncio.run(main())
