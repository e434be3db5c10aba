# Mirrors asyncio.streams.StreamReaderProtocol as a plain Protocol: a subclass that overrides
# data_received sees every byte the socket delivers, and the StreamReader still gets them
# through the base class (as test_streams' custom-protocol tests subclass it). asyncio-cpp's
# StreamReaderProtocol is also a BufferedProtocol; for a subclass it must not read past the
# override.
import asyncio

TOTAL = 300_000  # several reads, and more than the reader's limit


class Recording(asyncio.StreamReaderProtocol):
    seen = 0

    def data_received(self, data):
        Recording.seen += len(data)
        super().data_received(data)


async def main():
    loop = asyncio.get_running_loop()

    async def handle(reader, writer):
        writer.write(b"y" * TOTAL)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader = asyncio.StreamReader()
    transport, _ = await loop.create_connection(lambda: Recording(reader), "127.0.0.1", port)
    data = await reader.read()
    print("client read:", len(data))
    print("data_received saw every byte:", Recording.seen == len(data))
    print("at_eof:", reader.at_eof())
    transport.close()
    server.close()
    await server.wait_closed()


asyncio.run(main())
