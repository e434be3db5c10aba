# Mirrors CPython test_subprocess.SubprocessMixin (test_popen_error,
# test_popen_error_with_stdin_pipe) and test_events.SubprocessTestsMixin
# .test_subprocess_exec_invalid_args, with Popen's errors: a program that does not exist
# (by path or on PATH) and a cwd that does not exist raise FileNotFoundError, a file that is
# not executable or a directory raise PermissionError; the failure is raised by the
# coroutine, the protocol never sees connection_made, and no fd is leaked. Closing the
# transport of a running child kills it (test_subprocess.SubprocessMixin.test_close_kill_running).
import asyncio
import errno
import os
import tempfile
from asyncio.subprocess import PIPE


class Proto(asyncio.SubprocessProtocol):
    made = 0

    def __init__(self):
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        Proto.made += 1

    def connection_lost(self, exc):
        self.done.set_result(exc)


def open_fds():
    return len(os.listdir("/proc/self/fd"))


async def attempt(label, program, **kwargs):
    try:
        proc = await asyncio.create_subprocess_exec(program, stdin=PIPE, stdout=PIPE,
                                                    stderr=PIPE, **kwargs)
        print(label, "started?", await proc.wait())
    except OSError as exc:
        print(f"{label}: {type(exc).__name__} errno {errno.errorcode[exc.errno]}")


async def main():
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "plain")
        with open(plain, "w") as f:
            f.write("#!/bin/sh\necho no\n")
        before = open_fds()
        await attempt("missing path", "/nonexistent/program")
        await attempt("missing on PATH", "no-such-program-conformance")
        await attempt("missing cwd", "/bin/sh", cwd=os.path.join(tmp, "missing"))
        await attempt("not executable", plain)
        await attempt("a directory", tmp)
        try:
            await loop.subprocess_exec(Proto, "/nonexistent/program")
        except FileNotFoundError:
            print("protocol: FileNotFoundError, connection_made calls:", Proto.made)
        print("fds leaked:", open_fds() - before)

    proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    print("pid positive:", proc.pid > 0, "returncode while running:", proc.returncode)
    transport, proto = await loop.subprocess_exec(Proto, "cat")
    print("transport pid matches:", transport.get_pid() > 0 and transport.get_pid() != proc.pid,
          "connection_made calls:", Proto.made)
    proc.stdin.close()
    print("cat after stdin closed:", await proc.wait(), proc.returncode)
    transport.close()  # kills the running child, as asyncio does
    await proto.done
    print("close() killed the running child:", transport.get_returncode())


asyncio.run(main())
