# Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_read_ready_eof and
# test_read_ready_eof_keep_open: when eof_received returns True the transport stays
# half-open (it can still write, and closes when told to); when it returns False (or None)
# the transport closes itself right after eof_received.
import asyncio

from net_trace import Recorder


class ServerProto(asyncio.Protocol):
    def __init__(self, keep_open, done):
        self.keep_open = keep_open
        self.done = done
        self.events = []

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.events.append("data_received " + data.decode())

    def eof_received(self):
        self.events.append("eof_received")
        if self.keep_open:
            asyncio.get_running_loop().call_soon(self.reply_later)
        return self.keep_open

    def reply_later(self):
        self.events.append(f"after eof: is_closing {self.transport.is_closing()}")
        self.transport.write(b"late reply")
        self.transport.close()

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.done.set_result(None)


class ClientProto(Recorder):
    def __init__(self):
        super().__init__(record_made=False)


async def main():
    loop = asyncio.get_running_loop()
    for keep_open in (True, False):
        done = loop.create_future()
        protos = []

        def factory():
            protos.append(ServerProto(keep_open, done))
            return protos[-1]

        server = await loop.create_server(factory, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport, client = await loop.create_connection(ClientProto, "127.0.0.1", port)
        transport.write(b"ping")
        transport.write_eof()
        await done
        await client.lost
        print(f"eof_received returns {keep_open}: server", protos[0].events)
        print(f"eof_received returns {keep_open}: client", client.events)
        server.close()
        await server.wait_closed()


asyncio.run(main())
