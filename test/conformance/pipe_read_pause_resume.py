# cpython: 3.11.4+
# Mirrors CPython test_unix_events.UnixReadPipeTransportTests (test_pause_reading,
# test_resume_reading, test_pause_reading_on_closed_pipe, test_pause_reading_on_paused_pipe,
# test_resume_reading_on_closed_pipe, test_resume_reading_on_paused_pipe): while paused
# the transport delivers nothing, even EOF; resume_reading delivers what waited; pausing
# twice or resuming while not paused is a no-op; both are no-ops once closed. The pipe
# transport's is_reading() is gh-103607's, in CPython 3.12.0 and, backported, 3.11.4; the pair
# follows 3.11.4 and later, since 3.11.2 (Debian 12's python3) lacks it.
import asyncio
import os


class ReadProto(asyncio.Protocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.events = []
        self.chunk = self.loop.create_future()
        self.lost = self.loop.create_future()

    def data_received(self, data):
        self.events.append("data " + data.decode())
        if not self.chunk.done():
            self.chunk.set_result(None)

    def eof_received(self):
        self.events.append("eof_received")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)

    async def wait_chunk(self):
        await self.chunk
        self.chunk = self.loop.create_future()


async def iterations(n):
    for _ in range(n):
        await asyncio.sleep(0)


async def main():
    r, w = os.pipe()
    transport, proto = await asyncio.get_running_loop().connect_read_pipe(
        ReadProto, os.fdopen(r, "rb", 0))
    os.write(w, b"one")
    await proto.wait_chunk()
    print("is_reading:", transport.is_reading(), "events:", proto.events)

    transport.pause_reading()
    transport.pause_reading()  # already paused: no-op
    print("paused: is_reading:", transport.is_reading())
    os.write(w, b"two")
    os.close(w)  # EOF waits too
    await iterations(5)
    print("while paused, events:", proto.events)

    transport.resume_reading()
    print("resumed: is_reading:", transport.is_reading())
    transport.resume_reading()  # not paused: no-op
    await proto.lost
    print("events:", proto.events)

    print("closed: is_reading:", transport.is_reading(), "is_closing:", transport.is_closing())
    transport.pause_reading()  # no-ops on a closed transport
    transport.resume_reading()
    print("still closed: is_reading:", transport.is_reading())

    r, w = os.pipe()
    transport, proto = await asyncio.get_running_loop().connect_read_pipe(
        ReadProto, os.fdopen(r, "rb", 0))
    transport.pause_reading()
    transport.close()  # closing a paused transport still loses the connection
    await proto.lost
    print("paused then closed, events:", proto.events)
    os.close(w)


asyncio.run(main())
