# Mirrors CPython test_subprocess.SubprocessMixin (test_devnull_input, test_devnull_output,
# test_devnull_error, test_devstdin_input) and Popen's stdio arguments: DEVNULL reads as
# empty and swallows output, an fd we pass is used as is (and stays ours to close), None
# (INHERIT in C++) shares our own stdout, STDOUT sends stderr where stdout goes; our own
# fds 1 and 2 can be given crossed (the child's stdout to our stderr and back).
import asyncio
import functools
import os
from asyncio.subprocess import DEVNULL, PIPE, STDOUT

print = functools.partial(print, flush=True)  # the child writes to our stdout too


def read_to_eof(fd):
    chunks = []
    while data := os.read(fd, 4096):
        chunks.append(data)
    os.close(fd)
    return b"".join(chunks).decode()


async def main():
    proc = await asyncio.create_subprocess_exec("cat", stdin=DEVNULL, stdout=PIPE)
    out, err = await proc.communicate()
    print("stdin=DEVNULL: cat printed", len(out), "bytes; stdin stream:", proc.stdin)

    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "printf hidden; printf shown >&2", stdout=DEVNULL, stderr=PIPE)
    print("stdout=DEVNULL:", await proc.communicate())

    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "printf shown; printf hidden >&2", stdout=PIPE, stderr=DEVNULL)
    print("stderr=DEVNULL:", await proc.communicate())

    r, w = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "printf 'to the fd'; printf ' and stderr' >&2", stdout=w, stderr=STDOUT)
    os.close(w)  # ours: still open after the spawn
    print("stdout=fd, stderr=STDOUT:", read_to_eof(r), "- returncode", await proc.wait())

    r, w = os.pipe()
    os.write(w, b"from our pipe")
    os.close(w)
    proc = await asyncio.create_subprocess_exec("cat", stdin=r, stdout=PIPE)
    os.close(r)
    out, _ = await proc.communicate()
    print("stdin=fd:", out.decode())

    print("before the inheriting child")
    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", "echo 'child: on our stdout'")
    print("no stdout stream:", proc.stdout, "- returncode", await proc.wait())
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "echo 'child: stderr joins inherited stdout' >&2", stderr=STDOUT)
    print("returncode", await proc.wait())
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "echo 'child: stderr to our stdout' >&2; echo 'not shown: our stderr'",
        stdout=2, stderr=1)
    print("crossed, returncode", await proc.wait())


asyncio.run(main())
