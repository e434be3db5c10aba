// wait() and as_completed() over tasks and futures of several result types (FutureRef), their
// timeouts as seconds or std::chrono durations, 3.13's `async for` over as_completed (the
// original tasks back) and `async for line in reader`: ports of CPython's test_tasks wait and
// as_completed tests and test_pep492.StreamReaderTests.test_readline. Outcomes are driven by
// futures set from callbacks; the loop's clock only runs the timeouts under test.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_set>
#include <vector>

#include "loop_support.hpp"

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::FutureRef;
using asyncio::Task;
using namespace std::chrono_literals;

namespace {

template <class T>
Coro<T> await_value(Future<T> fut) {
  co_return co_await fut;
}

Coro<void> await_void(Future<void> fut) {
  co_await fut;
}

Coro<int> fail_with(std::string what) {
  co_await asyncio::sleep(0);
  throw std::domain_error(what);
}

// Python refuses wait(task) and as_completed(task) with TypeError; here they do not compile.
template <class A>
concept WaitTakes = requires(A a) {
  asyncio::wait(a);
};
template <class A>
concept AsCompletedTakes = requires(A a) {
  asyncio::as_completed(a);
};
static_assert(WaitTakes<std::vector<Task<int>>> && WaitTakes<asyncio::FutureSet<FutureRef>>);
static_assert(!WaitTakes<Task<int>> && !WaitTakes<Future<int>> && !WaitTakes<Coro<int>>);
static_assert(!WaitTakes<FutureRef> && !WaitTakes<asyncio::TaskRef>);
// A one-type pending set goes back to the one-type wait, keeping its type.
static_assert(
    std::is_same_v<decltype(asyncio::wait(std::declval<asyncio::FutureSet<Future<int>>>())),
                   Coro<asyncio::WaitResult<int>>>);
static_assert(AsCompletedTakes<std::vector<Future<int>>> && !AsCompletedTakes<Task<int>> &&
              !AsCompletedTakes<FutureRef>);

}  // namespace

TEST_CASE("wait_mixed_types: test_tasks.BaseTaskTests.test_wait_first_completed", "[wait]") {
  // Three result types in one braced list, inside the co_await (GCC 12 included): the one
  // that finishes first is done, the others pending, and membership works by identity.
  EventLoop loop;
  Future<std::string> line_f = loop.create_future<std::string>();
  Future<void> sent_f = loop.create_future<void>();
  Future<bool> stop = loop.create_future<bool>();
  Task<std::string> reader = loop.create_task(await_value(line_f));
  Task<void> writer = loop.create_task(await_void(sent_f));
  loop.call_soon([stop]() mutable { stop.set_result(true); });
  auto main = [&]() -> Coro<asyncio::WaitSets<FutureRef>> {
    auto [done, pending] = co_await asyncio::wait({reader, writer, stop}, asyncio::FIRST_COMPLETED);
    co_return asyncio::WaitSets<FutureRef>{done, pending};
  };
  auto [done, pending] = loop.run_until_complete(main());
  CHECK(done.size() == 1);
  CHECK(done.contains(stop));
  CHECK(pending.size() == 2);
  CHECK(pending.contains(reader));
  CHECK(pending.contains(writer));
  CHECK_FALSE(done.contains(reader));
  CHECK(done.front() == stop);  // a Future<bool> compares equal to its FutureRef
  CHECK(stop == done.front());
  CHECK(done.front().result<bool>());
  CHECK(pending.front().as<Task<std::string>>() == reader);  // input order, the typed task
  CHECK(pending.front().is_task());
  CHECK_FALSE(done.front().is_task());

  // The pending set goes back into wait(), as `await asyncio.wait(pending)` does.
  line_f.set_result("hello");
  sent_f.set_result();
  auto rest = loop.run_until_complete(asyncio::wait(pending));
  CHECK(rest.done.size() == 2);
  CHECK(rest.pending.empty());
  CHECK(reader.result() == "hello");
}

