# Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon_threadsafe (the self-pipe
# wakes a loop blocked in select): with nothing ready and no timer due, a
# call_soon_threadsafe from another thread wakes the idle loop, runs, and can stop it.
import asyncio
import threading

loop = asyncio.new_event_loop()
go = threading.Event()


def wake(name):
    on_loop_thread = threading.current_thread() is threading.main_thread()
    print("woken by", name, "on the loop thread:", on_loop_thread)
    loop.stop()


def worker():
    for round_name in ["round 1", "round 2"]:
        go.wait()
        go.clear()
        loop.call_soon_threadsafe(wake, round_name)


def arm(name):
    print(name, "armed: the loop goes idle")
    go.set()


thread = threading.Thread(target=worker)
thread.start()
loop.call_soon(arm, "round 1")
loop.run_forever()
print("round 1 returned")
# Idle again, this time with a distant timer that must not fire.
far = loop.call_later(3600, print, "never")
loop.call_soon(arm, "round 2")
loop.run_forever()
print("round 2 returned, far cancelled:", far.cancelled())
far.cancel()
thread.join()
print("worker joined")
loop.close()
