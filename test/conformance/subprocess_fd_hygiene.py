# Mirrors CPython test_subprocess.SubprocessMixin.test_stdin_not_inheritable and Popen's
# close_fds=True / restore_signals=True: a child sees only fds 0, 1 and 2 (plus pass_fds)
# even when the parent holds inheritable fds (one of them numbered high) and the loop's own
# fds; the parent's pipe
# ends of the child's stdio are not inherited either; SIGPIPE is back to its default
# action in the child and no signal is blocked there.
import asyncio
import os
import resource
from asyncio.subprocess import PIPE

LIST_FDS = "ls /proc/$$/fd; :"  # the shell's own fds (the trailing ':' keeps sh from exec'ing ls)
SIGNALS = "grep -E '^Sig(Blk|Ign):' /proc/self/status"
SIGPIPE_BIT = 1 << (13 - 1)


async def child_fds(**kwargs):
    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", LIST_FDS, stdout=PIPE,
                                                **kwargs)
    out, _ = await proc.communicate()
    return sorted(int(fd) for fd in out.split())


async def main():
    extra = [os.pipe() for _ in range(3)]
    for r, w in extra:
        os.set_inheritable(r, True)
        os.set_inheritable(w, True)
    high = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 1, 5000)
    os.dup2(extra[0][0], high)  # inheritable, like the others
    print("parent holds extra fds:", len(os.listdir("/proc/self/fd")) > 3 + 7)
    print("child with stdout only:", await child_fds())
    print("child with all three pipes:", await child_fds(stdin=PIPE, stderr=PIPE))
    passed = extra[1][1]
    fds = await child_fds(pass_fds=[passed])
    print("child with pass_fds:", ["passed" if fd == passed else fd for fd in fds])

    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", SIGNALS, stdout=PIPE)
    out, _ = await proc.communicate()
    masks = dict(line.split(":") for line in out.decode().splitlines())
    print("child blocks no signal:", int(masks["SigBlk"], 16) == 0)
    print("child ignores SIGPIPE:", int(masks["SigIgn"], 16) & SIGPIPE_BIT != 0)
    for r, w in extra:
        os.close(r)
        os.close(w)
    os.close(high)


asyncio.run(main())
