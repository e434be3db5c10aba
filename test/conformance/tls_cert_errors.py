# Mirrors CPython test_ssl.TestSSL.test_create_connection_ssl_failed_certificate and
# test_sslproto.BaseStartTLS.test_start_tls_client_corrupted_ssl: a refused certificate
# raises ssl.SSLCertVerificationError from create_connection (unknown issuer, wrong host),
# the server side is torn down without bothering the exception handler, and an IP address
# is checked against the certificate's IP entries.
import asyncio
import ssl

from net_trace import client_context, server_context


class Server(asyncio.Protocol):
    made = 0

    def connection_made(self, transport):
        Server.made += 1
        transport.write(b"hi")


class Client(asyncio.Protocol):
    def __init__(self):
        self.got = asyncio.get_running_loop().create_future()

    def data_received(self, data):
        if not self.got.done():
            self.got.set_result(data)


async def attempt(loop, port, host, ctx, **kwargs):
    try:
        transport, client = await loop.create_connection(Client, host, port, ssl=ctx, **kwargs)
    except ssl.SSLCertVerificationError as e:
        print(f"  {type(e).__name__}: library={e.library} reason={e.reason}")
        print(f"  verify_code={e.verify_code} verify_message={e.verify_message}")
        print("  is an OSError:", isinstance(e, OSError), "errno:", e.errno)
        return
    print("  connected, got", await client.got)
    transport.close()


async def main():
    loop = asyncio.get_running_loop()
    handled = []
    loop.set_exception_handler(lambda loop, ctx: handled.append(ctx["message"]))
    server_ctx = server_context()
    server = await loop.create_server(Server, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]

    print("system CAs only:")
    await attempt(loop, port, "127.0.0.1", ssl.create_default_context())
    print("wrong server_hostname:")
    await attempt(loop, port, "127.0.0.1", client_context(),
                  server_hostname="wrong.example")
    print("an IP address the certificate names:")
    await attempt(loop, port, "127.0.0.1", client_context())
    print("no hostname check with server_hostname='':")
    ctx = client_context()
    ctx.check_hostname = False
    await attempt(loop, port, "127.0.0.1", ctx, server_hostname="")

    server.close()
    await server.wait_closed()
    print("server connection_made calls:", Server.made)
    print("exception handler calls:", handled)


asyncio.run(main())
