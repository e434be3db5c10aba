# Mirrors CPython test_tasks.BaseTaskTests.test_cancel, test_cancel_at_end and
# Task.cancel's documented return value: cancelling twice counts twice and the first message
# wins at the await point; cancelling a finished, failed or cancelled task returns False
# and changes nothing.
import asyncio


async def waiter(fut):
    try:
        await fut
    except asyncio.CancelledError as e:
        print(f"waiter: CancelledError '{e}'")
        raise


async def quick():
    return "quick"


async def failing():
    raise ValueError("boom")


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    t = asyncio.create_task(waiter(fut))
    await asyncio.sleep(0)
    first = t.cancel("first")
    print("first cancel:", first, "cancelling:", t.cancelling())
    second = t.cancel("second")
    print("second cancel:", second, "cancelling:", t.cancelling())
    try:
        await t
    except asyncio.CancelledError:
        print("main: task cancelled:", t.cancelled())
    third = t.cancel("third")
    print("cancel cancelled task:", third, "cancelling:", t.cancelling())

    done = asyncio.create_task(quick())
    print("awaited:", await done)
    again = done.cancel()
    print("cancel finished task:", again, "cancelling:", done.cancelling())
    print("still finished:", done.result(), done.cancelled())

    bad = asyncio.create_task(failing())
    await asyncio.wait([bad])
    late = bad.cancel()
    print("cancel failed task:", late, "cancelled:", bad.cancelled())
    print("exception kept:", type(bad.exception()).__name__, bad.exception())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
