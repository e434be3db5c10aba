# Mirrors CPython test_unix_events.UnixWritePipeTransportTests (test_write_eof,
# test_write_eof_pending, test_abort, test_close, test_write_closing) and test_events
# .EventLoopTestsMixin.test_write_pipe: write_eof flushes what is buffered, then closes the
# pipe (connection_lost(None)) so the reader sees all the data and EOF; close() is
# write_eof(); writes after it are ignored; abort() drops the buffer and closes at once.
import asyncio
import os


class WriteProto(asyncio.BaseProtocol):
    def __init__(self):
        self.events = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.events.append("connection_made")

    def pause_writing(self):
        self.events.append("pause_writing")

    def resume_writing(self):
        self.events.append("resume_writing")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


async def read_all(r):
    loop = asyncio.get_running_loop()
    chunks = []
    readable = asyncio.Event()
    loop.add_reader(r, readable.set)
    while True:
        await readable.wait()
        readable.clear()
        try:
            data = os.read(r, 65536)
        except BlockingIOError:
            continue
        if not data:
            break
        chunks.append(data)
    loop.remove_reader(r)
    os.close(r)
    return b"".join(chunks)


async def connect():
    r, w = os.pipe()
    os.set_blocking(r, False)
    transport, proto = await asyncio.get_running_loop().connect_write_pipe(
        WriteProto, os.fdopen(w, "wb", 0))
    return r, transport, proto


async def eof_flushes(close_with):
    r, transport, proto = await connect()
    print(close_with, "- can_write_eof:", transport.can_write_eof())
    transport.write(b"0123456789" * 20_000)
    print("buffered:", transport.get_write_buffer_size() > 0)
    getattr(transport, close_with)()
    print("is_closing:", transport.is_closing(), "events:", proto.events)
    transport.write(b"dropped")  # closing: ignored
    getattr(transport, close_with)()  # a second call is a no-op
    data = await read_all(r)
    await proto.lost
    print("reader got", len(data), "bytes, intact:", data == b"0123456789" * 20_000)
    print("events:", proto.events)


async def eof_when_empty():
    r, transport, proto = await connect()
    transport.write(b"tiny")
    transport.write_eof()
    print("empty buffer: events right after write_eof:", proto.events)
    await proto.lost
    print("events:", proto.events)
    print("reader got:", (await read_all(r)).decode())


async def abort_drops():
    r, transport, proto = await connect()
    transport.write(b"z" * 200_000)
    transport.abort()
    print("after abort: buffer", transport.get_write_buffer_size(),
          "is_closing", transport.is_closing())
    await proto.lost
    data = await read_all(r)
    print("reader got only what the pipe held:", 0 < len(data) < 200_000)
    print("events:", proto.events)


async def main():
    await eof_flushes("write_eof")
    await eof_flushes("close")
    await eof_when_empty()
    await abort_drops()


asyncio.run(main())
