# Mirrors CPython test_selector_events.SelectorDatagramTransportTests.test_read_ready_err /
# test_sendto_error_received_connected and test_events.test_create_datagram_endpoint_sock:
# a UDP endpoint connected to a port nobody listens on gets the ICMP "port unreachable" back
# as error_received(ConnectionRefusedError, errno ECONNREFUSED); the transport stays open.
import asyncio
import errno
import socket


class Client(asyncio.DatagramProtocol):
    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.events = []
        self.error = self.loop.create_future()
        self.lost = self.loop.create_future()

    def connection_made(self, transport):
        self.events.append("connection_made")

    def datagram_received(self, data, addr):
        self.events.append("datagram_received")

    def error_received(self, exc):
        self.events.append(f"error_received {type(exc).__name__}")
        if not self.error.done():
            self.error.set_result(exc)

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    transport, client = await loop.create_datagram_endpoint(
        Client, remote_addr=("127.0.0.1", port))
    transport.sendto(b"anyone?")
    exc = await client.error
    print("error:", type(exc).__name__, exc.errno == errno.ECONNREFUSED)
    print("is_closing after the error:", transport.is_closing())
    transport.close()
    await client.lost
    print("events:", client.events)


asyncio.run(main())
