# Mirrors CPython test_events.EventLoopTestsMixin.test_run_until_complete,
# test_base_events.BaseEventLoopTests.test_run_until_complete_loop and
# test_run_until_complete_baseexception: run_until_complete(future) returns the result
# set by a timer, rejects a future of another loop with ValueError, and re-raises the
# future's exception (CancelledError once cancelled).
import asyncio

loop = asyncio.new_event_loop()
other = asyncio.new_event_loop()


def tick(name):
    print("tick", name)


t0 = loop.time()
fut = loop.create_future()
loop.call_later(0.01, fut.set_result, 42)
print("result:", loop.run_until_complete(fut))
print("waited for the timer:", loop.time() - t0 >= 0.009, "running:", loop.is_running())

# Already done: the loop still runs the callbacks queued before the done callback.
loop.call_soon(tick, "queued before")
print("done future result:", loop.run_until_complete(fut))

foreign = other.create_future()
try:
    loop.run_until_complete(foreign)
except ValueError as exc:
    print("ValueError:", exc)
print("foreign future still pending:", not foreign.done())

failing = loop.create_future()
loop.call_soon(failing.set_exception, ValueError("boom"))
try:
    loop.run_until_complete(failing)
except ValueError as exc:
    print("ValueError:", exc)

cancelled = loop.create_future()
loop.call_soon(cancelled.cancel)
try:
    loop.run_until_complete(cancelled)
except asyncio.CancelledError:
    print("CancelledError, cancelled:", cancelled.cancelled())

loop.call_soon(tick, "loop still usable")
loop.call_soon(loop.stop)
loop.run_forever()
other.close()
loop.close()
