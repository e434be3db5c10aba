# An echo server and client with asyncio's streams API; echo_streams.cpp is its port.
import asyncio


async def handle_echo(reader, writer):
    addr = writer.get_extra_info("peername")
    print("server: client from", addr[0])
    while line := await reader.readline():
        print("server: echoing", line.decode().strip())
        writer.write(line)
        await writer.drain()
    print("server: client done")
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle_echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for message in ("first line", "second line"):
        writer.write(message.encode() + b"\n")
        await writer.drain()
        print("client: got back", (await reader.readline()).decode().strip())
    writer.write_eof()
    print("client: server closed:", await reader.read() == b"")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
