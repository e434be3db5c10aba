// Mirrors CPython test_selector_events.BaseSelectorEventLoopTests.test_process_events_read,
// test_process_events_write and test_events.EventLoopTestsMixin.test_reader_callback on a
// socketpair: with a reader and a writer on the same fd and both ready, the reader's
// callback is queued before the writer's (whatever the registration order); the reader
// sees EOF after the peer closes.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include "trace.hpp"

asyncio::EventLoop loop;
int a, b;
int iteration = 0;

std::string recv_text(int fd) {
  char buf[100];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return std::string(buf, n > 0 ? n : 0);
}

void tick() {
  iteration += 1;
  if (iteration == 2) {
    trace::print("iteration 2 peer received", recv_text(b), "and closes");
    ::close(b);
  }
  loop.call_soon(tick);
}

void on_writable() {
  trace::print("iteration", iteration, "writer: send pong");
  ::send(a, "pong", 4, 0);
  trace::print("remove_writer:", loop.remove_writer(a));
}

void on_readable() {
  std::string data = recv_text(a);
  if (!data.empty()) {
    trace::print("iteration", iteration, "reader: received", data);
  } else {
    trace::print("iteration", iteration, "reader: EOF");
    trace::print("remove_reader:", loop.remove_reader(a));
    loop.stop();
  }
}

int main() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 1;
  a = fds[0];
  b = fds[1];
  ::send(b, "hello", 5, 0);
  loop.add_writer(a, on_writable);  // registered first, still queued second
  loop.add_reader(a, on_readable);
  loop.call_soon(tick);
  loop.run_forever();
  trace::print("stopped at iteration", iteration);
  trace::print("remove_writer again:", loop.remove_writer(a));
  ::close(a);
  loop.close();
}
