# Mirrors test_events.EventLoopTestsMixin.test_run_until_complete_nesting (the refused
# coroutine never runs), test_unix_events.TestFunctional.test_add_reader_or_writer_transport_fd
# (RuntimeError on an fd a transport owns), and a Semaphore released past 2**31 - 1.
import asyncio
import socket
import warnings

ran = []


async def inner():
    ran.append("inner")


async def nested(loop):
    try:
        loop.run_until_complete(inner())
    except RuntimeError as exc:
        print("nested run_until_complete:", exc)
    for _ in range(3):
        await asyncio.sleep(0)
    print("inner ran:", bool(ran))


async def transport_fd(loop):
    rsock, wsock = socket.socketpair()
    tr, pr = await loop.create_connection(asyncio.Protocol, sock=rsock)
    fd = rsock.fileno()
    for name, call in (("add_reader", lambda: loop.add_reader(fd, print)),
                       ("add_writer", lambda: loop.add_writer(fd, print)),
                       ("remove_reader", lambda: loop.remove_reader(fd)),
                       ("remove_writer", lambda: loop.remove_writer(fd))):
        try:
            call()
            print(name, "accepted")
        except RuntimeError as exc:
            prefix = f"File descriptor {fd} is used by transport"
            print(name, "RuntimeError:", str(exc).startswith(prefix))
    tr.close()
    await asyncio.sleep(0)
    wsock.close()


async def semaphore():
    sem = asyncio.Semaphore(2**31 - 1)
    sem.release()
    sem.release()
    print("value:2147483649" in repr(sem))
    await sem.acquire()
    print("value:2147483648" in repr(sem))


def main():
    warnings.simplefilter("ignore")  # "coroutine 'inner' was never awaited"
    loop = asyncio.new_event_loop()
    loop.run_until_complete(nested(loop))
    loop.run_until_complete(transport_fd(loop))
    loop.run_until_complete(semaphore())
    loop.close()
    try:
        loop.run_until_complete(inner())
    except RuntimeError as exc:
        print("closed loop:", exc)
    print("inner ran:", bool(ran))


main()
