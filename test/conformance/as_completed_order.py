# Mirrors CPython test_tasks.BaseTaskTests.test_as_completed,
# test_as_completed_with_timeout and test_as_completed_with_unused_timeout: results arrive in
# completion order, not argument order; once the timeout passes the remaining awaitables
# raise TimeoutError; an unused timeout changes nothing.
import asyncio


async def job(name, delay):
    await asyncio.sleep(delay)
    return name


async def main():
    tasks = [asyncio.create_task(job("slow", 0.03)), asyncio.create_task(job("fast", 0.01)),
             asyncio.create_task(job("mid", 0.02))]
    for aw in asyncio.as_completed(tasks):
        print("completed:", await aw)

    stuck = asyncio.create_task(job("stuck", 10))
    tasks = [stuck, asyncio.create_task(job("quick", 0.01))]
    for aw in asyncio.as_completed(tasks, timeout=0.1):
        try:
            print("with timeout, completed:", await aw)
        except TimeoutError:
            print("with timeout: TimeoutError; stuck done:", stuck.done())
    stuck.cancel()
    leftover = [stuck]
    await asyncio.wait(leftover)

    tasks = [asyncio.create_task(job("b", 0.02)), asyncio.create_task(job("a", 0.01))]
    for aw in asyncio.as_completed(tasks, timeout=1):
        print("unused timeout, completed:", await aw)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
