// Smaller pieces of asyncio's loop API: get_extra_info(name, default) and its typed form,
// shutdown_default_executor(timeout) (3.12), sleep(delay, result), and loop.subprocess_exec
// with its arguments one by one.
#include <catch2/catch.hpp>

#include "loop_support.hpp"
#include "net_support.hpp"
#include "sock_support.hpp"

#include <condition_variable>
#include <mutex>

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::SockAddr;
using namespace sock_support;
using test_support::run;

// ---------------------------------------------------------------- get_extra_info

TEST_CASE("extra_info_default: test_transports.TransportTests.test_get_extra_info",
          "[loop_extras]") {
  auto transport = std::make_shared<FakeTransport>();
  transport->extra["extra"] = std::string("info");
  std::shared_ptr<asyncio::Transport> t = transport;
  CHECK(std::any_cast<std::string>(t->get_extra_info("extra")) == "info");
  CHECK_FALSE(t->get_extra_info("unknown").has_value());  // None
  std::any fallback = 42;
  CHECK(std::any_cast<int>(t->get_extra_info("unknown", fallback)) == 42);
  CHECK(std::any_cast<std::string>(t->get_extra_info("extra", fallback)) == "info");
}

TEST_CASE("extra_info_typed: test_transports.TransportTests.test_get_extra_info (typed form)",
          "[loop_extras]") {
  // nullopt when absent and when of another type, so std::any_cast stays out of user code.
  auto transport = std::make_shared<FakeTransport>();
  transport->extra["peername"] = SockAddr{AF_INET, "127.0.0.1", 8888};
  transport->extra["socket"] = 7;
  std::shared_ptr<asyncio::BaseTransport> t = transport;
  std::optional<SockAddr> peer = t->get_extra_info<SockAddr>("peername");
  REQUIRE(peer.has_value());
  CHECK(peer->port == 8888);
  CHECK_FALSE(t->get_extra_info<SockAddr>("sockname").has_value());
  CHECK_FALSE(t->get_extra_info<std::string>("peername").has_value());
  CHECK(t->get_extra_info<int>("socket", -1) == 7);
  CHECK(t->get_extra_info<int>("pipe", -1) == -1);
  CHECK(t->get_extra_info<int>("peername", -1) == -1);
}

TEST_CASE(
    "extra_info_stream_writer: test_streams.StreamTests.test_open_connection "
    "(writer.get_extra_info)",
    "[loop_extras]") {
  EventLoop loop;
  auto [peer, own, missing, fallback] =
      run(loop,
          [&]() -> Coro<std::tuple<std::optional<SockAddr>, std::optional<SockAddr>,
                                   std::optional<SockAddr>, std::any>> {
            auto server = co_await asyncio::start_server(
                [](std::shared_ptr<asyncio::StreamReader>,
                   std::shared_ptr<asyncio::StreamWriter> w) -> Coro<void> {
                  w->close();
                  co_return;
                },
                "127.0.0.1", 0);
            SockAddr address = server->addresses().at(0);
            auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", address.port);
            auto result = std::tuple(writer->get_extra_info<SockAddr>("peername"),
                                     writer->get_extra_info<SockAddr>("sockname"),
                                     writer->get_extra_info<SockAddr>("nonexistent"),
                                     writer->get_extra_info("nonexistent", std::any(5)));
            writer->close();
            co_await writer->wait_closed();
            server->close();
            co_await server->wait_closed();
            co_return result;
          }());
  REQUIRE(peer.has_value());
  CHECK(peer->host == "127.0.0.1");
  CHECK(own.has_value());
  CHECK_FALSE(missing.has_value());
  CHECK(std::any_cast<int>(fallback) == 5);
}

// ---------------------------------------------------------------- shutdown_default_executor

namespace {
// DummyExecutor: shutdown(wait=True) blocks until the test opens the gate.
class SlowShutdownExecutor final : public asyncio::Executor {
 public:
  void submit(std::function<void()> work) override { work(); }
  void shutdown(bool wait) override {
    if (wait)
      gate_.wait();
    else
      ++nowait_calls_;
  }
  void open() { gate_.set(); }
  int nowait_calls() const { return nowait_calls_.load(); }

 private:
  test_support::Signal gate_;
  std::atomic<int> nowait_calls_{0};
};

struct LogCapture {  // the log sink for the test's length
  LogCapture() {
    asyncio::set_log_sink([this](asyncio::LogLevel, std::string_view m) {
      std::lock_guard lock(mutex);
      messages.emplace_back(m);
    });
  }
  ~LogCapture() { asyncio::set_log_sink({}); }
  std::string all() {
    std::lock_guard lock(mutex);
    std::string text;
    for (auto& m : messages) text += m + "\n";
    return text;
  }
  std::mutex mutex;
  std::vector<std::string> messages;
};
}  // namespace

TEST_CASE(
    "shutdown_executor_timeout: test_base_events.BaseEventLoopTests."
    "test_shutdown_default_executor_timeout",
    "[loop_extras]") {
  LogCapture log;
  auto executor = std::make_shared<SlowShutdownExecutor>();
  {
    EventLoop loop;
    loop.set_default_executor(executor);
    loop.run_until_complete(loop.shutdown_default_executor(0.01));
    CHECK(executor->nowait_calls() == 1);  // then shutdown(wait=False), as asyncio
    loop.close();
  }
  CHECK_THAT(log.all(),
             Catch::Matchers::Contains("RuntimeWarning: The executor did not finishing joining its "
                                       "threads within 0.01 seconds."));
  executor->open();  // the joining thread, left behind, ends; the loop is gone by then
}

