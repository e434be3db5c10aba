# Mirrors CPython test_unix_events.UnixWritePipeTransportTests (test_write_again,
# test__write_ready, test__write_ready_partial) and test_transports
# .TransportTests.test_flowcontrol_mixin_set_write_limits: the default limits are 64 KiB
# high and 16 KiB low; a write that leaves more than the high mark buffered calls
# pause_writing once; resume_writing comes once the buffer is flushed; limits default as
# asyncio's (low = high // 4, high = 4 * low); high < low is a ValueError; lowering the
# limits under a full buffer pauses at once.
import asyncio
import os

TOTAL = 300_000


class WriteProto(asyncio.BaseProtocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.transport = None
        self.events = []
        self.resumed = self.loop.create_future()

    def connection_made(self, transport):
        self.transport = transport

    def pause_writing(self):
        self.events.append("pause_writing")

    def resume_writing(self):
        self.events.append("resume_writing")
        print("resume_writing with buffer", self.transport.get_write_buffer_size())
        if not self.resumed.done():
            self.resumed.set_result(None)


async def drain_pipe(r, want):
    loop = asyncio.get_running_loop()
    got = 0
    readable = asyncio.Event()
    loop.add_reader(r, readable.set)
    while got < want:
        await readable.wait()
        readable.clear()
        try:
            got += len(os.read(r, 65536))
        except BlockingIOError:
            pass
    loop.remove_reader(r)
    return got


async def main():
    loop = asyncio.get_running_loop()
    r, w = os.pipe()
    os.set_blocking(r, False)
    transport, proto = await loop.connect_write_pipe(WriteProto, os.fdopen(w, "wb", 0))
    print("default limits (low, high):", transport.get_write_buffer_limits())

    transport.write(b"a" * 1000)
    print("small write: buffer", transport.get_write_buffer_size(), "events", proto.events)
    transport.write(b"b" * (TOTAL - 1000))
    print("big write: events", proto.events)
    print("buffer over the high mark:", transport.get_write_buffer_size() > 65536)
    transport.write(b"c" * 10)  # already paused: no second pause_writing
    print("another write: events", proto.events)

    reader = asyncio.create_task(drain_pipe(r, TOTAL + 10))
    await proto.resumed
    print("events:", proto.events)
    print("bytes read:", await reader)

    transport.set_write_buffer_limits(high=100)
    print("high=100:", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits(low=1000)
    print("low=1000:", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits(high=20, low=20)
    print("high=20 low=20:", transport.get_write_buffer_limits())
    try:
        transport.set_write_buffer_limits(high=10, low=20)
    except ValueError:
        print("high=10 low=20: ValueError")
    print("limits unchanged:", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits()
    print("defaults again:", transport.get_write_buffer_limits())

    transport.write(b"d" * 100_000)  # fills the pipe (nothing reads now) and buffers the rest
    print("buffered, under 64 KiB, not paused:", proto.events.count("pause_writing") == 1)
    transport.set_write_buffer_limits(high=1000)
    print("lowering the high mark pauses:", proto.events[-1])
    transport.abort()
    os.close(r)


asyncio.run(main())
