# Mirrors CPython test_futures.BaseFutureDoneCallbackTests.test_callbacks_invoked_on_set_result,
# test_callbacks_remove_first_callback and test_remove_done_callback: done callbacks are
# scheduled with call_soon when the future completes (never run inline), in registration
# order; a removed one does not run; one added to a done future is scheduled at once.
import asyncio

loop = asyncio.new_event_loop()
bag = []


def make_callback(name):
    def callback(future):
        print("callback", name, "result:", future.result())
        bag.append(name)
    return callback


def show(names):
    return ",".join(names) or "(empty)"


def soon(name):
    print("soon", name)


def run_once():
    loop.call_soon(loop.stop)
    loop.run_forever()


fut = loop.create_future()
cb1, cb2, cb3 = make_callback("cb1"), make_callback("cb2"), make_callback("cb3")
fut.add_done_callback(cb1)
fut.add_done_callback(cb2)
fut.add_done_callback(cb3)
print("removed cb2:", fut.remove_done_callback(cb2))
print("removed cb2 again:", fut.remove_done_callback(cb2))
loop.call_soon(soon, "queued before set_result")
fut.set_result("foo")
print("right after set_result:", show(bag))
loop.call_soon(soon, "queued after set_result")
print("removing after set_result:", fut.remove_done_callback(cb3))
run_once()
print("after one iteration:", show(bag))

fut.add_done_callback(make_callback("late"))
print("late callback not inline:", show(bag))
run_once()
print("after another iteration:", show(bag))

failed = loop.create_future()
failed.add_done_callback(lambda f: print("callback sees exception:", type(f.exception()).__name__))
failed.set_exception(ValueError("bad"))
run_once()
loop.close()
