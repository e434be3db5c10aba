# Mirrors CPython test_tasks.BaseTaskTests.test_cancel_with_message_then_future_result,
# test_cancel_with_message_then_future_exception and
# test_cancel_with_message_before_starting_task: cancel(msg) raises CancelledError carrying
# msg at the await point; a task cancelled before its first step never runs its body.
import asyncio


async def sleeper(fut):
    print("sleeper: awaiting the future")
    try:
        await fut
    except asyncio.CancelledError as e:
        print(f"sleeper: CancelledError '{e}' at the await point")
        raise
    print("sleeper: not reached")


async def never_started():
    print("never_started: body runs (wrong)")


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    t = asyncio.create_task(sleeper(fut))
    await asyncio.sleep(0)
    print("cancel returns", t.cancel("stop now"))
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"main: awaiting the task raises CancelledError '{e}'")
    print("task cancelled:", t.cancelled(), "future cancelled:", fut.cancelled())

    early = asyncio.create_task(never_started())
    print("cancel before start returns", early.cancel("too early"))
    try:
        await early
    except asyncio.CancelledError as e:
        print(f"main: early task raised CancelledError '{e}'")
    print("early cancelled:", early.cancelled())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
