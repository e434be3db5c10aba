// Mirrors CPython test_streams.StreamTests.test_unclosed_resource_warnings and the "unclosed
// transport" ResourceWarning of selector_events._SelectorTransport.__del__: a writer dropped
// while its transport is open closes it with "unclosed <StreamWriter ...>"; a transport still
// open (its protocol holds it) when the loop closes is closed with "unclosed transport <...>",
// and its peer sees EOF. CPython says so when its collector frees them (gc.collect() below);
// asyncio-cpp when the last reference to the writer goes, and in close(). Each warning is
// compared up to the repr's state (" fd=..."), which differs between the implementations.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "trace.hpp"

using asyncio::Coro;

struct Holding : asyncio::Protocol {
  std::shared_ptr<asyncio::BaseTransport> transport;
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = t;  // transport and protocol now refer to each other
  }
};

std::vector<std::string> caught;  // the warnings the log sink received

std::string prefixes() {
  std::string out = "[";
  for (const auto& text : caught) {
    if (out.size() > 1) out += ", ";
    out += "'" + text.substr(0, text.find(" fd=")) + "'";
  }
  caught.clear();
  return out + "]";
}

Coro<> amain(int held_peer, int stream_sock) {
  auto& loop = asyncio::get_running_loop();
  {
    asyncio::ConnectionOptions options;
    options.sock = stream_sock;
    auto [reader, writer] = co_await asyncio::open_connection(options);
    writer->write("x");
  }  // del writer; gc.collect(): the pair goes here
  trace::print("after dropping the writer:", prefixes());
  co_await loop.connect_accepted_socket([] { return std::make_shared<Holding>(); }, held_peer);
  trace::print("open when the loop closes: 1 transport");
}

int main() {
  asyncio::set_log_sink([](asyncio::LogLevel level, std::string_view message) {
    if (level == asyncio::LogLevel::warning) caught.emplace_back(message);
  });
  int ab[2], cd[2];
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ab);
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cd);
  asyncio::run(amain(ab[0], cd[0]), true);
  // gc.collect(): nothing to do, close() closed the transport
  trace::print("after the loop closed:", prefixes());
  char buf[2];
  trace::print("its peer sees EOF:", ::recv(ab[1], buf, 1, 0) == 0);
  bool got_x = ::recv(cd[1], buf, 2, 0) == 1 && buf[0] == 'x';
  trace::print("the writer's peer sees x then EOF:", got_x, ::recv(cd[1], buf, 1, 0) == 0);
  ::close(ab[1]);
  ::close(cd[1]);
}
