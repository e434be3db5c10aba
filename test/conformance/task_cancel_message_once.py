# Mirrors CPython test_tasks.BaseTaskTests.test_cancel_with_message_then_future_result and
# Task._make_cancelled_error: the CancelledError a cancelled task ended with (carrying the
# cancel message) is handed out once; later result()/exception() calls build a fresh
# CancelledError without the message (Task.__step cancels the future itself with no message).
import asyncio


async def sleeper():
    await asyncio.sleep(10)


async def main():
    t = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    t.cancel("stop")
    done, pending = await asyncio.wait([t])
    for attempt in ["first result()", "second result()", "exception()"]:
        try:
            if attempt == "exception()":
                t.exception()
            else:
                t.result()
        except asyncio.CancelledError as e:
            print(f"{attempt}: CancelledError '{e}'")


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
