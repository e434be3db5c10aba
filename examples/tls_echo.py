# A TLS echo server and client with asyncio streams; tls_echo.cpp is its line-for-line port.
# Certificates: a directory with ca.pem, server.pem and server.key (test/tls/make_certs.sh
# makes one), named by ASYNCIO_TEST_CERTS.
import asyncio
import os
import ssl

CERTS = os.environ["ASYNCIO_TEST_CERTS"]


async def handle(reader, writer):
    peer = writer.get_extra_info("peercert")
    print("server: TLS connection, client certificate:", peer)
    async for line in reader:
        writer.write(line.upper())
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(f"{CERTS}/server.pem", f"{CERTS}/server.key")
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]

    client_ctx = ssl.create_default_context(cafile=f"{CERTS}/ca.pem")
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx,
                                                   server_hostname="localhost")
    cert = writer.get_extra_info("peercert")
    print("client: server certificate for", dict(x[0] for x in cert["subject"])["commonName"])
    print("client: protocol", writer.get_extra_info("cipher")[1])
    for word in ("hello", "tls"):
        writer.write(word.encode() + b"\n")
        print("client: sent", word, "got", (await reader.readline()).decode().strip())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    print("done")


asyncio.run(main())
