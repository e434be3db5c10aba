# Mirrors CPython test_streams.StreamTests.test_unclosed_resource_warnings and the "unclosed
# transport" ResourceWarning of selector_events._SelectorTransport.__del__: a writer dropped
# while its transport is open closes it with "unclosed <StreamWriter ...>"; a transport still
# open (its protocol holds it) when the loop closes is closed with "unclosed transport <...>",
# and its peer sees EOF. CPython says so when its collector frees them (gc.collect() below);
# asyncio-cpp when the last reference to the writer goes, and in close(). Each warning is
# compared up to the repr's state (" fd=..."), which differs between the implementations.
import asyncio
import gc
import socket
import warnings


class Holding(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport  # transport and protocol now refer to each other


def prefixes(caught):
    texts = [str(w.message).split(" fd=")[0] for w in caught]
    caught.clear()
    return texts


async def main(caught, held_peer, stream_sock):
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection(sock=stream_sock)
    writer.write(b"x")
    del writer
    gc.collect()
    print("after dropping the writer:", prefixes(caught))
    await loop.connect_accepted_socket(Holding, held_peer)
    print("open when the loop closes: 1 transport")


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ResourceWarning)
    a, b = socket.socketpair()
    c, d = socket.socketpair()
    asyncio.run(main(caught, a, c), debug=True)
    gc.collect()
    print("after the loop closed:", prefixes(caught))
    print("its peer sees EOF:", b.recv(1) == b"")
    print("the writer's peer sees x then EOF:", d.recv(2) == b"x", d.recv(1) == b"")
    b.close()
    d.close()
