# Mirrors CPython test_unix_events.SelectorEventLoopSignalTests (test_add_signal_handler,
# test_remove_signal_handler, test_add_signal_handler_install_error) and
# test_events.EventLoopTestsMixin.test_add_signal_handler: a signal sent to ourselves runs its
# handler as a loop callback with the bound arguments; bad numbers and uncatchable signals
# raise; removing restores the default action.
import asyncio
import os
import signal

loop = asyncio.new_event_loop()
caught = []


def handler(name, n):
    caught.append(n)
    print("handler", name, n, "running loop:", asyncio.get_running_loop() is loop)
    loop.stop()


loop.add_signal_handler(signal.SIGUSR1, handler, "usr1", 1)
loop.call_soon(print, "before the signal")
loop.call_soon(os.kill, os.getpid(), signal.SIGUSR1)
loop.call_soon(print, "after kill, same batch")
loop.run_forever()
print("caught", caught)

loop.add_signal_handler(signal.SIGUSR1, handler, "replaced", 2)
loop.call_soon(os.kill, os.getpid(), signal.SIGUSR1)
loop.call_later(10, loop.stop)  # safety net only
loop.run_forever()
print("caught", caught)

for sig in [0, -1, signal.NSIG, 1000]:
    try:
        loop.add_signal_handler(sig, handler, "bad", 0)
    except ValueError as exc:
        print("ValueError:", exc)
for sig in [signal.SIGKILL, signal.SIGSTOP]:
    try:
        loop.add_signal_handler(sig, handler, "uncatchable", 0)
    except RuntimeError as exc:
        print("RuntimeError:", exc)

print("remove:", loop.remove_signal_handler(signal.SIGUSR1))
print("remove again:", loop.remove_signal_handler(signal.SIGUSR1))
print("default restored:", signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL)
loop.add_signal_handler(signal.SIGUSR2, handler, "closed", 3)
loop.close()
print("close restored:", signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL)
try:
    loop.add_signal_handler(signal.SIGUSR2, handler, "closed", 4)
except RuntimeError as exc:
    print("RuntimeError:", exc)
