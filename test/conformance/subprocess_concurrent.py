# Mirrors CPython test_subprocess.SubprocessMixin.test_subprocess_concurrent_wait (3.12) and
# test_events.SubprocessTestsMixin.test_subprocess_wait_no_same_group: many children
# created and awaited at once each get their own exit status (the watcher never mixes
# them up or loses one), concurrent communicate() calls keep each child's data apart, and
# killing some children leaves the others untouched.
import asyncio
import signal
from asyncio.subprocess import PIPE

N = 20


async def spawn_exit(i):
    return await asyncio.create_subprocess_exec("/bin/sh", "-c", f"exit {i}")


async def echo(i):
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", f"cat; exit {i}", stdin=PIPE, stdout=PIPE)
    out, _ = await proc.communicate(str(i).encode() * 5000)
    return out == str(i).encode() * 5000, proc.returncode


async def main():
    procs = await asyncio.gather(*(spawn_exit(i) for i in range(N)))
    print("distinct pids:", len({p.pid for p in procs}) == N)
    print("exit codes:", await asyncio.gather(*(p.wait() for p in procs)))

    results = await asyncio.gather(*(echo(i) for i in range(10)))
    print("concurrent communicate:", results)

    sleepers = [await asyncio.create_subprocess_exec("sleep", "100") for _ in range(4)]
    quick = [await asyncio.create_subprocess_exec("/bin/sh", "-c", f"exit {i}")
             for i in range(4)]
    waits = [asyncio.ensure_future(p.wait()) for p in sleepers + quick]
    for p in sleepers[::2]:
        p.kill()
    for p in sleepers[1::2]:
        p.terminate()
    print("killed and quick:", await asyncio.gather(*waits), -signal.SIGKILL, -signal.SIGTERM)


asyncio.run(main())