TEST_CASE("wait: test_tasks.BaseTaskTests.test_wait_first_exception (mixed types)", "[wait]") {
  // Also test_wait_first_exception_in_wait: the failure comes while waiting.
  EventLoop loop;
  Future<std::string> never = loop.create_future<std::string>();
  Task<std::string> a = loop.create_task(await_value(never));
  Task<int> b = loop.create_task(fail_with("err"));
  auto main = [&]() -> Coro<asyncio::WaitSets<FutureRef>> {
    co_return co_await asyncio::wait({b, a}, std::nullopt, asyncio::FIRST_EXCEPTION);
  };
  auto result = loop.run_until_complete(main());
  CHECK(result.done.size() == 1);
  CHECK(result.done.contains(b));
  CHECK(result.pending.contains(a));
  CHECK_THROWS_AS(std::rethrow_exception(result.done.front().exception()), std::domain_error);
  a.cancel();
  CHECK_THROWS_AS(loop.run_until_complete(a), asyncio::CancelledError);
}

TEST_CASE("wait: test_tasks.BaseTaskTests.test_wait_with_timeout, as a std::chrono duration",
          "[wait]") {
  // Python's timeout=0.11 with one task done in time: here 10ms as a duration, then seconds
  // as a double, on both the mixed and the one-type forms.
  EventLoop loop;
  Future<int> a = loop.create_future<int>();
  Future<int> b = loop.create_future<int>();
  Future<void> c = loop.create_future<void>();
  loop.call_soon([a]() mutable { a.set_result(1); });
  auto mixed = [&]() -> Coro<asyncio::WaitSets<FutureRef>> {
    co_return co_await asyncio::wait({b, a, c}, 10ms);
  };
  double start = loop.time();
  auto r = loop.run_until_complete(mixed());
  CHECK(loop.time() - start >= 0.009);
  CHECK(r.done.contains(a));
  CHECK(r.pending.contains(b));
  CHECK(r.pending.contains(c));
  CHECK(r.pending.size() == 2);

  std::vector<Future<int>> same{b, a};
  auto typed = loop.run_until_complete(asyncio::wait(same, 0.01));
  CHECK(typed.done.contains(a));
  CHECK(typed.pending.contains(b));
  auto by_duration = loop.run_until_complete(asyncio::wait(same, 1ms, asyncio::ALL_COMPLETED));
  CHECK(by_duration.pending.size() == 1);
}

TEST_CASE("wait: test_tasks.BaseTaskTests.test_wait_errors and test_wait_duplicate_coroutines",
          "[wait]") {
  // An empty set and a bad return_when are ValueError (std::invalid_argument) once awaited; a
  // future given twice is waited for once (Python's set(fs)); an empty FutureRef is refused.
  EventLoop loop;
  std::vector<Future<int>> none;
  CHECK_THROWS_AS(loop.run_until_complete(asyncio::wait(none)), std::invalid_argument);
  Future<int> f = loop.create_future<int>();
  f.set_result(3);
  std::vector<Future<int>> twice{f, f};
  CHECK_THROWS_WITH(
      loop.run_until_complete(asyncio::wait(twice, static_cast<asyncio::ReturnWhen>(7))),
      "Invalid return_when value: 7");
  auto once = loop.run_until_complete(asyncio::wait(twice));
  CHECK(once.done.size() == 1);
  auto braced_one = [&]() -> Coro<std::size_t> {
    auto r = co_await asyncio::wait({f});  // Python's wait({f}); a bare wait(f) is refused
    co_return r.done.size();
  };
  CHECK(loop.run_until_complete(braced_one()) == 1);
  asyncio::FutureSet<FutureRef> mixed{f, f, FutureRef(f)};
  CHECK(loop.run_until_complete(asyncio::wait(mixed)).done.size() == 1);
  asyncio::FutureSet<FutureRef> with_empty{f, FutureRef()};
  CHECK_THROWS_AS(loop.run_until_complete(asyncio::wait(with_empty)), std::invalid_argument);
  CHECK_THROWS_AS(loop.run_until_complete(asyncio::wait(asyncio::FutureSet<FutureRef>())),
                  std::invalid_argument);
}

TEST_CASE("wait: test_tasks.BaseTaskTests.test_wait_with_iterator_of_tasks (FutureRef ranges)",
          "[wait]") {
  // Any range of tasks converts: a vector of Task<int> into the mixed form, a vector of
  // FutureRef, and all_tasks()' TaskRefs.
  EventLoop loop;
  Future<int> gate = loop.create_future<int>();
  std::vector<Task<int>> tasks{loop.create_task(await_value(gate)),
                               loop.create_task(await_value(gate))};
  asyncio::FutureSet<FutureRef> refs(tasks);
  std::vector<FutureRef> plain(refs.begin(), refs.end());
  loop.call_soon([gate]() mutable { gate.set_result(5); });
  auto all = loop.run_until_complete(asyncio::wait(plain));
  CHECK(all.done.size() == 2);
  CHECK(all.done.contains(tasks[1]));
  CHECK(all.done[1].result<int>() == 5);
}

