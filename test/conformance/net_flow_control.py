# Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_write_ready,
# test_set_write_buffer_limits...) and test_events.EventLoopTestsMixin.test_write_to_self_pipe
# flow control over TCP: set_write_buffer_limits(high, low) sets the marks; a write that
# leaves more than `high` buffered calls pause_writing once; when the paused reader resumes
# and the buffer drains to `low` or less, resume_writing is called once.
import asyncio

from net_trace import connect_to_sink

TOTAL = 32 * 1024 * 1024


class ClientProto(asyncio.Protocol):
    def __init__(self):
        self.events = []
        self.resumed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def pause_writing(self):
        self.events.append("pause_writing")

    def resume_writing(self):
        self.events.append("resume_writing")
        print("buffer at resume_writing is at most low:",
              self.transport.get_write_buffer_size() <= 1000)
        self.resumed.set_result(None)


async def main():
    server, transport, client, peer = await connect_to_sink(ClientProto)
    print("default limits:", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits(high=4000, low=1000)
    print("limits:", transport.get_write_buffer_limits())
    transport.write(b"x" * 100)
    print("small write: events", client.events)
    transport.write(b"y" * TOTAL)
    print("big write: events", client.events)
    transport.write(b"z" * 100)
    print("another write: events", client.events)
    print("buffer over high:", transport.get_write_buffer_size() > 4000)
    peer.transport.resume_reading()
    await client.resumed
    print("events:", client.events)
    transport.close()
    await peer.lost
    print("server received everything:", peer.received == TOTAL + 200)
    server.close()
    await server.wait_closed()


asyncio.run(main())
