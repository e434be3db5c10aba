# Mirrors CPython test_base_events.BaseEventLoopTests.test_run_once (the
# `call_soon(loop.stop); run_forever()` idiom) and the documented loop.stop() contract:
# stop() inside a callback lets the current batch finish; callbacks scheduled by that
# batch run only in the next run_forever().
import asyncio

loop = asyncio.new_event_loop()


def later(name):
    print("later", name, "running:", loop.is_running())


def first():
    print("first: stop")
    loop.stop()
    print("first: still running:", loop.is_running())
    loop.call_soon(later, "from first")


def second():
    print("second runs in the same batch")
    loop.stop()  # a second stop() is harmless
    loop.call_soon(later, "from second")


def timer():
    print("expired timer joins the batch")
    loop.call_soon(later, "from timer")


loop.call_later(0, timer)
loop.call_soon(first)
loop.call_soon(second)
loop.run_forever()
print("run_forever returned, running:", loop.is_running())
loop.call_soon(loop.stop)
loop.run_forever()
print("second run_forever returned")
loop.call_soon(loop.stop)
loop.run_forever()
print("third run_forever ran nothing left over")
loop.close()
