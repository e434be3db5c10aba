# Mirrors CPython test_sock_lowlevel.BaseSockTestsMixin: test_sock_client_ops (sock_connect,
# sock_sendall, sock_recv, sock_recv_into), test_sock_accept, test_sock_client_racing (a
# cancelled sock_recv leaves no reader), test_cancel_sock_accept and test_sock_client_fail.
import asyncio
import socket

from sock_trace import cancel_once_waiting


async def main():
    loop = asyncio.get_running_loop()
    listener = socket.socket()
    listener.setblocking(False)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    address = listener.getsockname()
    client = socket.socket()
    client.setblocking(False)
    accepting = asyncio.create_task(loop.sock_accept(listener))
    await loop.sock_connect(client, address)
    conn, peer = await accepting
    print("accepted socket is non-blocking:", conn.gettimeout() == 0)
    print("peer is the client's sockname:", peer == client.getsockname())

    await loop.sock_sendall(client, b"GET / HTTP/1.0\r\n\r\n")
    print("server got:", await loop.sock_recv(conn, 1024))
    await loop.sock_sendall(conn, b"HTTP/1.0 200 OK\r\n\r\n")
    conn.close()
    buf = bytearray(1024)
    n = await loop.sock_recv_into(client, buf)
    print("client got:", bytes(buf[:n]))
    print("then EOF:", await loop.sock_recv(client, 1024))
    client.close()

    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    if await cancel_once_waiting(loop.sock_recv(a, 16)):
        print("sock_recv cancelled")
    print("its reader left behind:", loop.remove_reader(a.fileno()))
    await loop.sock_sendall(b, b"after")
    print("next sock_recv:", await loop.sock_recv(a, 16))
    a.close()
    b.close()

    try:
        await asyncio.wait_for(loop.sock_accept(listener), 0.01)
    except TimeoutError:
        print("sock_accept timed out")
    print("its reader left behind:", loop.remove_reader(listener.fileno()))
    listener.close()
    refused = socket.socket()
    refused.setblocking(False)
    try:
        await loop.sock_connect(refused, address)
    except OSError as exc:
        print("sock_connect to a closed port:", type(exc).__name__)
    refused.close()


asyncio.run(main())
