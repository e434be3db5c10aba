// Mirrors CPython test_sendfile.SockSendfileMixin (test_sock_sendfile_success,
// test_sock_sendfile_with_offset_and_count, test_sock_sendfile_zero_size,
// test_sock_sendfile_mix_with_regular_send) and test_base_events.BaseLoopSockSendfileTests
// (test_sock_sendfile_no_fallback, test_nonstream_socket, test_negative_count,
// test_negative_offset, test_blocking_socket): what comes out, what is returned, and where the
// file position is left.
#include <asyncio/asyncio.hpp>

#include "proc_trace.hpp"
#include "sock_trace.hpp"
#include "trace.hpp"

#include <cstdlib>
#include <tuple>
#include <vector>

using asyncio::Coro;
using namespace sock_trace;
using proc_trace::bytes_repr;

std::string data_block() {
  std::string data;
  for (int i = 0; i < 1024 * 8; ++i) data += "SendfileBaseData";
  return data;
}
const std::string DATA = data_block();

// tempfile.TemporaryFile()
int temporary_file() {
  char path[] = "/tmp/asyncio_cpp_sendfile_XXXXXX";
  int fd = ::mkstemp(path);
  ::unlink(path);
  return fd;
}

long tell(int fd) {
  return long(::lseek(fd, 0, SEEK_CUR));
}

Coro<std::string> recv_all(asyncio::EventLoop& loop, int sock) {
  std::string received;
  while (true) {
    std::string chunk = co_await loop.sock_recv(sock, 65536);
    if (chunk.empty()) co_return received;
    received += chunk;
  }
}

Coro<std::pair<std::size_t, std::string>> send_and_collect(
    asyncio::EventLoop& loop, int file, std::int64_t offset = 0,
    std::optional<std::int64_t> count = std::nullopt, bool mix = false) {
  auto [a, b] = socketpair();
  auto reader = asyncio::create_task(recv_all(loop, b));
  std::string extra = mix ? "mix_regular_send" : "";
  co_await loop.sock_sendall(a, extra);
  std::size_t sent = co_await loop.sock_sendfile(a, file, offset, count);
  co_await loop.sock_sendall(a, extra);
  ::close(a);
  std::string received = co_await reader;
  ::close(b);
  co_return std::pair(sent, received);
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  int file = temporary_file();
  (void)::write(file, DATA.data(), DATA.size());
  ::lseek(file, 0, SEEK_SET);
  auto [sent, received] = co_await send_and_collect(loop, file);
  trace::print("whole file:", sent, received == DATA, "position:", tell(file));
  std::tie(sent, received) = co_await send_and_collect(loop, file, 1000, 2000);
  trace::print("offset 1000, count 2000:", sent, received == DATA.substr(1000, 2000),
               "position:", tell(file));
  ::lseek(file, 0, SEEK_SET);
  std::tie(sent, received) = co_await send_and_collect(loop, file, 0, std::nullopt, true);
  trace::print("between two sock_sendall:", sent,
               received == "mix_regular_send" + DATA + "mix_regular_send", "position:", tell(file));

  auto [a, b] = socketpair();
  int udp = make_socket(SOCK_DGRAM);
  using Args = std::tuple<int, std::int64_t, std::optional<std::int64_t>>;
  std::vector<Args> cases;  // GCC 12: no braced list in a coroutine's range-for
  cases.emplace_back(udp, 0, std::nullopt);
  cases.emplace_back(a, 0, 0);
  cases.emplace_back(a, 0, -5);
  cases.emplace_back(a, -1, std::nullopt);
  for (auto [sock, offset, count] : cases) {
    try {
      co_await loop.sock_sendfile(sock, file, offset, count);
    } catch (const std::invalid_argument& exc) {
      trace::print("ValueError:", exc.what());
    }
  }
  loop.set_debug(true);
  int blocking = make_socket(SOCK_STREAM, true);
  try {
    co_await loop.sock_sendfile(blocking, file);
  } catch (const std::invalid_argument& exc) {
    trace::print("blocking socket in debug mode:", exc.what());
  }
  loop.set_debug(false);
  for (int s : std::vector{a, b, udp, blocking}) ::close(s);
  ::close(file);

  int empty = temporary_file();
  std::tie(sent, received) = co_await send_and_collect(loop, empty);
  trace::print("empty file:", sent, bytes_repr(received), "position:", tell(empty));
  ::close(empty);

  auto [r, w] = proc_trace::make_pipe();
  proc_trace::write_all(w, "not for sendfile(2)");
  ::close(w);
  auto [c, d] = socketpair();
  try {
    co_await loop.sock_sendfile(c, r, 0, 5, false);
  } catch (const asyncio::SendfileNotAvailableError& exc) {
    trace::print("pipe without fallback:", "SendfileNotAvailableError", exc.what());
  }
  ::close(c);
  ::close(d);
  ::close(r);
}

int main() {
  asyncio::run(amain());
}
