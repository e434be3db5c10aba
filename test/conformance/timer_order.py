# Mirrors CPython test_events.EventLoopTestsMixin.test_call_later,
# test_base_events.BaseEventLoopTests.test_time_and_call_at and test__run_once:
# timers fire in deadline order whatever their registration order, call_at uses
# loop.time(), and callbacks already ready run before timers that expire in the same
# iteration.
import asyncio

loop = asyncio.new_event_loop()
handles = {}


def timer(name):
    print("fired", name, "on time:", loop.time() >= handles[name].when())


def soon(name):
    print("soon", name)


def in_batch():
    print("batch: call_later(0) then call_soon")
    loop.call_later(0, soon, "timer 0")
    loop.call_soon(soon, "ready 1")
    loop.call_soon(soon, "ready 2")


t0 = loop.time()
for name, delay in [("c", 0.03), ("a", 0.01), ("b", 0.02)]:
    handles[name] = loop.call_later(delay, timer, name)
handles["at"] = loop.call_at(t0 + 0.015, timer, "at")
print("call_at keeps when:", handles["at"].when() == t0 + 0.015)
print("call_later adds the delay:", handles["c"].when() >= t0 + 0.03)
loop.call_at(t0 + 0.04, loop.stop)
loop.run_forever()
print("elapsed at least 0.03:", loop.time() - t0 >= 0.03)

# Equal deadlines keep registration order.
when = loop.time() + 0.005
loop.call_at(when, soon, "tie first")
loop.call_at(when, soon, "tie second")
loop.call_at(when + 0.001, loop.stop)
loop.run_forever()

# An expired timer registered before a call_soon still runs after it.
loop.call_later(0, soon, "timer before run")
loop.call_soon(soon, "ready before run")
loop.call_soon(in_batch)
loop.call_later(0.01, loop.stop)
loop.run_forever()
loop.close()
