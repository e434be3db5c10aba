"""The Python peers of asyncio-echo-server for benchmarks B9 and B10: an echo server on
127.0.0.1 with CPython asyncio or uvloop, through protocols or streams.

    python3 echo_py.py --loop=asyncio|uvloop --api=protocol|streams --port=N

Prints "ready" once it listens; exits on SIGINT or SIGTERM. Same shape as
bench/asyncio_echo_server.cpp: the protocol writes back what data_received got; the streams
handler reads up to 256 KiB, writes it and drains.
"""

import argparse
import asyncio
import signal
import sys

READ_SIZE = 256 * 1024


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None


async def echo_stream(reader, writer):
    try:
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def serve(args):
    loop = asyncio.get_running_loop()
    if args.api == "streams":
        server = await asyncio.start_server(echo_stream, "127.0.0.1", args.port)
    else:
        server = await loop.create_server(EchoProtocol, "127.0.0.1", args.port)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    server.close()


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    p.add_argument("--api", choices=["protocol", "streams"], default="protocol")
    p.add_argument("--port", type=int, required=True)
    return p.parse_args()


def main():
    args = parse()
    if args.loop == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(serve(args))
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
