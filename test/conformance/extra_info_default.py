# Mirrors CPython test_transports.TransportTests.test_get_extra_info, on a real connection
# and on the StreamWriter (test_streams' writer.get_extra_info): a known key gives its value,
# an unknown one None, or the default when one is given; a default does not replace a value.
import asyncio

from net_trace import close_writer_and_server


async def main():
    async def on_client(reader, writer):
        writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    transport = writer.transport
    print("peername port is the server's:", transport.get_extra_info("peername")[1] == port)
    print("unknown key:", transport.get_extra_info("no such key"))
    print("unknown key, default:", transport.get_extra_info("no such key", "fallback"))
    print("known key, default:",
          transport.get_extra_info("peername", "fallback") == transport.get_extra_info("peername"))
    print("writer, unknown key:", writer.get_extra_info("no such key"))
    print("writer, unknown key, default:", writer.get_extra_info("no such key", -1))
    print("writer, sockname host:", writer.get_extra_info("sockname", ("?", 0))[0])
    await close_writer_and_server(writer, server)


asyncio.run(main())
