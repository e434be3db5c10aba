"""Helpers for the pairs in which a thread submits coroutines to a running loop
(asio_run_threadsafe, run_coroutine_threadsafe; threadsafe_trace.hpp is their C++ side): the
coroutines submitted, the submitting thread's waits, and the loop that runs that thread."""
import asyncio
import concurrent.futures
import threading

# Set by slow() on the loop, waited for on the submitting thread.
started = threading.Event()
seen_cancel = threading.Event()


async def add(a, b):
    await asyncio.sleep(0)
    print("loop: add runs")
    return a + b


async def fail():
    await asyncio.sleep(0)
    raise ValueError("coroutine failed")


async def slow():
    started.set()
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("loop: slow sees CancelledError")
        seen_cancel.set()
        raise
    return 0


def print_value_error(fut):
    """Waits for the future of fail() and prints the ValueError it ends with."""
    try:
        fut.result()
    except ValueError as e:
        print("thread: ValueError", e)


def cancel_once_started(cancel):
    """Calls cancel() once slow() runs and returns its result after slow() saw the cancel."""
    started.wait()
    result = cancel()
    seen_cancel.wait()
    return result


def print_cancelled(fut):
    """Waits for the future of a cancelled slow() and says that result() raised."""
    try:
        fut.result()
    except concurrent.futures.CancelledError:
        print("thread: result() raises CancelledError")


def run_submitter(submitter):
    """Runs submitter(loop) on a worker thread while a new loop runs, then closes the loop."""

    async def main():
        await asyncio.to_thread(submitter, asyncio.get_running_loop())
        print("loop: submitter finished")

    loop = asyncio.new_event_loop()
    loop.run_until_complete(main())
    loop.close()
