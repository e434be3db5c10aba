# Mirrors CPython test_selector_events.SelectorSocketTransportTests (test_close,
# test_write_ready_closing, test_abort, test_force_close) and test_events.test_close_flushes.
# With 32 MiB buffered behind a peer that is not reading:
# - close() keeps writing; connection_lost(None) comes only once the buffer is flushed, and the
#   peer gets every byte, then EOF; a second close() is a no-op;
# - abort() drops the buffer and closes at once; connection_lost(None) comes in the next loop
#   iteration, not inline; the peer gets less than was written.
import asyncio

from net_trace import QuietRecorder, connect_to_sink

TOTAL = 32 * 1024 * 1024


async def scenario(how):
    print(f"-- {how}()")
    server, transport, client, peer = await connect_to_sink(QuietRecorder)
    transport.write(b"x" * TOTAL)
    print("data buffered:", transport.get_write_buffer_size() > 0)
    getattr(transport, how)()
    getattr(transport, how)()  # a no-op the second time
    print("is_closing:", transport.is_closing(), "events:", client.events)
    for _ in range(5):
        await asyncio.sleep(0)
    print("client events after five iterations:", client.events)
    peer.transport.resume_reading()
    await client.lost
    await peer.lost
    print("client:", client.events)
    print("server:", peer.events)
    print("write buffer size at the end:", transport.get_write_buffer_size())
    print("server got every byte:", peer.received == TOTAL)
    server.close()
    await server.wait_closed()


async def main():
    await scenario("close")
    await scenario("abort")


asyncio.run(main())
