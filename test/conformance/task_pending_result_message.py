# Mirrors CPython test_futures.BaseFutureTests.test_result and test_exception, with the
# message text of the C-accelerated Future and Task asyncio uses by default (_asyncio):
# result() of a pending future or task raises InvalidStateError('Result is not set.');
# exception() raises InvalidStateError('Exception is not set.').
import asyncio


async def body():
    await asyncio.sleep(0)


loop = asyncio.new_event_loop()
fut = loop.create_future()
task = loop.create_task(body())
for label, pending in [("future", fut), ("task", task)]:
    try:
        pending.result()
    except asyncio.InvalidStateError as e:
        print(label, "result(): InvalidStateError", e)
    try:
        pending.exception()
    except asyncio.InvalidStateError as e:
        print(label, "exception(): InvalidStateError", e)
loop.run_until_complete(task)
loop.close()
