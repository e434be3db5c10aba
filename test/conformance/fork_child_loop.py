# Mirrors CPython test_unix_events.TestFork (test_fork_asyncio_run, test_fork_signal_handling,
# test_fork_not_share_event_loop), forking from inside a running task: the child runs an
# asyncio.run() of its own that talks to the parent's server and handles a signal the parent's
# loop also handles; the parent's loop and its signal handler are untouched.
import asyncio
import os
import signal
import sys


async def child_main(port):
    await asyncio.sleep(0)
    got = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, got.set_result, "SIGUSR1")
    os.kill(os.getpid(), signal.SIGUSR1)
    print("child handled", await got, flush=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"from child\n")
    print("child got", (await reader.readline()).decode().strip(), flush=True)
    writer.close()
    await writer.wait_closed()


async def handle(reader, writer):
    line = await reader.readline()
    writer.write(b"echo " + line)
    await writer.drain()
    writer.close()


def in_child(port):
    try:
        asyncio.get_running_loop()
        print("child: a running loop", flush=True)
    except RuntimeError as e:
        print("child: RuntimeError", e, flush=True)
    try:
        asyncio.run(child_main(port))
    except BaseException as e:
        print("child error", type(e).__name__, e, flush=True)
    os._exit(0)


async def main():
    loop = asyncio.get_running_loop()
    parent_signals = []
    loop.add_signal_handler(signal.SIGUSR1, parent_signals.append, "SIGUSR1")
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        in_child(port)
    status = await loop.run_in_executor(None, os.waitpid, pid, 0)
    print("parent: child exited with", os.waitstatus_to_exitcode(status[1]))
    for _ in range(3):
        await asyncio.sleep(0)
    print("parent signals after the child's:", parent_signals)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"from parent\n")
    print("parent got", (await reader.readline()).decode().strip())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    loop.remove_signal_handler(signal.SIGUSR1)


asyncio.run(main())
