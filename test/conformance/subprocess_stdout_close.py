# Mirrors CPython test_events.SubprocessTestsMixin.test_subprocess_close_client_stream and
# Popen's restore_signals: closing the read transport of a child's stdout while the child
# keeps writing makes its next write raise SIGPIPE, which kills it (SIGPIPE is back at its
# default action in the child): returncode -13. The protocol sees pipe_connection_lost(1)
# once, then process_exited, then connection_lost last.
import asyncio
import signal
from asyncio.subprocess import DEVNULL


class Proto(asyncio.SubprocessProtocol):
    def __init__(self):
        self.transport = None
        self.events = []
        self.got_data = asyncio.get_running_loop().create_future()
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def pipe_data_received(self, fd, data):
        if not self.got_data.done():
            self.got_data.set_result(None)

    def pipe_connection_lost(self, fd, exc):
        self.events.append(f"pipe_connection_lost {fd} {exc}")

    def process_exited(self):
        self.events.append("process_exited")

    def connection_lost(self, exc):
        self.events.append(f"connection_lost {exc}")
        self.done.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    transport, proto = await loop.subprocess_exec(Proto, "yes", stdin=DEVNULL, stderr=DEVNULL)
    await proto.got_data
    stdout = transport.get_pipe_transport(1)
    stdout.close()
    print("stdout transport closing:", stdout.is_closing())
    await proto.done
    print("events:", proto.events)
    print("returncode:", transport.get_returncode(), "= -SIGPIPE:",
          transport.get_returncode() == -signal.SIGPIPE)
    transport.close()


asyncio.run(main())