TEST_CASE(
    "shutdown_executor_joins: test_base_events.BaseEventLoopTests."
    "test_shutdown_default_executor_timeout (in time)",
    "[loop_extras]") {
  // In time: the threads are joined, no warning; afterwards run_in_executor(None) raises
  // (base_events._check_default_executor).
  LogCapture log;
  EventLoop loop;
  int answer = loop.run_until_complete([]() -> Coro<int> {
    int n = co_await asyncio::to_thread([] { return 42; });
    co_return n;
  }());
  CHECK(answer == 42);
  loop.run_until_complete(loop.shutdown_default_executor(30.0));
  CHECK(log.all().find("RuntimeWarning") == std::string::npos);
  CHECK_THROWS_WITH(loop.run_in_executor(nullptr, [] {}), "Executor shutdown has been called");
  // Without a default executor there is nothing to wait for.
  EventLoop fresh;
  fresh.run_until_complete(fresh.shutdown_default_executor());
  CHECK_THROWS_AS(fresh.run_in_executor(nullptr, [] {}), asyncio::RuntimeError);
}

// ---------------------------------------------------------------- sleep(delay, result)

TEST_CASE("sleep_result: test_tasks.BaseTaskTests.test_sleep", "[loop_extras]") {
  EventLoop loop;
  auto sleeper = [](double dt, std::string arg) -> Coro<std::string> {
    co_await asyncio::sleep(dt / 2);
    std::string res = co_await asyncio::sleep(dt / 2, std::move(arg));
    co_return res;
  };
  double start = loop.time();
  std::string result = loop.run_until_complete(sleeper(0.002, "yeah"));
  CHECK(result == "yeah");
  CHECK(loop.time() - start >= 0.001);  // both sleeps waited (give or take the clock)
  int zero = loop.run_until_complete([]() -> Coro<int> {
    int n = co_await asyncio::sleep(0, 7);  // sleep(0) gives the result too
    co_return n;
  }());
  CHECK(zero == 7);
  auto chrono = loop.run_until_complete([]() -> Coro<std::vector<int>> {
    std::vector<int> given = {1, 2};  // GCC 12: no braced list inside a co_await expression
    std::vector<int> v = co_await asyncio::sleep(std::chrono::microseconds(10), std::move(given));
    co_return v;
  }());
  CHECK(chrono == std::vector{1, 2});
  // Handed to create_task or gather it becomes a coroutine giving the result, as in Python.
  auto [first, second] = loop.run_until_complete([]() -> Coro<std::tuple<int, std::string>> {
    auto task = asyncio::create_task(asyncio::sleep(0, 1));
    int from_task = co_await task;
    auto both = co_await asyncio::gather(asyncio::sleep(0, 2), asyncio::sleep(0, std::string("b")));
    co_return std::tuple(from_task + std::get<0>(both), std::get<1>(both));
  }());
  CHECK(first == 3);
  CHECK(second == "b");
}

TEST_CASE("sleep_result_cancel: test_tasks.BaseTaskTests.test_sleep_cancel", "[loop_extras]") {
  EventLoop loop;
  bool cancelled = false;
  loop.run_until_complete([&]() -> Coro<void> {
    auto t = asyncio::create_task([]() -> Coro<std::string> {
      std::string s = co_await asyncio::sleep(10, std::string("never"));
      co_return s;
    }());
    co_await asyncio::sleep(0);
    t.cancel();
    try {
      co_await t;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
  }());
  CHECK(cancelled);
}

// ---------------------------------------------------------------- loop.subprocess_exec

namespace {
struct EchoCollector : asyncio::SubprocessProtocol {
  std::string out;
  asyncio::Future<void> done = asyncio::get_running_loop().create_future<void>();
  bool stdout_closed = false;
  bool exited = false;
  void pipe_data_received(int, std::string_view data) override { out += data; }
  void pipe_connection_lost(int fd, std::exception_ptr) override {
    if (fd == 1) stdout_closed = true;
    finish_if_both();
  }
  void process_exited() override {
    exited = true;
    finish_if_both();
  }
  void finish_if_both() {
    if (stdout_closed && exited && !done.done()) done.set_result();
  }
};

using EchoResult = std::pair<std::string, std::optional<int>>;

// Waits for the child to exit and its stdout to close: (what it printed, its return code).
template <class Started>
Coro<EchoResult> echo_result(Started started) {
  auto [transport, protocol] = started;
  co_await protocol->done;
  auto rc = transport->get_returncode();
  transport->close();
  co_return EchoResult(protocol->out, rc);
}
}  // namespace

TEST_CASE("subprocess_exec_variadic: test_events.SubprocessTestsMixin.test_subprocess_exec",
          "[loop_extras]") {
  // The arguments one by one, options last: no braced list for GCC 12 to trip on.
  EventLoop loop;
  std::string dir = "b";
  auto [out, code] = run(loop, [&]() -> Coro<EchoResult> {
    asyncio::SubprocessOptions options;
    options.stdin_ = asyncio::DEVNULL;
    auto started = co_await loop.subprocess_exec([] { return std::make_shared<EchoCollector>(); },
                                                 "/bin/echo", "a", dir, std::string("c"), options);
    EchoResult result = co_await echo_result(started);
    co_return result;
  }());
  CHECK(out == "a b c\n");
  CHECK(code == 0);
  auto [out2, code2] = run(loop, [&]() -> Coro<EchoResult> {
    auto started = co_await loop.subprocess_exec([] { return std::make_shared<EchoCollector>(); },
                                                 "/bin/echo", "alone");
    EchoResult result = co_await echo_result(started);
    co_return result;
  }());
  CHECK(out2 == "alone\n");
  CHECK(code2 == 0);
}
