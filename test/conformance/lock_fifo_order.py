# Mirrors CPython test_locks.LockTests.test_acquire and the 3.12 fairness rule in
# Lock.acquire: waiters get the lock in FIFO order, one per release(), and a task that
# arrives while the lock is free but still has waiters queues behind them.
import asyncio

order = []


async def worker(lock, name):
    print(name, "waiting, locked:", lock.locked())
    async with lock:
        print(name, "got the lock")
        order.append(name)
        await asyncio.sleep(0)
        print(name, "releasing")


async def main():
    lock = asyncio.Lock()
    print("acquire:", await lock.acquire())
    tasks = [asyncio.create_task(worker(lock, f"w{i}")) for i in range(3)]
    await asyncio.sleep(0)
    late = asyncio.create_task(worker(lock, "late"))
    print("main releasing")
    lock.release()
    print("locked right after release:", lock.locked())
    await asyncio.gather(*tasks, late)
    print("order:", *order)
    print("locked at end:", lock.locked())
    try:
        lock.release()
    except RuntimeError as e:
        print("RuntimeError:", e)


asyncio.run(main())
