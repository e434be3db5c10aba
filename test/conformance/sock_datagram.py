# Mirrors CPython test_sock_lowlevel.BaseSockTestsMixin.test_recvfrom, test_recvfrom_into and
# test_sendto_blocking (3.11's datagram methods): sock_sendto returns the bytes sent,
# sock_recvfrom gives (data, sender), sock_recvfrom_into fills the buffer up to nbytes (0:
# all of it) and refuses an nbytes past its end; a cancelled sock_recvfrom leaves no reader.
import asyncio
import socket

from sock_trace import cancel_once_waiting


def udp_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind(("127.0.0.1", 0))
    return sock


async def echo(loop, sock, count):
    for _ in range(count):
        data, sender = await loop.sock_recvfrom(sock, 65536)
        await loop.sock_sendto(sock, data.upper(), sender)


async def main():
    loop = asyncio.get_running_loop()
    server = udp_socket()
    client = udp_socket()
    server_address = server.getsockname()
    echoing = asyncio.create_task(echo(loop, server, 2))

    print("sock_sendto returned:", await loop.sock_sendto(client, b"ping", server_address))
    data, sender = await loop.sock_recvfrom(client, 4096)
    print("sock_recvfrom:", data, "from the server:", sender == server_address)

    await loop.sock_sendto(client, b"pong pong", server_address)
    buf = bytearray(16)
    nbytes, sender = await loop.sock_recvfrom_into(client, buf, 4)
    print("sock_recvfrom_into, nbytes 4:", nbytes, bytes(buf[:nbytes]), sender == server_address)
    print("the rest untouched:", buf[nbytes:] == bytearray(12))
    await echoing

    try:
        await loop.sock_recvfrom_into(client, buf, 17)
    except ValueError as exc:
        print("nbytes past the buffer:", exc)

    await loop.sock_sendto(server, b"whole", client.getsockname())
    buf = bytearray(8)
    nbytes, sender = await loop.sock_recvfrom_into(client, buf)
    print("sock_recvfrom_into, nbytes 0:", nbytes, bytes(buf[:nbytes]))

    if await cancel_once_waiting(loop.sock_recvfrom(client, 16)):
        print("sock_recvfrom cancelled")
    print("its reader left behind:", loop.remove_reader(client.fileno()))
    server.close()
    client.close()


asyncio.run(main())
