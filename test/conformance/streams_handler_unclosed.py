# cpython: 3.13+
# Mirrors CPython test_streams.StreamTests.test_unclosed_server_resource_warnings: a
# start_server handler that returns without writer.close() leaves a writer nobody refers to;
# StreamWriter.__del__ (3.13) closes its transport, so the client reads EOF and the server
# closes. CPython needs its cycle collector for that (gc.collect() below); asyncio-cpp closes the
# connection when the handler's task is done and the last reference to the writer goes.
import asyncio
import gc


async def main():
    loop = asyncio.get_running_loop()
    handled = loop.create_future()

    async def handle(reader, writer):
        print("server got:", await reader.readline())
        handled.set_result(None)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hello\n")
    await handled
    await asyncio.sleep(0)  # the handler's task finishes
    gc.collect()
    print("client reads:", await reader.read())
    print("at EOF:", reader.at_eof())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    print("server closed")


asyncio.run(main())