TEST_CASE("wait: FutureRef is a type-erased future (test_futures.BaseFutureTests.test_result)",
          "[wait]") {
  // result<T>() and as<F>() check the type; exception(), cancel(), co_await and hashing work
  // through the erased handle as on the typed one.
  EventLoop loop;
  Future<int> f = loop.create_future<int>();
  FutureRef ref = f;
  CHECK_THROWS_AS(ref.exception(), asyncio::InvalidStateError);
  f.set_result(42);
  CHECK(ref.result<int>() == 42);
  CHECK_THROWS_AS(ref.result<std::string>(), std::bad_cast);
  CHECK_THROWS_AS(ref.as<Task<int>>(), std::bad_cast);
  CHECK(ref.exception() == nullptr);
  std::unordered_set<FutureRef> set{ref, FutureRef(f)};
  CHECK(set.size() == 1);
  CHECK(set.count(f) == 1);

  Future<void> g = loop.create_future<void>();
  FutureRef gref = g;
  CHECK(gref.cancel("stop"));
  CHECK(gref.cancelled());
  auto await_ref = [](FutureRef r) -> Coro<void> { co_await r; };
  CHECK_THROWS_AS(loop.run_until_complete(await_ref(gref)), asyncio::CancelledError);
  FutureRef empty;
  CHECK_FALSE(empty.done());
  CHECK_THROWS_AS(empty.cancel(), asyncio::RuntimeError);
  CHECK_THROWS_AS(empty.as<Future<int>>(), asyncio::RuntimeError);
}

TEST_CASE("as_completed: test_tasks.BaseTaskTests.test_as_completed (mixed, plain iteration)",
          "[wait]") {
  // Plain iteration over mixed types: each awaitable gives the next future to finish (as a
  // FutureRef) and raises its failure, as Python's `await aw` does.
  EventLoop loop;
  Future<std::string> s = loop.create_future<std::string>();
  Future<int> n = loop.create_future<int>();
  Task<int> bad = loop.create_task(fail_with("bad"));
  loop.call_soon([n]() mutable { n.set_result(7); });
  auto main = [&]() -> Coro<std::vector<std::string>> {
    std::vector<std::string> seen;
    for (auto& aw : asyncio::as_completed({s, n, bad})) {
      try {
        FutureRef f = co_await aw;
        seen.push_back(f == n ? "n" : "s");
        if (f == n) s.set_result("late");
      } catch (const std::domain_error& e) {
        seen.push_back(e.what());
      }
    }
    co_return seen;
  };
  CHECK(loop.run_until_complete(main()) == std::vector<std::string>{"n", "bad", "s"});
}

TEST_CASE("as_completed_originals: test_tasks.BaseTaskTests.test_as_completed_same_tasks_in_as_out",
          "[wait]") {
  // 3.13's `async for t in as_completed(tasks)`: the original tasks come back, typed, in
  // completion order (test_as_completed's try_async_iterator).
  EventLoop loop;
  std::vector<Future<int>> gates{loop.create_future<int>(), loop.create_future<int>(),
                                 loop.create_future<int>()};
  std::vector<Task<int>> tasks;
  for (auto& g : gates) tasks.push_back(loop.create_task(await_value(g)));
  tasks[0].set_name("a");
  tasks[1].set_name("b");
  tasks[2].set_name("c");
  loop.call_soon([&] {
    gates[2].set_result(2);
    loop.call_soon([&] {
      gates[0].set_result(0);
      gates[1].set_result(1);
    });
  });
  auto main = [&]() -> Coro<std::vector<std::string>> {
    std::vector<std::string> names;
    for (auto next : asyncio::aiter(asyncio::as_completed(tasks))) {
      Task<int> t = co_await next;
      CHECK(t.done());
      names.push_back(t.get_name() + "=" + std::to_string(t.result()));
    }
    co_return names;
  };
  CHECK(loop.run_until_complete(main()) == std::vector<std::string>{"c=2", "a=0", "b=1"});
}

