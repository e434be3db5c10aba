// Mirrors CPython test_events.EventLoopTestsMixin.test_create_server, test_create_connection,
// test_connect_accepted_socket, test_read_pipe, test_write_pipe, test_create_datagram_endpoint and
// test_subprocess.SubprocessMixin.test_shell run in debug mode: the records asyncio logs while
// connections, servers, pipes, datagram endpoints and subprocesses are set up
// (base_events, selector_events._accept_connection, base_subprocess), with their levels.
// What differs from run to run or between the implementations is normalised: each repr keeps
// its class name only ("<_SelectorSocketTransport>"), a protocol shows as "<P object>", enum
// reprs stay whole; ports, fds, pids and durations are replaced by words.
#include <asyncio/asyncio.hpp>

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <mutex>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "trace.hpp"

using asyncio::Coro;

const std::regex ENUM(R"(<(\w+)\.([\w|]+): (\d+)>)");
const std::regex OBJECT(R"(<(?:[\w.:]*[.:])?(\w+) object at 0x[0-9a-f]+>)");
const std::regex INNERMOST(R"(<([\w.]+)[^<>]*>)");
const std::vector<std::pair<std::regex, std::string>> VOLATILE = {
    {std::regex(R"(took \d+\.\d{3}ms)"), "took Tms"},
    {std::regex(R"(pid \d+)"), "pid PID"},
    {std::regex(R"(pipe \d+)"), "pipe FD"},
    {std::regex(R"(1:\d+:)"), "1:PORT:"},
    {std::regex(R"(, \d{4,5}\))"), ", PORT)"}};

std::string normalised(std::string text) {
  text = std::regex_replace(text, ENUM, "{$1.$2: $3}");  // kept whole: set aside from below
  text = std::regex_replace(text, OBJECT, "{$1 object}");
  while (true) {
    std::string shorter = std::regex_replace(text, INNERMOST, "{$1}");
    if (shorter == text) break;
    text = shorter;
  }
  for (const auto& [pattern, word] : VOLATILE) text = std::regex_replace(text, pattern, word);
  std::replace(text.begin(), text.end(), '{', '<');
  std::replace(text.begin(), text.end(), '}', '>');
  return text;
}

std::mutex records_mutex;  // the sink may run on a library thread (a resolver, a watcher)
std::vector<std::pair<asyncio::LogLevel, std::string>> records;

// The step's records that start with or contain one of `prefixes`, sorted (the accept and the
// connect may log in either order).
void show(const char* step, std::initializer_list<const char*> prefixes) {
  std::vector<std::string> lines;
  std::lock_guard lock(records_mutex);
  for (const auto& [level, text] : records)
    if (std::any_of(prefixes.begin(), prefixes.end(),
                    [&](const char* p) { return text.find(p) != std::string::npos; }))
      lines.push_back(std::string(asyncio::to_string(level)) + " " + normalised(text));
  records.clear();
  std::sort(lines.begin(), lines.end());
  trace::print(step);
  for (const auto& line : lines) trace::print("   ", line);
}

struct P : asyncio::Protocol {
  explicit P(std::optional<asyncio::Future<void>> made_ = std::nullopt) : made(made_) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport>) override {
    if (made && !made->done()) made->set_result();
  }
  std::optional<asyncio::Future<void>> made;
};

struct D : asyncio::DatagramProtocol {};

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  loop.slow_callback_duration = 1000;  // getaddrinfo's second record stays at DEBUG
  asyncio::Future<void> accepted = loop.create_future<void>();
  auto server =
      co_await loop.create_server([&] { return std::make_shared<P>(accepted); }, "127.0.0.1", 0);
  show("create_server:", {" is serving"});
  int port = server->addresses().at(0).port;
  auto [client, cp] =
      co_await loop.create_connection([] { return std::make_shared<P>(); }, "127.0.0.1", port);
  co_await accepted;
  show("create_connection:", {" connected to ", " got a new connection ", "Get address info"});
  client->close();
  server->close();
  co_await server->wait_closed();

  int ends[2];
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends);
  auto [accepted_transport, ap] =
      co_await loop.connect_accepted_socket([] { return std::make_shared<P>(); }, ends[0]);
  show("connect_accepted_socket:", {" handled: "});
  accepted_transport->close();
  ::close(ends[1]);

  co_await loop.getaddrinfo("127.0.0.1", "80", 0, SOCK_STREAM, 0, AI_PASSIVE);
  show("getaddrinfo:", {"address info"});
  loop.slow_callback_duration = 0;
  co_await loop.getaddrinfo("127.0.0.1", std::nullopt, AF_INET, SOCK_DGRAM);
  show("getaddrinfo, slow:", {"address info"});

  int fds[2];
  ::pipe2(fds, O_CLOEXEC);
  auto [reader, rp] = co_await loop.connect_read_pipe([] { return std::make_shared<P>(); }, fds[0]);
  auto [writer, wp] =
      co_await loop.connect_write_pipe([] { return std::make_shared<P>(); }, fds[1]);
  show("pipes:", {"Read pipe", "Write pipe"});
  reader->close();
  writer->close();

  auto datagram = [] { return std::make_shared<D>(); };
  asyncio::DatagramOptions local;
  local.local_addr = asyncio::HostPort("127.0.0.1", 0);
  auto [bound, bp] = co_await loop.create_datagram_endpoint(datagram, local);
  show("datagram, local_addr:", {"Datagram endpoint"});
  asyncio::DatagramOptions remote;
  remote.remote_addr = asyncio::HostPort("127.0.0.1", 9);
  auto [connected, dp] = co_await loop.create_datagram_endpoint(datagram, remote);
  show("datagram, remote_addr:", {"Datagram endpoint"});
  bound->close();
  connected->close();

  asyncio::SubprocessOptions to_stdout;
  to_stdout.stdout_ = asyncio::PIPE;
  to_stdout.stderr_ = asyncio::STDOUT;
  auto proc = co_await asyncio::create_subprocess_exec("true", {}, to_stdout);
  co_await proc.communicate();
  show("create_subprocess_exec:", {"execute program", " created: pid "});
  asyncio::SubprocessOptions no_input;
  no_input.stdin_ = asyncio::DEVNULL;
  auto shell = co_await asyncio::create_subprocess_shell("exit 0", no_input);
  co_await shell.wait();
  show("create_subprocess_shell:", {"run shell command", " created: pid "});
}

int main() {
  asyncio::set_log_sink([](asyncio::LogLevel level, std::string_view text) {
    std::lock_guard lock(records_mutex);
    records.emplace_back(level, std::string(text));
  });
  asyncio::run(amain(), true);
}
