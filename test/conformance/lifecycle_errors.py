# Mirrors CPython test_events.EventLoopTestsMixin.test_close_running_event_loop,
# test_close, test_run_until_complete_nesting and
# test_base_events.BaseEventLoopTests.test_running_loop_within_a_loop: the loop's
# lifecycle errors and their exact messages; close() twice is fine.
import asyncio

loop = asyncio.new_event_loop()
other = asyncio.new_event_loop()


def attempt(name, fn):
    try:
        fn()
        print(name, "-> ok")
    except RuntimeError as exc:
        print(name, "-> RuntimeError:", exc)


def inside():
    print("inside: running", loop.is_running(), "closed", loop.is_closed())
    attempt("run_forever inside", loop.run_forever)
    attempt("run_until_complete inside", lambda: loop.run_until_complete(loop.create_future()))
    attempt("close inside", loop.close)
    attempt("other.run_forever inside", other.run_forever)
    print("other loop running:", other.is_running())
    loop.stop()


print("fresh: running", loop.is_running(), "closed", loop.is_closed())
loop.call_soon(inside)
loop.run_forever()
print("after run: running", loop.is_running(), "closed", loop.is_closed())
attempt("other.run_forever after", lambda: (other.call_soon(other.stop), other.run_forever()))
attempt("close", loop.close)
attempt("close again", loop.close)
print("closed: running", loop.is_running(), "closed", loop.is_closed())
attempt("call_soon", lambda: loop.call_soon(print))
attempt("call_soon_threadsafe", lambda: loop.call_soon_threadsafe(print))
attempt("call_later", lambda: loop.call_later(1, print))
attempt("call_at", lambda: loop.call_at(loop.time() + 1, print))
attempt("run_forever", loop.run_forever)
attempt("run_until_complete", lambda: loop.run_until_complete(loop.create_future()))
attempt("add_reader", lambda: loop.add_reader(0, print))
print("remove_reader on closed loop:", loop.remove_reader(0))
print("remove_writer on closed loop:", loop.remove_writer(1))
other.close()
