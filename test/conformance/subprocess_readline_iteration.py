# Mirrors CPython test_subprocess.SubprocessMixin.test_stdin_stdout / test_pause_reading and
# test_streams (test_readline, test_readuntil_*, test_readexactly_eof, test___aiter__):
# `async for line in proc.stdout` yields each line, the last one without its newline, then
# stops at EOF; readuntil/readexactly/read work on a child's stdout; a line longer than
# the limit raises ValueError and is discarded; at EOF readline returns b"".
import asyncio
from asyncio.subprocess import PIPE


async def main():
    proc = await asyncio.create_subprocess_exec(
        "printf", "one\\ntwo\\n\\nthree", stdout=PIPE)
    async for line in proc.stdout:
        print("line:", repr(line.decode()))
    print("after the loop: at_eof", proc.stdout.at_eof(),
          "readline", repr(await proc.stdout.readline()))
    print("returncode:", await proc.wait())

    proc = await asyncio.create_subprocess_exec("printf", "abc;def;ghi", stdout=PIPE)
    print("readuntil:", (await proc.stdout.readuntil(b";")).decode())
    print("readexactly(3):", (await proc.stdout.readexactly(3)).decode())
    print("read(1):", (await proc.stdout.read(1)).decode())
    try:
        await proc.stdout.readexactly(10)
    except asyncio.IncompleteReadError as exc:
        print("readexactly(10): IncompleteReadError partial", exc.partial.decode(),
              "expected", exc.expected)
    print("read() at EOF:", len(await proc.stdout.read()), "at_eof", proc.stdout.at_eof())
    await proc.wait()

    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "read go; printf '%040d\\nok\\n' 0", stdin=PIPE, stdout=PIPE, limit=16)
    proc.stdin.write(b"go\n")  # the whole output then arrives as one chunk
    await proc.stdin.drain()
    try:
        await proc.stdout.readline()
    except ValueError:
        print("line longer than limit=16: ValueError")
    print("next line:", repr((await proc.stdout.readline()).decode()))
    proc.stdin.close()
    print("returncode:", await proc.wait())

    lines = []
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "for i in 1 2 3 4 5; do echo \"n$i\"; done", stdout=PIPE)
    while line := await proc.stdout.readline():
        lines.append(line.decode().strip())
    print("readline loop:", lines, "returncode", await proc.wait())


asyncio.run(main())
