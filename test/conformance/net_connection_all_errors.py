# cpython: 3.12+
# Mirrors CPython test_base_events.BaseEventLoopWithSelectorTests.test_create_connection_connect_err
# and test_create_connection_multiple_errors: when every address fails, create_connection
# raises the one error (its class kept), or OSError('Multiple exceptions: ...') without errno
# when they differ; with all_errors=True (3.12) an ExceptionGroup of them all.
import asyncio

from net_trace import closed_port


async def main():
    loop = asyncio.get_running_loop()
    port = closed_port()
    try:
        await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    except OSError as e:
        print("one address:", type(e).__name__, e.errno)
    try:
        await loop.create_connection(asyncio.Protocol, "127.0.0.1", port, all_errors=True)
    except ExceptionGroup as eg:
        print("one address, all_errors:", eg, *[type(e).__name__ for e in eg.exceptions])

    # No host: the loopback addresses, ::1 and 127.0.0.1, both refused with their own text.
    try:
        await loop.create_connection(asyncio.Protocol, None, port)
    except OSError as e:
        print("two addresses:", type(e).__name__, e.errno,
              str(e).startswith("Multiple exceptions: "), str(e).count("Connect call failed"))
    try:
        await loop.create_connection(asyncio.Protocol, None, port, all_errors=True)
    except ExceptionGroup as eg:
        print("two addresses, all_errors:", eg, *[type(e).__name__ for e in eg.exceptions])
    try:
        await asyncio.open_connection("127.0.0.1", port, all_errors=True)
    except ExceptionGroup as eg:
        print("open_connection, all_errors:", eg)


asyncio.run(main())
