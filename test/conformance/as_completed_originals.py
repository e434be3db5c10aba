# cpython: 3.13+
# Mirrors CPython test_tasks.BaseTaskTests.test_as_completed_same_tasks_in_as_out and the
# try_async_iterator halves of test_as_completed and test_as_completed_with_timeout: 3.13's
# `async for t in as_completed(fs)` gives the original tasks and futures, in completion order,
# then TimeoutError once the timeout passes; plain iteration still gives the results.
import asyncio


async def job(gate):
    return await gate


async def main():
    loop = asyncio.get_running_loop()
    gates = [loop.create_future() for _ in range(3)]
    tasks = [asyncio.create_task(job(gate), name=name) for gate, name in zip(gates, "abc")]
    gates[2].set_result(2)
    later = [0, 1]
    async for t in asyncio.as_completed(tasks):
        print("got", t.get_name(), "original:", t in tasks, "result:", t.result())
        if later:
            index = later.pop(0)
            gates[index].set_result(index)

    number = asyncio.create_task(job(gates[0]))
    text = loop.create_future()
    text.set_result("x")
    mixed = [number, text]
    async for f in asyncio.as_completed(mixed):
        print("mixed: got the", "task" if f is number else "future", "result:", f.result())

    stuck = loop.create_future()
    quick = loop.create_future()
    loop.call_soon(quick.set_result, 1)
    try:
        async for f in asyncio.as_completed([stuck, quick], timeout=0.05):
            print("with timeout: got quick:", f is quick)
    except TimeoutError:
        print("with timeout: TimeoutError, stuck done:", stuck.done())

    for aw in asyncio.as_completed([quick]):
        print("plain iteration gives the result:", await aw)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
