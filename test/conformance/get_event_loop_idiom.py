# Mirrors test_events.PolicyTests.test_get_event_loop_after_set_none, test_set_event_loop and
# GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop2: the pre-asyncio.run idiom
# set_event_loop(loop); loop.run_until_complete(gather(a(), b())), where gather and
# ensure_future run before the loop does; get_event_loop() is the running loop, else the loop
# set on this thread, else a RuntimeError naming the thread. set_event_loop(None) comes first:
# until then 3.12 and 3.13 would create a loop on the main thread (3.14 no longer does).
import asyncio
import threading


async def a():
    await asyncio.sleep(0)
    print("a runs")
    return 1


async def b():
    print("b runs")
    return 2


async def inside(loop):
    print("inside: the running loop, not the one set:",
          asyncio.get_event_loop() is asyncio.get_running_loop(),
          asyncio.get_event_loop() is not loop)


def attempt(where):
    try:
        asyncio.get_event_loop()
        print(where, "-> a loop")
    except RuntimeError as exc:
        print(where, "-> RuntimeError:", exc)


asyncio.set_event_loop(None)
attempt("nothing set")
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
print("the loop set:", asyncio.get_event_loop() is loop)
print("gather:", loop.run_until_complete(asyncio.gather(a(), b())))
task = asyncio.ensure_future(b())
print("ensure_future on the loop set:", task.get_loop() is loop)
print("ensure_future:", loop.run_until_complete(task))
other = asyncio.new_event_loop()
other.run_until_complete(inside(loop))
other.close()
print("after: the loop set again:", asyncio.get_event_loop() is loop)
thread = threading.Thread(target=attempt, args=("another thread",), name="worker")
thread.start()
thread.join()
asyncio.set_event_loop(None)
attempt("set to None")
loop.close()
