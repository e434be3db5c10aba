# Mirrors CPython test_timeouts.TimeoutTests.test_nested_timeouts, test_nested_timeouts_loop_busy
# (without blocking the loop), test_foreign_cancel_doesnt_timeout_if_not_expired,
# test_cancel_in_timeout_after_cancellation and test_timeout_after_cancellation: only the
# timeout that expired turns the cancellation into TimeoutError (inner first: the outer
# block goes on; outer first: the inner block sees CancelledError); a CancelledError from
# elsewhere stays a CancelledError; a timeout entered with cancelling() > 0 still works.
import asyncio


async def main():
    async with asyncio.timeout(0.1) as outer:
        try:
            async with asyncio.timeout(0.01) as inner:
                await asyncio.sleep(10)
        except TimeoutError:
            print("inner first: TimeoutError; inner expired:", inner.expired(),
                  "outer expired:", outer.expired())
        await asyncio.sleep(0)
    print("inner first: outer block finished; outer expired:", outer.expired())

    try:
        async with asyncio.timeout(0.01) as outer:
            try:
                async with asyncio.timeout(10) as inner:
                    await asyncio.sleep(10)
            except asyncio.CancelledError:
                print("outer first: inner block sees CancelledError; inner expired:",
                      inner.expired())
                raise
    except TimeoutError:
        print("outer first: TimeoutError; outer expired:", outer.expired())

    try:
        async with asyncio.timeout(10) as cm:
            asyncio.current_task().cancel("elsewhere")
            await asyncio.sleep(10)
    except asyncio.CancelledError as e:
        print(f"foreign cancel: CancelledError '{e}'; expired:", cm.expired())
    print("foreign cancel: uncancel() ->", asyncio.current_task().uncancel())

    try:
        async with asyncio.timeout(0.01) as cm:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                asyncio.current_task().cancel("while expiring")
            await asyncio.sleep(0)
    except TimeoutError:
        print("cancelled while expiring: TimeoutError (wrong)")
    except asyncio.CancelledError as e:
        print(f"cancelled while expiring: CancelledError '{e}'; expired:", cm.expired())
    print("cancelling() after:", asyncio.current_task().cancelling())

    try:
        async with asyncio.timeout(0) as cm:
            await asyncio.sleep(1)
    except TimeoutError:
        print("entered with cancelling() 1: timeout(0) still raises TimeoutError")
    print("cancelling() stays:", asyncio.current_task().cancelling())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
