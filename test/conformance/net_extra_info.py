# Mirrors CPython test_events.EventLoopTestsMixin.test_create_connection (its
# get_extra_info checks) and test_selector_events.SelectorTransportTests.test_ctor: a TCP
# transport's peername and sockname are (host, port) pairs, the client's sockname is the
# server side's peername and the other way round; "socket" is the fd; an unknown key gives
# nothing; the names are kept after the connection is closed.
import asyncio


class ServerProto(asyncio.Protocol):
    def __init__(self, made):
        self.made = made

    def connection_made(self, transport):
        self.made.set_result(transport)


class ClientProto(asyncio.Protocol):
    def __init__(self):
        self.lost = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc):
        self.lost.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    made = loop.create_future()
    server = await loop.create_server(lambda: ServerProto(made), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("listening sockets:", len(server.sockets))
    print("listening on 127.0.0.1:", server.sockets[0].getsockname()[0])
    transport, client = await loop.create_connection(ClientProto, "127.0.0.1", port)
    peer = await made
    peername = transport.get_extra_info("peername")
    sockname = transport.get_extra_info("sockname")
    print("client peername host:", peername[0], "port is the server's:", peername[1] == port)
    print("client sockname host:", sockname[0], "ephemeral port:", sockname[1] not in (0, port))
    print("server peername is the client's sockname:", peer.get_extra_info("peername") == sockname)
    print("server sockname is the client's peername:", peer.get_extra_info("sockname") == peername)
    print("socket has a fileno:", transport.get_extra_info("socket").fileno() >= 0)
    print("unknown key:", transport.get_extra_info("no such key"))
    transport.close()
    await client.lost
    print("peername after close:", transport.get_extra_info("peername") == peername)
    peer.close()
    server.close()
    await server.wait_closed()


asyncio.run(main())
