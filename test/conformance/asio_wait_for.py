# Mirrors CPython test_waitfor.AsyncioWaitForTest.test_wait_for and
# test_wait_for_with_global_loop: wait_for around an operation that does not finish in time
# raises TimeoutError and cancels the operation's future; one that finishes in time gives its
# result. Here the operations are a timer's future and loop.sock_recv; the C++ side awaits a
# boost::asio::steady_timer's async_wait and a local socket's async_read_some through
# asyncio::use_future.
import asyncio
import socket


async def main():
    loop = asyncio.get_running_loop()
    timer = loop.create_future()
    handle = loop.call_later(3600, timer.set_result, None)
    try:
        await asyncio.wait_for(timer, 0.01)
    except TimeoutError as e:
        print("timer:", type(e).__name__, "cancelled:", timer.cancelled())
    handle.cancel()

    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        await asyncio.wait_for(loop.sock_recv(a, 100), 0.01)
    except TimeoutError as e:
        print("recv:", type(e).__name__)
    b.send(b"late data")
    data = await asyncio.wait_for(loop.sock_recv(a, 100), 10)
    print("recv in time:", data.decode())
    a.close()
    b.close()


asyncio.run(main())
