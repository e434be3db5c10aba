# Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon_threadsafe and
# test_call_soon_threadsafe_same_thread: call_soon_threadsafe always appends to the ready
# queue, so a call made before run_forever(), from this thread or from a thread that has
# finished, runs before a later call_soon.
import asyncio
import threading

loop = asyncio.new_event_loop()


def cb(name):
    print("run", name)


loop.call_soon(cb, "soon 1")
loop.call_soon_threadsafe(cb, "threadsafe 2")
loop.call_soon(cb, "soon 3")
thread = threading.Thread(target=loop.call_soon_threadsafe, args=(cb, "threadsafe 4 from a thread"))
thread.start()
thread.join()
loop.call_soon(cb, "soon 5")
loop.call_soon(loop.stop)
loop.run_forever()
print("stopped")
loop.close()
