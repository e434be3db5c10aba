# Mirrors CPython test_base_events.BaseEventLoopWithSelectorTests.test_create_server_empty_host
# and socket.getaddrinfo(''): an empty host is a name to resolve, which fails with
# socket.gaierror in getaddrinfo, create_connection and open_connection; create_server and
# start_server take '' as None, every interface. A host of None connects over the loopback.
import asyncio
import socket


def hosts_of(server):
    return sorted(sock.getsockname()[0] for sock in server.sockets)


async def serve(reader, writer):
    writer.close()


async def main():
    loop = asyncio.get_running_loop()
    try:
        await loop.getaddrinfo("", 80)
    except socket.gaierror as e:
        print("getaddrinfo(''):", type(e).__name__, e)
    try:
        await loop.create_connection(asyncio.Protocol, "", 80)
    except socket.gaierror as e:
        print("create_connection(''):", type(e).__name__, e)
    try:
        await asyncio.open_connection("", 80)
    except socket.gaierror as e:
        print("open_connection(''):", type(e).__name__, e)

    empty = await loop.create_server(asyncio.Protocol, "", 0)
    absent = await loop.create_server(asyncio.Protocol, None, 0)
    print("create_server(''):", *hosts_of(empty))
    print("same as None:", hosts_of(empty) == hosts_of(absent))
    streams = await asyncio.start_server(serve, "", 0)
    print("start_server(''):", *hosts_of(streams))
    for server in (empty, absent, streams):
        server.close()
        await server.wait_closed()

    server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await loop.create_connection(asyncio.Protocol, None, port)
    print("create_connection(None, port) peer:", transport.get_extra_info("peername")[0])
    transport.close()
    server.close()
    await server.wait_closed()


asyncio.run(main())
