# Mirrors CPython test_runners.RunTests.test_asyncio_run_return, test_asyncio_run_raises,
# test_asyncio_run_cancels_hanging_tasks, test_asyncio_run_reports_hanging_tasks_errors and
# test_asyncio_run_from_running_loop: asyncio.run returns the main coroutine's result or
# raises its exception; tasks still pending when main returns are cancelled, and one that
# fails while being cancelled is reported to the exception handler; calling asyncio.run
# inside a running loop raises RuntimeError.
import asyncio


def handler(loop, context):
    exc = context["exception"]
    print("handler:", context["message"], "-", type(exc).__name__, exc)


async def hanging(name, fail_on_cancel):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(name, "cancelled by asyncio.run")
        if fail_on_cancel:
            raise ValueError(name + " failed in cleanup")
        raise


async def returns(value):
    await asyncio.sleep(0)
    return value


async def raises():
    await asyncio.sleep(0)
    raise ValueError("main failed")


async def leaves_task(name, fail_on_cancel):
    asyncio.get_running_loop().set_exception_handler(handler)
    asyncio.create_task(hanging(name, fail_on_cancel))
    await asyncio.sleep(0)
    print("main returns with", name, "pending")
    return "main result"


async def nested():
    coro = returns("never")
    try:
        asyncio.run(coro)
    except RuntimeError as e:
        print("nested asyncio.run: RuntimeError", e)
    coro.close()  # C++ frees the unused coroutine by itself


print("result:", asyncio.run(returns(42)))
try:
    asyncio.run(raises())
except ValueError as e:
    print("asyncio.run raises ValueError", e)
print("result:", asyncio.run(leaves_task("quiet", False)))
print("result:", asyncio.run(leaves_task("noisy", True)))
asyncio.run(nested())
