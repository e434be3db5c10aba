# Mirrors CPython test_streams.StreamTests.test_drain_raises, test_wait_closed_on_close,
# test_wait_closed_on_close_with_unread_data and test_streams.test_eof_feed_when_closing:
# drain() waits while the peer does not read and returns once the buffer is under the high
# mark; close() makes is_closing() True; wait_closed() returns once the connection is lost
# (twice is fine); drain() afterwards raises ConnectionResetError; the peer reads every
# byte then EOF; writer.get_extra_info gives the transport's peername.
import asyncio

TOTAL = 16 * 1024 * 1024


async def main():
    loop = asyncio.get_running_loop()
    start_reading = asyncio.Event()
    received = loop.create_future()

    async def handle(reader, writer):
        await start_reading.wait()
        data = await reader.read()
        received.set_result(len(data))
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    print("peername port is the server's:", writer.get_extra_info("peername")[1] == port)
    print("can_write_eof:", writer.can_write_eof())
    writer.write(b"x" * TOTAL)
    drain = asyncio.create_task(writer.drain())
    for _ in range(5):
        await asyncio.sleep(0)
    print("drain waits while the peer does not read:", not drain.done())
    start_reading.set()
    await drain
    high = writer.transport.get_write_buffer_limits()[1]
    print("drained: buffer under the high mark:", writer.transport.get_write_buffer_size() <= high)
    print("is_closing:", writer.is_closing())
    writer.write_eof()
    print("server read:", await received == TOTAL)
    print("client read():", await reader.read())
    print("at_eof:", reader.at_eof())
    writer.close()
    print("after close(): is_closing", writer.is_closing())
    await writer.wait_closed()
    await writer.wait_closed()
    print("wait_closed twice returned")
    try:
        await writer.drain()
    except ConnectionResetError:
        print("drain after close: ConnectionResetError")
    server.close()
    await server.wait_closed()


asyncio.run(main())
