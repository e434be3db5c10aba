# Mirrors CPython 3.14's test_asyncio/test_graph.py (test_stack_task, test_stack_gather,
# test_stack_shield, test_stack_tgroup, test_stack_future) as a recorded structure: 3.11-3.13
# have no asyncio.graph, so this side rebuilds 3.14's graph of a future from what they do have
# (each coroutine's cr_await chain; the done callbacks that name who waits). Both sides print
# each task as T<name> (T<anon> for Task-N) or F, its frames innermost first, the library's
# own frames left out, and the graphs awaiting it sorted.
import asyncio
import os


def user_frames(task):
    names = []
    coro = task.get_coro()
    while coro is not None and getattr(coro, "cr_frame", None) is not None:
        if os.sep + "asyncio" + os.sep not in coro.cr_code.co_filename:
            names.append(coro.cr_code.co_name)
        coro = coro.cr_await
    return list(reversed(names))


def awaiters(fut):
    # 3.14: a task awaiting it; TaskGroup's parent task; gather's and shield's caller.
    found = []
    for callback, _ in fut._callbacks or ():
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, asyncio.Task):
            found.append(owner)
        elif isinstance(owner, asyncio.TaskGroup):
            found.append(owner._parent_task)
        elif "outer" in getattr(getattr(callback, "__code__", None), "co_freevars", ()):
            cell = callback.__closure__[callback.__code__.co_freevars.index("outer")]
            found.extend(awaiters(cell.cell_contents))
    return found


def render(fut, level, lines):
    if isinstance(fut, asyncio.Task):
        name = fut.get_name()
        head = "T<anon>" if "-" in name else f"T<{name}>"
        head += " [" + " ".join(user_frames(fut)) + "]"
    else:
        head = "F []"
    children = []
    for parent in awaiters(fut):
        sub = []
        render(parent, level + 1, sub)
        children.append(sub)
    lines.append("    " * level + head)
    for sub in sorted(children):
        lines.extend(sub)


def report(gate, done):
    lines = []
    render(gate, 0, lines)
    print("the gate's graph:")
    for line in lines:
        print(line)
    done.set_result(None)


async def leaf(gate):
    await gate


async def middle(gate):
    await leaf(gate)


async def waiter(task):
    await task


async def grouped(gate):
    async with asyncio.TaskGroup() as tg:
        tg.create_task(leaf(gate), name="child_a")
        tg.create_task(middle(gate), name="child_b")


async def gathering(gate):
    await asyncio.gather(middle(gate), leaf(gate))


async def shielding(gate):
    await asyncio.shield(asyncio.create_task(middle(gate), name="shielded"))


async def main():
    loop = asyncio.get_running_loop()
    gate = loop.create_future()
    done = loop.create_future()
    worker = asyncio.create_task(middle(gate), name="worker")
    tasks = [
        worker,
        asyncio.create_task(waiter(worker), name="watcher"),
        asyncio.create_task(grouped(gate), name="grouped"),
        asyncio.create_task(gathering(gate), name="gathering"),
        asyncio.create_task(shielding(gate), name="shielding"),
    ]
    for _ in range(3):
        await asyncio.sleep(0)
    loop.call_soon(report, gate, done)
    await done
    gate.set_result(None)
    for task in tasks:
        await task
    print("all done")


loop = asyncio.new_event_loop()
loop.run_until_complete(loop.create_task(main(), name="main"))
loop.close()
