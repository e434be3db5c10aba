# Mirrors CPython test_subprocess.SubprocessMixin.test_shell and test_events.SubprocessTestsMixin
# (test_subprocess_shell, test_subprocess_exitcode, test_subprocess_stderr_redirect_to_stdout):
# a command line runs under /bin/sh -c with its expansions, pipelines and exit status;
# stderr=STDOUT merges both streams into the one stdout pipe (in write order), and the
# protocol then has no transport for fd 2. create_subprocess_exec, by contrast, passes its
# arguments verbatim, with no shell expansion.
import asyncio
from asyncio.subprocess import PIPE, STDOUT


class Proto(asyncio.SubprocessProtocol):
    def __init__(self):
        self.data = {}
        self.lost = []
        self.done = asyncio.get_running_loop().create_future()

    def pipe_data_received(self, fd, data):
        self.data[fd] = self.data.get(fd, b"") + data

    def pipe_connection_lost(self, fd, exc):
        self.lost.append(fd)

    def connection_lost(self, exc):
        self.done.set_result(exc)


async def main():
    proc = await asyncio.create_subprocess_shell(
        "printf 'a\\n'; printf 'b\\n' >&2; printf 'c\\n'", stdout=PIPE, stderr=STDOUT)
    out, err = await proc.communicate()
    print("merged:", out.decode().split("\n"), "stderr:", err)

    proc = await asyncio.create_subprocess_shell(
        "x=6; echo $((x * 7)); printf 'p\\nq\\nr\\n' | wc -l; echo \"$0\" >&2; exit 7",
        stdout=PIPE, stderr=PIPE)
    out, err = await proc.communicate()
    print("expansion and pipeline:", out.decode().split(), "stderr:", err.decode().strip(),
          "returncode", proc.returncode)

    proc = await asyncio.create_subprocess_shell("read a b; echo \"$b $a\"", stdin=PIPE,
                                                 stdout=PIPE)
    out, _ = await proc.communicate(b"left right\n")
    print("stdin through the shell:", out.decode().strip())

    proc = await asyncio.create_subprocess_exec(
        "printf", "%s|", "a b", "$HOME", "*", "", "'q'", "x;y", stdout=PIPE)
    out, _ = await proc.communicate()
    print("exec arguments verbatim:", out.decode())

    loop = asyncio.get_running_loop()
    transport, proto = await loop.subprocess_shell(
        Proto, "printf one; printf two >&2", stderr=STDOUT)
    print("get_pipe_transport(2) with stderr=STDOUT:", transport.get_pipe_transport(2))
    transport.get_pipe_transport(0).close()
    await proto.done
    print("protocol data:", {fd: d.decode() for fd, d in sorted(proto.data.items())})
    print("pipes lost:", sorted(proto.lost), "returncode", transport.get_returncode())
    transport.close()


asyncio.run(main())
