# Mirrors CPython test_locks.EventTests.test_wait, test_wait_on_set, test_clear_with_waiters
# and test_wait_cancel: set() wakes every waiter in order; a task started after set() does
# not block; after clear() new waiters block again; a cancelled wait raises.
import asyncio


async def waiter(ev, name):
    print(name, "waiting")
    result = await ev.wait()
    print(name, "woke:", result)


async def main():
    ev = asyncio.Event()
    t1 = asyncio.create_task(waiter(ev, "w1"))
    t2 = asyncio.create_task(waiter(ev, "w2"))
    await asyncio.sleep(0)
    print("is_set:", ev.is_set())
    t3 = asyncio.create_task(waiter(ev, "w3"))
    ev.set()
    print("set, is_set:", ev.is_set())
    await asyncio.gather(t1, t2, t3)
    print("wait on a set event:", await ev.wait())
    ev.clear()
    print("cleared, is_set:", ev.is_set())
    t4 = asyncio.create_task(waiter(ev, "w4"))
    await asyncio.sleep(0)
    print("w4 done before set:", t4.done())
    asyncio.get_running_loop().call_soon(ev.set)
    await t4
    never = asyncio.Event()
    t5 = asyncio.create_task(waiter(never, "w5"))
    await asyncio.sleep(0)
    t5.cancel()
    try:
        await t5
    except asyncio.CancelledError:
        print("w5 cancelled:", t5.cancelled())
    try:
        await asyncio.wait_for(never.wait(), 0.01)
    except asyncio.TimeoutError:
        print("wait_for timed out")


asyncio.run(main())
