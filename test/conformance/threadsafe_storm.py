# Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon_threadsafe, scaled up:
# 4 threads x 2500 call_soon_threadsafe calls all run, each thread's calls in its own
# order, and the loop stops exactly when the last one has run.
import asyncio
import threading

THREADS = 4
CALLS = 2500
loop = asyncio.new_event_loop()
count = 0
next_index = [0] * THREADS
in_order = True


def bump(thread, index):
    global count, in_order
    if index != next_index[thread]:
        in_order = False
    next_index[thread] = index + 1
    count += 1
    if count == THREADS * CALLS:
        print("last call ran, stopping")
        loop.stop()


def producer(thread, start):
    start.wait()
    for index in range(CALLS):
        loop.call_soon_threadsafe(bump, thread, index)


start = threading.Event()
threads = [threading.Thread(target=producer, args=(i, start)) for i in range(THREADS)]
for thread in threads:
    thread.start()
loop.call_soon(start.set)  # the producers begin once the loop runs
loop.run_forever()
for thread in threads:
    thread.join()
print("count:", count)
print("per-thread order kept:", in_order)
print("every thread finished:", next_index == [CALLS] * THREADS)
loop.call_soon(loop.stop)
loop.run_forever()
print("nothing ran after the stop:", count)
loop.close()
