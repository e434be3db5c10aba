# Mirrors CPython test_locks.LockTests.test_acquire_cancel, test_cancel_race and
# test_finished_waiter_cancelled: a cancelled waiter leaves the queue; a waiter cancelled
# right after release() woke it passes the wakeup on to the next waiter.
import asyncio


async def locker(lock, name):
    print(name, "acquiring")
    try:
        await lock.acquire()
    except asyncio.CancelledError:
        print(name, "cancelled while waiting, locked:", lock.locked())
        raise
    print(name, "acquired")
    await asyncio.sleep(0)
    lock.release()
    print(name, "released")


async def main():
    lock = asyncio.Lock()
    await lock.acquire()
    a = asyncio.create_task(locker(lock, "a"))
    b = asyncio.create_task(locker(lock, "b"))
    c = asyncio.create_task(locker(lock, "c"))
    await asyncio.sleep(0)
    print("cancel b, still waiting")
    b.cancel()
    await asyncio.sleep(0)
    print("b cancelled:", b.cancelled())
    print("release, then cancel a, whom it woke")
    lock.release()
    a.cancel()
    for name, task in (("a", a), ("c", c)):
        try:
            await task
            print("awaited", name)
        except asyncio.CancelledError:
            print("awaited", name, "-> CancelledError")
    print("a cancelled:", a.cancelled(), "c done:", c.done())
    print("locked at end:", lock.locked())


asyncio.run(main())
