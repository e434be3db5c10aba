# Mirrors CPython test_events.GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop
# (its asyncio.get_running_loop() checks): outside a running loop it raises
# RuntimeError("no running event loop"); inside a callback it is the running loop; other
# threads have none; after run_forever() returns it raises again.
import asyncio
import threading

loop = asyncio.new_event_loop()


def attempt(where):
    try:
        print(where, "-> same loop:", asyncio.get_running_loop() is loop)
    except RuntimeError as exc:
        print(where, "-> RuntimeError:", exc)


def inside():
    attempt("inside a callback")
    thread = threading.Thread(target=attempt, args=("another thread while running",))
    thread.start()
    thread.join()
    loop.call_later(0, attempt, "inside a timer")
    loop.call_later(0, loop.stop)


attempt("before run_forever")
loop.call_soon(inside)
loop.run_forever()
attempt("after run_forever")
fut = loop.create_future()
loop.call_soon(attempt, "inside run_until_complete")
loop.call_soon(fut.set_result, None)
loop.run_until_complete(fut)
attempt("after run_until_complete")
loop.close()
attempt("after close")
