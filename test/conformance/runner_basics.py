# cpython: 3.12+
# Mirrors test_runners.RunnerTests.test_run, test_explicit_close, test_double_close,
# test_second_with_block_raises, test_recursive_run and RunTests.test_asyncio_run_loop_factory:
# one loop for every run() of a runner, get_loop()'s identity, the current loop the runner sets
# and clears, close() and the errors after it, and a loop factory.
import asyncio

runner_loop = None


async def note(tag):
    await asyncio.sleep(0)
    print(tag, "runs on the runner's loop:", asyncio.get_running_loop() is runner_loop)
    return tag + " done"


async def recursive(runner):
    coro = note("never")
    try:
        runner.run(coro)
    except RuntimeError as exc:
        print("run inside run -> RuntimeError:", exc)
    finally:
        coro.close()


def attempt(what, call):
    try:
        call()
        print(what, "-> ok")
    except RuntimeError as exc:
        print(what, "-> RuntimeError:", exc)


runner = asyncio.Runner()
runner_loop = runner.get_loop()
print("get_loop() twice is one loop:", runner.get_loop() is runner_loop)
print(runner.run(note("first")))
print(runner.run(note("second")))
print("current loop is the runner's:", asyncio.get_event_loop() is runner_loop)
runner.run(recursive(runner))
runner.close()
runner.close()
attempt("get_loop after close", runner.get_loop)
pending = note("third")
attempt("run after close", lambda: runner.run(pending))
pending.close()
attempt("get_event_loop after close", asyncio.get_event_loop)

made = []


def factory():
    made.append(asyncio.new_event_loop())
    return made[-1]


async def on_factory_loop():
    await asyncio.sleep(0)
    return asyncio.get_running_loop() is made[-1]


with asyncio.Runner(loop_factory=factory) as runner:
    print("factory's loop:", runner.get_loop() is made[0], runner.run(on_factory_loop()))
    attempt("get_event_loop with a factory's runner", asyncio.get_event_loop)
print("factory calls:", len(made), "closed:", made[0].is_closed())
print("asyncio.run with loop_factory:", asyncio.run(on_factory_loop(), loop_factory=factory))
print("factory calls:", len(made), "closed:", made[1].is_closed())
