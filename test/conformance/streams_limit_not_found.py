# Mirrors CPython test_streams.StreamTests.test_readuntil_limit_found_sep (the "not found"
# half), test_readline_limit and test_readexactly_limit over TCP with open_connection(limit=8):
# with no separator in more than `limit` bytes, readuntil raises LimitOverrunError("Separator
# is not found, and chunk exceed the limit", consumed) and keeps the data; readline raises
# ValueError and clears the buffer; readexactly and read are not limited.
import asyncio


async def main():
    sent = asyncio.get_running_loop().create_future()
    go = asyncio.Event()

    async def handle(reader, writer):
        await reader.readline()
        writer.write(b"x" * 20)
        await writer.drain()
        sent.set_result(None)
        await go.wait()
        writer.write(b"short\n" + b"z" * 40)
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=8)
    writer.write(b"go\n")
    await sent
    try:
        await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as e:
        print("readuntil:", e.consumed, e)
    print("kept, readexactly(5):", await reader.readexactly(5))
    go.set()
    try:
        await reader.readline()
    except ValueError as e:
        print("readline:", type(e).__name__, e)
    print("next readline:", await reader.readline())
    print("readexactly(30) past the limit:", await reader.readexactly(30))
    print("read():", await reader.read())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
