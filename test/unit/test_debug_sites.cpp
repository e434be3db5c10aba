// Creation sites and unclosed-resource warnings in debug mode (docs/08-debugging.md, "Creation
// sites" and "Unclosed resources"). Each site is checked against the line of the call that made
// the object: `const auto line = __LINE__ + 1;` sits right above that call (in run_task for the
// transports a task makes).
#include <catch2/catch.hpp>

#include "unit/child_support.hpp"
#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using asyncio::EventLoop;
using asyncio::LogLevel;
using test_support::Holding;
using test_support::HoldingProcess;

namespace {

void noop() {}

// What a repr ends with when the object was made at `line` of this file.
std::string created_at(unsigned line) {
  return std::string(" created at ") + __FILE__ + ":" + std::to_string(line) + ">";
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

// The default handler's source_traceback frame for `line` of this file.
std::string frame_of(unsigned line) {
  return std::string("  File \"") + __FILE__ + "\", line " + std::to_string(line) + ", in ";
}

// Every record of warning level or above the library logs while it lives (the debug-level ones,
// such as "Close <EventLoop>", are not what these tests are about).
struct CapturedLog {
  std::vector<std::string> records;  // read directly only where no other thread logs
  CapturedLog() {
    asyncio::set_log_sink([this](LogLevel level, std::string_view text) {
      std::lock_guard lock(mutex);
      if (level >= LogLevel::warning) records.emplace_back(text);
    });
  }
  // For tests where another thread (a child watcher's) may log at any time.
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mutex);
    return records;
  }
  void clear() {
    std::lock_guard lock(mutex);
    records.clear();
  }
  ~CapturedLog() { asyncio::set_log_sink(nullptr); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::mutex mutex;
  bool any_contains(const std::string& part) const {
    for (const auto& r : records) {
      if (r.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

// A loop in debug mode, where objects record their creation sites.
struct DebugLoop {
  EventLoop loop;
  DebugLoop() { loop.set_debug(true); }
};

// A debug-mode loop whose exception handler notes the context's source_traceback in `seen`,
// then lets the default handler log it into `log`.
struct SeenInDebug : DebugLoop {
  CapturedLog log;
  asyncio::detail::Site seen;
  SeenInDebug() {
    loop.set_exception_handler([this](EventLoop& l, const asyncio::ExceptionContext& ctx) {
      seen = ctx.source_traceback;
      l.default_exception_handler(ctx);
    });
  }
};

asyncio::Coro<void> forever() {
  co_await asyncio::sleep(3600);
}
asyncio::Coro<int> answer() {
  co_return 42;
}
asyncio::Coro<void> fails() {
  throw std::runtime_error("boom");
  co_return;
}

}  // namespace

TEST_CASE_METHOD(DebugLoop,
                 "handle_source_traceback: test_events.HandleTests.test_handle_source_traceback",
                 "[debug-sites]") {
  const auto soon = __LINE__ + 1;
  asyncio::Handle h = loop.call_soon(noop);
  CHECK(ends_with(h.repr(), created_at(soon)));
  const auto threadsafe = __LINE__ + 1;
  h = loop.call_soon_threadsafe(noop);
  CHECK(ends_with(h.repr(), created_at(threadsafe)));
  const auto later = __LINE__ + 1;
  asyncio::TimerHandle t = loop.call_later(0, noop);
  CHECK(ends_with(t.repr(), created_at(later)));
  const auto at = __LINE__ + 1;
  t = loop.call_at(loop.time(), noop);
  CHECK(ends_with(t.repr(), created_at(at)));
  // Bound arguments do not move the site: up to three have an overload of their own.
  const auto with_args = __LINE__ + 1;
  h = loop.call_soon([](int, int, int) {}, 1, 2, 3);
  CHECK(ends_with(h.repr(), created_at(with_args)));
  const auto later_args = __LINE__ + 1;
  t = loop.call_later(
      std::chrono::milliseconds(5), [](int, int) {}, 1, 2);
  CHECK(ends_with(t.repr(), created_at(later_args)));
  // Four or more arguments: the variadic overload, which records no site.
  h = loop.call_soon([](int, int, int, int) {}, 1, 2, 3, 4);
  CHECK(h.repr().find(" created at ") == std::string::npos);
  loop.close();
}

TEST_CASE("handle_site_only_in_debug: test_events.HandleTests.test_handle_repr (debug off)",
          "[debug-sites]") {
  EventLoop loop;
  const std::size_t before = asyncio::detail::handle_sites_recorded();
  asyncio::Handle h = loop.call_soon(noop);
  asyncio::TimerHandle t = loop.call_later(10, noop);
  CHECK(h.repr().find("created at") == std::string::npos);
  CHECK(t.repr().find("created at") == std::string::npos);
  CHECK(asyncio::detail::handle_sites_recorded() == before);  // no lookup, no record
  t.cancel();
  loop.close();
}

TEST_CASE("handle_site_forgotten: test_events.HandleTests.test_handle_source_traceback (recycled)",
          "[debug-sites]") {
  const std::size_t before = asyncio::detail::handle_sites_recorded();
  {
    EventLoop loop;
    loop.set_debug(true);
    int ran = 0;
    for (int i = 0; i < 10; ++i) loop.call_soon([&ran] { ++ran; });
    asyncio::TimerHandle t = loop.call_later(3600, noop);
    CHECK(asyncio::detail::handle_sites_recorded() == before + 11);
    test_support::run_once(loop);
    CHECK(ran == 10);
    t.cancel();
    t = {};
    test_support::run_once(loop);
    // A cancelled timer at the heap's head leaves it at the next iteration, as in asyncio.
    CHECK(asyncio::detail::handle_sites_recorded() == before);
    loop.close();
  }
  CHECK(asyncio::detail::handle_sites_recorded() == before);
}

TEST_CASE_METHOD(DebugLoop,
                 "handle_site_other_thread: test_events.HandleTests.test_handle_source_traceback "
                 "(call_soon_threadsafe from another thread)",
                 "[debug-sites]") {
  asyncio::Handle h;
  unsigned line = 0;
  std::thread other([&] {
    line = __LINE__ + 1;
    h = loop.call_soon_threadsafe(noop);
  });
  other.join();
  CHECK(ends_with(h.repr(), created_at(line)));
  test_support::run_once(loop);
  loop.close();
}

TEST_CASE_METHOD(
    DebugLoop, "future_source_traceback: test_futures.BaseFutureTests.test_future_source_traceback",
    "[debug-sites]") {
  const auto line = __LINE__ + 1;
  auto fut = loop.create_future<int>();
  CHECK(fut.repr() == "<Future pending" + created_at(line));
  fut.set_result(1);
  CHECK(fut.repr() == "<Future finished result=1" + created_at(line));
  loop.set_debug(false);  // asyncio shows it only in debug mode
  CHECK(fut.repr() == "<Future finished result=1>");
  loop.close();
}

TEST_CASE_METHOD(DebugLoop,
                 "task_source_traceback: test_tasks.BaseTaskTests.test_task_source_traceback",
                 "[debug-sites]") {
  const auto on_loop = __LINE__ + 1;
  auto task = loop.create_task(forever(), "T");
  CHECK(task.repr() == "<Task pending name='T'" + created_at(on_loop));
  auto body = [&]() -> asyncio::Coro<void> {
    const auto free = __LINE__ + 1;
    auto inner = asyncio::create_task(answer());
    CHECK(ends_with(inner.repr(), created_at(free)));
    const auto ensured = __LINE__ + 1;
    auto other = asyncio::ensure_future(answer());
    CHECK(ends_with(other.repr(), created_at(ensured)));
    int got = co_await inner;
    CHECK(got == 42);
    co_await other;
  };
  test_support::run(loop, body());
  task.cancel();
  test_support::run_once(loop);
  CHECK(ends_with(task.repr(), created_at(on_loop)));
  loop.close();
}

TEST_CASE_METHOD(DebugLoop,
                 "gather_source_traceback: test_tasks.BaseTaskTests.test_task_source_traceback "
                 "(gather's future and the tasks it makes)",
                 "[debug-sites]") {
  asyncio::set_event_loop(std::shared_ptr<EventLoop>(&loop, [](EventLoop*) {}));
  const auto two = __LINE__ + 1;
  auto both = asyncio::gather(answer(), answer());
  CHECK(ends_with(both.repr(), created_at(two)));
  const auto keep = __LINE__ + 1;
  auto kept = asyncio::gather(asyncio::return_exceptions, answer());
  CHECK(ends_with(kept.repr(), created_at(keep)));
  std::vector<asyncio::Coro<int>> coros;
  coros.push_back(answer());
  const auto range = __LINE__ + 1;
  auto ranged = asyncio::gather(coros);
  CHECK(ends_with(ranged.repr(), created_at(range)));
  for (const auto& task : asyncio::all_tasks(loop)) CHECK(ends_with(task.repr(), ">"));
  bool children_sited = true;
  for (const auto& task : asyncio::all_tasks(loop)) {
    children_sited = children_sited && (ends_with(task.repr(), created_at(two)) ||
                                        ends_with(task.repr(), created_at(keep)) ||
                                        ends_with(task.repr(), created_at(range)));
  }
  CHECK(children_sited);
  test_support::run_once(loop);
  test_support::run_once(loop);
  CHECK(both.done());
  asyncio::set_event_loop(nullptr);
  loop.close();
}

TEST_CASE_METHOD(
    SeenInDebug,
    "callback_error_site: test_base_events.BaseEventLoopTests.test_default_exc_handler_callback",
    "[debug-sites]") {
  const auto line = __LINE__ + 1;
  loop.call_soon([] { throw std::runtime_error("boom"); });
  test_support::run_once(loop);
  CHECK(seen.line() == line);
  REQUIRE(log.records.size() == 1);
  const std::string& text = log.records[0];
  CHECK(text.find("\nhandle: <Handle ") != std::string::npos);
  CHECK(text.find(created_at(line) +
                  "\nsource_traceback: Object created at (most recent call "
                  "last):\n" +
                  frame_of(line)) != std::string::npos);
  loop.close();
}

TEST_CASE(
    "callback_error_no_site: test_base_events.BaseEventLoopTests."
    "test_default_exc_handler_callback (debug off)",
    "[debug-sites]") {
  EventLoop loop;
  CapturedLog log;
  loop.call_soon([] { throw std::runtime_error("boom"); });
  test_support::run_once(loop);
  REQUIRE(log.records.size() == 1);
  CHECK(log.records[0].find("source_traceback") == std::string::npos);
  CHECK(log.records[0].find("created at") == std::string::npos);
  loop.close();
}

TEST_CASE_METHOD(SeenInDebug,
                 "destroyed_pending_site: test_tasks.BaseTaskTests.test_log_destroyed_pending_task",
                 "[debug-sites]") {
  // It awaits a future only its own frame holds: close() destroys it, pending.
  auto waits = [](EventLoop& l) -> asyncio::Coro<void> {
    asyncio::Future<void> never(l);
    co_await never;
  };
  unsigned line = 0;
  {
    line = __LINE__ + 1;
    auto task = loop.create_task(waits(loop), "doomed");
    test_support::run_once(loop);
  }
  CHECK(log.records.empty());
  loop.close();
  CHECK(seen.line() == line);
  REQUIRE(log.records.size() == 1);
  const std::string& text = log.records[0];
  CHECK(text.rfind("Task was destroyed but it is pending!\n", 0) == 0);
  CHECK(text.find("source_traceback: Object created at (most recent call last):\n" +
                  frame_of(line)) != std::string::npos);
  CHECK(text.find("task: <Task pending name='doomed'" + created_at(line)) != std::string::npos);
}

TEST_CASE_METHOD(DebugLoop,
                 "never_retrieved_site: test_futures.BaseFutureTests."
                 "test_future_exception_never_retrieved_debug",
                 "[debug-sites]") {
  CapturedLog log;
  unsigned line = 0;
  {
    line = __LINE__ + 1;
    auto task = loop.create_task(fails());
    test_support::run_once(loop);
    CHECK(task.done());
  }
  REQUIRE(log.records.size() == 1);
  const std::string& text = log.records[0];
  CHECK(text.rfind("Task exception was never retrieved\n", 0) == 0);
  CHECK(text.find("source_traceback: Object created at (most recent call last):\n" +
                  frame_of(line)) != std::string::npos);
  loop.close();
}

TEST_CASE("unclosed_event_loop: test_base_events (BaseEventLoop.__del__ ResourceWarning)",
          "[debug-sites]") {
  CapturedLog log;
  {
    EventLoop loop;
    loop.set_debug(true);
  }
  REQUIRE(log.records.size() == 1);
  CHECK(log.records[0] == "unclosed event loop <EventLoop running=False closed=False debug=True>");
  log.records.clear();
  {
    EventLoop closed;
    closed.set_debug(true);
    closed.close();
    EventLoop quiet;  // ResourceWarnings are debug mode's, here
  }
  for (const auto& r : log.records) CHECK(r.find("unclosed") == std::string::npos);
}

namespace {
asyncio::Coro<void> adopt(int fd) {
  co_await asyncio::get_running_loop().connect_accepted_socket(
      [] { return std::make_shared<Holding>(); }, fd);
}
asyncio::Coro<void> adopt_unheld(int fd) {
  co_await asyncio::get_running_loop().connect_accepted_socket(
      [] { return std::make_shared<asyncio::Protocol>(); }, fd);
}
asyncio::Coro<void> spawn_sleeper() {
  co_await asyncio::get_running_loop().subprocess_exec(
      [] { return std::make_shared<HoldingProcess>(); }, "sleep", "60");
}
asyncio::Coro<void> drop_writer(int fd) {
  asyncio::ConnectionOptions options;
  options.sock = fd;
  auto streams = co_await asyncio::open_connection(options);
  (void)streams;  // the writer goes here, its transport still open
}
asyncio::Coro<std::shared_ptr<asyncio::Server>> serve() {
  co_return co_await asyncio::get_running_loop().create_server(
      [] { return std::make_shared<Holding>(); }, "127.0.0.1", 0);
}

std::string allocated_at(unsigned line) {
  return "\nObject allocated at (most recent call last):\n" + frame_of(line);
}

// Runs `body` as a task to completion; returns the line the task was created at, which is
// where what it allocates says it was allocated.
unsigned run_task(EventLoop& loop, asyncio::Coro<void> body) {
  const auto line = __LINE__ + 1;
  auto task = loop.create_task(std::move(body));
  loop.run_until_complete(task);
  return line;
}

// The log holds one warning, which starts with `prefix` and names `line` as where the object
// was allocated.
void check_sole_warning(const CapturedLog& log, const std::string& prefix, unsigned line) {
  REQUIRE(log.records.size() == 1);
  CHECK(log.records[0].rfind(prefix, 0) == 0);
  CHECK(log.records[0].find(allocated_at(line)) != std::string::npos);
}

// A debug-mode loop and a connected Unix socketpair, `sv[0]` for a transport on the loop to
// adopt and `sv[1]` its peer, with the warnings logged meanwhile (the log outlives the loop).
struct SocketOnDebugLoop {
  int sv[2] = {-1, -1};
  CapturedLog log;
  EventLoop loop;
  SocketOnDebugLoop() {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    loop.set_debug(true);
  }
  ~SocketOnDebugLoop() { ::close(sv[1]); }
  SocketOnDebugLoop(const SocketOnDebugLoop&) = delete;
  SocketOnDebugLoop& operator=(const SocketOnDebugLoop&) = delete;
};
}  // namespace

TEST_CASE_METHOD(SocketOnDebugLoop,
                 "unclosed_transport_site: selector_events._SelectorTransport.__del__ "
                 "(ResourceWarning with tracemalloc's allocation site)",
                 "[debug-sites][net]") {
  const auto line = run_task(loop, adopt(sv[0]));
  // asyncio's Server has no __del__ (3.13): an open server closes with the loop, silently.
  auto server = loop.run_until_complete(loop.create_task(serve()));
  log.records.clear();
  loop.close();
  check_sole_warning(log, "unclosed transport <_SelectorSocketTransport fd=", line);
}

TEST_CASE_METHOD(SocketOnDebugLoop,
                 "abandoned_transport_site: selector_events._SelectorTransport.__del__ (a "
                 "transport nobody holds, freed when its loop closes)",
                 "[debug-sites][net]") {
  // The protocol does not keep the transport; nor do we.
  const auto line = run_task(loop, adopt_unheld(sv[0]));
  test_support::run_once(loop);
  CHECK(log.records.empty());  // its reader keeps it open while the loop lives
  loop.close();
  check_sole_warning(log, "unclosed transport <_SelectorSocketTransport fd=", line);
  char c;
  CHECK(::recv(sv[1], &c, 1, 0) == 0);  // closed all the same
}

TEST_CASE_METHOD(SocketOnDebugLoop,
                 "unclosed_writer_site: test_streams.StreamTests.test_unclosed_resource_warnings "
                 "(with where the writer was made)",
                 "[debug-sites][net]") {
  const auto line = run_task(loop, drop_writer(sv[0]));
  check_sole_warning(log, "unclosed <StreamWriter transport=<_SelectorSocketTransport", line);
  loop.close();
}

TEST_CASE(
    "unclosed_subprocess_site: base_subprocess.BaseSubprocessTransport.__del__ "
    "(ResourceWarning with where it was made)",
    "[debug-sites][subprocess]") {
  CapturedLog log;
  EventLoop loop;
  loop.set_debug(true);
  const auto line = run_task(loop, spawn_sleeper());
  log.clear();
  loop.close();  // kills the child
  bool found = false;
  // The threaded watcher's waiter logs that the loop is gone whenever the child's exit reaches it.
  for (const auto& r : log.snapshot()) {
    if (r.rfind("unclosed transport <", 0) == 0 && r.find("pid=") != std::string::npos) {
      found = true;
      CHECK(r.find(allocated_at(line)) != std::string::npos);
    }
  }
  CHECK(found);
}
