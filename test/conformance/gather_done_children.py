# cpython: 3.12+
# 3.12's gather counts children that are already done at once (the done_futs loop added with
# eager tasks), so a gather of finished futures is done when gather() returns and awaiting it
# does not yield to other tasks. 3.11 completed it one loop iteration later. No CPython test
# covers it; test_eager_task_factory relies on it.
import asyncio


async def other():
    print("other task runs")


async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    f.set_result(1)
    g = asyncio.gather(f)
    print("gather of a done future, done on return:", g.done())
    print("result:", await g)
    t = asyncio.create_task(other())
    f2 = loop.create_future()
    f2.set_result(2)
    print("awaited without yielding:", await asyncio.gather(f2))
    await t
    pending = loop.create_future()
    g2 = asyncio.gather(f, pending)
    print("one child pending, done on return:", g2.done())
    pending.set_result(3)
    print("both:", await g2)
    bad = loop.create_future()
    bad.set_exception(ValueError("bad"))
    g3 = asyncio.gather(bad, pending)
    print("failed child, done on return:", g3.done())
    try:
        await g3
    except ValueError as e:
        print("ValueError:", e)


asyncio.run(main())
