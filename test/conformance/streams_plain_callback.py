# Mirrors CPython test_streams.StreamTests.test_start_server (its handle_client_callback) and
# test_server.BaseStartServer.test_start_server_1 (`async with srv`): a client_connected_cb
# that is a plain function is called in connection_made, outside any task, and serves through
# the task it creates; `async with server` closes the server and waits for it on the way out.
import asyncio

tasks = set()


async def handle_client(reader, writer):
    data = await reader.readline()
    writer.write(data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


def handle_client_callback(reader, writer):
    print("callback, in a task:", asyncio.current_task() is not None)
    task = asyncio.get_running_loop().create_task(handle_client(reader, writer))
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def main():
    server = await asyncio.start_server(handle_client_callback, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello world!\n")
        print("echo:", await reader.readline())
        writer.close()
        await writer.wait_closed()
        print("serving inside:", server.is_serving())
    print("serving after:", server.is_serving(), len(server.sockets))


asyncio.run(main())
