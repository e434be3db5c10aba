# Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_write_eof,
# test_write_eof_buffer, test_write_after_write_eof...) and test_events.test_create_connection:
# a TCP transport can_write_eof; write_eof sends what is buffered first, then EOF; the
# transport stays open for reading (the peer can still reply); a second write_eof is a
# no-op.
import asyncio

from net_trace import PausedSink, QuietRecorder, connect_to_sink

TOTAL = 32 * 1024 * 1024


class ReplyingSink(PausedSink):
    def eof_received(self):
        self.events.append(f"eof_received after {self.received} bytes")
        self.transport.write(b"reply after eof")
        return False


async def main():
    server, transport, client, peer = await connect_to_sink(QuietRecorder, ReplyingSink)
    print("can_write_eof:", transport.can_write_eof())
    transport.write(b"x" * TOTAL)
    print("data buffered (the peer does not read):", transport.get_write_buffer_size() > 0)
    transport.write_eof()
    transport.write_eof()  # a no-op
    print("after write_eof: is_closing", transport.is_closing())
    peer.transport.resume_reading()
    await client.lost
    print("server:", peer.events)
    print("client:", client.events)
    print("write buffer size at the end:", transport.get_write_buffer_size())
    server.close()
    await server.wait_closed()


asyncio.run(main())
