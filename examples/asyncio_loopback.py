# The worked example of docs/02-porting-from-python.md: a real asyncio program, ported to C++
# in asyncio_loopback.cpp, which must print what this prints (CTest: example.asyncio_loopback).
#
# Source: https://github.com/micropython/micropython, tests/net_hosted/asyncio_loopback.py
# (commit 3f1df4bacb2aa8f9018011c6a61eff9247248e1b), kept as it is there but for four edits
# marked "EDIT", which let it run beside other programs and print the same thing every time:
#   1. test() gets "127.0.0.1" and port 0 instead of "0.0.0.0" and the fixed port 8080, so the
#      server listens on loopback only and never meets a port already in use;
#   2. the client connects to the port the server was given (server.sockets[0]) instead of 8080;
#   3. the client's first print leaves that port out, as it changes from run to run;
#   4. the client sleeps 0.2 s instead of 0.1 s. With both at 0.1 s the two timers end a few
#      microseconds apart, and whether "client reading" comes before or after "handler closed"
#      depended on the machine's load (CPython hid it by rounding epoll's timeout up to a
#      whole millisecond, which usually wakes both timers in one pass; asyncio-cpp's loop
#      waits to the microsecond, so the second timer is often not due yet).
#
# Licence: MIT.
#   Copyright (c) 2013-2026 Damien P. George
#
#   Permission is hereby granted, free of charge, to any person obtaining a copy
#   of this software and associated documentation files (the "Software"), to deal
#   in the Software without restriction, including without limitation the rights
#   to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
#   copies of the Software, and to permit persons to whom the Software is
#   furnished to do so, subject to the following conditions:
#
#   The above copyright notice and this permission notice shall be included in
#   all copies or substantial portions of the Software.
#
#   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
#   IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
#   FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
#   AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
#   LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
#   OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
#   THE SOFTWARE.

# Test network loopback behaviour

import sys

# Only certain platforms can do TCP/IP loopback.
if sys.platform not in ("darwin", "esp32", "linux"):
    print("SKIP")
    raise SystemExit

try:
    import asyncio
except ImportError:
    print("SKIP")
    raise SystemExit


async def client(host, port):
    print(f"client open_connection to {host}")  # EDIT 3
    reader, writer = await asyncio.open_connection(host, port)

    data_in = b"A" * 100

    print("client writing")
    writer.write(data_in)
    await writer.drain()

    await asyncio.sleep(0.2)  # EDIT 4

    print("client reading")
    data = await reader.readexactly(100)
    print(f"client got {len(data)} bytes")

    assert data_in == data

    print("client closing")

    writer.close()
    await writer.wait_closed()

    print("client closed")


async def echo_handler(reader, writer):
    print("handler reading")
    await asyncio.sleep(0.1)
    data = await reader.readexactly(100)
    print(f"handler got {len(data)} bytes")

    print("handler writing")
    writer.write(data)
    await writer.drain()

    print("handler closing")

    writer.close()
    await writer.wait_closed()

    print("handler closed")


async def test(host, port):
    print(f"create server on {host}:{port}")
    server = await asyncio.start_server(echo_handler, host, port)

    async with server:
        print("server started")
        await client("127.0.0.1", server.sockets[0].getsockname()[1])  # EDIT 2
    print("server closed")


asyncio.run(test("127.0.0.1", 0))  # EDIT 1
