# Mirrors CPython test_sendfile.SockSendfileMixin (test_sock_sendfile_success,
# test_sock_sendfile_with_offset_and_count, test_sock_sendfile_zero_size,
# test_sock_sendfile_mix_with_regular_send) and test_base_events.BaseLoopSockSendfileTests
# (test_sock_sendfile_no_fallback, test_nonstream_socket, test_negative_count,
# test_negative_offset, test_blocking_socket): what comes out, what is returned, and where the
# file position is left.
import asyncio
import os
import socket
import tempfile

DATA = b"SendfileBaseData" * (1024 * 8)


async def recv_all(loop, sock):
    received = b""
    while chunk := await loop.sock_recv(sock, 65536):
        received += chunk
    return received


async def send_and_collect(loop, file, *args, mix=False):
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    reader = asyncio.create_task(recv_all(loop, b))
    extra = b"mix_regular_send" if mix else b""
    await loop.sock_sendall(a, extra)
    sent = await loop.sock_sendfile(a, file, *args)
    await loop.sock_sendall(a, extra)
    a.close()
    received = await reader
    b.close()
    return sent, received


async def main():
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryFile() as file:
        file.write(DATA)
        file.seek(0)
        sent, received = await send_and_collect(loop, file)
        print("whole file:", sent, received == DATA, "position:", file.tell())
        sent, received = await send_and_collect(loop, file, 1000, 2000)
        print("offset 1000, count 2000:", sent, received == DATA[1000:3000],
              "position:", file.tell())
        file.seek(0)
        sent, received = await send_and_collect(loop, file, mix=True)
        print("between two sock_sendall:", sent,
              received == b"mix_regular_send" + DATA + b"mix_regular_send",
              "position:", file.tell())

        a, b = socket.socketpair()
        a.setblocking(False)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setblocking(False)
        for sock, args in ((udp, ()), (a, (0, 0)), (a, (0, -5)), (a, (-1,))):
            try:
                await loop.sock_sendfile(sock, file, *args)
            except ValueError as exc:
                print("ValueError:", exc)
        loop.set_debug(True)
        blocking = socket.socket()
        try:
            await loop.sock_sendfile(blocking, file)
        except ValueError as exc:
            print("blocking socket in debug mode:", exc)
        loop.set_debug(False)
        for s in (a, b, udp, blocking):
            s.close()

    with tempfile.TemporaryFile() as empty:
        sent, received = await send_and_collect(loop, empty)
        print("empty file:", sent, received, "position:", empty.tell())

    r, w = os.pipe()
    os.write(w, b"not for sendfile(2)")
    os.close(w)
    with open(r, "rb", buffering=0) as pipe:
        a, b = socket.socketpair()
        a.setblocking(False)
        try:
            await loop.sock_sendfile(a, pipe, 0, 5, fallback=False)
        except asyncio.SendfileNotAvailableError as exc:
            print("pipe without fallback:", type(exc).__name__, exc)
        a.close()
        b.close()


asyncio.run(main())
