# Mirrors CPython test_base_events.BaseEventLoopTests.test__run_once_schedule_handle and
# the _run_once contract (only the callbacks ready when a batch starts run in it, then
# the loop polls I/O and timers again): a callback re-posting itself with
# call_soon_threadsafe forever, or another thread flooding the loop, starves neither a
# timer nor a reader.
import asyncio
import os
import threading

loop = asyncio.new_event_loop()
r, w = os.pipe()
spins = 0
finished = False


def spin():
    global spins
    spins += 1
    if not finished:
        loop.call_soon_threadsafe(spin)


def on_readable():
    print("reader fired after", spins, "spin(s), read", os.read(r, 1).decode())
    loop.remove_reader(r)


def on_timer():
    global finished
    print("timer fired, spins > 10:", spins > 10)
    finished = True
    loop.stop()


os.write(w, b"x")
loop.add_reader(r, on_readable)
loop.call_soon(spin)
loop.call_later(0.05, on_timer)
loop.run_forever()
print("phase 1 stopped")

# Another thread floods the loop until the timer tells it to stop.
done = threading.Event()
posted = 0
ran = 0


def count_foreign():
    global ran
    ran += 1


def flood():
    global posted
    while not done.is_set():
        loop.call_soon_threadsafe(count_foreign)
        posted += 1


def stop_flood():
    print("timer fired during the flood")
    done.set()
    loop.stop()


thread = threading.Thread(target=flood)
thread.start()
loop.call_later(0.05, stop_flood)
loop.run_forever()
thread.join()
loop.call_soon(loop.stop)
loop.run_forever()
print("every flooded call ran:", ran == posted, "posted > 0:", posted > 0)
os.close(r)
os.close(w)
loop.close()
