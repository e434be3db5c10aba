# Mirrors CPython test_tasks.BaseTaskTests.test_cancel_task_catching and
# test_cancel_task_ignoring: a task that catches CancelledError keeps running, awaits again
# and returns normally; the task then ends with its result, not cancelled.
import asyncio


async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("stubborn: caught CancelledError, carrying on")
    await asyncio.sleep(0)
    print("stubborn: awaited again, cancelling() =", asyncio.current_task().cancelling())
    return 42


async def main():
    t = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    print("cancel returns", t.cancel())
    result = await t
    print("result:", result)
    print("cancelled:", t.cancelled(), "cancelling():", t.cancelling())
    print("cancel after done returns", t.cancel())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
