# Mirrors CPython test_unix_events.UnixReadPipeTransportTests (test_ctor, test__read_ready,
# test__read_ready_eof, test_close, test__call_connection_lost) and
# test_events.EventLoopTestsMixin.test_read_pipe: connect_read_pipe on an os.pipe() calls
# connection_made before it returns, then data_received per chunk, eof_received at EOF and
# connection_lost(None) last; the transport owns (closes) the fd; closing the transport
# ourselves skips eof_received, and closing it inside data_received stops the reading at
# once; a regular file is refused with ValueError.
import asyncio
import os
import tempfile


class ReadProto(asyncio.Protocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.events = []
        self.chunk = self.loop.create_future()
        self.lost = self.loop.create_future()

    def connection_made(self, transport):
        self.events.append("connection_made")

    def data_received(self, data):
        self.events.append("data_received " + data.decode())
        if not self.chunk.done():
            self.chunk.set_result(data.decode())

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)

    async def next_chunk(self):
        data = await self.chunk
        self.chunk = self.loop.create_future()
        return data


def fd_is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


async def peer_writes_then_closes():
    r, w = os.pipe()
    transport, proto = await asyncio.get_running_loop().connect_read_pipe(
        ReadProto, os.fdopen(r, "rb", 0))
    print("returned after connection_made:", proto.events == ["connection_made"])
    print("is_closing:", transport.is_closing())
    print("fileno is the pipe:", transport.get_extra_info("pipe").fileno() == r)
    print("get_protocol is the protocol:", transport.get_protocol() is proto)
    for word in ["hello", "world"]:
        os.write(w, word.encode())
        print("chunk:", await proto.next_chunk())
    os.close(w)
    await proto.lost
    print("events:", proto.events)
    print("is_closing:", transport.is_closing())
    print("read end closed by the transport:", not fd_is_open(r))


async def we_close():
    r, w = os.pipe()
    transport, proto = await asyncio.get_running_loop().connect_read_pipe(
        ReadProto, os.fdopen(r, "rb", 0))
    transport.close()
    print("after close(): is_closing:", transport.is_closing(), "events:", proto.events)
    transport.close()  # a second close is a no-op
    await proto.lost
    print("events:", proto.events)
    print("read end closed by the transport:", not fd_is_open(r))
    os.close(w)


class ClosesOnData(ReadProto):
    def __init__(self, w):
        super().__init__()
        self.w = w

    def connection_made(self, transport):
        super().connection_made(transport)
        self.transport = transport

    def data_received(self, data):
        super().data_received(data)
        self.transport.close()
        os.write(self.w, b"more")  # readable again, but the transport no longer reads


async def close_in_data_received():
    r, w = os.pipe()
    os.write(w, b"first")
    transport, proto = await asyncio.get_running_loop().connect_read_pipe(
        lambda: ClosesOnData(w), os.fdopen(r, "rb", 0))
    await proto.lost
    print("closed in data_received:", proto.events)
    os.close(w)


async def regular_file():
    with tempfile.TemporaryFile() as f:
        try:
            await asyncio.get_running_loop().connect_read_pipe(ReadProto, f)
        except ValueError:
            print("regular file: ValueError")


async def main():
    await peer_writes_then_closes()
    await we_close()
    await close_in_data_received()
    await regular_file()


asyncio.run(main())
