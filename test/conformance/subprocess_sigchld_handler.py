# Mirrors CPython test_unix_events.SelectorEventLoopSignalTests (add/remove_signal_handler)
# together with test_subprocess's child watcher tests: a SIGCHLD handler installed with
# loop.add_signal_handler runs when a child exits, and does not stop the loop's child
# watcher from reaping children and reporting their exit status, before or after it is
# removed.
import asyncio
import signal


async def exit_code(code):
    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", f"exit {code}")
    return await proc.wait()


async def main():
    loop = asyncio.get_running_loop()
    signalled = loop.create_future()

    def on_sigchld(tag):
        if not signalled.done():
            signalled.set_result(tag)

    loop.add_signal_handler(signal.SIGCHLD, on_sigchld, "child exited")
    print("with a SIGCHLD handler:", await exit_code(4))
    print("handler ran:", await asyncio.wait_for(signalled, 10))  # timeout: a safety net only
    codes = await asyncio.gather(*(exit_code(i) for i in range(5)))
    print("concurrent children:", codes)
    print("remove_signal_handler:", loop.remove_signal_handler(signal.SIGCHLD))
    print("after removal:", await exit_code(5))


asyncio.run(main())
