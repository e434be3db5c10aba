# Mirrors CPython test_timeouts.TimeoutTests.test_timeout_basic, test_timeout_at_basic,
# test_waiter_cancelled, test_timeout_not_called, test_foreign_exception_passed,
# test_timeout_zero_sleep_zero, test_outer_task_is_not_cancelled and test_reschedule:
# expiry cancels the body (it sees CancelledError) and raises TimeoutError; expired() and
# when() report the state; reschedule() moves or removes the deadline.
import asyncio


async def sleep_long(label):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(label, "body sees CancelledError")
        raise


async def main():
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(0.01) as cm:
            await sleep_long("timeout(0.01):")
    except TimeoutError:
        print("TimeoutError; expired:", cm.expired())
    print("task cancelling() after:", asyncio.current_task().cancelling())

    deadline = loop.time() + 0.01
    try:
        async with asyncio.timeout_at(deadline) as cm:
            await sleep_long("timeout_at:")
    except TimeoutError:
        print("TimeoutError; expired:", cm.expired(), "when() is deadline:", cm.when() == deadline)

    async with asyncio.timeout(1) as cm:
        await asyncio.sleep(0)
    print("no expiry: expired:", cm.expired())

    try:
        async with asyncio.timeout(1) as cm:
            raise ValueError("inside")
    except ValueError as e:
        print("foreign ValueError passes:", e, "expired:", cm.expired())

    try:
        async with asyncio.timeout(0) as cm:
            await asyncio.sleep(0)
    except TimeoutError:
        print("timeout(0) then sleep(0): TimeoutError; expired:", cm.expired())

    try:
        async with asyncio.timeout(None) as cm:
            print("no deadline: when() is None:", cm.when() is None)
            cm.reschedule(loop.time() + 0.01)
            await sleep_long("rescheduled:")
    except TimeoutError:
        print("rescheduled: TimeoutError; expired:", cm.expired())

    async with asyncio.timeout(0.01) as cm:
        cm.reschedule(None)
        await asyncio.sleep(0.03)
    print("deadline removed: finished; expired:", cm.expired(),
          "when() is None:", cm.when() is None)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
