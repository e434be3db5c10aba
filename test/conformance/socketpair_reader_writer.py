# Mirrors CPython test_selector_events.BaseSelectorEventLoopTests.test_process_events_read,
# test_process_events_write and test_events.EventLoopTestsMixin.test_reader_callback on a
# socketpair: with a reader and a writer on the same fd and both ready, the reader's
# callback is queued before the writer's (whatever the registration order); the reader
# sees EOF after the peer closes.
import asyncio
import socket

loop = asyncio.new_event_loop()
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
a.setblocking(False)
iteration = 0


def tick():
    global iteration
    iteration += 1
    if iteration == 2:
        print("iteration 2 peer received", b.recv(100).decode(), "and closes")
        b.close()
    loop.call_soon(tick)


def on_writable():
    print("iteration", iteration, "writer: send pong")
    a.send(b"pong")
    print("remove_writer:", loop.remove_writer(a.fileno()))


def on_readable():
    data = a.recv(100)
    if data:
        print("iteration", iteration, "reader: received", data.decode())
    else:
        print("iteration", iteration, "reader: EOF")
        print("remove_reader:", loop.remove_reader(a.fileno()))
        loop.stop()


b.send(b"hello")
loop.add_writer(a.fileno(), on_writable)  # registered first, still queued second
loop.add_reader(a.fileno(), on_readable)
loop.call_soon(tick)
loop.run_forever()
print("stopped at iteration", iteration)
print("remove_writer again:", loop.remove_writer(a.fileno()))
a.close()
loop.close()
