# Mirrors CPython test_unix_events.UnixReadPipeTransportTests.test_ctor /
# UnixWritePipeTransportTests.test_ctor and the fstat checks of _UnixReadPipeTransport and
# _UnixWritePipeTransport: pipe transports take pipes and sockets (and character devices)
# and refuse regular files and directories with ValueError; over a socketpair the read
# transport delivers data then EOF, and the write transport notices the peer closing.
import asyncio
import os
import socket
import tempfile


class Proto(asyncio.Protocol):
    def __init__(self):
        self.events = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.events.append("connection_made")

    def data_received(self, data):
        self.events.append("data " + data.decode())

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


class RawFd:
    """The fileno()/close() a pipe transport needs, for an fd open() will not wrap."""

    def __init__(self, fd):
        self.fd = fd

    def fileno(self):
        return self.fd

    def close(self):
        os.close(self.fd)


async def refused(label, connect, fileobj):
    try:
        await connect(Proto, fileobj)
        print(label, "accepted")
    except ValueError:
        print(label, "ValueError")
    fileobj.close()


async def main():
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    transport, proto = await loop.connect_read_pipe(Proto, a)
    b.send(b"over a socket")
    b.close()
    await proto.lost
    print("read pipe on a socket:", proto.events)

    a, b = socket.socketpair()
    transport, proto = await loop.connect_write_pipe(Proto, a)
    transport.write(b"to a socket")
    print("peer received:", b.recv(100).decode())
    b.close()
    await proto.lost
    print("write pipe on a socket:", proto.events)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "file")
        with open(path, "wb") as f:
            f.write(b"data")
        await refused("read pipe on a regular file:", loop.connect_read_pipe, open(path, "rb"))
        await refused("write pipe on a regular file:", loop.connect_write_pipe, open(path, "wb"))
        await refused("read pipe on a directory:", loop.connect_read_pipe,
                      RawFd(os.open(tmp, os.O_RDONLY)))


asyncio.run(main())
