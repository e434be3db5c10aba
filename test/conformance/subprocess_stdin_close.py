# Mirrors CPython test_subprocess.SubprocessMixin (test_stdin_stdout, test_stdin_broken_pipe,
# test_read_stdout_after_process_exit) and test_events.SubprocessTestsMixin
# (test_subprocess_interactive, test_subprocess_close_client_stream): writes to a child's
# stdin reach it after drain(); write_eof() or close() gives the child EOF; wait_closed()
# returns after close(); once the child is gone, drain() raises ConnectionResetError (the
# pipe was closed without error) or BrokenPipeError.
import asyncio
from asyncio.subprocess import PIPE


async def main():
    proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    for line in [b"first\n", b"second\n"]:
        proc.stdin.write(line)
        await proc.stdin.drain()
        print("echoed:", (await proc.stdout.readline()).decode().strip())
    print("can_write_eof:", proc.stdin.can_write_eof())
    proc.stdin.write(b"last, no newline")
    proc.stdin.write_eof()
    print("after write_eof: is_closing", proc.stdin.is_closing())
    print("rest until EOF:", (await proc.stdout.read()).decode(), "- returncode", await proc.wait())

    proc = await asyncio.create_subprocess_exec("wc", "-c", stdin=PIPE, stdout=PIPE)
    proc.stdin.writelines([b"x" * 500, b"y" * 500])
    proc.stdin.close()
    await proc.stdin.wait_closed()
    print("close + wait_closed: is_closing", proc.stdin.is_closing())
    print("wc -c counted:", (await proc.stdout.read()).decode().strip(), "- returncode",
          await proc.wait())

    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", "exit 0", stdin=PIPE)
    print("child exited without reading:", await proc.wait())
    await proc.stdin.wait_closed()  # the pipe's connection_lost, which may come after the exit
    print("stdin is_closing after the exit:", proc.stdin.is_closing())
    proc.stdin.write(b"too late")
    try:
        await proc.stdin.drain()
        print("drain: no error")
    except (ConnectionResetError, BrokenPipeError) as exc:
        print("drain:", type(exc).__name__)


asyncio.run(main())
