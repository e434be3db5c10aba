# Mirrors CPython test_streams.StreamTests.test_open_connection / test_start_server and
# test_readline, test_readuntil_separator, test_readexactly, test_read_eof,
# test_read_until_eof over TCP: a start_server callback writes a block and closes; the
# client reads it back with readline, readuntil, readexactly, read(n) and read(-1); at EOF
# read() and readline() give b'' and at_eof() is True.
import asyncio


async def handle(reader, writer):
    request = await reader.readline()
    writer.write(b"line one\nfield|abcdefghij" + request.upper() + b"rest of it\nlast")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"go\n")
    print("readline:", await reader.readline())
    print("readuntil('|'):", await reader.readuntil(b"|"))
    print("readexactly(4):", await reader.readexactly(4))
    print("read(3):", await reader.read(3))
    print("readexactly(0):", await reader.readexactly(0))
    print("read(0):", await reader.read(0))
    print("readuntil():", await reader.readuntil())
    print("at_eof before EOF is read:", reader.at_eof())
    print("read(-1):", await reader.read(-1))
    print("at_eof:", reader.at_eof())
    print("read() at EOF:", await reader.read())
    print("readline() at EOF:", await reader.readline())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
