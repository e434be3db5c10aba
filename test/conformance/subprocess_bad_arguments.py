# cpython: 3.13+
# Mirrors Lib/test/test_subprocess.py ProcessTestCase.test_invalid_env and
# test_invalid_args (embedded null byte): subprocess arguments are checked before anything
# starts. 3.13 also refuses an empty environment name (3.11 and 3.12 start the child).
# Nothing is left behind: no fd, no child.
import asyncio
import os


def open_fds():
    return len(os.listdir("/proc/self/fd"))


async def attempt(label, program, *args, **kwargs):
    try:
        proc = await asyncio.create_subprocess_exec(program, *args, **kwargs)
        print(label, "exit", await proc.wait())
    except ValueError as exc:
        print(f"{label}: ValueError {exc}")


async def main():
    before = open_fds()
    await attempt("NUL in an argument", "/bin/true", "a\0b")
    await attempt("NUL in a value", "/bin/true", env={"A": "x\0y"})
    await attempt("'=' in a name", "/bin/true", env={"LD_PRELOAD=/x.so:X": "1"})
    await attempt("empty name", "/bin/true", env={"": "1"})
    await attempt("'=' in a value", "/bin/true", env={"A": "a=b"})
    print("fds leaked:", open_fds() - before)


asyncio.run(main())
