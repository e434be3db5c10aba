# cpython: 3.13+
# Mirrors CPython base_events.create_server's bind loop as of 3.13 (bpo-30945, which
# test_events.EventLoopTestsMixin.test_create_server_multiple_hosts_ipv6 exercises on hosts
# without IPv6): an address this machine lacks (EADDRNOTAVAIL) is left out; when none is
# left the OSError lists them and has no errno; any other bind error names the address and
# quotes str(err) in lower case.
import asyncio


def hosts_of(server):
    return sorted(sock.getsockname()[0] for sock in server.sockets)


async def main():
    loop = asyncio.get_running_loop()
    # 192.0.2.1 (TEST-NET-1) is no local address.
    server = await loop.create_server(asyncio.Protocol, ["127.0.0.1", "192.0.2.1"], 0)
    print("with an unavailable address:", *hosts_of(server))
    server.close()
    await server.wait_closed()
    try:
        await loop.create_server(asyncio.Protocol, ["192.0.2.1"], 0)
    except OSError as e:
        print("none available:", type(e).__name__, e.errno, e)

    taken = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    try:
        await loop.create_server(asyncio.Protocol, "127.0.0.1", port, reuse_address=False)
    except OSError as e:
        print("address in use:", type(e).__name__, e.errno,
              str(e).replace(str(port), "PORT"))
    taken.close()
    await taken.wait_closed()


asyncio.run(main())
