# cpython: 3.12+
# Mirrors test_eager_task_factory.EagerTaskFactoryLoopTests: with asyncio.eager_task_factory a
# task runs its first step inside create_task, as the current task; one that never suspends
# is done when create_task returns, one that suspends goes on lazily; a lazy task starts only
# once its creator yields. Also a factory that decorates the tasks it makes, an eager task
# started by Task(..., eager_start=True), eager tasks in a TaskGroup and in gather, and
# context variables across an eager step. Tasks made through a factory get explicit names:
# 3.12 and 3.13 name them only after the factory returns (3.13.0 names unnamed ones 'None').
import asyncio
import contextvars

cv = contextvars.ContextVar("cv", default=0)


async def quick(tag):
    print(f"  {tag}: first step")
    return tag.upper()


async def slow(tag, gate):
    print(f"  {tag}: first step")
    await gate
    print(f"  {tag}: resumed")
    return tag.upper()


async def fail(tag):
    print(f"  {tag}: first step, raising")
    raise ValueError(tag)


async def awaits_done(fut):
    value = await fut  # already done: no suspension
    print("  awaits_done got", value)
    return value


async def main():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    print("default factory is None:", loop.get_task_factory() is None)

    print("-- eager against lazy")
    loop.set_task_factory(asyncio.eager_task_factory)
    print("factory is eager_task_factory:", loop.get_task_factory() is asyncio.eager_task_factory)
    print("create eager quick")
    t1 = asyncio.create_task(quick("eager-quick"), name="eager-quick")
    print("returned: done", t1.done(), "result", t1.result())
    gate = loop.create_future()
    print("create eager slow")
    t2 = asyncio.create_task(slow("eager-slow", gate), name="eager-slow")
    print("returned: done", t2.done(), "in all_tasks", t2 in asyncio.all_tasks())
    print("eager quick in all_tasks:", t1 in asyncio.all_tasks())
    done_fut = loop.create_future()
    done_fut.set_result(5)
    t_done = asyncio.create_task(awaits_done(done_fut), name="awaits-done")
    print("returned: done", t_done.done())
    t_fail = asyncio.create_task(fail("eager-fail"), name="eager-fail")
    exc = t_fail.exception()
    print("returned: done", t_fail.done(), "exception", type(exc).__name__, exc)
    loop.set_task_factory(None)
    print("create lazy quick")
    t3 = asyncio.create_task(quick("lazy-quick"), name="lazy-quick")
    print("returned: done", t3.done())
    print("main yields")
    await asyncio.sleep(0)
    print("main back: lazy done", t3.done())
    gate.set_result(None)
    print("awaited", await t2)

    print("-- current task during the eager step")
    captured = []

    async def capture():
        captured.append(asyncio.current_task())
        print("  in the eager step, current task is main:", asyncio.current_task() is me)
        await asyncio.sleep(0)
        print("  after suspending, the same task:", asyncio.current_task() is captured[0])

    loop.set_task_factory(asyncio.eager_task_factory)
    t = asyncio.create_task(capture(), name="capture")
    print("the eager step's current task was the new task:", captured[0] is t)
    print("current task is main again:", asyncio.current_task() is me)
    await t

    async def named():
        print("  eager step runs as", asyncio.current_task().get_name())

    loop.set_task_factory(None)
    t = asyncio.Task(named(), loop=loop, name="explicit-eager", eager_start=True)
    print("Task(eager_start=True): done", t.done())

    print("-- cancel after the eager step")
    loop.set_task_factory(asyncio.eager_task_factory)
    t = asyncio.create_task(quick("finished"), name="finished")
    print("cancel a finished task:", t.cancel(), "cancelled", t.cancelled())
    gate = loop.create_future()
    t = asyncio.create_task(slow("blocked", gate), name="blocked")
    print("cancel a blocked task:", t.cancel("cancellation message"), "cancelling", t.cancelling())
    try:
        await t
    except asyncio.CancelledError as e:
        print("awaiting it: CancelledError", e.args[0])

    print("-- a decorating factory")

    def on_done(task):
        print("  done callback for", task.get_name())

    def decorating_factory(loop, coro, **kwargs):
        print("  factory called")
        task = asyncio.Task(coro, loop=loop, eager_start=True, **kwargs)
        print("  factory: task done after its eager step:", task.done())
        task.add_done_callback(on_done)
        return task

    loop.set_task_factory(decorating_factory)
    print("factory is the decorating one:", loop.get_task_factory() is decorating_factory)
    t = asyncio.create_task(quick("decorated"), name="decorated")
    print("create_task returned", t.get_name(), "done", t.done())
    gate = loop.create_future()
    t = asyncio.create_task(slow("decorated-slow", gate), name="decorated-slow")
    print("create_task returned", t.get_name(), "done", t.done())
    await asyncio.sleep(0)
    gate.set_result(None)
    await t
    await asyncio.sleep(0)

    print("-- TaskGroup with eager tasks")
    loop.set_task_factory(asyncio.eager_task_factory)
    gate = loop.create_future()
    async with asyncio.TaskGroup() as tg:
        a = tg.create_task(quick("tg-quick"), name="tg-quick")
        print("tg-quick done at creation:", a.done())
        b = tg.create_task(slow("tg-slow", gate), name="tg-slow")
        print("tg-slow done at creation:", b.done())
        gate.set_result(None)
    print("group done:", a.result(), b.result())
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail("tg-fail"), name="tg-fail")
            print("body goes on until it awaits")
            await asyncio.sleep(0)
            print("not reached")
    except ExceptionGroup as eg:
        print("ExceptionGroup:", [type(e).__name__ + " " + str(e) for e in eg.exceptions])

    print("-- gather with eager tasks")
    print("gather:", await asyncio.gather(quick("g1"), quick("g2"), awaits_done(done_fut)))

    print("-- context variables across the eager step")
    steps = []

    async def uses_cv():
        print("  eager step sees", cv.get())
        cv.set(2)
        await asyncio.sleep(0)
        print("  second step sees", cv.get())
        cv.set(3)

    cv.set(1)
    t = asyncio.create_task(uses_cv(), name="uses-cv")
    print("after create_task main sees", cv.get())
    await t
    print("after the task main sees", cv.get(), "- the task's context holds", t.get_context().get(cv))
    loop.set_task_factory(None)


loop = asyncio.new_event_loop()
loop.run_until_complete(loop.create_task(main(), name="main"))
loop.close()
