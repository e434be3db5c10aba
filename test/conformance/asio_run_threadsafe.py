# Mirrors CPython test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe,
# test_run_coroutine_threadsafe_with_exception and the documented "cancel() on the returned
# future cancels the task". The C++ side submits with asyncio::async_run and a plain callback
# from a std::thread, and cancels through the handler's cancellation slot. Thread events order
# the two threads' output.
import asyncio
import concurrent.futures
import threading


async def add(a, b):
    await asyncio.sleep(0)
    print("loop: add runs")
    return a + b


async def greet(name):
    await asyncio.sleep(0)
    print("loop: hello", name)


async def fail():
    await asyncio.sleep(0)
    raise ValueError("coroutine failed")


started = threading.Event()
seen_cancel = threading.Event()


async def slow():
    started.set()
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("loop: slow sees CancelledError")
        seen_cancel.set()
        raise
    return 0


def submitter(loop):
    fut = asyncio.run_coroutine_threadsafe(add(2, 3), loop)
    print("thread: result", fut.result())

    fut = asyncio.run_coroutine_threadsafe(greet("asio"), loop)
    fut.result()
    print("thread: greet done")

    fut = asyncio.run_coroutine_threadsafe(fail(), loop)
    try:
        fut.result()
    except ValueError as e:
        print("thread: ValueError", e)

    fut = asyncio.run_coroutine_threadsafe(slow(), loop)
    started.wait()
    fut.cancel()
    seen_cancel.wait()
    try:
        fut.result()
    except concurrent.futures.CancelledError:
        print("thread: result() raises CancelledError")


async def main():
    await asyncio.to_thread(submitter, asyncio.get_running_loop())
    print("loop: submitter finished")


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
