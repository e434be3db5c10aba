# Mirrors CPython test_sslproto.BaseStartTLS.test_start_tls_client_reg_proto_1 and
# test_streams' StreamWriter.start_tls (3.11): a plain connection agrees on STARTTLS, both
# sides upgrade in place (server side for the writer start_server made), the same protocol
# keeps receiving, and the transports report TLS only afterwards.
import asyncio

from net_trace import client_context, server_context


async def main():
    server_ctx = server_context()
    client_ctx = client_context()
    done = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        print("server: got", await reader.readline())
        writer.write(b"GO AHEAD\n")
        await writer.start_tls(server_ctx)
        print("server: upgraded:", writer.get_extra_info("sslcontext") is server_ctx)
        print("server: got", await reader.readline())
        writer.write(b"secret reply\n")
        print("server: got", await reader.read())
        writer.close()
        await writer.wait_closed()
        done.set_result(None)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    print("client: TLS before:", writer.get_extra_info("sslcontext"))
    writer.write(b"STARTTLS\n")
    print("client: got", await reader.readline())
    await writer.start_tls(client_ctx, server_hostname="localhost")
    print("client: TLS after:", writer.get_extra_info("sslcontext") is client_ctx)
    print("client: cipher protocol:", writer.get_extra_info("cipher")[1])
    writer.write(b"secret\n")
    print("client: got", await reader.readline())
    writer.close()
    await writer.wait_closed()
    await done
    server.close()
    await server.wait_closed()


asyncio.run(main())
