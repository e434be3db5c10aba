# Mirrors CPython test_taskgroups.TestTaskGroup.test_taskgroup_07 (cancelled while the body
# waits) and test_cancellation / test_taskgroup_22 (cancelled while __aexit__ waits for the
# children): cancelling the task that runs a TaskGroup cancels the children and propagates
# CancelledError, not an ExceptionGroup; the group's own abort after a child failure
# leaves the parent's cancelling() count at zero. One child only: Python's _abort walks a
# set, so the order in which several children see the cancellation is not defined.
import asyncio


async def child(name, delay):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print("child", name, "cancelled")
        raise
    return name


async def runner(started, body_waits):
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("only", 10))
            started.set_result(None)
            if body_waits:
                await asyncio.sleep(10)
            print("body finished; waiting for the children")
    except asyncio.CancelledError:
        print("runner: CancelledError propagates out of the TaskGroup")
        raise


async def failing():
    await asyncio.sleep(0)
    raise ValueError("child failed")


async def main():
    loop = asyncio.get_running_loop()
    for body_waits in [True, False]:
        print("-- cancel while the body", "waits" if body_waits else "has finished")
        started = loop.create_future()
        t = asyncio.create_task(runner(started, body_waits))
        await started
        t.cancel()
        try:
            await t
        except asyncio.CancelledError:
            print("runner task cancelled:", t.cancelled())

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(failing())
            await asyncio.sleep(10)
    except ExceptionGroup:
        print("after the group's own abort, cancelling():", asyncio.current_task().cancelling())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
