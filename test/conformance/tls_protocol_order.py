# Mirrors CPython test_sslproto.SelectorStartTLSTests / test_ssl.TestSSL.test_create_connection_ssl_1
# and test_create_server_ssl_1: over TLS, connection_made comes after the handshake (and
# before create_connection returns), data flows both ways, and a close() sends close_notify:
# each side then sees eof_received and connection_lost(None). The TLS extra info is there.
import asyncio

from net_trace import Recorder, client_context, server_context


async def main():
    loop = asyncio.get_running_loop()
    server_ctx = server_context()
    client_ctx = client_context()
    servers = []

    def server_factory():
        servers.append(Recorder(reply=bytes.upper))
        return servers[-1]

    server = await loop.create_server(server_factory, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(
        Recorder, "localhost", port, ssl=client_ctx, family=2)
    print("client events when create_connection returns:", client.events)
    print("sslcontext is the one given:", transport.get_extra_info("sslcontext") is client_ctx)
    cert = transport.get_extra_info("peercert")
    print("peer subject:", cert["subject"])
    print("peer issuer:", cert["issuer"])
    print("peer subjectAltName:", cert["subjectAltName"])
    print("protocol:", transport.get_extra_info("cipher")[1])
    print("compression:", transport.get_extra_info("compression"))
    print("has ssl_object:", transport.get_extra_info("ssl_object") is not None)
    print("peername:", transport.get_extra_info("peername") == ("127.0.0.1", port))
    print("can_write_eof:", transport.can_write_eof())
    print("write buffer limits:", transport.get_write_buffer_limits())
    try:
        transport.write_eof()
    except NotImplementedError:
        print("write_eof: NotImplementedError")

    transport.write(b"hello")
    while not client.events[-1].startswith("data_received"):
        await asyncio.sleep(0)
    print("server peercert (no client certificate):", servers[0].transport.get_extra_info("peercert"))
    transport.close()
    print("is_closing after close():", transport.is_closing())
    await client.lost
    await servers[0].lost
    print("client:", client.events)
    print("server:", servers[0].events)
    server.close()
    await server.wait_closed()


asyncio.run(main())
