// Mirrors CPython test_events.EventLoopTestsMixin.test_reader_callback and
// test_writer_callback on an os.pipe(): the writer fires while the pipe is writable, the
// reader fires once per iteration while data remains (level-triggered), re-adding a
// reader replaces it, and remove_reader/remove_writer say whether one was registered.
#include <asyncio/asyncio.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <vector>

#include "trace.hpp"

asyncio::EventLoop loop;
int r, w;
int iteration = 0;
std::vector<int> reads;

void tick() {
  iteration += 1;
  if (iteration == 7) {
    loop.stop();
  } else {
    loop.call_soon(tick);
  }
}

void on_writable() {
  trace::print("iteration", iteration, "writable: write 3 bytes");
  (void)::write(w, "xyz", 3);
  trace::print("remove_writer:", loop.remove_writer(w));
}

void replaced_reader() {
  trace::print("replaced reader ran (never)");
}

void on_readable() {
  char data = 0;
  (void)::read(r, &data, 1);
  trace::print("iteration", iteration, "read", std::string(1, data));
  reads.push_back(iteration);
}

int main() {
  int fds[2];
  if (::pipe(fds) != 0) return 1;
  r = fds[0];
  w = fds[1];
  ::fcntl(r, F_SETFL, ::fcntl(r, F_GETFL) | O_NONBLOCK);
  loop.add_reader(r, replaced_reader);
  loop.add_reader(r, on_readable);  // replaces the first reader
  loop.add_writer(w, on_writable);
  loop.call_soon(tick);
  loop.run_forever();
  trace::print("reads in consecutive iterations:",
               reads == std::vector<int>{reads.at(0), reads.at(0) + 1, reads.at(0) + 2});
  char byte;
  if (::read(r, &byte, 1) < 0 && errno == EAGAIN) trace::print("pipe drained: BlockingIOError");
  trace::print("remove_reader:", loop.remove_reader(r));
  trace::print("remove_reader again:", loop.remove_reader(r));
  trace::print("remove_writer again:", loop.remove_writer(w));
  ::close(r);
  ::close(w);
  loop.close();
}
