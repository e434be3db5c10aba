# Mirrors CPython test_events.EventLoopTestsMixin.test_create_datagram_endpoint and
# test_selector_events.SelectorDatagramTransportTests (test_sendto, test_read_ready):
# connection_made first; datagram_received gets the data and the sender's address; sendto to
# that address answers it; a connected endpoint sendto()s without an address and its
# peername is the server; close() gives connection_lost(None).
import asyncio


class EchoServer(asyncio.DatagramProtocol):
    def __init__(self):
        self.events = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        self.events.append("connection_made")

    def datagram_received(self, data, addr):
        self.events.append("datagram_received " + data.decode())
        self.last_addr = addr
        self.transport.sendto(data.upper(), addr)

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


class Client(asyncio.DatagramProtocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.events = []
        self.reply = self.loop.create_future()
        self.lost = self.loop.create_future()

    def connection_made(self, transport):
        self.events.append("connection_made")

    def datagram_received(self, data, addr):
        self.events.append("datagram_received " + data.decode())
        self.reply.set_result(addr)
        self.reply = self.loop.create_future()

    def error_received(self, exc):
        self.events.append(f"error_received {type(exc).__name__}")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    server_t, server = await loop.create_datagram_endpoint(
        EchoServer, local_addr=("127.0.0.1", 0))
    server_addr = server_t.get_extra_info("sockname")
    print("server sockname host:", server_addr[0])
    print("server peername:", server_t.get_extra_info("peername"))

    client_t, client = await loop.create_datagram_endpoint(Client, remote_addr=server_addr)
    print("connected client peername is the server:",
          client_t.get_extra_info("peername") == server_addr)
    reply = client.reply
    client_t.sendto(b"ping")
    print("reply from the server's address:", await reply == server_addr)
    print("server saw the client's sockname:",
          server.last_addr == client_t.get_extra_info("sockname"))

    other_t, other = await loop.create_datagram_endpoint(Client, local_addr=("127.0.0.1", 0))
    reply = other.reply
    other_t.sendto(b"pong", server_addr)
    print("unconnected endpoint, reply from:", (await reply) == server_addr)
    print("write buffer size:", other_t.get_write_buffer_size())

    for t, p in ((client_t, client), (other_t, other), (server_t, server)):
        t.close()
        print("is_closing:", t.is_closing())
        await p.lost
    print("server:", server.events)
    print("client:", client.events)
    print("other:", other.events)


asyncio.run(main())
