# Mirrors CPython test_tasks.BaseTaskTests.test_cancelling and test_uncancel_basic: every
# cancel() of a pending task raises cancelling() by one, uncancel() lowers it and never goes
# below zero; the task sees one CancelledError and may still finish normally.
import asyncio


async def body():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        me = asyncio.current_task()
        print("body: cancelled, cancelling() =", me.cancelling())
        print("body: uncancel() ->", me.uncancel())
    await asyncio.sleep(0)
    print("body: finishes normally")
    return "ok"


async def main():
    t = asyncio.create_task(body())
    await asyncio.sleep(0)
    print("before cancel:", t.cancelling())
    t.cancel()
    print("after one cancel:", t.cancelling())
    t.cancel()
    print("after two cancels:", t.cancelling())
    print("uncancel ->", t.uncancel())
    print("result:", await t)
    print("done: cancelling() =", t.cancelling())
    print("uncancel() ->", t.uncancel())
    print("cancelled:", t.cancelled())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
