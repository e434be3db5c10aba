# Mirrors CPython test_subprocess.SubprocessMixin (test_cancel_process_wait,
# test_subprocess_concurrent_wait, test_kill_issue43884) and test_events
# .SubprocessTestsMixin.test_subprocess_close_after_finish: cancelling a wait() leaves the
# child running; wait_for(wait(), timeout) raises TimeoutError and the child still runs;
# several tasks waiting all get the exit code; wait() after the exit returns the same code
# again; kill/terminate/send_signal after the child was reaped raise ProcessLookupError;
# a communicate() cut short by wait_for leaves a child that can still be killed and awaited.
import asyncio
import signal
from asyncio.subprocess import PIPE


async def main():
    proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE)  # runs until stdin closes
    waiter = asyncio.create_task(proc.wait())
    await asyncio.sleep(0)
    waiter.cancel()
    try:
        await waiter
    except asyncio.CancelledError:
        print("wait() cancelled; returncode:", proc.returncode)

    try:
        await asyncio.wait_for(proc.wait(), 0.01)
    except asyncio.TimeoutError:
        print("wait_for(wait(), 0.01): TimeoutError; returncode:", proc.returncode)

    waiters = [asyncio.create_task(proc.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    print("three waiters pending:", [w.done() for w in waiters])
    proc.stdin.close()
    print("all waiters:", await asyncio.gather(*waiters))
    print("wait() again:", await proc.wait(), "and again:", await proc.wait())
    print("returncode:", proc.returncode)

    for name, call in [("kill()", proc.kill), ("terminate()", proc.terminate),
                       ("send_signal(0)", lambda: proc.send_signal(0)),
                       ("send_signal(SIGKILL)", lambda: proc.send_signal(signal.SIGKILL))]:
        try:
            call()
            print(name, "after exit: no error")
        except ProcessLookupError:
            print(name, "after exit: ProcessLookupError")

    proc = await asyncio.create_subprocess_exec("sleep", "100", stdout=PIPE)
    try:
        await asyncio.wait_for(proc.communicate(), 0.05)
    except asyncio.TimeoutError:
        print("wait_for(communicate(), 0.05): TimeoutError; returncode:", proc.returncode)
    proc.kill()
    print("killed after the timeout:", await proc.wait())

    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", "exit 9")
    print("exit 9:", await proc.wait(), await proc.wait(), proc.returncode)


asyncio.run(main())
