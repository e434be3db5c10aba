# Mirrors CPython test_base_events.BaseEventLoopTests.test_getaddrinfo / test_ipaddr_info*
# (numeric hosts, so no DNS): loop.getaddrinfo gives (family, type, proto, canonname,
# sockaddr) entries as getaddrinfo(3) does; with a type there is one entry per address;
# without, one per socket type; a bad service name raises socket.gaierror (EAI_SERVICE).
import asyncio
import socket


def show(infos):
    return [(socket.AddressFamily(f).name, socket.SocketKind(t).name, p, repr(c), a[:2])
            for f, t, p, c, a in infos]


async def main():
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo("127.0.0.1", "8080", type=socket.SOCK_STREAM)
    print("127.0.0.1 stream:", show(infos))
    infos = await loop.getaddrinfo("127.0.0.1", "53", type=socket.SOCK_DGRAM)
    print("127.0.0.1 dgram:", show(infos))
    infos = await loop.getaddrinfo("::1", "8080", type=socket.SOCK_STREAM,
                                   family=socket.AF_INET6)
    print("::1 stream:", show(infos))
    infos = await loop.getaddrinfo("127.0.0.1", "9")
    print("any type:", sorted(t for _, t, _, _, _ in show(infos)))
    try:
        await loop.getaddrinfo("127.0.0.1", "no-such-service", type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        print("bad service:", isinstance(e, OSError), e.errno == socket.EAI_SERVICE)


asyncio.run(main())
