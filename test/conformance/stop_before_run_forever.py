# Mirrors CPython test_base_events.BaseEventLoopTests.test_run_forever_pre_stopped:
# stop() before run_forever() runs exactly one iteration (select(0)), then returns.
import asyncio

loop = asyncio.new_event_loop()


def cb(name, depth):
    print("run", name, depth)
    if depth > 0:
        loop.call_soon(cb, name + "'", depth - 1)


def timer(name):
    print("timer", name)


loop.call_soon(cb, "a", 1)
loop.call_soon(cb, "b", 1)
loop.call_later(0, timer, "due now")
far = loop.call_later(3600, timer, "far")
loop.stop()
loop.stop()  # twice is still one iteration
print("running before:", loop.is_running())
loop.run_forever()
print("first run_forever returned, running:", loop.is_running())
# The stop flag was consumed: a second pre-stopped run takes the leftovers only.
loop.stop()
loop.run_forever()
print("second run_forever returned")
# Not pre-stopped any more: this run lasts until a callback stops it.
loop.call_soon(cb, "c", 2)
loop.call_later(0.01, loop.stop)
loop.run_forever()
print("third run_forever returned, far cancelled:", far.cancelled())
far.cancel()
loop.close()
