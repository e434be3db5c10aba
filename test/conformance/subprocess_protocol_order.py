# Mirrors CPython test_subprocess.SubprocessMixin.test_subprocess_protocol_events (3.12),
# test_events.SubprocessTestsMixin.test_subprocess_exec and base_subprocess's behaviour
# (BaseSubprocessTransport._try_finish / _call_connection_lost): a SubprocessProtocol gets
# connection_made first (before loop.subprocess_exec returns), pipe_data_received for the
# child's fds 1 and 2, pipe_connection_lost(fd, None) once for each of 0, 1 and 2,
# process_exited once, and connection_lost(None) last, after the exit and all the pipes.
# The order between the exit and the pipes' EOF is a race, so only invariants are printed.
# A child that exits at once still reports after connection_made (the transport queues
# its calls until then); without pipes the order is fixed.
import asyncio
from asyncio.subprocess import DEVNULL

CHILD = 'read line; printf "got:%s" "$line"; printf oops >&2; exit 5'


class Proto(asyncio.SubprocessProtocol):
    def __init__(self):
        self.events = []
        self.out = {1: b"", 2: b""}
        self.transport = None
        self.returncode_at_made = "unset"
        self.returncode_at_exit = "unset"
        self.finished = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.events.append(("connection_made", None))
        self.transport = transport
        self.returncode_at_made = transport.get_returncode()
        stdin = transport.get_pipe_transport(0)
        if stdin is not None:
            stdin.write(b"ping\n")
            stdin.close()

    def pipe_data_received(self, fd, data):
        self.events.append(("data", fd))
        self.out[fd] += data

    def pipe_connection_lost(self, fd, exc):
        self.events.append(("pipe_lost", fd, exc))

    def process_exited(self):
        self.events.append(("exited", None))
        self.returncode_at_exit = self.transport.get_returncode()

    def connection_lost(self, exc):
        self.events.append(("connection_lost", exc))
        self.finished.set_result(None)


def index_of(events, *key):
    return [i for i, e in enumerate(events) if e[:len(key)] == key]


async def main():
    loop = asyncio.get_running_loop()
    transport, proto = await loop.subprocess_exec(Proto, "/bin/sh", "-c", CHILD)
    print("connection_made before subprocess_exec returned:",
          proto.events[:1] == [("connection_made", None)])
    print("returncode at connection_made:", proto.returncode_at_made)
    print("pid positive:", transport.get_pid() > 0)
    print("pipe transports for 0, 1, 2:",
          all(transport.get_pipe_transport(fd) is not None for fd in (0, 1, 2)))
    print("get_pipe_transport(3):", transport.get_pipe_transport(3))
    await proto.finished

    events = proto.events
    print("first event:", events[0][0])
    print("stdout:", proto.out[1].decode(), "stderr:", proto.out[2].decode())
    print("data only from fds:", sorted({e[1] for e in events if e[0] == "data"}))
    lost = [e for e in events if e[0] == "pipe_lost"]
    print("pipe_connection_lost fds:", sorted(e[1] for e in lost))
    print("pipe_connection_lost errors:", [e[2] for e in lost])
    print("no data after its pipe was lost:",
          all(max(index_of(events, "data", fd), default=-1) < index_of(events, "pipe_lost", fd)[0]
              for fd in (1, 2)))
    print("process_exited calls:", len(index_of(events, "exited")))
    print("returncode at process_exited:", proto.returncode_at_exit)
    print("connection_lost calls:", len(index_of(events, "connection_lost")))
    print("connection_lost is last:", events[-1][0] == "connection_lost")
    print("connection_lost exc:", events[-1][1])
    print("get_returncode:", transport.get_returncode())
    transport.close()
    print("is_closing after close:", transport.is_closing())

    transport, proto = await loop.subprocess_exec(Proto, "true", stdin=DEVNULL, stdout=DEVNULL,
                                                  stderr=DEVNULL)
    await proto.finished
    print("no pipes, immediate exit:", [e[0] for e in proto.events])
    transport.close()


asyncio.run(main())
