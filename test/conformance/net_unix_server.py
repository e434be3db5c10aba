# Mirrors CPython test_unix_events.SelectorEventLoopUnixSocketTests
# (test_create_unix_server_existing_path_sock, test_create_unix_server_existing_path_nonsock)
# and test_streams.StreamTests.test_start_unix_server / test_open_unix_connection: a stale
# socket file left at the path is replaced; a regular file there is not (EADDRINUSE);
# streams work over the Unix socket; the client's peername is the path.
import asyncio
import errno
import os
import socket
import tempfile


async def handle(reader, writer):
    line = await reader.readline()
    writer.write(b"unix " + line)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sock")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()
        print("stale socket file exists:", os.path.exists(path))
        server = await asyncio.start_unix_server(handle, path)
        print("serving on the path:", server.sockets[0].getsockname() == path)
        reader, writer = await asyncio.open_unix_connection(path)
        print("client peername is the path:", writer.get_extra_info("peername") == path)
        print("client sockname:", repr(writer.get_extra_info("sockname")))
        writer.write(b"hello\n")
        print("reply:", await reader.readline())
        print("then EOF:", await reader.read())
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

        other = os.path.join(tmp, "file")
        open(other, "w").close()
        try:
            await asyncio.start_unix_server(handle, other)
        except OSError as e:
            print("regular file at the path:", type(e).__name__, e.errno == errno.EADDRINUSE)
        print("regular file kept:", os.path.isfile(other))

        try:
            await asyncio.open_unix_connection(os.path.join(tmp, "missing"))
        except OSError as e:
            print("no such path:", type(e).__name__, e.errno == errno.ENOENT)


asyncio.run(main())
