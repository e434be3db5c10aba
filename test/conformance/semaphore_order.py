# Mirrors CPython test_locks.SemaphoreTests.test_acquire, test_acquire_fifo_order and
# test_semaphore_value / test_release_not_acquired: Semaphore(2) admits two holders at a
# time and serves the rest in FIFO order; BoundedSemaphore refuses an extra release.
import asyncio


async def worker(sem, name):
    print(name, "acquiring, locked:", sem.locked())
    async with sem:
        print(name, "in")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        print(name, "out")


async def main():
    try:
        asyncio.Semaphore(-1)
    except ValueError as e:
        print("ValueError:", e)
    sem = asyncio.Semaphore(2)
    tasks = [asyncio.create_task(worker(sem, f"w{i}")) for i in range(5)]
    await asyncio.gather(*tasks)
    print("locked at end:", sem.locked())
    zero = asyncio.Semaphore(0)
    print("Semaphore(0) locked:", zero.locked())
    bounded = asyncio.BoundedSemaphore(1)
    await bounded.acquire()
    bounded.release()
    try:
        bounded.release()
    except ValueError as e:
        print("ValueError:", e)


asyncio.run(main())
