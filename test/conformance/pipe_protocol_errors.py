# Mirrors CPython test_unix_events.UnixReadPipeTransportTests / UnixWritePipeTransportTests
# with failing protocols, and test_transports / base_events behaviour for callbacks that
# raise: an exception from data_received, eof_received or connection_lost goes to the
# loop's exception handler ("Exception in callback ...") and the transport carries on
# (reading continues, connection_lost still comes, the fd is still closed); an exception
# from pause_writing / resume_writing is reported as "protocol.pause_writing() failed" /
# "protocol.resume_writing() failed" with the transport and protocol in the context.
import asyncio
import os


def handler(loop, context):
    exc = context.get("exception")
    message = context["message"]
    if message.startswith("Exception in callback "):
        message = "Exception in callback ..."
    print("  handler:", message, "-", type(exc).__name__, exc,
          "| transport and protocol given:",
          context.get("transport") is not None and context.get("protocol") is not None)


class FailingReader(asyncio.Protocol):
    def __init__(self):
        self.events = []
        self.lost = asyncio.get_running_loop().create_future()

    def data_received(self, data):
        self.events.append("data " + data.decode())
        if data == b"one":
            raise ValueError("data_received failed")

    def eof_received(self):
        self.events.append("eof_received")
        raise ValueError("eof_received failed")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.lost.set_result(None)
        raise ValueError("connection_lost failed")


class FailingWriter(asyncio.BaseProtocol):
    def __init__(self):
        self.events = []

    def pause_writing(self):
        self.events.append("pause_writing")
        raise ValueError("pause_writing failed")

    def resume_writing(self):
        self.events.append("resume_writing")
        raise ValueError("resume_writing failed")


async def iterations(n):
    for _ in range(n):
        await asyncio.sleep(0)


async def drain(r, want):
    got = 0
    while got < want:
        await asyncio.sleep(0)
        try:
            got += len(os.read(r, 65536))
        except BlockingIOError:
            pass
    return got


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)

    r, w = os.pipe()
    transport, proto = await loop.connect_read_pipe(FailingReader, os.fdopen(r, "rb", 0))
    print("write one")
    os.write(w, b"one")
    await iterations(5)
    print("write two, then EOF")
    os.write(w, b"two")
    os.close(w)
    await proto.lost
    await iterations(2)
    print("events:", proto.events)
    print("is_closing:", transport.is_closing())
    try:
        os.fstat(r)
        print("read end still open")
    except OSError:
        print("read end closed anyway")

    r, w = os.pipe()
    os.set_blocking(r, False)
    transport, proto = await loop.connect_write_pipe(FailingWriter, os.fdopen(w, "wb", 0))
    print("write 200000 bytes")
    transport.write(b"w" * 200_000)
    print("still writing: buffer not empty:", transport.get_write_buffer_size() > 0)
    print("read everything:", await drain(r, 200_000))
    await iterations(2)
    print("events:", proto.events)
    transport.close()
    await iterations(2)
    os.close(r)


asyncio.run(main())
