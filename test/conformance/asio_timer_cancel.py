# Mirrors CPython test_tasks.BaseTaskTests.test_cancel_inner_future and
# test_cancel_with_message_then_future_result: a task waiting on a timer is cancelled mid-wait;
# CancelledError (with the message, if any) reaches it at its await point, not at once. The
# C++ side waits on boost::asio::steady_timer::async_wait through asyncio::use_future, where
# this file awaits asyncio.sleep.
import asyncio


async def waiter(name):
    print(f"{name}: waiting")
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError as e:
        print(f"{name}: CancelledError '{e}' at the await point")
        raise
    print(f"{name}: not reached")


async def cancel_mid_wait(name, *msg):
    task = asyncio.create_task(waiter(name))
    await asyncio.sleep(0)  # the task is now waiting
    print("cancel() returns", task.cancel(*msg), "done at once:", task.done())
    print("second cancel() returns", task.cancel())
    try:
        await task
    except asyncio.CancelledError as e:
        print(f"main: the task raised CancelledError '{e}'")
    print("cancelled:", task.cancelled())


async def main():
    await asyncio.sleep(0)  # an expired timer: done in one loop iteration
    print("expired timer: done")
    await cancel_mid_wait("plain")
    await cancel_mid_wait("with message", "shutting down")


asyncio.run(main())
