# Mirrors CPython test_tasks.BaseTaskTests.test_cancel_current_task and test_cancel_at_end:
# a task that cancels itself gets CancelledError (with its message) at its next await; one
# that cancels itself and then returns ends cancelled, its result discarded.
import asyncio


async def self_cancel():
    me = asyncio.current_task()
    print("cancel self:", me.cancel("self"))
    try:
        await asyncio.sleep(0)
    except asyncio.CancelledError as e:
        print(f"self: CancelledError '{e}' at the next await")
        raise


async def cancel_at_end():
    asyncio.current_task().cancel("at end")
    return 12


async def main():
    t = asyncio.create_task(self_cancel())
    try:
        await t
    except asyncio.CancelledError:
        print("self-cancelled task cancelled:", t.cancelled())

    t = asyncio.create_task(cancel_at_end())
    try:
        print("result (wrong):", await t)
    except asyncio.CancelledError as e:
        print(f"cancelled at the end: CancelledError '{e}'; task cancelled:", t.cancelled())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
