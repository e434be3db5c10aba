# cpython: 3.12+
# Context variables as a request id travels through asyncio (contextvars, test_context.py and
# test_tasks.test_context_1..6): a task copies its creator's context at create_task, gather's
# tasks too; callbacks see the context of the moment they were scheduled, or the one given
# (call_soon's context=); a TaskGroup task may share an explicit context; to_thread carries the
# caller's context, run_in_executor does not. Exceptions whose text holds an address (reprs of
# ContextVar, Token, Context) are printed by type only.
import asyncio
import contextvars

request_id = contextvars.ContextVar("request_id", default="-")
user = contextvars.ContextVar("user")


def log(msg):
    print(f"[{request_id.get()}] {msg}")


async def handler(n):
    log(f"handler {n} starts")
    await asyncio.sleep(0)
    log(f"handler {n} resumes")
    request_id.set(f"req-{n}-inner")
    log(f"handler {n} changed its own copy")
    return request_id.get()


def callback(tag):
    log(f"callback {tag}")
    request_id.set(f"set-by-{tag}")


def blocking(tag):
    return f"{tag} sees {request_id.get()}"


def on_done(fut):
    log(f"done callback, result {fut.result()}")


async def shared(n):
    await asyncio.sleep(0)
    log(f"shared task {n} sees")
    request_id.set(f"shared-{n}")


async def main():
    loop = asyncio.get_running_loop()
    log("main starts")
    token = request_id.set("req-1")
    log("main set req-1")

    print("-- a task copies the context at create_task")
    t = asyncio.create_task(handler(1))
    request_id.set("req-1b")
    log("main changed it after create_task")
    print("task returned", await t)
    log("main after the task")

    print("-- gather")
    print("gather returned", await asyncio.gather(handler(2), handler(3)))
    log("main after gather")

    print("-- callbacks snapshot the context when scheduled")
    loop.call_soon(callback, "soon")
    loop.call_later(0, callback, "later")
    request_id.set("req-1c")
    loop.call_soon(callback, "soon2")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log("main after callbacks")
    fut = loop.create_future()
    fut.add_done_callback(on_done)
    request_id.set("req-1d")
    fut.set_result("ok")
    await asyncio.sleep(0)

    print("-- call_soon(..., context=ctx) runs in ctx itself")
    ctx = contextvars.Context()
    loop.call_soon(callback, "ctx-a", context=ctx)
    loop.call_soon(callback, "ctx-b", context=ctx)
    await asyncio.sleep(0)
    print("ctx holds", ctx.run(request_id.get))
    log("main unchanged")

    print("-- a TaskGroup task with an explicit shared context")
    shared_ctx = contextvars.copy_context()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(shared(1), context=shared_ctx)
        t2 = tg.create_task(shared(2), context=shared_ctx)
        tg.create_task(handler(4))
    print("shared context holds", shared_ctx.run(request_id.get))
    print("task 2's context is it:", t2.get_context() is shared_ctx)
    log("main after the group")

    print("-- threads")
    print(await asyncio.to_thread(blocking, "to_thread"))
    print(await loop.run_in_executor(None, blocking, "run_in_executor"))

    print("-- errors")
    try:
        user.get()
    except LookupError as e:
        print("user.get():", type(e).__name__)
    print("user.get('anonymous'):", user.get("anonymous"))
    user_token = user.set("alice")
    print("user:", user.get(), "old value is MISSING:", user_token.old_value is contextvars.Token.MISSING)
    try:
        request_id.reset(user_token)
    except ValueError as e:
        print("reset with another var's token:", type(e).__name__)
    other = contextvars.Context()
    foreign = other.run(user.set, "bob")
    try:
        user.reset(foreign)
    except ValueError as e:
        print("reset with another context's token:", type(e).__name__)
    user.reset(user_token)
    try:
        user.reset(user_token)
    except RuntimeError as e:
        print("reset twice:", type(e).__name__)
    try:
        ctx.run(ctx.run, log, "nested")
    except RuntimeError as e:
        print("ctx.run inside ctx.run:", type(e).__name__)

    print("-- reset")
    request_id.reset(token)
    log("main after reset")


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
