# Mirrors CPython test_tasks.BaseTaskTests.test_shield_effect, test_shield_cancel_outer,
# test_shield_cancel_inner, test_shield_result, test_shield_exception and
# test_shield_shortcut: cancelling whoever awaits a shield (or the shield itself) leaves the
# inner task running and its result available; cancelling the inner cancels the shield;
# results and exceptions pass through; a done future is returned as it is.
import asyncio


async def inner_work(label, delay, fail=False):
    await asyncio.sleep(delay)
    print(label, "inner finished")
    if fail:
        raise ValueError(label)
    return label + " result"


async def waiter(inner):
    try:
        return await asyncio.shield(inner)
    except asyncio.CancelledError:
        print("waiter: cancelled at the shield")
        raise


async def main():
    inner = asyncio.create_task(inner_work("effect", 0.01))
    w = asyncio.create_task(waiter(inner))
    await asyncio.sleep(0)
    w.cancel()
    try:
        await w
    except asyncio.CancelledError:
        print("waiter cancelled:", w.cancelled(), "inner cancelled:", inner.cancelled(),
              "inner done:", inner.done())
    print("inner result still comes:", await inner)

    inner = asyncio.create_task(inner_work("outer-cancel", 0.01))
    outer = asyncio.shield(inner)
    cancelled = outer.cancel()
    print("cancel the shield:", cancelled, "inner cancelled:", inner.cancelled())
    print("inner result:", await inner)

    inner = asyncio.create_task(inner_work("inner-cancel", 10))
    outer = asyncio.shield(inner)
    await asyncio.sleep(0)
    inner.cancel()
    try:
        await outer
    except asyncio.CancelledError:
        print("inner cancelled -> shield cancelled:", outer.cancelled())

    print("result passes:", await asyncio.shield(inner_work("plain", 0.01)))
    try:
        await asyncio.shield(inner_work("failing", 0.01, fail=True))
    except ValueError as e:
        print("exception passes: ValueError", e)

    done = asyncio.get_running_loop().create_future()
    done.set_result("ready")
    print("done future returned as is:", asyncio.shield(done) is done)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
