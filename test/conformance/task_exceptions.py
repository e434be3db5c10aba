# Mirrors CPython test_tasks.BaseTaskTests.test_exception_traceback, test_step_result_future
# and test_futures' result()/exception() contract on tasks: an exception propagates out of
# awaited coroutines and tasks (finally blocks run on the way); a finished task keeps its
# result or exception; a pending task raises InvalidStateError.
import asyncio


async def inner():
    await asyncio.sleep(0)
    raise ValueError("bad inner")


async def middle():
    try:
        await inner()
    finally:
        print("middle: finally runs")


async def value():
    await asyncio.sleep(0)
    return 7


async def main():
    try:
        await middle()
    except ValueError as e:
        print("caught through coroutines: ValueError", e)

    t = asyncio.create_task(middle())
    try:
        await t
    except ValueError as e:
        print("caught through a task: ValueError", e)
    print("failed task: done", t.done(), "cancelled", t.cancelled())
    exc = t.exception()
    print("exception(): ValueError", exc)
    try:
        t.result()
    except ValueError as e:
        print("result() raises ValueError", e)

    ok = asyncio.create_task(value())
    try:
        ok.result()
    except asyncio.InvalidStateError:
        print("pending result(): InvalidStateError")
    try:
        ok.exception()
    except asyncio.InvalidStateError as e:
        print("pending exception(): InvalidStateError", e)
    await ok
    print("finished task: result()", ok.result(), "exception()", ok.exception())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
