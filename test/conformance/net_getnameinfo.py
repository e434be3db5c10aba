# Mirrors CPython test_base_events.BaseEventLoopTests.test_getnameinfo (run in the default
# executor): loop.getnameinfo gives (host, service) as getnameinfo(3) does, numeric with
# NI_NUMERICHOST | NI_NUMERICSERV, the service's name from /etc/services without it.
import asyncio
import socket


async def main():
    loop = asyncio.get_running_loop()
    flags = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
    print("numeric v4:", await loop.getnameinfo(("127.0.0.1", 8080), flags))
    print("numeric v6:", await loop.getnameinfo(("::1", 443), flags))
    host, service = await loop.getnameinfo(("127.0.0.1", 22), socket.NI_NUMERICHOST)
    print("service by name:", host, service)
    print("udp service:", await loop.getnameinfo(("127.0.0.1", 53),
                                                  flags | socket.NI_DGRAM))


asyncio.run(main())
