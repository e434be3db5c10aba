// Mirrors CPython test_base_events.BaseEventLoopTests.test__run_once_schedule_handle and
// the _run_once contract (only the callbacks ready when a batch starts run in it, then
// the loop polls I/O and timers again): a callback re-posting itself with
// call_soon_threadsafe forever, or another thread flooding the loop, starves neither a
// timer nor a reader.
#include <asyncio/asyncio.hpp>

#include <unistd.h>
#include <atomic>
#include <thread>

#include "trace.hpp"

asyncio::EventLoop loop;
int r, w;
int spins = 0;
bool finished = false;

void spin() {
  spins += 1;
  if (!finished) loop.call_soon_threadsafe(spin);
}

void on_readable() {
  char byte = 0;
  (void)::read(r, &byte, 1);
  trace::print("reader fired after", spins, "spin(s), read", std::string(1, byte));
  loop.remove_reader(r);
}

void on_timer() {
  trace::print("timer fired, spins > 10:", spins > 10);
  finished = true;
  loop.stop();
}

// Another thread floods the loop until the timer tells it to stop.
std::atomic<bool> done{false};
long posted = 0;
long ran = 0;

void count_foreign() {
  ran += 1;
}

void flood() {
  while (!done.load()) {
    loop.call_soon_threadsafe(count_foreign);
    posted += 1;
  }
}

void stop_flood() {
  trace::print("timer fired during the flood");
  done.store(true);
  loop.stop();
}

int main() {
  int fds[2];
  if (::pipe(fds) != 0) return 1;
  r = fds[0];
  w = fds[1];
  (void)::write(w, "x", 1);
  loop.add_reader(r, on_readable);
  loop.call_soon(spin);
  loop.call_later(0.05, on_timer);
  loop.run_forever();
  trace::print("phase 1 stopped");

  std::thread thread(flood);
  loop.call_later(0.05, stop_flood);
  loop.run_forever();
  thread.join();
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
  trace::print("every flooded call ran:", ran == posted, "posted > 0:", posted > 0);
  ::close(r);
  ::close(w);
  loop.close();
}
