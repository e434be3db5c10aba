# Mirrors CPython test_base_events.BaseEventLoopTests.test__run_once_cancelled_event_cleanup
# and test__add_callback_cancelled_handle, and test_events.HandleTests.test_handle /
# TimerTests.test_timer: cancelled handles never run, even when cancelled by a callback
# of the same batch after they were queued; Handle.cancelled() reports it.
import asyncio

loop = asyncio.new_event_loop()
handles = {}


def cb(name):
    print("run", name)


def cancel(name):
    print("cancel", name)
    handles[name].cancel()
    print(name, "cancelled:", handles[name].cancelled())


handles["before"] = loop.call_later(0.01, cb, "before (never)")
print("fresh timer cancelled:", handles["before"].cancelled())
handles["before"].cancel()
handles["before"].cancel()  # twice is a no-op
print("cancelled before firing:", handles["before"].cancelled())

# A timer that cancels a later one.
loop.call_later(0.02, cancel, "later")
handles["later"] = loop.call_later(0.03, cb, "later (never)")

# A ready callback that cancels one queued behind it in the same batch.
loop.call_soon(cancel, "queued")
handles["queued"] = loop.call_soon(cb, "queued (never)")
loop.call_soon(cb, "after queued")

# Two expired timers in one batch: the first cancels the second.
loop.call_later(0, cancel, "expired")
handles["expired"] = loop.call_later(0, cb, "expired (never)")

handles["done"] = loop.call_soon(cb, "done")
loop.call_later(0.04, loop.stop)
loop.run_forever()
handles["done"].cancel()  # a handle that already ran can still be marked cancelled
print("ran then cancelled:", handles["done"].cancelled())
loop.close()
