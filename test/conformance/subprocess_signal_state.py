# Mirrors CPython test_subprocess.POSIXProcessTestCase.test_restore_signals and the signal
# state execve(2) hands a child: restore_signals puts SIGPIPE and SIGXFSZ (which Python
# ignores) back to SIG_DFL, a signal we ignore stays ignored, one we handle
# (loop.add_signal_handler) arrives at SIG_DFL, and the child's mask is the caller's (here
# with SIGWINCH blocked). The child, cat, reports its own /proc/self/status.
import asyncio
import signal
from asyncio.subprocess import PIPE

WATCHED = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGWINCH,
           signal.SIGTERM]


def decode(status, field):
    for line in status.splitlines():
        if line.startswith(field + ":"):
            bits = int(line.split()[1], 16)
            return [sig.name for sig in WATCHED if bits & (1 << (sig - 1))]
    return None


async def child_state():
    proc = await asyncio.create_subprocess_exec("/bin/cat", "/proc/self/status", stdout=PIPE)
    out, _ = await proc.communicate()
    status = out.decode()
    return {field: decode(status, field) for field in ("SigIgn", "SigCgt", "SigBlk")}


async def main():
    loop = asyncio.get_running_loop()
    print("at start:", await child_state())
    loop.add_signal_handler(signal.SIGUSR1, lambda: None)
    old_usr2 = signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGWINCH])
    print("USR1 handled, USR2 ignored, WINCH blocked:", await child_state())
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGWINCH])
    signal.signal(signal.SIGUSR2, old_usr2)
    loop.remove_signal_handler(signal.SIGUSR1)
    print("all put back:", await child_state())


asyncio.run(main())
