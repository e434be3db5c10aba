# Mirrors CPython test_tasks.BaseTaskTests.test_sleep and test_sleep_cancel: sleep(delay,
# result) gives the result back, sleep(0, result) too (after one loop iteration), and a
# cancelled sleep raises CancelledError instead.
import asyncio


async def sleeper(dt, arg):
    await asyncio.sleep(dt / 2)
    res = await asyncio.sleep(dt / 2, arg)
    return res


async def main():
    print("sleep(delay, result):", await sleeper(0.01, "yeah"))
    order = []
    other = asyncio.create_task(asyncio.sleep(0, "other ran"))
    other.add_done_callback(lambda t: order.append(t.result()))
    order.append(await asyncio.sleep(0, 42))
    await other
    print("sleep(0, result):", order)
    task = asyncio.create_task(asyncio.sleep(10, "never"))
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("cancelled:", task.cancelled())


asyncio.run(main())
