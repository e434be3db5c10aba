# Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_read_ready_conn_reset
# (and test_streams.StreamTests.test_read_exception over a real socket): when the peer resets
# the connection (SO_LINGER 0, then close), the transport's protocol gets
# connection_lost(ConnectionResetError) without eof_received; a StreamReader's read() raises
# ConnectionResetError; write() after write_eof() raises RuntimeError.
import asyncio
import socket
import struct

from net_trace import Recorder


class Proto(Recorder):
    def __init__(self):
        super().__init__(record_made=False)


def reset(transport):
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def main():
    loop = asyncio.get_running_loop()
    accepted = []

    class ServerProto(asyncio.Protocol):
        def connection_made(self, transport):
            accepted.append(transport)
            transport.write(b"before reset")
            if len(accepted) == 1:
                loop.call_soon(reset, transport)

    server = await loop.create_server(ServerProto, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, proto = await loop.create_connection(Proto, "127.0.0.1", port)
    await proto.lost
    print("protocol:", proto.events[-1], "eof_received" in proto.events)
    print("is_closing:", transport.is_closing())

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    print("read:", await reader.readexactly(12))
    writer.write_eof()
    try:
        writer.write(b"more")
    except RuntimeError as e:
        print("write after write_eof:", type(e).__name__, e)
    reset(accepted[1])
    try:
        await reader.read()
    except ConnectionResetError:
        print("read after the reset: ConnectionResetError")
    writer.close()
    try:
        await writer.wait_closed()
        print("wait_closed returned")
    except ConnectionResetError:
        print("wait_closed: ConnectionResetError")
    server.close()
    await server.wait_closed()


asyncio.run(main())
