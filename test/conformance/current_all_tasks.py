# Mirrors CPython test_tasks.BaseTaskTests.test_current_task,
# test_current_task_with_interleaving_tasks and asyncio.all_tasks' documented contract:
# current_task() is the task whose step is running (None in a plain callback); all_tasks()
# holds the loop's tasks that are not done. Tasks get explicit names: Python's default
# 'Task-N' counter is process-wide.
import asyncio


def names(tasks):
    return " ".join(sorted(t.get_name() for t in tasks))


def plain_callback():
    print("in a plain callback, current_task() is None:", asyncio.current_task() is None)


async def worker(label, gate):
    print(label, "runs as", asyncio.current_task().get_name())
    await gate
    print(label, "resumes as", asyncio.current_task().get_name())


async def main():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    print("main runs as", me.get_name())
    gate = loop.create_future()
    a = asyncio.create_task(worker("a", gate), name="worker-a")
    b = asyncio.create_task(worker("b", gate), name="worker-b")
    print("all_tasks before the workers start:", names(asyncio.all_tasks()))
    await asyncio.sleep(0)
    print("all_tasks while they wait:", names(asyncio.all_tasks()))
    gate.set_result(None)
    await a
    await b
    print("all_tasks once they are done:", names(asyncio.all_tasks()))
    print("current_task() is still main:", asyncio.current_task() is me)
    b.set_name("renamed")
    print("set_name:", b.get_name())
    loop.call_soon(plain_callback)
    await asyncio.sleep(0)


loop = asyncio.new_event_loop()
loop.run_until_complete(loop.create_task(main(), name="main"))
loop.close()
