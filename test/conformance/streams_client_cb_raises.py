# Mirrors CPython test_streams.StreamTests.test_unhandled_exceptions (3.12 / 3.11.7: the
# client_connected_cb task's exception goes to the loop's exception handler with the message
# "Unhandled exception in client_connected_cb" and the transport is closed, so the client
# reads EOF). Python 3.11.2 lacks that done callback; there the callback below does the same
# by hand so that every interpreter prints the same trace.
import asyncio
import inspect

HAS_CALLBACK = "Unhandled exception in client_connected_cb" in inspect.getsource(asyncio.streams)


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

    async def handle_compat(reader, writer):
        try:
            await handle(reader, writer)
        except Exception as exc:
            loop.call_exception_handler({
                "message": "Unhandled exception in client_connected_cb",
                "exception": exc, "transport": writer.transport})
            writer.transport.close()

    server = await asyncio.start_server(handle if HAS_CALLBACK else handle_compat,
                                        "127.0.0.1", 0)
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