TEST_CASE("as_completed_originals: mixed types give FutureRefs equal to the originals", "[wait]") {
  // test_as_completed_same_tasks_in_as_out over several result types; a failure does not
  // raise in async iteration: the original is given, its exception inside.
  EventLoop loop;
  Future<std::string> s = loop.create_future<std::string>();
  Task<int> bad = loop.create_task(fail_with("bad"));
  loop.call_soon([s]() mutable { s.set_result("x"); });
  auto main = [&]() -> Coro<std::vector<FutureRef>> {
    std::vector<FutureRef> out;
    for (auto next : asyncio::aiter(asyncio::as_completed({bad, s}))) out.push_back(co_await next);
    co_return out;
  };
  auto out = loop.run_until_complete(main());
  REQUIRE(out.size() == 2);
  CHECK(out[0] == s);
  CHECK(out[1] == bad);
  CHECK(out[1].exception() != nullptr);
}

TEST_CASE("as_completed_originals: test_tasks.BaseTaskTests.test_as_completed_with_timeout",
          "[wait]") {
  // Also test_as_completed_with_unused_timeout: what finished in time comes back, then the
  // next await raises TimeoutError; a timeout as a std::chrono duration.
  EventLoop loop;
  Future<int> quick = loop.create_future<int>();
  Future<int> stuck = loop.create_future<int>();
  loop.call_soon([quick]() mutable { quick.set_result(1); });
  auto main = [&]() -> Coro<std::vector<std::string>> {
    std::vector<std::string> seen;
    std::vector<Future<int>> fs{stuck, quick};
    try {
      for (auto next : asyncio::aiter(asyncio::as_completed(fs, 20ms))) {
        Future<int> f = co_await next;
        seen.push_back(f == quick ? "quick" : "stuck");
      }
    } catch (const asyncio::TimeoutError&) {
      seen.push_back("timeout");
    }
    std::vector<Future<int>> only_quick{quick};
    for (auto next : asyncio::aiter(asyncio::as_completed(only_quick, 10))) {
      Future<int> f = co_await next;
      seen.push_back("unused timeout: " + std::to_string(f.result()));
    }
    co_return seen;
  };
  CHECK(loop.run_until_complete(main()) ==
        std::vector<std::string>{"quick", "timeout", "unused timeout: 1"});
}

TEST_CASE("as_completed_originals: test_tasks.BaseTaskTests.test_as_completed_resume_iterator",
          "[wait]") {
  // A loop that breaks early leaves the rest to a second loop over the same range.
  EventLoop loop;
  std::vector<Future<int>> fs;
  for (int i = 0; i < 4; ++i) {
    fs.push_back(loop.create_future<int>());
    fs.back().set_result(i);
  }
  auto main = [&]() -> Coro<std::vector<int>> {
    std::vector<int> collected;
    auto completed = asyncio::aiter(asyncio::as_completed(fs));
    for (auto next : completed) {
      collected.push_back((co_await next).result());
      if (collected.size() == 2) break;
    }
    for (auto next : completed) collected.push_back((co_await next).result());
    co_return collected;
  };
  CHECK(loop.run_until_complete(main()) == std::vector<int>{0, 1, 2, 3});
}

TEST_CASE("as_completed: test_tasks.BaseTaskTests.test_as_completed_duplicate_coroutines",
          "[wait]") {
  // A future given twice comes out once, in both loop forms (Python's set(fs)).
  EventLoop loop;
  Future<int> f = loop.create_future<int>();
  f.set_result(1);
  Future<int> g = loop.create_future<int>();
  g.set_result(2);
  std::vector<Future<int>> fs{f, f, g};
  auto main = [&]() -> Coro<int> {
    int count = 0;
    for (auto& aw : asyncio::as_completed(fs)) count += co_await aw;
    for (auto next : asyncio::aiter(asyncio::as_completed(fs))) {
      Future<int> done = co_await next;
      count += 10 * done.result();
    }
    co_return count;
  };
  CHECK(loop.run_until_complete(main()) == 33);
}

TEST_CASE("as_completed: async iteration reports no never-awaited coroutine (debug mode)",
          "[wait]") {
  // aiter() replaces the plain coroutines, which nobody will await: debug mode's "coroutine
  // ... was never awaited" must not name them.
  test_support::LogCapture logs;
  EventLoop loop;
  loop.set_debug(true);
  Future<int> f = loop.create_future<int>();
  f.set_result(1);
  std::vector<Future<int>> fs{f};
  auto main = [&]() -> Coro<int> {
    int n = 0;
    for (auto next : asyncio::aiter(asyncio::as_completed(fs))) n += (co_await next).result();
    co_return n;
  };
  CHECK(loop.run_until_complete(main()) == 1);
  for (auto& r : logs.records) CHECK_THAT(r.text, !Catch::Matchers::Contains("never awaited"));
}

