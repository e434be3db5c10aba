# Mirrors CPython test_events.EventLoopTestsMixin.test_reader_callback and
# test_writer_callback on an os.pipe(): the writer fires while the pipe is writable, the
# reader fires once per iteration while data remains (level-triggered), re-adding a
# reader replaces it, and remove_reader/remove_writer say whether one was registered.
import asyncio
import os

loop = asyncio.new_event_loop()
r, w = os.pipe()
os.set_blocking(r, False)
iteration = 0
reads = []


def tick():
    global iteration
    iteration += 1
    if iteration == 7:
        loop.stop()
    else:
        loop.call_soon(tick)


def on_writable():
    print("iteration", iteration, "writable: write 3 bytes")
    os.write(w, b"xyz")
    print("remove_writer:", loop.remove_writer(w))


def replaced_reader():
    print("replaced reader ran (never)")


def on_readable():
    data = os.read(r, 1)
    print("iteration", iteration, "read", data.decode())
    reads.append(iteration)


loop.add_reader(r, replaced_reader)
loop.add_reader(r, on_readable)  # replaces the first reader
loop.add_writer(w, on_writable)
loop.call_soon(tick)
loop.run_forever()
print("reads in consecutive iterations:", reads == [reads[0], reads[0] + 1, reads[0] + 2])
try:
    os.read(r, 1)
except BlockingIOError:
    print("pipe drained: BlockingIOError")
print("remove_reader:", loop.remove_reader(r))
print("remove_reader again:", loop.remove_reader(r))
print("remove_writer again:", loop.remove_writer(w))
os.close(r)
os.close(w)
loop.close()
