# Mirrors CPython test_streams.StreamTests.test_open_connection / test_start_server with
# ssl (test_ssl.TestSSL.test_create_server_ssl_1's stream form): lines and a 1 MiB block
# go both ways over TLS with drain() honouring flow control; at EOF the server's reader sees
# b'' and wait_closed() finishes on both sides.
import asyncio

from net_trace import client_context, server_context
BLOCK = bytes(range(256)) * 4096  # 1 MiB


async def main():
    server_ctx = server_context()
    client_ctx = client_context()
    done = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        print("server: over TLS:", writer.get_extra_info("sslcontext") is server_ctx)
        line = await reader.readline()
        print("server: line", line)
        writer.write(line.upper())
        block = await reader.readexactly(len(BLOCK))
        print("server: block intact:", block == BLOCK)
        writer.write(block[::-1])
        await writer.drain()
        print("server: read at EOF:", await reader.read())
        writer.close()
        await writer.wait_closed()
        done.set_result(None)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("localhost", port, ssl=client_ctx, family=2)
    print("client: can_write_eof:", writer.can_write_eof())
    writer.write(b"hello tls\n")
    print("client: line", await reader.readline())
    writer.write(BLOCK)
    await writer.drain()
    back = await reader.readexactly(len(BLOCK))
    print("client: block reversed:", back == BLOCK[::-1])
    try:
        writer.write_eof()
    except NotImplementedError:
        print("client: write_eof: NotImplementedError")
    writer.close()
    await writer.wait_closed()
    await done
    print("client: read after close:", await reader.read())
    server.close()
    await server.wait_closed()


asyncio.run(main())
