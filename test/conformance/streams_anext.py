# Mirrors CPython test_streams.StreamTests.test_readline and the StreamReader `async for`
# protocol (StreamReader.__anext__): iterating a StreamReader yields each line with its
# newline, then the last partial line, and stops at EOF; a second iteration at EOF yields
# nothing.
import asyncio


async def main():
    async def handle(reader, writer):
        writer.writelines([b"first\n", b"second\n", b"\n", b"no newline"])
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    async for line in reader:
        print("line:", line)
    print("at_eof:", reader.at_eof())
    count = 0
    async for line in reader:
        count += 1
    print("lines on a second iteration:", count)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
