# Mirrors CPython test_locks.ConditionTests.test_notify, test_notify_all, test_wait_for and
# the un-acquired errors: notify(n) wakes the oldest n waiters, which then re-take the lock
# one after the other; notify_all() wakes the rest; wait_for() returns the predicate's value.
import asyncio

items = []


async def consumer(cond, name):
    async with cond:
        print(name, "waiting")
        while not items:
            await cond.wait()
            print(name, "woke, items:", len(items))
        print(name, "got", items.pop(0))


async def produce(cond, count, notify_all=False):
    async with cond:
        items.extend(range(count))
        if notify_all:
            print("notify_all with", count, "items")
            cond.notify_all()
        else:
            print("notify", count)
            cond.notify(count)
    await asyncio.sleep(0)


async def main():
    cond = asyncio.Condition()
    try:
        cond.notify()
    except RuntimeError as e:
        print("RuntimeError:", e)
    try:
        await cond.wait()
    except RuntimeError as e:
        print("RuntimeError:", e)
    print("wait_for true at once:", await cond.wait_for(lambda: 42))
    tasks = [asyncio.create_task(consumer(cond, f"c{i}")) for i in range(4)]
    await asyncio.sleep(0)
    await produce(cond, 1)
    await produce(cond, 2)
    await produce(cond, 0, notify_all=True)
    await produce(cond, 1, notify_all=True)
    await asyncio.gather(*tasks)
    print("locked at end:", cond.locked())


asyncio.run(main())
