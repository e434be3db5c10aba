# Mirrors CPython test_events.EventLoopTestsMixin.test_run_until_complete_stopped:
# stop() before the future completes makes run_until_complete() raise
# RuntimeError("Event loop stopped before Future completed."); the future stays pending
# and a later run_until_complete() can still finish it.
import asyncio

loop = asyncio.new_event_loop()
fut = loop.create_future()


def tick(name):
    print("tick", name)


loop.call_soon(tick, "before stop")
loop.call_soon(loop.stop)
try:
    loop.run_until_complete(fut)
except RuntimeError as exc:
    print("RuntimeError:", exc)
print("future done:", fut.done(), "running:", loop.is_running())

# A pre-stopped loop: one iteration, then the same error.
loop.stop()
try:
    loop.run_until_complete(fut)
except RuntimeError as exc:
    print("RuntimeError:", exc)

# A stop from a timer while the future still waits.
loop.call_later(0.01, loop.stop)
try:
    loop.run_until_complete(fut)
except RuntimeError as exc:
    print("RuntimeError:", exc)
print("future done:", fut.done())

# The future's done callback was removed each time: completing it now works.
loop.call_soon(fut.set_result, 7)
print("result:", loop.run_until_complete(fut))
loop.call_soon(tick, "after")
loop.call_soon(loop.stop)
loop.run_forever()
loop.close()
