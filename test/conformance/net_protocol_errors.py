# Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_read_ready_err /
# test__read_ready_data_received_err... (_fatal_error on a protocol failure) and
# SelectorSocketTransportBufferedProtocolTests.test_get_buffer_zerosized /
# test_proto_type_switch: an exception from data_received or eof_received goes to the loop's
# exception handler as "Fatal error: protocol.X() call failed." and the transport is closed
# with connection_lost(that exception); an empty buffer from get_buffer is a RuntimeError.
import asyncio


class Base:
    def __init__(self):
        self.events = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {type(exc).__name__} {exc}")
        self.lost.set_result(None)


class DataFails(Base, asyncio.Protocol):
    def data_received(self, data):
        self.events.append("data_received")
        raise ValueError("bad data")

    def eof_received(self):
        self.events.append("eof_received")


class EofFails(Base, asyncio.Protocol):
    def data_received(self, data):
        self.events.append("data_received")

    def eof_received(self):
        self.events.append("eof_received")
        raise RuntimeError("eof")


class EmptyBuffer(Base, asyncio.BufferedProtocol):
    def get_buffer(self, sizehint):
        self.events.append("get_buffer")
        return bytearray()

    def buffer_updated(self, nbytes):
        self.events.append("buffer_updated")


async def main():
    loop = asyncio.get_running_loop()
    reports = []
    loop.set_exception_handler(
        lambda loop, ctx: reports.append(
            f"{ctx['message']} / {type(ctx['exception']).__name__}"
            f" / transport given: {ctx.get('transport') is not None}"
            f" / protocol given: {ctx.get('protocol') is not None}"))

    class Sender(asyncio.Protocol):
        def connection_made(self, transport):
            transport.write(b"data")
            transport.write_eof()

    server = await loop.create_server(Sender, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for factory in (DataFails, EofFails, EmptyBuffer):
        transport, proto = await loop.create_connection(factory, "127.0.0.1", port)
        await proto.lost
        print(factory.__name__, proto.events)
        print("  handler:", reports)
        print("  is_closing:", transport.is_closing())
        reports.clear()
    server.close()
    await server.wait_closed()


asyncio.run(main())
