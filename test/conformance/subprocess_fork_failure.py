# Mirrors CPython test_subprocess (test_preexec_fork_failure / the fork-failure paths of
# _posixsubprocess) through asyncio: when RLIMIT_NPROC forbids one more process,
# create_subprocess_exec raises BlockingIOError (EAGAIN), no fd is left open and nothing
# was started. Needs root to drop to an unprivileged user; otherwise says it was skipped.
import asyncio
import os
import resource


def fds():
    return sorted(os.listdir("/proc/self/fd"))


async def main():
    before = fds()
    try:
        await asyncio.create_subprocess_exec("true", stdout=asyncio.subprocess.PIPE)
        print("started a child: the limit did not hold")
    except OSError as e:
        print("create_subprocess_exec:", type(e).__name__, "errno", e.errno)
    print("fds back to where they were:", fds() == before)


if os.geteuid() != 0:
    print("skipped: not root")
else:
    os.setgid(65534)
    os.setuid(65534)  # root ignores RLIMIT_NPROC; nobody does not
    saved = resource.getrlimit(resource.RLIMIT_NPROC)
    resource.setrlimit(resource.RLIMIT_NPROC, (1, saved[1]))
    asyncio.run(main())
    resource.setrlimit(resource.RLIMIT_NPROC, saved)
