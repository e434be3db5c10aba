# Mirrors CPython test_taskgroups.TestTaskGroup.test_taskgroup_01/02 (all succeed),
# test_taskgroup_04 (the first failure cancels the siblings and the body),
# test_cancel_children_on_child_error (errors are gathered into one group: here two tasks
# failing in the same iteration) and test_taskgroup_21a (the body's own error joins them):
# failures come out as ExceptionGroup('unhandled errors in a TaskGroup'); we print its
# str() and the sorted messages of its exceptions.
import asyncio


async def child(name, delay, fail=False):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print("child", name, "cancelled")
        raise
    if fail:
        raise ValueError(name)
    print("child", name, "done")
    return name


async def fail_now(name):
    raise ValueError(name)


def messages(eg):
    return " ".join(sorted(str(e) for e in eg.exceptions))


async def main():
    async with asyncio.TaskGroup() as tg:
        t1 = tg.create_task(child("a", 0.02))
        t2 = tg.create_task(child("b", 0.01))
        print("body done, tasks pending:", t1.done(), t2.done())
    print("all succeed:", t1.result(), t2.result())

    try:
        async with asyncio.TaskGroup() as tg:
            sibling = tg.create_task(child("sibling", 10))
            tg.create_task(child("bad", 0.01, fail=True))
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                print("body cancelled")
                raise
    except ExceptionGroup as eg:
        print("ExceptionGroup:", eg, messages(eg), "sibling cancelled:", sibling.cancelled())

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail_now("x"))
            tg.create_task(fail_now("y"))
    except ExceptionGroup as eg:
        print("both failures collected:", messages(eg))

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("c", 10))
            await asyncio.sleep(0)
            raise ValueError("body")
    except ExceptionGroup as eg:
        print("body error collected:", messages(eg))


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
