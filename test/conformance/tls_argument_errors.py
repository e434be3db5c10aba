# Mirrors CPython test_base_events.BaseEventLoopWithSelectorTests
# (test_create_connection_server_hostname_errors, test_create_connection_ssl_timeout_*,
# test_create_server_ssl_timeout_for_plain_socket) and test_unix_events'
# test_create_unix_connection_ssl_noserverhost: TLS arguments that make no sense raise
# ValueError, and start_tls refuses a transport it cannot wrap.
import asyncio
import os
import sys

from net_trace import client_context, server_context


async def check(what, coro):
    try:
        await coro
    except (ValueError, TypeError) as e:
        if isinstance(e, TypeError):  # its text starts with the transport's repr
            print(f"{what}: TypeError:", str(e).endswith("is not supported by start_tls()"))
        else:
            print(f"{what}: ValueError: {e}")


async def main():
    loop = asyncio.get_running_loop()
    ctx = client_context()
    server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await check("server_hostname without ssl",
                loop.create_connection(asyncio.Protocol, "127.0.0.1", port, server_hostname="x"))
    await check("handshake timeout without ssl",
                loop.create_connection(asyncio.Protocol, "127.0.0.1", port,
                                       ssl_handshake_timeout=1))
    await check("shutdown timeout without ssl",
                loop.create_connection(asyncio.Protocol, "127.0.0.1", port,
                                       ssl_shutdown_timeout=1))
    await check("unix socket without server_hostname",
                loop.create_unix_connection(asyncio.Protocol, "/nonexistent", ssl=ctx))
    await check("server handshake timeout without ssl",
                loop.create_server(asyncio.Protocol, "127.0.0.1", 0, ssl_handshake_timeout=1))
    await check("negative handshake timeout",
                loop.create_connection(asyncio.Protocol, "127.0.0.1", port, ssl=ctx,
                                       ssl_handshake_timeout=-1))
    r, w = os.pipe()
    pipe, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(w, "wb"))
    await check("start_tls on a pipe",
                loop.start_tls(pipe, asyncio.Protocol(), ctx))
    pipe.close()
    os.close(r)
    server.close()
    await server.wait_closed()


asyncio.run(main())
