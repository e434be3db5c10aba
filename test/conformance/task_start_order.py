# Mirrors CPython's documented scheduling (Task.__init__ schedules the first step with
# loop.call_soon; asyncio.sleep(0) is a bare yield) and test_tasks.BaseTaskTests.test_sleep_zero:
# create_task and call_soon share one FIFO, a new task first runs on the next iteration, and
# sleep(0) gives up exactly one iteration.
import asyncio


def tick(label):
    print("callback", label)


def counter(loop, n):
    print("iteration", n)
    if n < 4:
        loop.call_soon(counter, loop, n + 1)


async def child(name):
    print("task", name, "step 1")
    await asyncio.sleep(0)
    print("task", name, "step 2")


async def yielder():
    for i in range(3):
        print("yielder resumes", i)
        await asyncio.sleep(0)


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(tick, "1")
    t1 = asyncio.create_task(child("A"))
    loop.call_soon(tick, "2")
    t2 = asyncio.create_task(child("B"))
    loop.call_soon(tick, "3")
    print("main yields")
    await asyncio.sleep(0)
    print("main resumes")
    await t1
    await t2
    print("main: both children done")
    loop.call_soon(counter, loop, 1)
    await asyncio.create_task(yielder())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
