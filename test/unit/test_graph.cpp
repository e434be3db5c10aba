// Ports of CPython 3.14's test_asyncio/test_graph.py (CallStackTestBase), plus the C++ side's
// own: the exact text, tasks not started or done, the whole-loop dump from another thread and
// after close. shape() is test_graph's capture_test_stack walk: 'T<name>' ('T<anon>' for the
// default Task-N names) or 'F', the frames' function names innermost first, and the awaiting
// graphs sorted. C++ has no sync frame for the capture call: the coroutine calling it is the
// innermost frame.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"

using test_support::run_once;

#include <algorithm>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::FutureCallGraph;
using asyncio::RuntimeError;
using asyncio::TaskGroup;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string shape(const FutureCallGraph& g) {
  std::string out = "F";
  if (g.is_task()) {
    std::string name = g.future->task->get_name();
    out = name.find('-') == std::string::npos ? "T<" + name + ">" : "T<anon>";
  }
  out += " [";
  for (std::size_t i = 0; i < g.call_stack.size(); ++i)
    out += (i ? " " : "") + g.call_stack[i].name();
  std::vector<std::string> parents;
  for (const auto& p : g.awaited_by) parents.push_back(shape(p));
  std::sort(parents.begin(), parents.end());
  out += "] {";
  for (std::size_t i = 0; i < parents.size(); ++i) out += (i ? ", " : "") + parents[i];
  return out + "}";
}

std::string captured;  // what the innermost coroutine of each test saw

void capture_here(
    asyncio::detail::Site where = asyncio::detail::Site::current()) {
  std::optional<FutureCallGraph> graph = asyncio::capture_call_graph(where);
  captured = graph ? shape(*graph) : "None";
}

template <class T>
T run_main(Coro<T> main) {
  EventLoop loop;
  return loop.run_until_complete(std::move(main));
}

// ---- test_stack_task
Coro<> task_inner() {
  co_await asyncio::sleep(0);
  capture_here();
}
Coro<> task_c1() {
  co_await task_inner();
}
Coro<> task_c2() {
  co_await asyncio::create_task(task_c1(), "there there");
}
Coro<> task_main() {
  co_await task_c2();
}

// ---- test_stack_gather
Coro<> gather_deep() {
  co_await asyncio::sleep(0);
  capture_here();
}
Coro<> gather_c1() {
  co_await asyncio::sleep(0);
  co_await gather_deep();
}
Coro<> gather_c2() {
  co_await asyncio::sleep(0);
}
Coro<> gather_main() {
  co_await asyncio::gather(gather_c1(), gather_c2());
}

// ---- test_stack_shield
Coro<> shield_deep() {
  co_await asyncio::sleep(0);
  capture_here();
}
Coro<> shield_c1() {
  co_await asyncio::sleep(0);
  co_await shield_deep();
}
Coro<> shield_main() {
  co_await asyncio::shield(shield_c1());
}

// ---- test_stack_tgroup
Coro<> tg_c4() {
  co_await asyncio::sleep(0);
  capture_here();
}
Coro<> tg_c3() {
  co_await tg_c4();
}
Coro<> tg_c2() {
  co_await tg_c3();
}
Coro<> tg_c1(asyncio::Task<> task) {
  co_await task;
}
Coro<> tg_main() {
  TaskGroup tg;
  co_await tg.run([&]() -> Coro<> {
    auto task = tg.create_task(tg_c2(), "c2_root");
    tg.create_task(tg_c1(task), "sub_main_1");
    tg.create_task(tg_c1(task), "sub_main_2");
    co_return;
  });
}

// ---- test_stack_future
Coro<> fut_a2(Future<> fut) {
  co_await fut;
}
Coro<> fut_a1(Future<> fut) {
  co_await fut_a2(fut);
}
Coro<> fut_b1(Future<> fut) {
  co_await fut;
}
Coro<> fut_main() {
  Future<> fut = asyncio::get_running_loop().create_future();
  TaskGroup g;
  co_await g.run([&]() -> Coro<> {
    g.create_task(fut_a1(fut), "task A");
    g.create_task(fut_b1(fut), "task B");
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    captured = shape(asyncio::capture_call_graph(fut));
    fut.set_result();
  });
}

// ---- the text
unsigned text_inner_line = 0, text_outer_line = 0, text_waiter_line = 0;
Coro<> text_inner(Future<> gate) {
  text_inner_line = __LINE__ + 1;
  co_await gate;
}
Coro<> text_outer(Future<> gate) {
  text_outer_line = __LINE__ + 1;
  co_await text_inner(gate);
}
Coro<> text_waiter(asyncio::Task<> worker) {
  text_waiter_line = __LINE__ + 1;
  co_await worker;
}

Coro<std::string> text_main() {
  Future<> gate = asyncio::get_running_loop().create_future();
  auto worker = asyncio::create_task(text_outer(gate), "worker");
  auto waiter = asyncio::create_task(text_waiter(worker), "it's \"waiting\"");
  co_await asyncio::sleep(0);
  std::string text = asyncio::format_call_graph(worker);
  gate.set_result();
  co_await waiter;
  co_return text;
}

