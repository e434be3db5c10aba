# Mirrors CPython test_tasks.BaseTaskTests.test_wait, test_wait_first_completed,
# test_wait_first_exception, test_wait_with_exception and test_wait_with_timeout: wait()
# returns (done, pending) once its condition holds and never raises the tasks' exceptions.
# Python returns sets and asyncio-cpp input-ordered vectors: both sides print sorted names.
import asyncio


async def job(delay, fail=False):
    await asyncio.sleep(delay)
    if fail:
        raise ValueError("job failed")
    return delay


def names(tasks):
    return " ".join(sorted(t.get_name() for t in tasks)) or "-"


def start(specs):
    return [asyncio.create_task(job(delay, fail), name=name) for name, delay, fail in specs]


async def show(label, tasks, timeout=None, return_when=asyncio.ALL_COMPLETED):
    done, pending = await asyncio.wait(tasks, timeout=timeout, return_when=return_when)
    print(f"{label}: done [{names(done)}] pending [{names(pending)}]")
    for t in pending:
        t.cancel()
    await asyncio.wait(tasks)


async def main():
    specs = [("slow", 0.1, False), ("fast", 0.01, False), ("mid", 0.05, False)]
    await show("FIRST_COMPLETED", start(specs), None, asyncio.FIRST_COMPLETED)
    await show("ALL_COMPLETED", start(specs), None, asyncio.ALL_COMPLETED)

    specs = [("ok", 0.01, False), ("bad", 0.02, True), ("late", 10, False)]
    tasks = start(specs)
    await show("FIRST_EXCEPTION", tasks, None, asyncio.FIRST_EXCEPTION)
    print("bad's exception is kept:", tasks[1].exception())
    await show("FIRST_EXCEPTION, no failure", start(specs[:1]), None, asyncio.FIRST_EXCEPTION)

    specs = [("quick", 0.01, False), ("stuck", 10, False)]
    await show("timeout", start(specs), 0.1)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