TEST_CASE("timeouts: every timeout takes seconds or a std::chrono duration (the contract)",
          "[wait]") {
  // wait, as_completed, wait_for, timeout and sleep are checked at compile time; the
  // ConcurrentFuture of run_coroutine_threadsafe (concurrent.futures' result(timeout) and
  // wait) at run time, with zero timeouts so that nothing sleeps.
  static_assert(requires(std::vector<Future<int>> fs, Coro<int> c) {
    asyncio::wait(fs, 5ms);
    asyncio::wait(fs, 1, asyncio::FIRST_COMPLETED);
    asyncio::wait(fs, std::optional<double>(0.5));
    asyncio::as_completed(fs, 2s);
    asyncio::wait_for(std::move(c), 5ms);
    asyncio::timeout(5ms);
    asyncio::sleep(5ms);
  });
  EventLoop loop;
  Future<int> gate = loop.create_future<int>();
  auto done_cf = asyncio::run_coroutine_threadsafe(await_value(Future<int>(gate)), loop);
  auto pending_cf = asyncio::run_coroutine_threadsafe(await_value(loop.create_future<int>()), loop);
  gate.set_result(4);
  REQUIRE(test_support::run_until(loop, [&] { return done_cf.done(); }));
  CHECK(done_cf.wait_for(0ms));
  CHECK(done_cf.result(1s) == 4);
  CHECK(done_cf.result(std::nullopt) == 4);
  CHECK_FALSE(pending_cf.wait_for(0ms));
  CHECK_FALSE(pending_cf.wait_for(0));
  CHECK_THROWS_AS(pending_cf.result(0ms), asyncio::TimeoutError);
  pending_cf.cancel();
  CHECK(test_support::run_until(loop, [&] { return asyncio::all_tasks(loop).empty(); }));
}

TEST_CASE("streams: test_pep492.StreamReaderTests.test_readline (async for over aiter)", "[wait]") {
  // `async for line in stream` over line1\nline2\nline3: each line then the end; the range
  // stops after the EOF element even without the break.
  EventLoop loop;
  auto stream = std::make_shared<asyncio::StreamReader>(asyncio::DEFAULT_LIMIT, loop);
  stream->feed_data("line1\nline2\nline3");
  stream->feed_eof();
  auto read_all = [](std::shared_ptr<asyncio::StreamReader> s) -> Coro<std::vector<std::string>> {
    std::vector<std::string> data;
    for (auto next : asyncio::aiter(s)) {
      auto line = co_await next;
      if (!line) break;
      data.push_back(*line);
    }
    int after_eof = 0;
    for (auto next : asyncio::aiter(*s)) {
      auto line = co_await next;
      ++after_eof;
      CHECK_FALSE(line.has_value());
    }
    CHECK(after_eof == 1);
    co_return data;
  };
  CHECK(loop.run_until_complete(read_all(stream)) ==
        std::vector<std::string>{"line1\n", "line2\n", "line3"});
}

TEST_CASE("streams: async for raises readline's ValueError (test_streams test_readline_limit)",
          "[wait]") {
  // __anext__ is readline(): a line over the limit is ValueError (std::invalid_argument),
  // which leaves the loop; a failed reader's exception does too.
  EventLoop loop;
  asyncio::StreamReader stream(3, loop);
  stream.feed_data("li");
  stream.feed_data("ne1\nline2\n");
  auto read_all = [](asyncio::StreamReader& s) -> Coro<int> {
    int n = 0;
    for (auto next : asyncio::aiter(s)) {
      auto line = co_await next;
      if (!line) break;
      ++n;
    }
    co_return n;
  };
  CHECK_THROWS_AS(loop.run_until_complete(read_all(stream)), std::invalid_argument);
  asyncio::StreamReader failed(asyncio::DEFAULT_LIMIT, loop);
  failed.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  CHECK_THROWS_AS(loop.run_until_complete(read_all(failed)), std::runtime_error);
  std::shared_ptr<asyncio::StreamReader> empty;
  CHECK_THROWS_AS(asyncio::aiter(empty), std::invalid_argument);
}
