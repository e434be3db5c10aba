# Mirrors CPython test_subprocess.SubprocessMixin (test_kill, test_terminate, test_send_signal),
# test_events.SubprocessTestsMixin (test_subprocess_exitcode, test_subprocess_kill,
# test_subprocess_terminate, test_subprocess_send_signal) and Popen's returncode convention:
# an exit status is returned as is, death by signal N as -N, whether we send the signal or
# the child does; returncode stays None while the child runs; once the child has been
# reaped (wait() returned), send_signal/terminate/kill raise ProcessLookupError.
import asyncio
import signal


async def exit_status(script):
    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", script)
    return await proc.wait()


async def sleeper(action):
    # No pipes: once wait() (called before the exit) returns, the transport is finished.
    proc = await asyncio.create_subprocess_exec("sleep", "100")
    print(action, "- returncode while running:", proc.returncode)
    if action == "send_signal(SIGUSR1)":
        proc.send_signal(signal.SIGUSR1)
    else:
        getattr(proc, action)()
    code = await proc.wait()
    print(action, "- wait():", code, "returncode:", proc.returncode)
    return proc


async def main():
    for script in ["exit 3", "exit 0", "exit 255", "true", "kill -9 $$", "kill -TERM $$"]:
        print(f"sh -c {script!r}:", await exit_status(script))

    for action in ["kill", "terminate", "send_signal(SIGUSR1)"]:
        proc = await sleeper(action)
    print("SIGKILL, SIGTERM, SIGUSR1:", -signal.SIGKILL, -signal.SIGTERM, -signal.SIGUSR1)

    for name, call in [("send_signal(SIGTERM)", lambda: proc.send_signal(signal.SIGTERM)),
                       ("terminate()", proc.terminate), ("kill()", proc.kill)]:
        try:
            call()
            print(name, "after reap: no error")
        except ProcessLookupError:
            print(name, "after reap: ProcessLookupError")


asyncio.run(main())
