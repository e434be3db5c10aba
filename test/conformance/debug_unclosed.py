# cpython: 3.12+
# (3.11's collector frees the loop's self-pipe sockets before the loop: their own
# ResourceWarnings, then an error inside BaseEventLoop.__del__.)
# Mirrors CPython BaseEventLoop.__del__ (test_base_events' ResourceWarning "unclosed event
# loop"): a loop dropped without close() warns "unclosed event loop <...>" with its state, and
# is closed; a closed loop says nothing. CPython warns when its collector frees the loop
# (gc.collect() below), asyncio-cpp in ~EventLoop, and only in debug mode: this pair runs in
# debug mode. The loop's class name differs (_UnixSelectorEventLoop, EventLoop) and is
# printed as LOOP.
import asyncio
import gc
import re
import warnings


def show(caught):
    for w in caught:
        text = re.sub(r"<\w+ running=", "<LOOP running=", str(w.message))
        print("warning:", text)
    if not caught:
        print("no warning")
    caught.clear()


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ResourceWarning)
    loop = asyncio.new_event_loop()
    loop.set_debug(True)
    del loop
    gc.collect()
    print("dropped without close():")
    show(caught)

    loop = asyncio.new_event_loop()
    loop.set_debug(True)
    loop.close()
    del loop
    gc.collect()
    print("dropped after close():")
    show(caught)
