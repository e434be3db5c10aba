# Mirrors CPython test_subprocess.SubprocessMixin (test_communicate, test_empty_input,
# test_stdin_stdout, test_stdin_broken_pipe, test_communicate_ignore_broken_pipe):
# communicate(input) feeds stdin, closes it and collects stdout/stderr to EOF; 300 KB
# round-trip through cat without deadlock; stdout and stderr are read together; a stream
# that is not a pipe gives None; a child that stops reading stdin does not make it fail.
import asyncio
from asyncio.subprocess import PIPE


def checksum(data):
    value = 0
    for i in range(0, len(data), 4096):
        value = (value * 31 + sum(data[i:i + 4096])) % 1_000_000_007
    return value


async def ignores_stdin():
    # The child reads a little, then closes its stdin while most of the input is still
    # buffered: the stdin pipe is lost with BrokenPipeError, which communicate() swallows.
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "head -c 1 >/dev/null; exec 0<&-; printf early", stdin=PIPE, stdout=PIPE)
    out, err = await proc.communicate(b"x" * 1_000_000)
    print("child ignores its stdin:", out.decode(), err, "returncode", proc.returncode)


async def main():
    proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    out, err = await proc.communicate(b"hello\n")
    print("cat:", out.decode().strip(), err, "returncode", proc.returncode)

    big = bytes((i * 7 + i // 251) % 256 for i in range(300_000))
    proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    out, err = await proc.communicate(big)
    print("300 KB through cat:", len(out), "bytes, checksum", checksum(out),
          "expected", checksum(big), "equal", out == big)

    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "printf out; printf err >&2; exit 4", stdout=PIPE, stderr=PIPE)
    out, err = await proc.communicate()
    print("stdout and stderr:", out.decode(), err.decode(), "returncode", proc.returncode)

    # stderr fills first: reading the streams one after the other would deadlock
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "head -c 300000 /dev/zero >&2; head -c 200000 /dev/zero",
        stdout=PIPE, stderr=PIPE)
    out, err = await proc.communicate()
    print("both streams large:", len(out), len(err), "returncode", proc.returncode)

    proc = await asyncio.create_subprocess_exec("true")
    print("no pipes:", await proc.communicate(), "returncode", proc.returncode)

    proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    out, err = await proc.communicate(b"")
    print("empty input:", len(out), err)

    await ignores_stdin()


asyncio.run(main())
