# Mirrors CPython test_events.EventLoopTestsMixin.test_create_server, test_create_connection,
# test_connect_accepted_socket, test_read_pipe, test_write_pipe, test_create_datagram_endpoint and
# test_subprocess.SubprocessMixin.test_shell run in debug mode: the records asyncio logs while
# connections, servers, pipes, datagram endpoints and subprocesses are set up
# (base_events, selector_events._accept_connection, base_subprocess), with their levels.
# What differs from run to run or between the implementations is normalised: each repr keeps
# its class name only ("<_SelectorSocketTransport>"), a protocol shows as "<P object>", enum
# reprs stay whole; ports, fds, pids and durations are replaced by words.
import asyncio
import logging
import os
import re
import socket

ENUM = re.compile(r"<(\w+)\.([\w|]+): (\d+)>")
OBJECT = re.compile(r"<(?:[\w.:]*[.:])?(\w+) object at 0x[0-9a-f]+>")
INNERMOST = re.compile(r"<([\w.]+)[^<>]*>")
VOLATILE = [(re.compile(r"took \d+\.\d{3}ms"), "took Tms"), (re.compile(r"pid \d+"), "pid PID"),
            (re.compile(r"pipe \d+"), "pipe FD"), (re.compile(r"1:\d+:"), "1:PORT:"),
            (re.compile(r", \d{4,5}\)"), ", PORT)")]


def normalised(text):
    text = ENUM.sub(r"{\1.\2: \3}", text)  # kept whole: set aside from the collapsing below
    text = OBJECT.sub(r"{\1 object}", text)
    while True:
        shorter = INNERMOST.sub(r"{\1}", text)
        if shorter == text:
            break
        text = shorter
    for pattern, word in VOLATILE:
        text = pattern.sub(word, text)
    return text.replace("{", "<").replace("}", ">")


records = []


class Collect(logging.Handler):
    def emit(self, record):
        records.append((record.levelname, record.getMessage()))


def show(step, *prefixes):
    """The step's records that start with or contain one of `prefixes`, sorted (the accept
    and the connect may log in either order)."""
    lines = sorted(f"{level} {normalised(text)}" for level, text in records
                   if any(p in text for p in prefixes))
    records.clear()
    print(step)
    for line in lines:
        print("   ", line)


class P(asyncio.Protocol):
    def __init__(self, made=None):
        self.made = made

    def connection_made(self, transport):
        if self.made is not None and not self.made.done():
            self.made.set_result(None)


class D(asyncio.DatagramProtocol):
    pass


async def main():
    loop = asyncio.get_running_loop()
    loop.slow_callback_duration = 1000  # getaddrinfo's second record stays at DEBUG
    accepted = loop.create_future()
    server = await loop.create_server(lambda: P(accepted), "127.0.0.1", 0)
    show("create_server:", " is serving")
    port = server.sockets[0].getsockname()[1]
    client, _ = await loop.create_connection(P, "127.0.0.1", port)
    await accepted
    show("create_connection:", " connected to ", " got a new connection ", "Get address info")
    client.close()
    server.close()
    await server.wait_closed()

    ours, theirs = socket.socketpair()
    accepted, _ = await loop.connect_accepted_socket(P, ours)
    show("connect_accepted_socket:", " handled: ")
    accepted.close()
    theirs.close()

    await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    show("getaddrinfo:", "address info")
    loop.slow_callback_duration = 0
    await loop.getaddrinfo("127.0.0.1", None, family=socket.AF_INET, type=socket.SOCK_DGRAM)
    show("getaddrinfo, slow:", "address info")

    r, w = os.pipe()
    reader, _ = await loop.connect_read_pipe(P, os.fdopen(r, "rb", 0))
    writer, _ = await loop.connect_write_pipe(P, os.fdopen(w, "wb", 0))
    show("pipes:", "Read pipe", "Write pipe")
    reader.close()
    writer.close()

    bound, _ = await loop.create_datagram_endpoint(D, local_addr=("127.0.0.1", 0))
    show("datagram, local_addr:", "Datagram endpoint")
    connected, _ = await loop.create_datagram_endpoint(D, remote_addr=("127.0.0.1", 9))
    show("datagram, remote_addr:", "Datagram endpoint")
    bound.close()
    connected.close()

    proc = await asyncio.create_subprocess_exec(
        "true", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    await proc.communicate()
    show("create_subprocess_exec:", "execute program", " created: pid ")
    proc = await asyncio.create_subprocess_shell("exit 0", stdin=asyncio.subprocess.DEVNULL)
    await proc.wait()
    show("create_subprocess_shell:", "run shell command", " created: pid ")


logger = logging.getLogger("asyncio")
logger.setLevel(logging.DEBUG)
logger.addHandler(Collect())
logger.propagate = False
asyncio.run(main(), debug=True)
