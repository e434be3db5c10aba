# Mirrors CPython test_threads.ToThreadTests.test_to_thread, test_to_thread_exception,
# test_to_thread_concurrent and test_events.EventLoopTestsMixin.test_run_in_executor:
# run_in_executor (default or a custom ThreadPoolExecutor) and to_thread run the function on
# a worker thread and deliver its result or exception to the awaiting task; gather over
# several of them keeps argument order.
import asyncio
import concurrent.futures
import threading

main_thread = threading.current_thread()


def square(x):
    return x * x


def fail(message):
    raise ValueError(message)


def on_worker_thread():
    return threading.current_thread() is not main_thread


async def main():
    loop = asyncio.get_running_loop()
    print("run_in_executor result:", await loop.run_in_executor(None, square, 7))
    try:
        await loop.run_in_executor(None, fail, "from run_in_executor")
    except ValueError as e:
        print("run_in_executor raises ValueError", e)
    print("to_thread result:", await asyncio.to_thread(square, 8))
    try:
        await asyncio.to_thread(fail, "from to_thread")
    except ValueError as e:
        print("to_thread raises ValueError", e)
    print("ran on a worker thread:", await asyncio.to_thread(on_worker_thread))

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    print("custom executor result:", await loop.run_in_executor(pool, square, 9))
    pool.shutdown()

    results = await asyncio.gather(*[asyncio.to_thread(square, i) for i in range(5)])
    print("gathered in argument order:", *results)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
