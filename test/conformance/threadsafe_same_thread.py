# Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon_threadsafe_same_thread:
# call_soon_threadsafe from the loop's own thread (inside a callback) appends to the
# ready queue like call_soon, so the two interleave in call order, and its handle can be
# cancelled like any other.
import asyncio

loop = asyncio.new_event_loop()


def cb(name):
    print("run", name)


def schedule():
    print("scheduling from a callback")
    loop.call_soon(cb, "soon 1")
    loop.call_soon_threadsafe(cb, "threadsafe 2")
    loop.call_soon(cb, "soon 3")
    handle = loop.call_soon_threadsafe(cb, "threadsafe 4 (cancelled)")
    loop.call_soon_threadsafe(cb, "threadsafe 5")
    loop.call_soon(cb, "soon 6")
    handle.cancel()
    print("threadsafe handle cancelled:", handle.cancelled())
    loop.call_soon_threadsafe(loop.stop)


def first_batch():
    print("first batch: these run in the next one")
    loop.call_soon_threadsafe(schedule)


loop.call_soon(first_batch)
loop.call_soon(cb, "still in the first batch")
loop.run_forever()
print("stopped")
loop.close()
