# Mirrors test_runners.RunnerTests.test_interrupt_wait and test_interrupt_cancelled_task: Ctrl-C
# (SIGINT, raised here from a loop callback) cancels the main task; if that cancellation is what
# ended it, run() raises KeyboardInterrupt. A main task that swallows it returns normally, one
# that something else cancelled too ends in CancelledError, and SIGINT's default handler is back
# after each run. The second SIGINT (Python: KeyboardInterrupt wherever the program is; here
# the process ends by SIGINT) is in test/unit/test_runners.cpp.
import asyncio
import signal

# A shell may start us with SIGINT ignored; asyncio's Runner only takes over the default.
signal.signal(signal.SIGINT, signal.default_int_handler)


def interrupt_self():
    signal.raise_signal(signal.SIGINT)


def default_handler():
    return signal.getsignal(signal.SIGINT) is signal.default_int_handler


async def interrupted():
    asyncio.get_running_loop().call_soon(interrupt_self)
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print("interrupted: CancelledError, cancelling", asyncio.current_task().cancelling())
        raise


async def swallowed():
    asyncio.get_running_loop().call_soon(interrupt_self)
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print("swallowed: CancelledError, cancelling", asyncio.current_task().cancelling())
    return "swallowed's result"


async def subtask(task):
    await asyncio.sleep(0)
    task.cancel()
    interrupt_self()


async def also_cancelled():
    asyncio.create_task(subtask(asyncio.current_task()))
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        # Not its cancelling(): CPython's handler cancels at once, before the task resumes;
        # asyncio-cpp's cancels from the next loop iteration, after this task ended.
        print("also_cancelled: CancelledError")
        raise


with asyncio.Runner() as runner:
    try:
        runner.run(interrupted())
    except KeyboardInterrupt:
        print("run: KeyboardInterrupt")
    print("default handler back:", default_handler())
    print("run:", runner.run(swallowed()))
    try:
        runner.run(also_cancelled())
    except asyncio.CancelledError:
        print("run: CancelledError")
    print("default handler back:", default_handler())
try:
    asyncio.run(interrupted())
except KeyboardInterrupt:
    print("asyncio.run: KeyboardInterrupt")
