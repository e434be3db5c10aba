# Mirrors CPython test_sock_lowlevel.BaseSockTestsMixin.test_sock_client_ops and
# test_sock_client_fail: a client socket connects, sends, receives its echo and then EOF; a
# connect to a port nobody listens on raises ConnectionRefusedError. This file uses
# loop.sock_connect/sock_sendall/sock_recv; the C++ side uses boost::asio::ip::tcp::socket's
# async_connect, async_write and async_read_some through asyncio::use_future. The server is an
# asyncio streams server on both sides.
#
# The refused connect's text differs and is not traced: CPython's names the address
# ("[Errno 111] Connect call failed ('127.0.0.1', port)"), while an Asio operation reports
# only its error code, so use_future raises "[Errno 111] Connection refused".
import asyncio
import errno
import socket

from net_trace import closed_port


async def echo_once(reader, writer):
    data = await reader.read(100)
    print("server: echoing", data.decode())
    writer.write(data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, ("127.0.0.1", closed_port()))
    except OSError as e:
        print("refused:", type(e).__name__, e.errno == errno.ECONNREFUSED)
    sock.close()

    server = await asyncio.start_server(echo_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    print("client: connected")
    await loop.sock_sendall(sock, b"ping")
    reply = b""
    while len(reply) < 4:
        reply += await loop.sock_recv(sock, 4 - len(reply))
    print("client: echoed", reply.decode())
    print("client: then EOF:", await loop.sock_recv(sock, 100) == b"")
    sock.close()
    server.close()
    await server.wait_closed()
    print("server closed")


asyncio.run(main())
