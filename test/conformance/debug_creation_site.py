# Mirrors CPython test_events.HandleTests.test_handle_source_traceback,
# test_futures.BaseFutureTests.test_future_source_traceback,
# test_tasks.BaseTaskTests.test_task_source_traceback and
# test_base_events.BaseEventLoopTests.test_default_exc_handler_callback: in debug mode a handle's, future's, task's and gather's repr ends with " created at file:line",
# and the exception handler's context carries source_traceback; outside debug mode neither.
# The stable prefix is compared: each repr's class, whether it has a site, and for handles
# that the site is the line of the call (asyncio records futures and tasks from inside its own
# modules, asyncio-cpp at the caller's line, so for them only the presence is compared).
# gather's future is a Future (asyncio's subclass _GatheringFuture prints its own name).
import asyncio
import inspect

HERE = __file__


def line():
    return inspect.currentframe().f_back.f_lineno


def show(label, obj, at=None):
    text = repr(obj)
    head, _, site = text.rpartition(" created at ")
    kind = text.split(" ")[0].lstrip("<").replace("_GatheringFuture", "Future")
    parts = [label + ":", kind, "site:", bool(head)]
    if at is not None:
        parts += ["here:", site == f"{HERE}:{at}>"]
    print(*parts)


def noop():
    pass


async def forever():
    await asyncio.sleep(3600)


async def answer():
    return 42


def handler(loop, context):
    print("handler: exception in callback:", context["message"].startswith("Exception in callback"),
          "| source_traceback:", "source_traceback" in context)


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)
    at = line() + 1
    h = loop.call_soon(noop)
    show("call_soon", h, at)
    at = line() + 1
    h = loop.call_soon_threadsafe(noop)
    show("call_soon_threadsafe", h, at)
    at = line() + 1
    t = loop.call_later(10, noop)
    show("call_later", t, at)
    t.cancel()
    at = line() + 1
    t = loop.call_at(loop.time() + 10, noop)
    show("call_at", t, at)
    t.cancel()
    fut = loop.create_future()
    show("create_future", fut)
    task = asyncio.create_task(forever())
    show("create_task", task)
    both = asyncio.gather(answer(), answer())
    show("gather", both)
    await both
    show("gather done", both)
    task.cancel()
    fut.cancel()
    loop.call_soon(lambda: 1 / 0)
    await asyncio.sleep(0)
    loop.set_debug(False)
    show("debug off, call_soon", loop.call_soon(noop))
    show("debug off, create_future", loop.create_future())
    show("debug off, create_task", asyncio.create_task(answer()))
    loop.call_soon(lambda: 1 / 0)
    await asyncio.sleep(0)


asyncio.run(main(), debug=True)
print("done")
