# Mirrors CPython test_events.EventLoopTestsMixin.test_create_server_multiple_hosts_ipv4 (and
# _ipv6's duplicate host): create_server over a list of hosts makes one listening socket per
# distinct address, all in one Server, and each accepts connections.
import asyncio


def hosts_of(server):
    return sorted(sock.getsockname()[0] for sock in server.sockets)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(asyncio.Protocol, ["127.0.0.1", "127.0.0.2", "127.0.0.1"], 0)
    print("sockets:", len(server.sockets))
    print("hosts:", *hosts_of(server))
    for sock in sorted(server.sockets, key=lambda s: s.getsockname()[0]):
        host, port = sock.getsockname()
        reader, writer = await asyncio.open_connection(host, port)
        print("connected to", host)
        writer.close()
        await writer.wait_closed()
    server.close()
    await server.wait_closed()
    print("after close:", len(server.sockets))

asyncio.run(main())