std::string id_of(const std::shared_ptr<asyncio::detail::FutureStateBase>& state) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#lx", reinterpret_cast<unsigned long>(state.get()));
  return buf;
}

}  // namespace

TEST_CASE("stack_task: test_graph.CallStackTestBase.test_stack_task", "[graph]") {
  captured.clear();
  run_main(task_main());
  CHECK(captured == "T<there there> [task_inner task_c1] {T<anon> [task_c2 task_main] {}}");
}

TEST_CASE("stack_gather: test_graph.CallStackTestBase.test_stack_gather", "[graph]") {
  // As 3.14, gather's children are awaited by the task awaiting the gather.
  captured.clear();
  run_main(gather_main());
  CHECK(captured == "T<anon> [gather_deep gather_c1] {T<anon> [gather_main] {}}");
}

TEST_CASE("stack_shield: test_graph.CallStackTestBase.test_stack_shield", "[graph]") {
  captured.clear();
  run_main(shield_main());
  CHECK(captured == "T<anon> [shield_deep shield_c1] {T<anon> [shield_main] {}}");
}

TEST_CASE("stack_tgroup: test_graph.CallStackTestBase.test_stack_tgroup", "[graph]") {
  // The parent's frames: TaskGroup's __aexit__ (exit), the `async with` (run), main.
  captured.clear();
  run_main(tg_main());
  const std::string parent =
      "T<anon> [asyncio::TaskGroup::exit asyncio::TaskGroup::run tg_main] {}";
  CHECK(captured == "T<c2_root> [tg_c4 tg_c3 tg_c2] {" + parent + ", T<sub_main_1> [tg_c1] {" +
                        parent + "}, T<sub_main_2> [tg_c1] {" + parent + "}}");
}

TEST_CASE("stack_future: test_graph.CallStackTestBase.test_stack_future", "[graph]") {
  // The parent is running the group's body, which is the capture's frame.
  captured.clear();
  run_main(fut_main());
  const std::string parent = "T<anon> [fut_main::<lambda()> asyncio::TaskGroup::run fut_main] {}";
  CHECK(captured ==
        "F [] {T<task A> [fut_a2 fut_a1] {" + parent + "}, T<task B> [fut_b1] {" + parent + "}}");
}

TEST_CASE("format_call_graph: 3.14's text (test_graph's print_call_graph output)", "[graph]") {
  EventLoop loop;
  std::string text = loop.run_until_complete(text_main());
  std::string file = __FILE__;
  std::regex id("id=0x[0-9a-f]+");
  std::string expected =
      "* Task(name='worker', id=ID)\n"
      "  + Call stack:\n"
      "  |   File '" +
      file + "', line " + std::to_string(text_inner_line) +
      ", in async text_inner()\n"
      "  |   File '" +
      file + "', line " + std::to_string(text_outer_line) +
      ", in async text_outer()\n"
      "  + Awaited by:\n"
      "    * Task(name='it\\'s \"waiting\"', id=ID)\n"
      "      + Call stack:\n"
      "      |   File '" +
      file + "', line " + std::to_string(text_waiter_line) + ", in async text_waiter()";
  CHECK(std::regex_replace(text, id, "id=ID") == expected);
}

TEST_CASE("a task not started stands at its definition, a done task has no frames", "[graph]") {
  // As 3.14 (a new coroutine's frame is at its first line; a finished one has no frame).
  EventLoop loop;
  auto task = loop.create_task(gather_c2(), "late");
  FutureCallGraph before = asyncio::capture_call_graph(task);
  REQUIRE(before.call_stack.size() == 1);
  CHECK(before.call_stack[0].name() == "gather_c2");
  CHECK(before.call_stack[0].where.line() == before.call_stack[0].function.line());
  loop.run_until_complete(task);
  FutureCallGraph after = asyncio::capture_call_graph(task);
  CHECK(shape(after) == "T<late> [] {}");
  CHECK_THAT(asyncio::format_call_graph(after), StartsWith("* Task(name='late', id=0x"));
  CHECK(asyncio::format_call_graph(after).find('\n') == std::string::npos);
  loop.close();
}

namespace {
struct alignas(16) Wide {
  long double value = 0;
};
Coro<Wide> wide_inner(Future<> gate) {
  co_await gate;
  co_return Wide{};
}
Coro<> wide_outer(Future<> gate) {
  (void)co_await wide_inner(gate);
}
}  // namespace

TEST_CASE("frames of any Coro<T> are read alike, an over-aligned promise included", "[graph]") {
  // The frames are read through the promise's common base: a 16-byte aligned T must not move it.
  EventLoop loop;
  Future<> gate = loop.create_future();
  auto task = loop.create_task(wide_outer(gate), "wide");
  run_once(loop);
  CHECK(shape(asyncio::capture_call_graph(task)) == "T<wide> [wide_inner wide_outer] {}");
  gate.set_result();
  loop.run_until_complete(task);
  loop.close();
}

