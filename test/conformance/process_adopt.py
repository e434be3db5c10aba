# Mirrors CPython test_subprocess.SubprocessMixin (test_shell, test_communicate, test_terminate,
# test_read_stdout_after_process_exit) and SubprocessTransportTests.test_proc_exited. Python
# starts each child with create_subprocess_exec; the C++ side starts it with Boost.Process v2
# and adopts it with adopt_process. The Process must behave the same either way.
import asyncio
from asyncio.subprocess import PIPE


def exec_sh(cmd, **pipes):
    return asyncio.create_subprocess_exec("/bin/sh", "-c", cmd, **pipes)


async def main():
    proc = await exec_sh("exit 3")
    print("exit 3: wait", await proc.wait(), "returncode", proc.returncode)

    proc = await exec_sh("exec cat", stdin=PIPE, stdout=PIPE)
    out, err = await proc.communicate(b"hello\n")
    print("cat:", out, err, "returncode", proc.returncode)

    proc = await exec_sh("echo out; echo err >&2; exit 1", stdout=PIPE, stderr=PIPE)
    out, err = await proc.communicate()
    print("stdout and stderr:", out, err, "returncode", proc.returncode)

    proc = await exec_sh("echo ready; exec sleep 3600", stdout=PIPE)
    print("first line:", await proc.stdout.readline(), "returncode", proc.returncode)
    proc.terminate()
    print("terminated:", await proc.wait())
    try:
        proc.kill()
    except ProcessLookupError:
        print("kill after the exit: ProcessLookupError")

    # The C++ side adopts this child only once it has exited (a zombie nobody reaped).
    proc = await exec_sh("echo bye; exit 7", stdout=PIPE)
    out, err = await proc.communicate()
    print("exited early:", out, "returncode", proc.returncode)


asyncio.run(main())
