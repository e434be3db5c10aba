# cpython: 3.11.7+
# Mirrors CPython test_streams.StreamTests.test_unhandled_exceptions: the client_connected_cb
# task's exception goes to the loop's exception handler with the message "Unhandled exception
# in client_connected_cb" and the transport is closed, so the client reads EOF. That is
# gh-110894, in CPython 3.12.1 and, backported, 3.11.7; the pair follows 3.11.7 and later, since
# 3.11.2 (Debian 12's python3) lacks it.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    reported = loop.create_future()

    def handler(loop, context):
        exc = context.get("exception")
        reported.set_result(f"{context['message']} / {type(exc).__name__} {exc}")

    loop.set_exception_handler(handler)

    async def handle(reader, writer):
        line = await reader.readline()
        writer.write(b"got " + line)
        await writer.drain()
        raise ValueError("boom")

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hello\n")
    print("reply:", await reader.readline())
    print("handler:", await reported)
    print("then EOF:", await reader.read())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
