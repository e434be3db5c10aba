# Mirrors CPython test_subprocess.SubprocessMixin.test_start_new_session and Popen's
# pass_fds, start_new_session and process_group (3.11+): an fd listed in pass_fds is open
# in the child, an unlisted one is not; start_new_session makes the child a session and
# group leader (sid == pgid == pid); process_group=0 makes it a group leader in our
# session; by default it shares our session and process group.
import asyncio
import os
from asyncio.subprocess import PIPE

# pid, pgid and sid of the shell itself, from /proc/<pid>/stat (fields 1, 5 and 6).
IDS = "read -r pid comm state ppid pgid sid rest < /proc/$$/stat; echo $pid $pgid $sid"


def read_to_eof(fd):
    chunks = []
    while data := os.read(fd, 4096):
        chunks.append(data)
    os.close(fd)
    return b"".join(chunks).decode()


async def write_through(fd_to_pass, pass_it):
    r, w = fd_to_pass
    kwargs = {"pass_fds": [w]} if pass_it else {}
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", f"printf passed > /proc/self/fd/{w}", stderr=PIPE, **kwargs)
    os.close(w)
    _, err = await proc.communicate()
    return read_to_eof(r), proc.returncode, len(err) > 0


async def ids(**kwargs):
    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", IDS, stdout=PIPE, **kwargs)
    out, _ = await proc.communicate()
    pid, pgid, sid = map(int, out.split())
    return {"pid is the child": pid == proc.pid, "group leader": pgid == pid,
            "session leader": sid == pid, "our group": pgid == os.getpgid(0),
            "our session": sid == os.getsid(0)}


async def main():
    data, code, complained = await write_through(os.pipe(), True)
    print("pass_fds: child wrote", repr(data), "returncode", code, "stderr", complained)
    r, w = os.pipe()
    os.set_inheritable(w, True)  # close_fds closes even an inheritable fd
    data, code, complained = await write_through((r, w), False)
    print("not passed: child wrote", repr(data), "failed", code != 0, "stderr", complained)

    print("default:", await ids())
    print("start_new_session:", await ids(start_new_session=True))
    print("process_group=0:", await ids(process_group=0))


asyncio.run(main())
