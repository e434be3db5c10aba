# Mirrors CPython's documented asyncio.sleep(0) behaviour ("yields to other tasks") and
# test_tasks.BaseTaskTests.test_sleep_zero: gather starts its children in argument order,
# and two coroutines that each sleep(0) three times alternate every iteration.
import asyncio


async def worker(name):
    for i in range(3):
        print(f"{name}{i}")
        await asyncio.sleep(0)
    print(f"{name} done")
    return name + "!"


async def main():
    results = await asyncio.gather(worker("a"), worker("b"))
    print("results:", *results)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