TEST_CASE("capture_call_graph: None outside a task, RuntimeError outside a loop", "[graph]") {
  // graph.capture_call_graph: `future is None` returns None; no running loop raises.
  CHECK_THROWS_AS(asyncio::capture_call_graph(), RuntimeError);
  CHECK_THROWS_AS(asyncio::capture_call_graph(Future<>()), RuntimeError);  // not initialized
  EventLoop loop;
  bool none = false;
  std::string text = "x";
  loop.call_soon([&] {
    none = !asyncio::capture_call_graph().has_value();
    text = asyncio::format_call_graph();
    loop.stop();
  });
  loop.run_forever();
  CHECK(none);
  CHECK(text.empty());
  loop.close();
}

TEST_CASE("print_call_graph: the text goes to the log sink at warning level", "[graph]") {
  std::vector<std::pair<asyncio::LogLevel, std::string>> records;
  asyncio::set_log_sink([&](asyncio::LogLevel level, std::string_view text) {
    records.emplace_back(level, std::string(text));
  });
  EventLoop loop;
  static unsigned line = 0;
  loop.run_until_complete([]() -> Coro<> {
    line = __LINE__ + 1;
    asyncio::print_call_graph();
    co_return;
  }());
  asyncio::set_log_sink({});
  REQUIRE(records.size() == 1);
  CHECK(records[0].first == asyncio::LogLevel::warning);
  CHECK_THAT(records[0].second, StartsWith("* Task(name='Task-"));
  CHECK_THAT(records[0].second, Contains("line " + std::to_string(line) + ", in async "));
  loop.close();
}

namespace {
Coro<> sleeper(Future<> gate) {
  co_await gate;
}

// From another thread: the plain call is refused, the thread-safe one is answered on the loop.
Coro<std::string> dump_from_thread(std::string& refused, bool& inline_done) {
  EventLoop& loop = asyncio::get_running_loop();
  Future<> gate = loop.create_future();
  auto task = asyncio::create_task(sleeper(gate), "sleeper");
  co_await asyncio::sleep(0);
  std::optional<asyncio::ConcurrentFuture<std::string>> answer;
  std::thread other([&] {
    try {
      loop.format_all_tasks();
    } catch (const RuntimeError& e) {
      refused = e.what();
    }
    try {
      (void)asyncio::capture_call_graph(task);  // frames are read on the loop's thread only
    } catch (const RuntimeError& e) {
      refused += std::string(" | ") + e.what();
    }
    answer = loop.format_all_tasks_threadsafe();
  });
  other.join();
  std::string text = co_await asyncio::wrap_future(*answer);
  inline_done = loop.format_all_tasks_threadsafe().done();  // on the loop's thread: at once
  gate.set_result();
  co_await task;
  co_return text;
}
}  // namespace

TEST_CASE("format_all_tasks from another thread goes through the loop", "[graph]") {
  // Like `python -m asyncio pstree`, from a thread other than the loop's.
  EventLoop loop;
  std::string refused;
  bool inline_done = false;
  std::string text = loop.run_until_complete(dump_from_thread(refused, inline_done));
  CHECK(inline_done);
  CHECK_THAT(refused, Contains("Non-thread-safe operation"));
  CHECK_THAT(refused, Contains(" | a call graph is read on its loop's thread"));
  CHECK_THAT(text, StartsWith("* Task(name='Task-"));  // the main task, created first
  CHECK_THAT(text, Contains("in async dump_from_thread()"));
  CHECK_THAT(text, Contains("\n\n* Task(name='sleeper', id=0x"));
  CHECK_THAT(text, Contains("in async sleeper()"));
  CHECK(text.back() == '\n');
  CHECK(loop.format_all_tasks().empty());  // no task pending now
  loop.close();
}

TEST_CASE("format_all_tasks after close: RuntimeError, and no caller waits", "[graph]") {
  EventLoop loop;
  // Posted while the loop is not running, then the loop closes: the request is answered.
  asyncio::ConcurrentFuture<std::string> pending;
  std::thread([&] { pending = loop.format_all_tasks_threadsafe(); }).join();
  loop.close();
  CHECK_THROWS_WITH(pending.result(5.0), "Event loop is closed");
  CHECK_THROWS_WITH(loop.format_all_tasks(), "Event loop is closed");
  asyncio::ConcurrentFuture<std::string> late;
  std::thread([&] { late = loop.format_all_tasks_threadsafe(); }).join();
  CHECK_THROWS_WITH(late.result(5.0), "Event loop is closed");
}

TEST_CASE("format_all_tasks from a destroyed loop's request: RuntimeError", "[graph]") {
  std::optional<asyncio::ConcurrentFuture<std::string>> pending;
  {
    EventLoop loop;
    std::thread([&] { pending = loop.format_all_tasks_threadsafe(); }).join();
  }
  CHECK_THROWS_WITH(pending->result(5.0), "Event loop is closed");
}
