# Mirrors CPython test_tasks.RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe,
# test_run_coroutine_threadsafe_with_exception and test_run_coroutine_threadsafe_task_cancelled,
# plus the documented "cancel() on the returned future cancels the task": a thread submits
# coroutines to a running loop and blocks on the returned concurrent future. Thread events
# order the two threads' output.
import asyncio

from threadsafe_trace import (add, cancel_once_started, fail, print_cancelled, print_value_error,
                              run_submitter, slow)


def submitter(loop):
    fut = asyncio.run_coroutine_threadsafe(add(2, 3), loop)
    print("thread: result", fut.result())

    print_value_error(asyncio.run_coroutine_threadsafe(fail(), loop))

    fut = asyncio.run_coroutine_threadsafe(slow(), loop)
    cancelled = cancel_once_started(fut.cancel)
    print("thread: cancel() ->", cancelled, "cancelled():", fut.cancelled())
    print_cancelled(fut)


run_submitter(submitter)
