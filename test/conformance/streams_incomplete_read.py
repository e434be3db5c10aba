# Mirrors CPython test_streams.StreamTests.test_readexactly_eof, test_readuntil_eof,
# test_readline_eof and test_readline_read_byte_count over TCP: at EOF, readline gives the
# partial line, readuntil raises IncompleteReadError(partial, None) and drops the buffer,
# readexactly raises IncompleteReadError(partial, n).
import asyncio


async def send_and_close(data):
    async def handle(reader, writer):
        writer.write(data)
        writer.close()
        await writer.wait_closed()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", server.sockets[0].getsockname()[1])
    return server, reader, writer


async def finish(server, writer):
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


async def main():
    server, reader, writer = await send_and_close(b"full\npart")
    print("readline:", await reader.readline())
    print("readline at EOF:", await reader.readline())
    print("then:", await reader.readline())
    await finish(server, writer)

    server, reader, writer = await send_and_close(b"abcd")
    try:
        await reader.readexactly(10)
    except asyncio.IncompleteReadError as e:
        print("readexactly(10):", type(e).__name__, e.partial, e.expected)
        print("message:", e)
    await finish(server, writer)

    server, reader, writer = await send_and_close(b"no separator")
    try:
        await reader.readuntil(b"!")
    except asyncio.IncompleteReadError as e:
        print("readuntil('!'):", e.partial, e.expected)
    print("buffer dropped, read():", await reader.read())
    try:
        await reader.readexactly(1)
    except asyncio.IncompleteReadError as e:
        print("readexactly(1) at EOF:", e.partial, e.expected)
    await finish(server, writer)


asyncio.run(main())
