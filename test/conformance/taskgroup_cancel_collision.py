# cpython: 3.13+
# Mirrors test_taskgroups.TestTaskGroup.test_cancelling_level_preserved,
# test_nested_groups_both_cancelled and test_error_and_cancel (3.13): an outside cancellation
# that meets an inner failure. The group uncancels its parent after waiting for its tasks, and
# re-cancels a parent still being cancelled when it raises the ExceptionGroup, so that the
# parent's cancel count stays stable and the outside cancellation is not lost.
import asyncio


async def raise_after(t, e):
    await asyncio.sleep(t)
    raise e()


async def level_preserved():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(raise_after(0.0, RuntimeError))
    except* RuntimeError:
        print("level: RuntimeError caught")
    print("level: cancelling", asyncio.current_task().cancelling())


async def nested_both_cancelled():
    try:
        async with asyncio.TaskGroup() as outer_tg:
            try:
                async with asyncio.TaskGroup() as inner_tg:
                    inner_tg.create_task(raise_after(0, RuntimeError))
                    outer_tg.create_task(raise_after(0, ValueError))
            except* RuntimeError:
                print("nested: inner RuntimeError caught")
            print("nested: cancelling", asyncio.current_task().cancelling())
    except* ValueError:
        print("nested: outer ValueError caught")
    print("nested: cancelling", asyncio.current_task().cancelling())


async def error_and_cancel():
    event = asyncio.Event()

    async def raise_error():
        event.set()
        await asyncio.sleep(0)
        raise RuntimeError()

    async def inner():
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(raise_error())
                await asyncio.sleep(1)
                print("error_and_cancel: slept in the group?")
        except* RuntimeError:
            print("error_and_cancel: caught, cancelling", asyncio.current_task().cancelling())
        print("error_and_cancel: after, cancelling", asyncio.current_task().cancelling())
        await asyncio.sleep(1)
        print("error_and_cancel: slept after the group?")

    t = asyncio.create_task(inner())
    await event.wait()
    print("error_and_cancel: before cancel", t.cancelling())
    t.cancel()
    print("error_and_cancel: after cancel", t.cancelling())
    try:
        await t
    except asyncio.CancelledError:
        print("error_and_cancel: CancelledError, cancelled", t.cancelled())


async def main():
    await asyncio.wait_for(level_preserved(), 5)
    await asyncio.wait_for(nested_both_cancelled(), 5)
    await asyncio.wait_for(error_and_cancel(), 5)


asyncio.run(main())
