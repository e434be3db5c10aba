# cpython: 3.13+
# Mirrors CPython test_server.UnixServerCleanupTests (test_unix_server_addr_cleanup,
# _sock_cleanup, _cleanup_gone, _cleanup_replaced, _cleanup_prevented): closing a Unix server
# removes its socket file (3.13's cleanup_socket), also for a socket handed in, but not a
# file that replaced it, and not with cleanup_socket=False.
import asyncio
import os
import socket
import tempfile


async def serve(reader, writer):
    pass


def bound_socket(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    return sock


async def main():
    with tempfile.TemporaryDirectory() as tmp:
        addr = os.path.join(tmp, "sock")
        srv = await asyncio.start_unix_server(serve, addr)
        print("bound:", os.path.exists(addr))
        srv.close()
        print("addr_cleanup, exists after close:", os.path.exists(addr))

        sock = bound_socket(addr)
        srv = await asyncio.start_unix_server(serve, sock=sock)
        srv.close()
        print("sock_cleanup, exists after close:", os.path.exists(addr))

        sock = bound_socket(addr)
        srv = await asyncio.start_unix_server(serve, sock=sock)
        os.unlink(addr)
        srv.close()
        print("cleanup_gone, exists after close:", os.path.exists(addr))

        srv = await asyncio.start_unix_server(serve, addr)
        os.unlink(addr)
        other = bound_socket(addr)
        srv.close()
        print("cleanup_replaced, exists after close:", os.path.exists(addr))
        other.close()
        os.unlink(addr)

        srv = await asyncio.start_unix_server(serve, addr, cleanup_socket=False)
        srv.close()
        print("cleanup_prevented, exists after close:", os.path.exists(addr))


asyncio.run(main())
