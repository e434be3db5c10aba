# Mirrors CPython test_tasks.GatherTests (test_success, test_one_exception,
# test_return_exceptions) and gather's documented contract: results come back in argument
# order whatever the completion order; the first exception propagates while the other
# children keep running; return_exceptions=True puts exceptions (a cancelled child's
# CancelledError too) among the results.
import asyncio


async def child(name, delay, fail=False):
    await asyncio.sleep(delay)
    print("child", name, "finishes")
    if fail:
        raise ValueError(name)
    return name


def describe(result):
    if isinstance(result, ValueError):
        return f"ValueError({result})"
    if isinstance(result, asyncio.CancelledError):
        return "CancelledError"
    return result


async def main():
    results = await asyncio.gather(child("a", 0.03), child("b", 0.02), child("c", 0.01))
    print("in argument order:", *results)

    survivor = asyncio.create_task(child("y", 0.1))
    try:
        await asyncio.gather(child("x", 0.01, fail=True), survivor)
    except ValueError as e:
        print("gather raised ValueError", e, "- survivor done:", survivor.done())
    print("survivor still finishes:", await survivor)

    results = await asyncio.gather(
        child("p", 0.02), child("q", 0.01, fail=True), return_exceptions=True)
    print("with a failing child:", *[describe(r) for r in results])
    doomed = asyncio.create_task(child("d", 10))
    await asyncio.sleep(0)
    doomed.cancel()
    results = await asyncio.gather(child("r", 0.01), doomed, return_exceptions=True)
    print("with a cancelled child:", *[describe(r) for r in results])


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
