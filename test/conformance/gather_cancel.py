# Mirrors CPython test_tasks.GatherTests.test_one_cancellation,
# test_result_exception_one_cancellation and test_tasks.BaseTaskTests.test_cancel_gather_1:
# cancelling the gather cancels every child (each sees the message) and awaiting it raises
# CancelledError; a child cancelled on its own makes the gather raise CancelledError at
# once while the other children keep running. Either way the gather future ends with that
# CancelledError as its exception: cancelled() stays False.
import asyncio


async def child(name, delay):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError as e:
        print("child", name, f"cancelled with '{e}'")
        raise
    print("child", name, "finishes")
    return name


async def main():
    t1 = asyncio.create_task(child("a", 10))
    t2 = asyncio.create_task(child("b", 10))
    outer = asyncio.gather(t1, t2)
    await asyncio.sleep(0)
    print("cancel gather returns", outer.cancel("stop all"))
    try:
        await outer
    except asyncio.CancelledError as e:
        print(f"gather raised CancelledError '{e}'")
    print("gather future: cancelled()", outer.cancelled(), "(it ends with the exception)")
    print("children cancelled:", t1.cancelled(), t2.cancelled())
    print("cancel gather again returns", outer.cancel())

    victim = asyncio.create_task(child("v", 10))
    other = asyncio.create_task(child("o", 0.1))
    outer = asyncio.gather(victim, other)
    await asyncio.sleep(0)
    victim.cancel("only me")
    try:
        await outer
    except asyncio.CancelledError as e:
        print(f"gather raised CancelledError '{e}'; other done:", other.done())
    print("gather future: cancelled()", outer.cancelled())
    print("other still finishes:", await other)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
