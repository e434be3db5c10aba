# Mirrors CPython test_streams.StreamTests.test_readuntil_limit_found_sep,
# test_readline_limit_with_existing_data and test_readline_limit over TCP with
# open_connection(limit=8): a separator found past the limit raises LimitOverrunError with
# `consumed` at the separator and leaves the data in the buffer; readline raises ValueError
# and drops the over-long line; short lines still read.
import asyncio


async def main():
    sent = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        await reader.readline()
        writer.write(b"aaaaaaaaaaaa\nok\nbbbbbbbbbbbbbbb\nend\n")
        await writer.drain()
        sent.set_result(None)
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=8)
    print("limit:", reader._limit if hasattr(reader, "_limit") else None)
    writer.write(b"go\n")
    await sent
    try:
        await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as e:
        print("readuntil:", type(e).__name__, e.consumed, e)
    print("the data is still there:", await reader.readexactly(13))
    print("readline:", await reader.readline())
    try:
        await reader.readline()
    except ValueError as e:
        print("readline over the limit:", type(e).__name__, e)
    print("the long line was dropped:", await reader.readline())
    print("read():", await reader.read())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
