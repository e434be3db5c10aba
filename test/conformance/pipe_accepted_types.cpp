// Mirrors CPython test_unix_events.UnixReadPipeTransportTests.test_ctor /
// UnixWritePipeTransportTests.test_ctor and the fstat checks of _UnixReadPipeTransport and
// _UnixWritePipeTransport: pipe transports take pipes and sockets (and character devices)
// and refuse regular files and directories with ValueError; over a socketpair the read
// transport delivers data then EOF, and the write transport notices the peer closing.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>
#include <cstdlib>
#include <fstream>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace proc_trace;

class Proto : public RecordsEnd<asyncio::Protocol> {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
    events.push_back("connection_made");
  }
  void data_received(std::string_view data) override {
    events.push_back("data " + std::string(data));
  }
};

auto make_proto() {
  return std::make_shared<Proto>();
}

Coro<> refused(std::string label, bool write, int fd) {
  auto& loop = asyncio::get_running_loop();
  try {
    if (write) {
      co_await loop.connect_write_pipe(make_proto, fd);
    } else {
      co_await loop.connect_read_pipe(make_proto, fd);
    }
    trace::print(label, "accepted");
  } catch (const std::invalid_argument&) {
    trace::print(label, "ValueError");
  }
  ::close(fd);  // refused: still ours
}

std::pair<int, int> socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::system_error(errno, std::generic_category());
  return {fds[0], fds[1]};
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  auto [a, b] = socket_pair();
  auto [reader, reader_proto] = co_await loop.connect_read_pipe(make_proto, a);
  ::send(b, "over a socket", 13, 0);
  ::close(b);
  co_await reader_proto->lost;
  trace::print("read pipe on a socket:", str_list(reader_proto->events));

  auto [c, d] = socket_pair();
  auto [writer, writer_proto] = co_await loop.connect_write_pipe(make_proto, c);
  writer->write("to a socket");
  char buf[100];
  ssize_t n = ::recv(d, buf, sizeof buf, 0);
  trace::print("peer received:", std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0));
  ::close(d);
  co_await writer_proto->lost;
  trace::print("write pipe on a socket:", str_list(writer_proto->events));

  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/confXXXXXX";
  std::string tmp = ::mkdtemp(pattern.data());
  std::string path = tmp + "/file";
  std::ofstream(path) << "data";
  co_await refused("read pipe on a regular file:", false, ::open(path.c_str(), O_RDONLY));
  co_await refused("write pipe on a regular file:", true, ::open(path.c_str(), O_WRONLY));
  co_await refused("read pipe on a directory:", false, ::open(tmp.c_str(), O_RDONLY));
  ::unlink(path.c_str());
  ::rmdir(tmp.c_str());
}

int main() {
  asyncio::run(amain());
}
