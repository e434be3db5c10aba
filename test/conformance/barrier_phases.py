# Mirrors CPython test_locks.BarrierTests.test_filling_task_by_task, test_draining_state,
# test_filling_tasks_wait_twice, test_abort_barrier and test_barrier_parties: parties pass
# together, get distinct indices, and see abort() as BrokenBarrierError.
import asyncio


async def party(barrier, name):
    for phase in range(2):
        print(name, "arrives for phase", phase, "n_waiting:", barrier.n_waiting)
        index = await barrier.wait()
        print(name, "passes phase", phase, "with index", index)


async def doomed(barrier, name):
    try:
        await barrier.wait()
    except asyncio.BrokenBarrierError as e:
        print(name, "BrokenBarrierError:", e)


async def main():
    try:
        asyncio.Barrier(0)
    except ValueError as e:
        print("ValueError:", e)
    barrier = asyncio.Barrier(3)
    print("parties:", barrier.parties)
    await asyncio.gather(*(party(barrier, f"p{i}") for i in range(3)))
    print("n_waiting:", barrier.n_waiting, "broken:", barrier.broken)
    tasks = [asyncio.create_task(doomed(barrier, f"d{i}")) for i in range(2)]
    await asyncio.sleep(0)
    print("n_waiting before abort:", barrier.n_waiting)
    await barrier.abort()
    await asyncio.gather(*tasks)
    print("broken:", barrier.broken)
    await doomed(barrier, "late")
    await barrier.reset()
    print("after reset, broken:", barrier.broken)


asyncio.run(main())
