# Mirrors CPython test_events.EventLoopTestsMixin.test_create_connection_connection_refused
# (and test_streams.StreamTests.test_open_connection_error): connecting to a port nobody
# listens on raises ConnectionRefusedError (errno ECONNREFUSED) from create_connection and
# from asyncio.open_connection; no protocol is made.
import asyncio
import errno

from net_trace import closed_port


async def main():
    loop = asyncio.get_running_loop()
    made = []
    port = closed_port()
    try:
        await loop.create_connection(lambda: made.append(1) or asyncio.Protocol(),
                                     "127.0.0.1", port)
    except ConnectionRefusedError as e:
        print("create_connection:", type(e).__name__, e.errno == errno.ECONNREFUSED)
    print("protocols made:", len(made))
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except OSError as e:
        print("open_connection:", type(e).__name__, e.errno == errno.ECONNREFUSED)
    try:
        await loop.create_connection(asyncio.Protocol, "127.0.0.1", port,
                                     local_addr=("127.0.0.1", 0))
    except OSError as e:
        print("with local_addr:", type(e).__name__, e.errno == errno.ECONNREFUSED)


asyncio.run(main())
