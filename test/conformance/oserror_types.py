# Mirrors CPython test_pep3151.HierarchyTest.test_try_except and test_errno_mapping, raised by
# real failures: a refused port, an address in use, a missing program, a program that is not
# executable, a cwd that is a file or missing, a signal after the exit, a reset peer, an
# unresolvable .invalid name and a missing unix socket. Each prints type(e).__name__, e.errno
# and str(e); a wait_for timeout is caught by `except OSError` (TimeoutError is one).
# 3.13 words the bind error's tail differently ("[errno 98] address ..."): the pair prints the
# text before it, and test_oserror.cpp checks the whole, in 3.13's words as the library has it.
import asyncio
import os
import socket
import tempfile

from net_trace import closed_port


def show(what, e, *hide):
    text = str(e)
    for old, new in hide:
        text = text.replace(old, new)
    print(f"{what}: {type(e).__name__} errno={e.errno} {text!r}")


async def refused():
    port = closed_port()
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError as e:
        show("refused port", e, (str(port), "PORT"))


async def address_in_use():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await asyncio.start_server(lambda r, w: None, "127.0.0.1", port)
    except OSError as e:
        head = str(e).split(": ")[0].replace(str(port), "PORT")
        print(f"address in use: {type(e).__name__} errno={e.errno} {head!r}")
    server.close()
    await server.wait_closed()


async def spawn(what, program, tmp, cwd=None):
    try:
        proc = await asyncio.create_subprocess_exec(program, cwd=cwd)
        await proc.wait()
    except OSError as e:
        show(what, e, (tmp, "TMP"))


async def after_exit():
    proc = await asyncio.create_subprocess_exec("true")
    await proc.wait()
    try:
        proc.kill()
    except ProcessLookupError as e:
        show("kill after exit", e)


async def reset_peer():
    accepted = asyncio.get_running_loop().create_future()

    def on_client(reader, writer):
        accepted.set_result(writer)

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    peer = await accepted
    sock = peer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    peer.transport.abort()
    try:
        await reader.read(100)
    except ConnectionResetError as e:
        show("reset peer", e)
    writer.close()
    server.close()
    await server.wait_closed()


async def unresolvable():
    try:
        await asyncio.open_connection("no-such-host.invalid", 80)
    except socket.gaierror as e:
        print(f"unresolvable: {type(e).__name__} is OSError={isinstance(e, OSError)}",
              f"errno<0={e.errno < 0} matches gai_strerror={str(e).startswith('[Errno -')}")


async def missing_unix_socket(tmp):
    try:
        await asyncio.open_unix_connection(tmp + "/missing")
    except FileNotFoundError as e:
        show("missing unix socket", e, (tmp, "TMP"))


async def timeout_is_oserror():
    try:
        await asyncio.wait_for(asyncio.sleep(3600), 0)
    except OSError as e:
        show("wait_for timeout", e)


async def main():
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "plain")
        with open(plain, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(plain, 0o644)
        await refused()
        await address_in_use()
        await spawn("missing program", "no-such-program-oserror", tmp)
        await spawn("not executable", plain, tmp)
        await spawn("cwd is a file", "true", tmp, cwd=plain)
        await spawn("cwd missing", "true", tmp, cwd=tmp + "/missing")
        await after_exit()
        await reset_peer()
        await unresolvable()
        await missing_unix_socket(tmp)
        await timeout_is_oserror()


asyncio.run(main())
