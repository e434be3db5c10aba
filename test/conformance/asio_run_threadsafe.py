# Mirrors CPython test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe,
# test_run_coroutine_threadsafe_with_exception and the documented "cancel() on the returned
# future cancels the task". The C++ side submits with asyncio::async_run and a plain callback
# from a std::thread, and cancels through the handler's cancellation slot. Thread events order
# the two threads' output.
import asyncio

from threadsafe_trace import (add, cancel_once_started, fail, print_cancelled, print_value_error,
                              run_submitter, slow)


async def greet(name):
    await asyncio.sleep(0)
    print("loop: hello", name)


def submitter(loop):
    fut = asyncio.run_coroutine_threadsafe(add(2, 3), loop)
    print("thread: result", fut.result())

    fut = asyncio.run_coroutine_threadsafe(greet("asio"), loop)
    fut.result()
    print("thread: greet done")

    print_value_error(asyncio.run_coroutine_threadsafe(fail(), loop))

    fut = asyncio.run_coroutine_threadsafe(slow(), loop)
    cancel_once_started(fut.cancel)
    print_cancelled(fut)


run_submitter(submitter)
