# Mirrors CPython base_subprocess.BaseSubprocessTransport.send_signal/_check_proc with
# Popen.send_signal (test_subprocess.SubprocessMixin.test_kill_issue43884, test_events
# .SubprocessTestsMixin.test_subprocess_close_after_finish): signalling a running child is
# fine, and once connection_lost has returned it raises ProcessLookupError and sends nothing.
# (Between the reap and connection_lost, CPython skips the signal silently; asyncio-cpp
# already raises ProcessLookupError there, because the pid may have been reused: see
# test_subprocess_launchers.cpp, "child watchers: no signal reaches a pid reaped ...".)
import asyncio
import signal
from asyncio.subprocess import DEVNULL


def try_signal(where, transport):
    for name, call in [("kill", transport.kill), ("terminate", transport.terminate),
                       ("send_signal(0)", lambda: transport.send_signal(0))]:
        try:
            call()
            print(where, name, "no error")
        except ProcessLookupError:
            print(where, name, "ProcessLookupError")


class Proto(asyncio.SubprocessProtocol):
    def __init__(self):
        self.transport = None
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def process_exited(self):
        print("process_exited: returncode", self.transport.get_returncode())

    def connection_lost(self, exc):
        print("connection_lost: returncode", self.transport.get_returncode())
        self.done.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    transport, proto = await loop.subprocess_exec(Proto, "sleep", "100", stdin=DEVNULL,
                                                  stdout=DEVNULL, stderr=DEVNULL)
    transport.send_signal(0)
    print("send_signal(0) while running: no error; returncode", transport.get_returncode())
    transport.send_signal(signal.SIGTERM)
    await proto.done
    await asyncio.sleep(0)
    try_signal("after connection_lost:", transport)
    transport.close()


asyncio.run(main())
