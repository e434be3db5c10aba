// The 10k-connection loopback stress test ([stress]), its clients in a child process.
#include <asyncio/asyncio.hpp>
#include <asyncio/streams.hpp>
#include <asyncio/subprocess.hpp>
#include <catch2/catch.hpp>

#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"
#include "unit/strict_mode.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using test_support::NoFileLimit;
using test_support::open_fd_count;
using test_support::spin;

// ---------------------------------------------------------------- stress

namespace {

// The 10k test's clients run in a child process: this binary, running that test again with the
// server's port in its environment. Each process then needs one fd per connection; one process
// holding both ends would need over 20k, above CI's hard limit of 20000, which only
// CAP_SYS_RESOURCE raises.
constexpr char kStressTest[] = "stress: 10k concurrent loopback connections*";  // a Catch spec
constexpr char kPortVar[] = "ASYNCIO_CPP_TEST_STRESS_PORT";
constexpr char kCountVar[] = "ASYNCIO_CPP_TEST_STRESS_COUNT";

// Our environment, plus the server's port and the number of connections.
std::map<std::string, std::string> client_env(int port, int n) {
  std::map<std::string, std::string> env;
  for (char** var = environ; *var != nullptr; ++var) {
    const std::string_view entry(*var);
    const std::size_t eq = entry.find('=');
    if (eq != std::string_view::npos)
      env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  env[kPortVar] = std::to_string(port);
  env[kCountVar] = std::to_string(n);
  return env;
}

// The child's side of the handshake with its parent, on its stdin and stdout (blocking).
void tell_parent(const std::string& line) {
  const std::string text = line + "\n";
  REQUIRE(::write(1, text.data(), text.size()) == ssize_t(text.size()));
}
std::string line_from_parent() {
  std::string line;
  char c = 0;
  while (::read(0, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

// The parent's side: the child's next line that starts with `prefix` ("" at EOF). Catch's own
// lines ("Filters: ...") come through the same pipe and are skipped; `skipped` keeps them.
Coro<std::string> line_from_child(asyncio::StreamReader& out, std::string_view prefix,
                                  std::string& skipped) {
  for (;;) {
    std::string line = co_await out.readline();
    if (line.empty() || line.starts_with(prefix)) co_return line;
    skipped += line;
  }
}

// The child's part: opens n connections; once all are open, says "connected" and waits for
// "go"; then each sends a line and reads it back. Reports "echoed E failed F".
void run_stress_clients() {
  const char* port_text = std::getenv(kPortVar);
  const char* count_text = std::getenv(kCountVar);
  REQUIRE(port_text != nullptr);
  REQUIRE(count_text != nullptr);
  const int port = std::atoi(port_text);
  const int n = std::atoi(count_text);
  int echoed = 0;
  int failed = 0;
  EventLoop loop;
  auto body = [&]() -> Coro<void> {
    asyncio::Event go;
    int connected = 0;
    auto client = [&](int i) -> Coro<void> {
      auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port);
      if (++connected == n) {
        tell_parent("connected");
        const std::string answer = co_await asyncio::to_thread(line_from_parent);
        CHECK(answer == "go");
        go.set();
      }
      co_await go.wait();
      std::string msg = "hello " + std::to_string(i) + "\n";
      w->write(msg);
      std::string back = co_await r->readline();
      if (back == msg) ++echoed;
      w->close();
      co_await w->wait_closed();
    };
    std::vector<asyncio::Task<void>> tasks;
    tasks.reserve(std::size_t(n));
    for (int i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(client(i)));
    for (auto& t : tasks) {
      try {
        co_await t;
      } catch (const std::exception& e) {
        if (failed++ == 0) WARN("first client failure: " << e.what());
      }
    }
  };
  loop.run_until_complete(asyncio::wait_for(body(), 100.0));
  tell_parent("echoed " + std::to_string(echoed) + " failed " + std::to_string(failed));
}

// What the server's handlers share; each handler's frame holds it, so none outlives it.
struct EchoCount {
  int n = 0;
  int accepted = 0;
  int finished = 0;
  int served = 0;
  asyncio::Event all_accepted;
  asyncio::Event all_finished;
};

Coro<void> echo_once(std::shared_ptr<asyncio::StreamReader> r,
                     std::shared_ptr<asyncio::StreamWriter> w, std::shared_ptr<EchoCount> count) {
  if (++count->accepted == count->n) count->all_accepted.set();
  std::string line = co_await r->readline();
  w->write(line);
  co_await w->drain();
  w->close();
  co_await w->wait_closed();
  if (!line.empty()) ++count->served;
  if (++count->finished == count->n) count->all_finished.set();
}

}  // namespace

TEST_CASE("stress: 10k concurrent loopback connections, each echoes once", "[net][stress]") {
  if (std::getenv(kPortVar) != nullptr) {  // the child process this test starts
    run_stress_clients();
    return;
  }
  constexpr int wanted = 10000;
  NoFileLimit restore_limit;
  const int start_fds = open_fd_count();
  // One fd per connection in each process, plus headroom for the loop.
  const rlim_t headroom = rlim_t(start_fds) + 128;
  restore_limit.raise_soft_to(headroom + rlim_t(wanted));  // the child inherits it
  rlimit rl{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
  auto allowed = [&]() -> int {
    if (rl.rlim_cur == RLIM_INFINITY) return wanted;
    if (rl.rlim_cur <= headroom) return 0;
    return int(std::min<rlim_t>(wanted, rl.rlim_cur - headroom));
  };
  const int n = allowed();
  if (n < wanted) {
    STRICT_FAIL_OR_WARN("RLIMIT_NOFILE hard limit " << rl.rlim_max << " is too low for " << wanted
                                                    << " connections (raising it needs "
                                                    << "CAP_SYS_RESOURCE); running " << n);
  }
  if (n < 1000) {
    WARN("skipped: the hard limit allows fewer than 1000 connections");
    return;
  }

  int served = 0;
  std::string report;
  std::string child_output;  // the child's Catch report
  int client_code = -1;
  int with_fds = 0;
  {
    EventLoop loop;
    test_support::make_reactor(loop);
    const int loop_fds = open_fd_count();
    auto body = [&]() -> Coro<void> {
      auto count = std::make_shared<EchoCount>();
      count->n = n;
      auto echo = [count](std::shared_ptr<asyncio::StreamReader> r,
                          std::shared_ptr<asyncio::StreamWriter> w) {
        return echo_once(std::move(r), std::move(w), count);
      };
      asyncio::ServerOptions opts;
      opts.backlog = 4096;
      auto server = co_await asyncio::start_server(echo, "127.0.0.1", 0, opts);
      asyncio::SubprocessOptions child;
      child.stdin_ = asyncio::PIPE;
      child.stdout_ = asyncio::PIPE;
      child.env = client_env(server->addresses().at(0).port, n);
      asyncio::Process clients =
          co_await asyncio::create_subprocess_exec("/proc/self/exe", kStressTest, child);
      const std::string connected =
          co_await line_from_child(*clients.stdout_, "connected", child_output);
      REQUIRE(connected == "connected\n");
      co_await count->all_accepted.wait();  // every connection is open at both ends, at once
      with_fds = open_fd_count();
      clients.stdin_->write("go\n");
      co_await clients.stdin_->drain();
      report = co_await line_from_child(*clients.stdout_, "echoed", child_output);
      child_output += co_await clients.stdout_->read();  // to EOF: the child never blocks on it
      client_code = co_await clients.wait();
      co_await count->all_finished.wait();
      served = count->served;
      server->close();
      co_await server->wait_closed();
    };
    loop.run_until_complete(asyncio::wait_for(body(), 110.0));
    INFO("the client process's report:\n" << child_output);
    CHECK(client_code == 0);
    CHECK(report == "echoed " + std::to_string(n) + " failed 0\n");
    CHECK(served == n);
    CHECK(with_fds >= loop_fds + n);  // they really were all open at once
    spin(loop, 2);
    CHECK(open_fd_count() == loop_fds);
  }
  CHECK(open_fd_count() == start_fds);
}
