# Mirrors CPython test_tasks.BaseTaskTests.test_cancel_inner_future,
# test_cancel_both_task_and_inner_future and test_cancel_awaited_task: cancelling a task
# cancels the future (or task) it awaits at once; when that future was already cancelled
# the task still ends cancelled.
import asyncio


async def wait_on(name, aw):
    try:
        return await aw
    except asyncio.CancelledError:
        print(name, "saw CancelledError")
        raise


async def report(label, task):
    try:
        await task
    except asyncio.CancelledError:
        print(label, "-> task cancelled:", task.cancelled())


async def main():
    loop = asyncio.get_running_loop()

    fut = loop.create_future()
    t = asyncio.create_task(wait_on("outer", fut))
    await asyncio.sleep(0)
    t.cancel()
    print("inner future cancelled at once:", fut.cancelled(), "task done yet:", t.done())
    await report("cancel task", t)

    fut = loop.create_future()
    t = asyncio.create_task(wait_on("outer", fut))
    await asyncio.sleep(0)
    fut.cancel()
    t.cancel()
    print("both cancelled, task done yet:", t.done())
    await report("cancel future then task", t)

    inner = asyncio.create_task(wait_on("inner", loop.create_future()))
    outer = asyncio.create_task(wait_on("outer", inner))
    await asyncio.sleep(0)
    outer.cancel()
    print("awaited task cancelled at once:", inner.cancelled(), "done:", inner.done())
    await report("cancel task awaiting a task", outer)
    print("inner cancelled:", inner.cancelled())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
