# Mirrors CPython test_base_events.BaseEventLoopTests.test_call_later_negative_delays:
# negative delays and deadlines in the past are due at once, in deadline order, and run
# in the next iteration after the callbacks already in the ready queue.
import asyncio

loop = asyncio.new_event_loop()
iteration = 0


def cb(name):
    print("iteration", iteration, "run", name)


def run_once():
    global iteration
    iteration += 1
    loop.call_soon(loop.stop)
    loop.run_forever()


def schedule_from_callback():
    print("iteration", iteration, "schedule from a callback")
    loop.call_later(-1, cb, "call_later(-1) from callback")
    loop.call_soon(cb, "call_soon from callback")


loop.call_later(-1, cb, "call_later(-1)")
loop.call_later(-2, cb, "call_later(-2)")
loop.call_at(loop.time() - 10, cb, "call_at(time - 10)")
loop.call_soon(cb, "call_soon registered last")
past = loop.call_later(-5, cb, "call_later(-5)")
print("call_later(-5) when is in the past:", past.when() < loop.time())
run_once()
loop.call_soon(schedule_from_callback)
loop.call_soon(cb, "queued behind the scheduler")
run_once()
run_once()
run_once()
print("iteration", iteration, "nothing left")
loop.close()
