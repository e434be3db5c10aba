# Mirrors CPython test_waitfor.AsyncioWaitForTest.test_wait_for, test_asyncio_wait_for_timeout,
# test_wait_for_blocking, test_wait_for_timeout_less_then_0_or_0_future_done,
# test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started and
# test_wait_for_timeout_less_then_0_or_0: on timeout the inner task is cancelled (and has
# finished) before TimeoutError is raised; timeout <= 0 returns a done result, and cancels a
# pending awaitable (a coroutine never starts). Races between the timeout and the inner result
# are avoided: wait_for was reimplemented on timeout() in 3.12 and such edges differ from 3.11.
import asyncio


async def work(delay, value, fail=False):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print("work", value, "cancelled")
        raise
    if fail:
        raise ValueError(value)
    return value


async def never_started():
    print("never_started: body runs (wrong)")
    return "wrong"


async def main():
    print("success:", await asyncio.wait_for(work(0.01, "fast"), 1))

    try:
        await asyncio.wait_for(work(0.01, "bad", fail=True), 1)
    except ValueError as e:
        print("inner exception propagates: ValueError", e)

    slow = asyncio.create_task(work(10, "slow"))
    try:
        await asyncio.wait_for(slow, 0.01)
    except TimeoutError:
        print("TimeoutError; inner task cancelled:", slow.cancelled())

    loop = asyncio.get_running_loop()
    done = loop.create_future()
    done.set_result("ready")
    print("timeout 0 on a done future:", await asyncio.wait_for(done, 0))

    for delay in [0, -1]:
        try:
            await asyncio.wait_for(never_started(), delay)
        except TimeoutError:
            print(f"timeout {delay} on a coroutine: TimeoutError")

    pending = loop.create_future()
    try:
        await asyncio.wait_for(pending, 0)
    except TimeoutError:
        print("timeout 0 on a pending future: TimeoutError; cancelled:", pending.cancelled())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
