# Mirrors CPython test_unix_events.UnixWritePipeTransportTests (test__read_ready,
# test_write_err, test_write_close, test_close_closing...) and test_events
# .EventLoopTestsMixin.test_write_pipe_disconnect_on_close: when the read end of the pipe is
# closed, a write pipe transport with data still buffered loses the connection with
# BrokenPipeError (EPIPE) and drops the buffer; with nothing buffered it loses it with None;
# a write that fails at once (EPIPE) reports BrokenPipeError; later writes are ignored.
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
        self.events.append("connection_lost " + (type(exc).__name__ if exc else "None"))
        self.lost.set_result(exc)


async def connect():
    r, w = os.pipe()
    transport, proto = await asyncio.get_running_loop().connect_write_pipe(
        WriteProto, os.fdopen(w, "wb", 0))
    return r, transport, proto


async def data_pending():
    r, transport, proto = await connect()
    transport.write(b"x" * 300_000)  # more than the pipe holds: the rest is buffered
    print("buffered before the peer closes:", transport.get_write_buffer_size() > 0)
    os.close(r)
    exc = await proto.lost
    print("events:", proto.events)
    print("BrokenPipeError:", isinstance(exc, BrokenPipeError))
    print("buffer dropped:", transport.get_write_buffer_size() == 0)
    print("is_closing:", transport.is_closing())
    transport.write(b"ignored")  # after the connection is lost: silently dropped
    print("write after connection_lost: ignored, buffer", transport.get_write_buffer_size())


async def nothing_pending():
    r, transport, proto = await connect()
    transport.write(b"fits")
    print("buffered:", transport.get_write_buffer_size())
    os.close(r)
    exc = await proto.lost
    print("events:", proto.events)
    print("exc is None:", exc is None)


async def write_fails_at_once():
    r, transport, proto = await connect()
    os.close(r)
    transport.write(b"data")  # the peer is gone: write(2) fails with EPIPE right away
    print("is_closing right after the failed write:", transport.is_closing())
    exc = await proto.lost
    print("events:", proto.events)
    print("BrokenPipeError with errno EPIPE:", isinstance(exc, BrokenPipeError)
          and exc.errno == 32)


async def main():
    await data_pending()
    await nothing_pending()
    await write_fails_at_once()


asyncio.run(main())
