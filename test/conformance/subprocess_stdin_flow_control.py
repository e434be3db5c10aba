# Mirrors CPython base_subprocess.WriteSubprocessPipeProto.pause_writing / resume_writing and
# test_subprocess.SubprocessMixin.test_pause_reading: the stdin pipe's flow control reaches
# the SubprocessProtocol (pause_writing at once when a write leaves more than 64 KiB
# buffered, resume_writing once the child has taken it all); pausing the stdout pipe
# transport stops pipe_data_received until it resumes; nothing is lost.
import asyncio

TOTAL = 300_000


class Proto(asyncio.SubprocessProtocol):
    def __init__(self):
        loop = asyncio.get_running_loop()
        self.events = []
        self.received = 0
        self.resumed = loop.create_future()
        self.some_data = loop.create_future()
        self.done = loop.create_future()

    def pause_writing(self):
        self.events.append("pause_writing")

    def resume_writing(self):
        self.events.append("resume_writing")
        self.resumed.set_result(None)

    def pipe_data_received(self, fd, data):
        self.received += len(data)
        if not self.some_data.done():
            self.some_data.set_result(None)

    def connection_lost(self, exc):
        self.done.set_result(exc)


async def main():
    loop = asyncio.get_running_loop()
    transport, proto = await loop.subprocess_exec(Proto, "cat", stderr=None)
    stdin = transport.get_pipe_transport(0)
    stdout = transport.get_pipe_transport(1)
    print("stdin limits:", stdin.get_write_buffer_limits())
    stdin.write(b"s" * TOTAL)
    print("right after the write:", proto.events)
    await proto.some_data
    stdout.pause_reading()
    print("stdout paused")
    await asyncio.sleep(0)  # lets data read before the pause reach the protocol
    await asyncio.sleep(0)
    before = proto.received
    for _ in range(5):
        await asyncio.sleep(0)
    print("nothing received while paused:", proto.received == before)
    stdout.resume_reading()
    await proto.resumed
    print("after resume_writing:", proto.events, "buffer", stdin.get_write_buffer_size())
    stdin.close()
    exc = await proto.done
    print("cat echoed", proto.received, "bytes; connection_lost", exc,
          "returncode", transport.get_returncode())
    transport.close()


asyncio.run(main())
